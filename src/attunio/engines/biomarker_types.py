"""The shape of a lab-marker entry: names, codes, units and what an abnormal value can mean.

Sources: Holder 2014 (Am Fam Physician, medical work-up of psychiatric presentations); ADA/APA 2004
consensus on antipsychotic metabolic monitoring; Endocrine Society 2011 (vitamin D); product labels
for lithium, valproate, carbamazepine and clozapine. The table never decides what is abnormal; the
lab's own flag and reference range do. Severity tiers only grade how far an abnormal value has gone.
"""

from __future__ import annotations

import re

import msgspec

from attunio.engines.common import Tone


class Tier(msgspec.Struct, frozen=True, kw_only=True):
    """A graded, more urgent reading beyond a tunable threshold (`param` names a biomarker
    parameter, in the marker's own unit). `above` tiers are crossed at or above the threshold,
    the others strictly below it. A tier can only make a reading more urgent, never milder."""

    param: str
    above: bool
    text: str
    tone: Tone
    action: str | None = None


class Relevance(msgspec.Struct, frozen=True, kw_only=True):
    text: str
    action: str
    tone: Tone = "watch"
    # Mildest first; the bundle importer keeps their thresholds ordered (ParamsBase.ORDERED).
    tiers: tuple[Tier, ...] = ()


class Marker(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: str
    aliases: tuple[str, ...]
    codes: tuple[str, ...] = ()
    """LOINC codes of the observation, matched as the reading's `code` or as its name."""
    unit: str = ""
    """The unit the tier thresholds are written in."""
    units: dict[str, float] = {}
    """`unit_key(unit)` -> factor into `unit`. A value in any other unit is never graded: comparing
    across units would be wrong, so the answer says the tiers were not applied."""
    high: Relevance | None = None
    low: Relevance | None = None


_SEPARATORS = re.compile(r"[^0-9a-zµ+]+")


def tokens(name: str) -> list[str]:
    """`Lithium, serum` -> `["lithium", "serum"]`: case, punctuation and spacing never block a match."""
    return _SEPARATORS.sub(" ", name.lower()).split()


def normalize(name: str) -> str:
    """`25-OH Vitamin D` -> `25ohvitamind`: the lookup key, with every separator dropped, so
    `25-hydroxyvitamin D` and `25 hydroxy vitamin D` are one name."""
    return "".join(tokens(name))


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_POWER = re.compile(r"^x?10(?:\^|\*|e)?(\d+)(?=/)")


def unit_key(unit: str) -> str:
    """`×10⁹/L`, `x10^9/L`, `10*9/L` and `x10E9/L` -> `10^9/l`; `μg/mL`, `mcg/mL` -> `ug/ml`;
    `cells/µL` -> `/ul`. Only spelling is unified here; which units a marker accepts, and their
    factors, are the marker's own."""
    text = unit.strip().lower().translate(_SUPERSCRIPTS)
    for old, new in (("μ", "u"), ("µ", "u"), ("mcg", "ug"), ("×", "x"), (" ", ""), ("cells/", "/"),
                     ("cell/", "/")):
        text = text.replace(old, new)
    return _POWER.sub(r"10^\1", text)
