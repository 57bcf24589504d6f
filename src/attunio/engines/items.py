"""Item-level answers: the suicidality findings they carry and the answers an instrument cannot have.

A positive PHQ-9 item 9, EPDS item 10 or any positive C-SSRS screener item is a safety finding:
it puts a `safety` entry at the top of every scored answer that received it. This is a floor in
code, with no parameter: no calibration bundle can lower or remove it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

import msgspec

from attunio.engines.common import as_utc, fmt, iso_ms
from attunio.engines.inputs import Assessment
from attunio.engines.instruments import Instrument, SafetyItem, Severity, lookup

SafetyKey = Literal["suicidal_ideation"]


class SafetyFinding(msgspec.Struct, frozen=True, kw_only=True):
    """A positive suicidality item in the request: `urgent` or `critical`, with the path of the item
    (`sourceRef`). Decision support for same-day clinician assessment, never an automatic action."""

    key: SafetyKey
    severity: Severity
    detail: str
    sourceRef: str


def _item_key(item_id: str) -> str:
    return item_id.strip().lower()


def _safety_item(entry: Instrument, item_id: str) -> SafetyItem | None:
    key = _item_key(item_id)
    for item in entry.safety_items:
        if key == item.item_id or (item.loinc is not None and key == item.loinc):
            return item
    return None


def item_issues(assessments: Sequence[Assessment]) -> Iterator[tuple[str, str]]:
    """`(path, message)` for item answers above their instrument's item maximum, C-SSRS answers
    other than 0 or 1, and C-SSRS items outside 1–6."""
    for index, administration in enumerate(assessments):
        if not administration.items:
            continue
        entry = lookup(administration.instrumentId)
        if entry is None or entry.item_max is None:
            continue
        for position, item in enumerate(administration.items):
            path = f"assessments.{index}.items.{position}"
            if entry.total_is_safety and _safety_item(entry, item.itemId) is None:
                yield f"{path}.itemId", f"{entry.name} items are \"1\"–\"{entry.item_count}\""
            elif entry.item_max == 1 and item.score not in (0, 1):
                yield f"{path}.score", f"{entry.name} items are scored 0 or 1"
            elif item.score > entry.item_max:
                yield f"{path}.score", f"{entry.name} items are scored 0–{fmt(entry.item_max)}"


def _severity(rule: SafetyItem, score: float) -> Severity | None:
    if score >= rule.critical_from:
        return "critical"
    if score >= rule.urgent_from:
        return "urgent"
    return None


def _findings_of(index: int, administration: Assessment) -> Iterator[tuple[SafetyFinding, float]]:
    if not administration.items and not administration.score:
        return  # no item answers and a zero total: nothing here can be positive
    entry = lookup(administration.instrumentId)
    if entry is None or not entry.safety_items or (not administration.items and not entry.total_is_safety):
        return
    when = iso_ms(administration.createdAt)
    moment = as_utc(administration.createdAt).timestamp()
    matched = False
    for position, item in enumerate(administration.items or ()):
        rule = _safety_item(entry, item.itemId)
        if rule is None:
            continue
        matched = True
        severity = _severity(rule, item.score)
        if severity is not None:
            detail = (
                f"{rule.label} answered {fmt(item.score)} on {when} — positive suicidality item; "
                "a clinician should assess suicide risk the same day under local protocol."
            )
            ref = f"assessments.{index}.items.{position}"
            yield SafetyFinding(key="suicidal_ideation", severity=severity, detail=detail, sourceRef=ref), moment
    if entry.total_is_safety and not matched and administration.score > 0:
        # A positive screener total without its items: which item was positive is unknown, so the
        # finding takes the higher severity.
        detail = (
            f"{entry.name} total {fmt(administration.score)} on {when} without item answers — at least one "
            "item is positive; a clinician should assess suicide risk the same day under local protocol."
        )
        finding = SafetyFinding(
            key="suicidal_ideation", severity="critical", detail=detail, sourceRef=f"assessments.{index}"
        )
        yield finding, moment


def safety_findings(assessments: Iterable[Assessment]) -> list[SafetyFinding]:
    """Every positive suicidality item, critical first, then the most recent, then by text, so
    the order does not depend on the order administrations were sent in (only `sourceRef`,
    the path in the request, does)."""
    found = [pair for index, a in enumerate(assessments) for pair in _findings_of(index, a)]
    found.sort(key=lambda pair: (pair[0].severity != "critical", -pair[1], pair[0].detail, pair[0].sourceRef))
    return [finding for finding, _ in found]
