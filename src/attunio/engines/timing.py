"""Input rules against the caller's `now`, and the age of an administration relative to it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from attunio.engines.common import as_utc, iso_ms
from attunio.engines.items import item_issues

# A day of slack absorbs clock skew and time zones between the recording system and the appliance;
# anything later is a data error (a mistyped year), never a current score.
FUTURE_TOLERANCE = timedelta(days=1)


def future_dated(request: Any, now: datetime | None) -> list[tuple[str, str]]:
    """`(path, message)` for each administration or start date later than `now` plus a day, and
    for each item answer its instrument cannot have (`items.item_issues`)."""
    issues: list[tuple[str, str]] = list(item_issues(getattr(request, "assessments", ())))
    if now is None:
        return issues
    limit = as_utc(now) + FUTURE_TOLERANCE
    shown = iso_ms(now)
    for index, item in enumerate(getattr(request, "assessments", ())):
        if as_utc(item.createdAt) > limit:
            issues.append(
                (f"assessments.{index}.createdAt", f"Date is more than a day after now ({shown}); "
                 "an administration cannot be in the future")
            )
    for index, rx in enumerate(getattr(request, "prescriptions", ())):
        if rx.prescribedAt is not None and as_utc(rx.prescribedAt) > limit:
            issues.append(
                (f"prescriptions.{index}.prescribedAt", f"Date is more than a day after now ({shown}); "
                 "record a start date once the medication has started")
            )
    return issues


def age_days(now: datetime, moment: datetime) -> int:
    """Whole days from `moment` to `now`; 0 for a moment up to a day ahead."""
    return max(0, (as_utc(now) - as_utc(moment)).days)
