"""Psychiatrically relevant lab markers, looked up by name, alias or LOINC code.

Lab systems print the same test many ways (`Lithium, serum`, `Serum Li`, `LITHIUM LVL`,
`Thyroid Stimulating Hormone (TSH)`, `VITAMIN D,25-OH,TOTAL,IA`), so a name is matched in three
steps, each only when the one before found nothing:

1. the whole name, ignoring case, punctuation and spacing, against every alias and LOINC code;
2. the same after dropping specimen and qualifier words (`serum`, `plasma`, `level`, `total`, ...);
3. a name in two parts that both name the same marker (`Folate (Folic Acid)`, `... (TSH)`).

A name that none of these resolves is outside the table and still yields a generic signal.
"""

from __future__ import annotations

from attunio.engines import biomarker_markers_blood, biomarker_markers_core, biomarker_markers_salts
from attunio.engines.biomarker_types import Marker, Relevance, Tier, normalize, tokens, unit_key

MARKERS: tuple[Marker, ...] = (
    biomarker_markers_core.MARKERS + biomarker_markers_blood.MARKERS + biomarker_markers_salts.MARKERS
)

# Words labs add around a test's name that never change which test it is.
QUALIFIERS = frozenset(
    {
        "serum", "plasma", "blood", "whole", "ser", "plas", "serpl", "bld", "s", "p", "b",
        "level", "levels", "lvl", "conc", "concentration", "result", "random", "trough", "quant",
        "quantitative", "total", "ia", "lcms", "direct", "measured", "loinc", "ln",
    }
)


def _index() -> tuple[dict[str, Marker], dict[str, Marker]]:
    by_name: dict[str, Marker] = {}
    by_code: dict[str, Marker] = {}
    for marker in MARKERS:
        for alias in (*marker.aliases, marker.label, marker.key):
            by_name.setdefault(normalize(alias), marker)
        for code in marker.codes:
            by_code.setdefault(normalize(code), marker)
    return by_name, by_code


BY_ALIAS, BY_CODE = _index()


def _exact(words: list[str]) -> Marker | None:
    key = "".join(words)
    return BY_ALIAS.get(key) or BY_CODE.get(key)


def _stripped(words: list[str]) -> Marker | None:
    kept = [w for w in words if w not in QUALIFIERS]
    return _exact(kept) if kept and len(kept) < len(words) else None


def _resolve(words: list[str]) -> Marker | None:
    return _exact(words) or _stripped(words)


def lookup(name: str) -> Marker | None:
    words = tokens(name)
    if not words:
        return None
    if found := _resolve(words):
        return found
    # Both halves must agree, so `Cholesterol/HDL ratio` never reads as total cholesterol.
    for cut in range(1, len(words)):
        head, tail = _resolve(words[:cut]), _resolve(words[cut:])
        if head is not None and head is tail:
            return head
    return None


def lookup_code(code: str) -> Marker | None:
    return BY_CODE.get(normalize(code))


__all__ = [
    "BY_ALIAS", "BY_CODE", "MARKERS", "QUALIFIERS", "Marker", "Relevance", "Tier", "lookup", "lookup_code",
    "normalize", "unit_key",
]
