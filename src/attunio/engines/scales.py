"""Symptom-scale series: grouping administrations by instrument and reading them in its own units.

Every score is read as *badness*, a share of the scale where 0 is best and 1 is worst, so a
higher-is-better scale (WHO-5) is turned round before anything compares it. An instrument the
registry knows (`instruments.py`) is read with its polarity, bands, level floors and MCID; any other
is read as higher-is-worse on its own maximum, and the answers say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import msgspec

from attunio.engines.common import as_utc
from attunio.engines.inputs import Assessment
from attunio.engines.instruments import Band, FloorLevel, Instrument, lookup, normalise, scale_of


class Series(msgspec.Struct, frozen=True, kw_only=True):
    """One instrument's administrations, oldest first; `entry` is None for an instrument the
    registry does not know (or reported on a maximum it is not known to use)."""

    instrument_id: str
    name: str
    entry: Instrument | None
    points: tuple[Assessment, ...]

    @property
    def first(self) -> Assessment:
        return self.points[0]

    @property
    def latest(self) -> Assessment:
        return self.points[-1]

    @property
    def known(self) -> bool:
        return self.entry is not None


def when(item: Assessment) -> datetime:
    return as_utc(item.createdAt)


def _entry_for(item: Assessment) -> Instrument | None:
    entry = lookup(item.instrumentId)
    if entry is None or scale_of(entry, item.maxScore) is None:
        return None
    return entry


def badness(item: Assessment, entry: Instrument | None) -> float:
    """The score as a share of its scale, 0 best and 1 worst."""
    share = item.score / item.maxScore
    if entry is not None and entry.polarity == "higher_is_better":
        return 1.0 - share
    return share


def in_units(item: Assessment, entry: Instrument) -> float:
    """The score on the registry's maximum (a WHO-5 percentage as its 0–25 raw score)."""
    return item.score * (scale_of(entry, item.maxScore) or 1.0)


def _order_key(item: Assessment, entry: Instrument | None) -> tuple[datetime, float, str, str, str]:
    # Same-timestamp administrations: the worse one counts as the later, so a tie is read the
    # conservative way and never by request order.
    return (when(item), badness(item, entry), item.instrumentName, item.severity or "", item.instrumentId)


def group(assessments: Iterable[Assessment]) -> list[Series]:
    """Series per instrument (aliases, case and punctuation folded), each sorted by time, ties by
    badness then text; the list is sorted by instrument id."""
    by_key: dict[str, tuple[Instrument | None, list[Assessment]]] = {}
    for item in assessments:
        entry = _entry_for(item)
        key = entry.id if entry is not None else "?" + (normalise(item.instrumentId) or item.instrumentId)
        by_key.setdefault(key, (entry, []))[1].append(item)
    series = []
    for key in sorted(by_key):
        entry, items = by_key[key]
        ordered = tuple(sorted(items, key=lambda a: _order_key(a, entry)))
        name = entry.name if entry is not None else ordered[-1].instrumentName
        series.append(Series(instrument_id=key.lstrip("?"), name=name, entry=entry, points=ordered))
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


def band_of(item: Assessment, entry: Instrument | None) -> Band | None:
    if entry is None:
        return None
    value = in_units(item, entry)
    if entry.polarity == "higher_is_better":
        return next((band for band in entry.bands if value <= band.edge), entry.bands[-1])
    found = entry.bands[0]
    for band in entry.bands:
        if value >= band.edge:
            found = band
    return found


def severity_of(item: Assessment, entry: Instrument | None = None) -> str | None:
    """The administration's own severity, else the registry's band for it."""
    if item.severity:
        return item.severity
    band = band_of(item, entry if entry is not None else _entry_for(item))
    return band.label if band is not None else None


def floor_of(item: Assessment, entry: Instrument | None) -> FloorLevel | None:
    """The least relapse level the registry's band for this score allows (never the client's
    own `severity` text, which the engine cannot check)."""
    band = band_of(item, entry)
    return band.floor if band is not None else None


def mcid_share(entry: Instrument | None, unknown_share: float) -> float:
    """The MCID as a share of the scale; for an unknown instrument the conservative share given."""
    return entry.mcid / entry.maximum if entry is not None else unknown_share


def fraction(item: Assessment) -> float:
    """Score as a share of its scale, so instruments of different range compare."""
    return item.score / item.maxScore
