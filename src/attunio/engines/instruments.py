"""The instrument registry: what the engines know about each symptom scale, as data.

An entry holds the instrument's canonical id, the spellings it is recognised by (compared after
dropping case and punctuation, so "PHQ-9", "phq_9" and "PHQ9" are one instrument), its polarity,
maximum, severity bands with the relapse level floor each band carries, its minimal clinically
important difference (MCID), response and remission rules, safety items and LOINC codes. Sources
are in docs/engines.md ("Instrument registry"); a value without a published source is marked there
as a design choice.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

import msgspec

Polarity = Literal["higher_is_worse", "higher_is_better"]
FloorLevel = Literal["moderate", "elevated"]
Severity = Literal["urgent", "critical"]


class Band(msgspec.Struct, frozen=True):
    """A severity band. For higher-is-worse scales `edge` is the band's lowest score; for
    higher-is-better scales it is the band's highest score. `floor` is the least relapse level a
    latest score in the band may be given."""

    edge: float
    label: str
    floor: FloorLevel | None = None


class SafetyItem(msgspec.Struct, frozen=True, kw_only=True):
    """An item whose positive answer is a suicidality finding, whatever the total says."""

    item_id: str
    loinc: str | None
    label: str
    urgent_from: float
    critical_from: float
    item_max: float


class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    aliases: tuple[str, ...]
    polarity: Polarity
    maximum: float
    # Other maxima the same instrument is reported on (WHO-5 as a 0–100 percentage); scores on them
    # are scaled to `maximum` before bands and MCID are read.
    alternate_maxima: tuple[float, ...] = ()
    bands: tuple[Band, ...]
    mcid: float
    response_baseline_from: float | None = None
    remission_below: float | None = None
    safety_items: tuple[SafetyItem, ...] = ()
    # The screener's total is itself the safety signal (C-SSRS): any positive score is a finding.
    total_is_safety: bool = False
    item_max: float | None = None
    item_count: int | None = None
    loinc: str | None = None


_PHQ_BANDS = (
    Band(0, "minimal"),
    Band(5, "mild"),
    Band(10, "moderate"),
    Band(15, "moderately severe", "moderate"),
    Band(20, "severe", "elevated"),
)

REGISTRY: tuple[Instrument, ...] = (
    Instrument(
        id="phq9",
        name="PHQ-9",
        aliases=("phq9", "phq", "patienthealthquestionnaire9", "442616", "442491"),
        polarity="higher_is_worse",
        maximum=27,
        bands=_PHQ_BANDS,
        mcid=5,
        response_baseline_from=10,
        remission_below=5,
        safety_items=(
            SafetyItem(
                item_id="9",
                loinc="44260-8",
                label="PHQ-9 item 9 (thoughts of being better off dead or of self-harm)",
                urgent_from=1,
                critical_from=2,
                item_max=3,
            ),
        ),
        item_max=3,
        item_count=9,
        loinc="44261-6",
    ),
    Instrument(
        id="phq8",
        name="PHQ-8",
        aliases=("phq8", "patienthealthquestionnaire8"),
        polarity="higher_is_worse",
        maximum=24,
        bands=_PHQ_BANDS,
        mcid=5,
        response_baseline_from=10,
        remission_below=5,
        item_max=3,
        item_count=8,
    ),
    Instrument(
        id="gad7",
        name="GAD-7",
        aliases=("gad7", "generalizedanxietydisorder7", "generalisedanxietydisorder7", "702746"),
        polarity="higher_is_worse",
        maximum=21,
        bands=(
            Band(0, "minimal"),
            Band(5, "mild"),
            Band(10, "moderate", "moderate"),
            Band(15, "severe", "elevated"),
        ),
        mcid=4,
        response_baseline_from=10,
        remission_below=5,
        item_max=3,
        item_count=7,
        loinc="70274-6",
    ),
    Instrument(
        id="who5",
        name="WHO-5",
        aliases=("who5", "who5wellbeingindex", "who5wbi", "whofive"),
        polarity="higher_is_better",
        maximum=25,
        alternate_maxima=(100,),
        bands=(
            Band(7, "likely depression", "moderate"),
            Band(12, "poor wellbeing"),
            Band(25, "adequate wellbeing"),
        ),
        mcid=2.5,
        item_max=5,
        item_count=5,
    ),
    Instrument(
        id="pcl5",
        name="PCL-5",
        aliases=("pcl5", "ptsdchecklist5", "ptsdchecklistfordsm5"),
        polarity="higher_is_worse",
        maximum=80,
        bands=(Band(0, "below the probable-PTSD cut-off"), Band(33, "probable PTSD", "moderate")),
        mcid=10,
        item_max=4,
        item_count=20,
    ),
    Instrument(
        id="epds",
        name="EPDS",
        aliases=("epds", "edinburghpostnataldepressionscale", "edinburghpostnataldepression"),
        polarity="higher_is_worse",
        maximum=30,
        bands=(
            Band(0, "minimal"),
            Band(7, "mild"),
            Band(13, "probable depression", "moderate"),
            Band(19, "severe", "elevated"),
        ),
        mcid=4,
        safety_items=(
            SafetyItem(
                item_id="10",
                loinc=None,
                label="EPDS item 10 (thoughts of harming oneself)",
                urgent_from=1,
                critical_from=2,
                item_max=3,
            ),
        ),
        item_max=3,
        item_count=10,
    ),
    Instrument(
        id="auditc",
        name="AUDIT-C",
        aliases=("auditc", "audit-c", "alcoholusedisordersidentificationtestconsumption"),
        polarity="higher_is_worse",
        maximum=12,
        bands=(Band(0, "lower risk"), Band(3, "positive screen"), Band(8, "high risk", "moderate")),
        mcid=2,
        item_max=4,
        item_count=3,
    ),
    Instrument(
        id="cssrs_screener",
        name="C-SSRS screener",
        aliases=("cssrsscreener", "cssrs", "cssrsscreen", "columbiasuicideseverityratingscalescreener"),
        polarity="higher_is_worse",
        maximum=6,
        bands=(Band(0, "negative"), Band(1, "positive")),
        mcid=1,
        safety_items=tuple(
            SafetyItem(
                item_id=str(number),
                loinc=None,
                label=f"C-SSRS screener item {number} ({what})",
                urgent_from=1,
                critical_from=1 if number >= 4 else 2,
                item_max=1,
            )
            for number, what in (
                (1, "wish to be dead"),
                (2, "non-specific active suicidal thoughts"),
                (3, "suicidal thoughts with a method"),
                (4, "suicidal intent"),
                (5, "suicidal intent with a plan"),
                (6, "suicidal behaviour"),
            )
        ),
        total_is_safety=True,
        item_max=1,
        item_count=6,
    ),
)

# The MCID, as a share of the maximum, of an instrument the registry does not know. Design choice:
# below every registry MCID share but WHO-5's (PHQ-9 0.19, GAD-7 0.19, EPDS 0.13, PCL-5 0.125), so
# an unknown scale's change is named sooner rather than later.
UNKNOWN_MCID_SHARE = 0.125

_PUNCTUATION = re.compile(r"[^a-z0-9]+")


def normalise(instrument_id: str) -> str:
    """The key an id is compared by: lower case, punctuation and spaces dropped."""
    return _PUNCTUATION.sub("", instrument_id.lower())


_BY_KEY: dict[str, Instrument] = {
    normalise(alias): entry for entry in REGISTRY for alias in (entry.id, entry.name, *entry.aliases)
}


@functools.lru_cache(maxsize=1024)
def lookup(instrument_id: str) -> Instrument | None:
    # Cached: the same few ids arrive on every request, and folding them is the costly part.
    return _BY_KEY.get(normalise(instrument_id))


def series_key(instrument_id: str) -> str:
    """Administrations are one series when their keys agree: the registry id for a known
    instrument, the normalised id for any other."""
    entry = lookup(instrument_id)
    return entry.id if entry is not None else normalise(instrument_id) or instrument_id


def scale_of(entry: Instrument, max_score: float) -> float | None:
    """Factor from a score on `max_score` to the registry's units, or None when the maximum is
    not one the instrument is reported on (the administration is then read as unknown)."""
    if max_score == entry.maximum:
        return 1.0
    if max_score in entry.alternate_maxima:
        return entry.maximum / max_score
    return None
