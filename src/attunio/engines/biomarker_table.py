"""Psychiatrically relevant lab markers, looked up by name or alias.

Sources: Holder 2014 (Am Fam Physician, medical work-up of psychiatric presentations); ADA/APA 2004
consensus on antipsychotic metabolic monitoring; Endocrine Society 2011 (vitamin D); product labels
for lithium, valproate, carbamazepine and clozapine. The table never decides what is abnormal; the
lab's own flag and reference range do.
"""

from __future__ import annotations

from attunio.engines import biomarker_markers_blood, biomarker_markers_core
from attunio.engines.biomarker_types import Marker, Relevance, Severe, normalize

MARKERS: tuple[Marker, ...] = biomarker_markers_core.MARKERS + biomarker_markers_blood.MARKERS


def _index() -> dict[str, Marker]:
    by_alias: dict[str, Marker] = {}
    for marker in MARKERS:
        for alias in (*marker.aliases, marker.label, marker.key):
            by_alias.setdefault(normalize(alias), marker)
    return by_alias


BY_ALIAS = _index()


def lookup(name: str) -> Marker | None:
    return BY_ALIAS.get(normalize(name))


__all__ = ["BY_ALIAS", "MARKERS", "Marker", "Relevance", "Severe", "lookup", "normalize"]
