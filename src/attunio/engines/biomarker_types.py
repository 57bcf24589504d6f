"""The shape of a lab-marker entry: names, aliases and what an abnormal value can mean.

Sources: Holder 2014 (Am Fam Physician, medical work-up of psychiatric presentations); ADA/APA 2004
consensus on antipsychotic metabolic monitoring; Endocrine Society 2011 (vitamin D); product labels
for lithium, valproate, carbamazepine and clozapine. The table never decides what is abnormal; the
lab's own flag and reference range do.
"""

from __future__ import annotations

import re

import msgspec

from attunio.engines.common import Tone


class Severe(msgspec.Struct, frozen=True, kw_only=True):
    """A stronger reading beyond a tunable threshold (`param` names a biomarker parameter).

    `factors` converts each accepted unit (lower-case) to the parameter's unit; a value in any
    other unit is never compared, since comparing across units would be wrong.
    """

    param: str
    above: bool
    factors: dict[str, float]
    text: str
    tone: Tone


class Relevance(msgspec.Struct, frozen=True, kw_only=True):
    text: str
    action: str
    tone: Tone = "watch"
    severe: Severe | None = None


class Marker(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: str
    aliases: tuple[str, ...]
    high: Relevance | None = None
    low: Relevance | None = None


def normalize(name: str) -> str:
    """`25-OH Vitamin D` -> `25 oh vitamin d`: case, punctuation and spacing never block a match."""
    return " ".join(re.sub(r"[^0-9a-zµ+]+", " ", name.lower()).split())
