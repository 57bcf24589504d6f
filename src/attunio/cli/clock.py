"""`attunio clock`: the persisted clock mark that license expiry is judged against."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import click

from attunio.cli.common import Context, actor, fail, pass_ctx
from attunio.clock import iso_ms
from attunio.services.licensing import clock_mark
from attunio.store import Store


@click.group("clock")
def clock() -> None:
    """Show, confirm or lower the clock mark (docs/licensing.md, "The clock")."""


@clock.command("show", epilog="Examples:\n\n\b\n  attunio clock show\n")
@pass_ctx
def show(ctx: Context) -> None:
    """The wall clock, the mark, and a reading held as too far ahead."""
    with ctx.store() as store:
        mark, held = clock_mark.read_mark(store), clock_mark.read_held(store)
    click.echo(f"clock       {iso_ms(ctx.clock.now())}")
    click.echo(f"mark        {iso_ms(mark) if mark else 'none yet'}")
    if held is not None:
        click.echo(f"held        {iso_ms(held)} (more than {clock_mark.MAX_JUMP.days} days ahead of the mark; "
                   "if the clock is right, run `attunio clock confirm --reason …`)")


def _change(ctx: Context, action: Callable[..., datetime], reason: str, done: str) -> None:
    store: Store
    with ctx.store() as store:
        try:
            with store.write():
                moment = action(store, ctx.clock.now(), actor=actor(), reason=reason)
        except clock_mark.ClockMarkError as exc:
            fail(str(exc))
    click.echo(f"{done} {iso_ms(moment)} (audited)")


@clock.command("confirm", epilog=("Examples:\n\n\b\n"
                                     "  attunio clock confirm --reason 'appliance was powered off for 3 weeks'\n"))
@click.option("--reason", required=True, help="Why the clock is right, for the audit trail.")
@pass_ctx
def confirm(ctx: Context, reason: str) -> None:
    """Vouch for the wall clock after it moved far ahead (e.g. after weeks switched off): the mark
    rises to it."""
    _change(ctx, clock_mark.confirm, reason, "mark raised to")


@clock.command("lower", epilog=("Examples:\n\n\b\n"
                                   "  attunio clock lower --reason 'license installed under a wrong clock (2030)'\n"))
@click.option("--reason", required=True, help="Why the mark is wrong (e.g. a command ran with a wrong clock).")
@pass_ctx
def lower(ctx: Context, reason: str) -> None:
    """Lower a mark a wrong clock set in the future back to the present wall clock (never below it).
    Check the clock first (NTP): the mark cannot be lowered past the time it reads."""
    _change(ctx, clock_mark.lower, reason, "mark lowered to")
