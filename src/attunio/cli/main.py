"""The `attunio` command.

Subcommands are imported only when they run (a lazy group), so `attunio --version` and `--help`
do not load the store driver, numpy or the web stack.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from attunio import __version__
from attunio.cli.common import Context, config_option, fail, refuse
from attunio.cli.exits import BAD_STATE, INTERNAL
from attunio.refusals import Refused

# name -> (module, attribute, one-line summary shown by `attunio --help` without importing it)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("attunio.cli.init", "init", "Create the store key, the encrypted store and instance identity."),
    "serve": ("attunio.cli.serve", "serve", "Serve the API."),
    "migrate": ("attunio.cli.migrate", "migrate", "Bring the store's schema up to this release, then exit."),
    "doctor": ("attunio.cli.doctor", "doctor", "Preflight checks: each ok, warn or fail, with a fix."),
    "support-bundle": ("attunio.cli.support_bundle", "support_bundle",
                       "Write a redacted archive for the vendor's support."),
    "apps": ("attunio.cli.apps", "apps", "Create and list apps."),
    "keys": ("attunio.cli.keys", "keys", "Create, list, revoke and rotate API keys."),
    "admins": ("attunio.cli.admins", "admins", "Create, list and revoke admin identities."),
    "audit": ("attunio.cli.audit", "audit", "Verify and export the audit trail of admin actions."),
    "tls": ("attunio.cli.tls", "tls", "Inspect the TLS certificate and settings in force."),
    "license": ("attunio.cli.license", "license_group", "Install and inspect the license."),
    "usage": ("attunio.cli.usage", "usage", "Metered live usage and the monthly usage report."),
    "instance": ("attunio.cli.instance", "instance", "This appliance's identity, for the vendor."),
    "models": ("attunio.cli.models", "models", "Calibrated model versions: import, compare, promote, roll back."),
    "backup": ("attunio.cli.backup", "backup", "Write an encrypted snapshot of the store while serving."),
    "restore": ("attunio.cli.backup", "restore", "Verify a backup, then replace the store with it."),
    "ehr": ("attunio.cli.ehr", "ehr", "Register the EHRs allowed to call the CDS Hooks services."),
    "clock": ("attunio.cli.clock", "clock", "Inspect, confirm or lower the clock high-water mark."),
    "release": ("attunio.cli.release", "release", "Verify a signed offline release bundle before loading it."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, _, summary) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog="Examples:\n\n\b\n  attunio init\n  attunio doctor\n"
                    "  attunio keys create --app EHR --create-app --label epic-prod\n"
                    "  attunio --config /etc/attunio/attunio.toml keys list -o wide\n\n"
                    "Exit codes: 0 ok, 1 refused, 2 usage, 3 not set up, 4 warning, 5 bad state, "
                    "70 internal error (docs/operations.md).")
@config_option
@click.version_option(__version__, "-V", "--version", prog_name="attunio")
@click.pass_context
def cli(click_ctx: click.Context, config: Path | None) -> None:
    """Attunio Appliance: the Attunio Clinical Intelligence API, self-hosted.

    Start with `attunio init`, create an app and a key, then `attunio serve`; `attunio doctor`
    checks the setup. Settings come from a settings file and ATTUNIO_* variables (docs/operations.md).
    """
    click_ctx.ensure_object(Context).config = config


def main() -> None:
    """Run the command. A refusal that no command caught still ends with its tidy line; anything
    else is a bug: a JSON log line with its traceback on stderr, the internal-error line, exit 70."""
    try:
        cli(obj=Context(None))
    except Refused as exc:
        refuse(exc)
    except Exception as exc:  # the last resort, reported as what it is
        if _damaged_store(exc):  # a page found damaged in the middle of a command: its reason, not a traceback
            from attunio.store.db import damaged

            fail(damaged(_store_path(), exc), BAD_STATE, kind="store")
        from attunio.logs import write_bug

        write_bug("attunio.cli", exc, sys.stderr)
        click.secho(f"error: internal error ({exc.__class__.__name__}); this is a bug. Please send the "
                    "traceback above and `attunio support-bundle` to the vendor.", fg="red", err=True)
        sys.exit(INTERNAL)


def _damaged_store(exc: Exception) -> bool:
    if not exc.__class__.__module__.startswith("sqlcipher3"):
        return False  # the driver is imported only to classify its own errors
    import sqlcipher3

    return isinstance(exc, sqlcipher3.DatabaseError)


def _store_path() -> Path | str:
    from attunio.config import ConfigError, load_settings

    try:
        return load_settings().store_path
    except ConfigError:
        return "the store"
