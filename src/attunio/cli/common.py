"""What every command shares: loading settings, opening the store, naming the actor, failing clearly.

Heavy modules (the store driver, services, the web stack) are imported inside the functions that
use them, so `attunio --version` and `--help` start in a fraction of a second.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from attunio.cli.exits import CONFIG, REFUSED
from attunio.config import ConfigError, Settings, load_settings_from, settings_source
from attunio.services.refusals import is_refusal
from attunio.settings_file import CONFIG_ENV, SettingsSource

if TYPE_CHECKING:
    from attunio.clock import SystemClock
    from attunio.crypto.trust import VendorTrust
    from attunio.store import Store


class Context:
    def __init__(self, config: Path | None = None) -> None:
        self.config = config
        self.as_json = False
        self._settings: Settings | None = None
        self._source: SettingsSource | None = None
        self._clock: SystemClock | None = None

    @property
    def clock(self) -> SystemClock:
        if self._clock is None:
            from attunio.clock import SystemClock

            self._clock = SystemClock()
        return self._clock

    @property
    def source(self) -> SettingsSource:
        """The settings file in force and how it was found (attunio/settings_file.py)."""
        if self._source is None:
            try:
                self._source = settings_source(self.config)
            except ConfigError as exc:
                fail(str(exc), CONFIG, kind="config")
        return self._source

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings_from(self.source)
            except ConfigError as exc:
                fail(str(exc), CONFIG, kind="config")
        return self._settings

    @contextmanager
    def store(self) -> Iterator[Store]:
        from attunio.store import Store, StoreError

        try:
            store = Store.open(self.settings)
        except StoreError as exc:
            fail(str(exc), CONFIG, kind="store")
        try:
            yield store
        finally:
            store.close()


pass_ctx = click.make_pass_decorator(Context)


def config_option(func: Any) -> Any:
    return click.option(
        "--config", "config", type=click.Path(path_type=Path, dir_okay=False),
        help=f"Settings file; it must exist. Also ${CONFIG_ENV}. Without either: config/attunio.toml here, "
             "else the checkout's, else /etc/attunio/attunio.toml (docs/operations.md, Settings).",
    )(func)


def _set_json(click_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        click_ctx.ensure_object(Context).as_json = True
    return value


def json_option(func: Any) -> Any:
    """`--json`: data as one JSON document on stdout, and an error as {"ok": false, "error": …}."""
    return click.option("--json", "as_json", is_flag=True, callback=_set_json, is_eager=True,
                        help="Print JSON (errors too: {\"ok\": false, \"error\": {...}}).")(func)


def actor() -> str:
    """The audit trail's name for someone acting at the appliance's own console."""
    try:
        return f"os:{getpass.getuser()}"
    except (OSError, KeyError):  # a numeric container user with no passwd entry (Python 3.11: KeyError)
        return f"os:uid-{os.getuid()}"


def _json_mode() -> bool:
    click_ctx = click.get_current_context(silent=True)
    found = click_ctx.find_object(Context) if click_ctx is not None else None
    return bool(found and found.as_json)


def fail(message: str, code: int = REFUSED, *, kind: str = "refused") -> NoReturn:
    """End the command: `error: …` on stderr, or under --json the error shape on stdout."""
    if _json_mode():
        click.echo(json.dumps({"ok": False, "error": {"code": kind, "message": message, "exit": code}}))
    else:
        click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@contextmanager
def clear_errors() -> Iterator[None]:
    """Refusals from services (bad input, unknown ids, wrong role) end the command with their reason."""
    try:
        yield
    except Exception as exc:
        if not is_refusal(exc):
            raise
        reason = getattr(exc, "reason", None)
        message = str(getattr(exc, "message", None) or exc).strip("'\"")
        fail(f"refused ({reason}): {message}" if isinstance(reason, str) else message)


def emit_table(rows: list[dict[str, Any]], columns: list[str], as_json: bool) -> None:
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c) or "")) for r in rows)) for c in columns}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        click.echo("  ".join(str(row.get(c) or "").ljust(widths[c]) for c in columns).rstrip())


def as_rows(items: list[Any]) -> list[dict[str, Any]]:
    import msgspec

    return [msgspec.to_builtins(item) for item in items]


def vendor_trust(settings: Settings, *, announce: bool = True) -> VendorTrust:
    """The pinned vendor keys plus any configured extra ones; an unusable extra key stops the
    command, and a usable one is announced so nobody trusts a development key unknowingly."""
    from attunio.crypto.trust import TrustError, load_vendor_trust, startup_warnings

    try:
        trust = load_vendor_trust(settings.trust.extra_vendor_keys)
    except TrustError as exc:
        fail(str(exc), CONFIG, kind="config")
    if announce:
        for warning in startup_warnings(trust):
            click.secho(f"warning: {warning}", fg="yellow", err=True)
    return trust


class Steps:
    """Progress of a long command, one line per step on stderr with the time it started."""

    def __init__(self, quiet: bool = False) -> None:
        import time

        self._now: Callable[[], float] = time.monotonic
        self._start = self._now()
        self.quiet = quiet

    def __call__(self, step: str) -> None:
        if not self.quiet:
            click.echo(f"[{self._now() - self._start:6.1f}s] {step}", err=True)
