"""Symptom-scale series: grouping administrations by instrument and naming severity bands."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import msgspec

from attunio.engines.common import as_utc
from attunio.engines.inputs import Assessment

# Published severity bands, used only when an administration carries no `severity` of its own:
# PHQ-9 (Kroenke, Spitzer & Williams 2001) and GAD-7 (Spitzer et al. 2006). Lower edges.
_BANDS: dict[str, tuple[tuple[float, str], ...]] = {
    "phq9": ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe"), (20, "severe")),
    "gad7": ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe")),
}
_BAND_MAX = {"phq9": 27.0, "gad7": 21.0}


class Series(msgspec.Struct, frozen=True, kw_only=True):
    """One instrument's administrations, oldest first."""

    instrument_id: str
    name: str
    points: tuple[Assessment, ...]

    @property
    def first(self) -> Assessment:
        return self.points[0]

    @property
    def latest(self) -> Assessment:
        return self.points[-1]


def when(item: Assessment) -> datetime:
    return as_utc(item.createdAt)


def group(assessments: Iterable[Assessment]) -> list[Series]:
    """Series per `instrumentId`, each sorted by time (ties keep request order)."""
    by_id: dict[str, list[Assessment]] = {}
    for item in assessments:
        by_id.setdefault(item.instrumentId, []).append(item)
    series = []
    for instrument_id, items in by_id.items():
        ordered = tuple(sorted(items, key=when))
        series.append(Series(instrument_id=instrument_id, name=ordered[-1].instrumentName, points=ordered))
    return series


def most_covered(series: Sequence[Series]) -> Series | None:
    """The series with the most administrations; ties go to the most recently administered,
    then to the instrument id, so the choice never depends on request order."""
    if not series:
        return None
    return max(series, key=lambda s: (len(s.points), when(s.latest), _reverse_id(s.instrument_id)))


def _reverse_id(instrument_id: str) -> tuple[int, ...]:
    # max() with the negated code points picks the alphabetically first id on a full tie.
    return tuple(-ord(ch) for ch in instrument_id)


def severity_of(item: Assessment) -> str | None:
    """The administration's own severity, else the published band for PHQ-9 / GAD-7."""
    if item.severity:
        return item.severity
    key = item.instrumentId.lower().replace("-", "").replace("_", "")
    bands = _BANDS.get(key)
    if bands is None or item.maxScore != _BAND_MAX[key]:
        return None
    label = bands[0][1]
    for edge, name in bands:
        if item.score >= edge:
            label = name
    return label


def fraction(item: Assessment) -> float:
    """Score as a share of its scale, so instruments of different range compare."""
    return item.score / item.maxScore
