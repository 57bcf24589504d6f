"""The click parameter for times an operator types (`--since 24h`); the forms and their parsing
are in `attunio.timetext`, shared with the admin console."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from attunio.timetext import parse_instant as parse_instant  # noqa: PLC0414


class InstantType(click.ParamType[datetime, object]):
    """A click parameter: the value is parsed when the command runs, against the current time."""

    name = "TIME"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_instant(str(value), datetime.now(UTC))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
