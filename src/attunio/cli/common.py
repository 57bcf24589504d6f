"""What every command shares: loading settings, opening the store, naming the actor, failing clearly."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
import msgspec

from attunio.clock import SystemClock
from attunio.config import CONFIG_ENV, ConfigError, Settings, load_settings
from attunio.crypto.trust import TrustError, VendorTrust, load_vendor_trust, startup_warnings
from attunio.store import Store, StoreError


class Context:
    def __init__(self, config: Path | None) -> None:
        self.config = config
        self.clock = SystemClock()
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config)
            except ConfigError as exc:
                fail(str(exc))
        return self._settings

    @contextmanager
    def store(self) -> Iterator[Store]:
        try:
            store = Store.open(self.settings)
        except StoreError as exc:
            fail(str(exc))
        try:
            yield store
        finally:
            store.close()


pass_ctx = click.make_pass_decorator(Context)


def config_option(func: Any) -> Any:
    return click.option(
        "--config", "config", type=click.Path(path_type=Path, dir_okay=False), envvar=CONFIG_ENV,
        help=f"Settings file (default config/attunio.toml; also ${CONFIG_ENV}).",
    )(func)


def actor() -> str:
    """The audit trail's name for someone acting at the appliance's own console."""
    try:
        return f"os:{getpass.getuser()}"
    except (OSError, KeyError):  # a numeric container user with no passwd entry (Python 3.11: KeyError)
        return f"os:uid-{os.getuid()}"


def fail(message: str, code: int = 1) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Refusals from services (bad input, unknown ids, wrong role) end the command with their reason."""
    try:
        yield
    except (ValueError, LookupError, PermissionError, StoreError) as exc:
        fail(str(exc).strip("'\""))


def emit_table(rows: list[dict[str, Any]], columns: list[str], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c) or "")) for r in rows)) for c in columns}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        click.echo("  ".join(str(row.get(c) or "").ljust(widths[c]) for c in columns))


def as_rows(items: list[Any]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(item) for item in items]


def vendor_trust(settings: Settings, *, announce: bool = True) -> VendorTrust:
    """The pinned vendor keys plus any configured extra ones; an unusable extra key stops the
    command, and a usable one is announced so nobody trusts a development key unknowingly."""
    try:
        trust = load_vendor_trust(settings.trust.extra_vendor_keys)
    except TrustError as exc:
        fail(str(exc))
    if announce:
        for warning in startup_warnings(trust):
            click.secho(f"warning: {warning}", fg="yellow", err=True)
    return trust
