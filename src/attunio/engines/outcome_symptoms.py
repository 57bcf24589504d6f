"""Outcome's symptom component: each instrument's change from its first administration, in its own units.

A change smaller than the instrument's MCID (registry; `UNKNOWN_MCID_SHARE` of the maximum for an
instrument outside it) is no meaningful change and contributes nothing. A worsening beyond the MCID
on any instrument speaks for the component even when another improves.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from attunio.engines.common import fmt
from attunio.engines.inputs import Assessment
from attunio.engines.instruments import UNKNOWN_MCID_SHARE
from attunio.engines.scales import Series, badness, group, mcid_share, most_covered


class Change(msgspec.Struct, frozen=True, kw_only=True):
    series: Series
    reduction: float  # relative reduction of badness from the first administration (−1 … 1 after clamp)
    meaningful: bool  # the change in badness reaches the instrument's MCID


def _change(series: Series) -> Change:
    first, last = series.first, series.latest
    entry = series.entry
    if entry is not None and entry.polarity == "higher_is_better":
        before, after = first.maxScore - first.score, last.maxScore - last.score
    else:
        before, after = first.score, last.score
    # From a zero baseline any rise is full worsening; the relative change is undefined there.
    reduction = (before - after) / before if before > 0 else (0.0 if after == 0 else -1.0)
    moved = abs(badness(first, entry) - badness(last, entry))
    meaningful = moved >= mcid_share(entry, UNKNOWN_MCID_SHARE) - 1e-12
    return Change(series=series, reduction=reduction if meaningful else 0.0, meaningful=meaningful)


def symptom_change(assessments: Sequence[Assessment]) -> tuple[Change | None, list[Change], bool]:
    """The change that speaks for the symptoms component, every instrument's change, and whether
    any instrument was given at all. A worsening beyond its MCID on any instrument speaks, even when
    another improves (the worst one); otherwise the most-covered instrument does."""
    series = group(assessments)
    changes = [_change(s) for s in series if len(s.points) >= 2]
    worse = [c for c in changes if c.meaningful and c.reduction < 0]
    if worse:
        chosen = min(worse, key=lambda c: (max(c.reduction, -1.0), -len(c.series.points), c.series.instrument_id))
        return chosen, changes, bool(series)
    covered = most_covered([c.series for c in changes])
    return next((c for c in changes if c.series is covered), None), changes, bool(series)


def describe(change: Change) -> str:
    series = change.series
    first, last = series.first.score, series.latest.score
    if not change.meaningful:
        entry = series.entry
        mcid = f"its MCID of {fmt(entry.mcid)} points" if entry else "a conservative MCID of 12.5% of its maximum"
        how = f"at {fmt(last)}" if first == last else f"{fmt(first)}→{fmt(last)}"
        return f"{series.name} {how}: within {mcid}, no meaningful change"
    verb = "improved" if change.reduction > 0 else "worsened"
    return f"{series.name} {verb} {fmt(first)}→{fmt(last)}"
