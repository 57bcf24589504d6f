"""The `attunio` command."""

from __future__ import annotations

from pathlib import Path

import click

from attunio import __version__
from attunio.cli.admins import admins
from attunio.cli.apps import apps
from attunio.cli.audit import audit
from attunio.cli.backup import backup, restore
from attunio.cli.common import Context, config_option
from attunio.cli.init import init
from attunio.cli.instance import instance
from attunio.cli.keys import keys
from attunio.cli.license import license_group
from attunio.cli.models import models
from attunio.cli.release import release
from attunio.cli.serve import serve
from attunio.cli.tls import tls
from attunio.cli.usage import usage


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@config_option
@click.version_option(__version__, prog_name="attunio")
@click.pass_context
def cli(click_ctx: click.Context, config: Path | None) -> None:
    """Attunio Appliance: the Attunio Clinical Intelligence API, self-hosted.

    Start with `attunio init`, create an app and a key, then `attunio serve`.
    Settings come from config/attunio.toml and ATTUNIO_* variables (docs/operations.md).
    """
    click_ctx.obj = Context(config)


for command in (init, serve, apps, keys, admins, audit, tls, license_group, usage, instance, models, backup,
                restore):
    cli.add_command(command)
cli.add_command(release)


def main() -> None:
    cli()
