"""Times an operator types, from the CLI or the admin console: `2026-11-30T08:00:00+01:00`,
`2026-11-30`, `24h`.

Every form is turned into one UTC instant, or refused with the forms that are accepted; a time
without a UTC offset is refused rather than guessed (the appliance's clock is UTC, the operator's
shell or browser may not be).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

RELATIVE = re.compile(r"^(\d{1,6})\s*([smhdw])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
ACCEPTED = ("an ISO-8601 time with its offset (2026-11-30T08:00:00Z, 2026-11-30T09:00:00+01:00), "
            "a UTC date (2026-11-30), a span back from now (90m, 24h, 7d, 2w), or today / yesterday")


def parse_instant(value: str, now: datetime) -> datetime:
    """`value` as a UTC instant; `now` anchors the relative forms. ValueError names what is accepted."""
    text = value.strip()
    lowered = text.lower()
    midnight = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    if lowered == "now":
        return now.astimezone(UTC)
    if lowered == "today":
        return midnight
    if lowered == "yesterday":
        return midnight - timedelta(days=1)
    match = RELATIVE.match(lowered)
    if match:
        return now.astimezone(UTC) - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        except ValueError:
            raise ValueError(f"{value!r} is not a real date; give {ACCEPTED}") from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a time; give {ACCEPTED}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset; add Z or +hh:mm (e.g. {text}Z)")
    return moment.astimezone(UTC)
