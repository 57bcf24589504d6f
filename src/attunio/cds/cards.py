"""CDS Hooks cards from the hook results. Pure; the uuid source is passed in so tests can fix it.

Indicator rules (issue 16): `critical` for every positive safety item and every critical lab, and
for any order whose monitoring labs include a critical value; `warning` for elevated or high
relapse risk, abnormal or missing monitoring labs and unreadable safety items; `info` otherwise.
The safety and critical-lab cards are built from the mapped evidence directly, never from an
engine's result, so no calibration or engine choice can remove them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import msgspec

from attunio.cds.fhir_in import Evidence
from attunio.cds.hooks import OrderCheck, PatientView
from attunio.engines.biomarker import BiomarkerAnalysis
from attunio.engines.common import ModelRef

Indicator = Literal["info", "warning", "critical"]
LABEL = "Attunio Clinical Intelligence"
DOCS = "https://attuniohealth.com/docs/ehr-integration"
TOPICS = "https://attuniohealth.com/fhir/CodeSystem/cds-card-topic"
OVERRIDES = "https://attuniohealth.com/fhir/CodeSystem/cds-override-reason"
OVERRIDE_REASONS = {
    "already-addressed": "Already addressed",
    "not-relevant": "Not relevant for this patient",
    "data-out-of-date": "The data shown is out of date",
    "disagree": "Disagree with the assessment",
}
SUMMARY_MAX = 139  # the spec asks for fewer than 140 characters
_SAFETY_MODEL = ModelRef(key="safety_floor", version=None, source="default")
_TOPIC_NAMES = {
    "safety": "Safety item", "critical-lab": "Critical laboratory value", "relapse": "Relapse risk",
    "outcome": "Outcome trajectory", "biomarker": "Laboratory findings", "monitoring": "Medication monitoring",
    "data-quality": "Unread FHIR resources",
}


class Card(msgspec.Struct, kw_only=True, omit_defaults=True):
    uuid: str
    summary: str
    indicator: Indicator
    source: dict[str, Any]
    detail: str | None = None
    links: list[dict[str, str]] | None = None
    overrideReasons: list[dict[str, str]] | None = None
    suggestions: list[dict[str, Any]] | None = None
    selectionBehavior: str | None = None
    extension: dict[str, Any] | None = None

    @property
    def kind(self) -> str:
        return str(self.source["topic"]["code"])


def summary(text: str) -> str:
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rstrip() + "…"


def version_text(model: ModelRef) -> str:
    return "shipped defaults" if model.version is None else f"v{model.version}"


def card(new_uuid: Callable[[], str], kind: str, model: ModelRef, indicator: Indicator, text: str,
         detail: str) -> Card:
    return Card(
        uuid=new_uuid(),
        summary=summary(text),
        indicator=indicator,
        detail=detail,
        source={
            "label": f"{LABEL} · {model.key} {version_text(model)}",
            "url": DOCS,
            "topic": {"system": TOPICS, "code": kind, "display": _TOPIC_NAMES[kind]},
        },
        links=[{"label": "How this card is computed", "url": f"{DOCS}#{kind}", "type": "absolute"}],
        overrideReasons=[{"system": OVERRIDES, "code": code, "display": text}
                         for code, text in OVERRIDE_REASONS.items()],
        extension={"com.attuniohealth.model": {"key": model.key, "version": model.version,
                                               "source": model.source}},
    )


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def safety_cards(evidence: Evidence, new_uuid: Callable[[], str]) -> list[Card]:
    cards: list[Card] = []
    for item in sorted({entry.item for entry in evidence.safety}):
        entries = [e for e in evidence.safety if e.item == item]
        label = entries[0].label
        positive = [e for e in entries if e.points is not None and e.points >= 1]
        unread = [e for e in entries if e.points is None]
        if positive:
            latest = max(positive, key=lambda e: e.at.timestamp() if e.at else 0.0)
            when = f" on {latest.at:%Y-%m-%d}" if latest.at else ""
            lines = [f"{e.source}: answer scored {e.points}" + (f" ({e.at:%Y-%m-%d})" if e.at else "")
                     for e in positive]
            cards.append(card(new_uuid, "safety", _SAFETY_MODEL, "critical",
                              f"{label} positive (score {latest.points}){when}: assess suicide risk now.",
                              "**Positive safety item.** Any answer above *not at all* needs a same-day risk "
                              "assessment and a safety plan.\n\n" + _bullets(lines)))
        elif unread:
            cards.append(card(new_uuid, "safety", _SAFETY_MODEL, "warning",
                              f"{label} is recorded but its answer could not be read: review it in the chart.",
                              _bullets([f"{e.source}: no readable answer" for e in unread])))
    return cards


def critical_lab_card(evidence: Evidence, new_uuid: Callable[[], str]) -> list[Card]:
    if not evidence.critical_labs:
        return []
    names = ", ".join(dict.fromkeys(lab.name for lab in evidence.critical_labs))
    lines = [f"{lab.name} {lab.value} (interpretation {lab.code}) — {lab.source}" for lab in evidence.critical_labs]
    return [card(new_uuid, "critical-lab", _SAFETY_MODEL, "critical",
                 f"Critical lab value: {names}. Act on the critical-result protocol.",
                 "**The laboratory flagged these results as critical.**\n\n" + _bullets(lines))]


def _factors(rows: list[tuple[str, str]]) -> str:
    return "| Factor | Detail |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)


def patient_view_cards(evidence: Evidence, view: PatientView, new_uuid: Callable[[], str],
                       save: list[dict[str, Any]] | None) -> list[Card]:
    cards = safety_cards(evidence, new_uuid) + critical_lab_card(evidence, new_uuid)
    if view.relapse is not None:
        r = view.relapse
        indicator: Indicator = "warning" if r.level in ("elevated", "high") else "info"
        rows = [(f"{f.label} ({f.points:g}/{f.maxPoints:g})", f.detail) for f in r.factors]
        relapse = card(new_uuid, "relapse", r.model, indicator,
                       f"Relapse risk {r.level} ({r.score}/100, trend {r.trend}).",
                       f"{r.summaryLine}\n\n{_factors(rows)}\n\n**Recommendation:** {r.recommendation}\n\n"
                       f"*{r.disclaimer}*")
        if save:
            relapse.suggestions = [{"label": "Save this risk assessment to the chart", "actions": save}]
            relapse.selectionBehavior = "at-most-one"
        cards.append(relapse)
    if view.outcome is not None:
        o = view.outcome
        rows = [(f"{c.label} ({c.contribution:+g})", c.detail) for c in o.components if c.available]
        cards.append(card(new_uuid, "outcome", o.model, "info",
                          f"Outcome score {o.score:+d} ({o.direction}) since the first administration.",
                          f"{o.summaryLine}\n\n{_factors(rows)}\n\n*{o.disclaimer}*"))
    if view.biomarker is not None and view.biomarker.signals:
        cards.append(biomarker_card(view.biomarker, new_uuid))
    cards += data_quality_card(evidence, view.skipped, new_uuid)
    return cards


def biomarker_card(analysis: BiomarkerAnalysis, new_uuid: Callable[[], str]) -> Card:
    tones = {s.tone for s in analysis.signals}
    indicator: Indicator = "critical" if "critical" in tones else "warning" if "elevated" in tones else "info"
    lines = [s.summaryLine for s in analysis.signals]
    return card(new_uuid, "biomarker", analysis.model, indicator,
                f"{analysis.signalsPresent} abnormal lab result(s) with psychiatric relevance.",
                _bullets(lines) + f"\n\n*{analysis.disclaimer}*")


def order_sign_cards(evidence: Evidence, checks: list[OrderCheck], biomarker: BiomarkerAnalysis | None,
                     model: ModelRef, new_uuid: Callable[[], str]) -> list[Card]:
    cards = critical_lab_card(evidence, new_uuid)
    model = biomarker.model if biomarker else model
    for check in checks:
        lines = [f"Critical: {line}" for line in check.critical] + [f"Abnormal: {line}" for line in check.abnormal]
        lines += [f"Missing: no {need.label} in the last {need.within_days} days" for need in check.missing]
        detail = (_bullets(lines) if lines else "All monitoring results are present and not flagged abnormal.")
        detail += f"\n\n**Monitoring for {check.rule.drug_class}:** {check.rule.source}."
        if check.critical:
            indicator: Indicator = "critical"
            text = f"{check.order}: a monitoring lab is critical. Review before signing."
        elif check.abnormal or check.missing:
            indicator = "warning"
            parts = ([f"{len(check.abnormal)} abnormal"] if check.abnormal else []) + (
                [f"{len(check.missing)} missing"] if check.missing else [])
            text = f"{check.order}: monitoring labs {' and '.join(parts)}. Review before signing."
        else:
            indicator, text = "info", f"{check.order}: monitoring labs are current and not flagged."
        cards.append(card(new_uuid, "monitoring", model, indicator, text, detail))
    cards += data_quality_card(evidence, [], new_uuid)
    return cards


def data_quality_card(evidence: Evidence, skipped: list[str], new_uuid: Callable[[], str]) -> list[Card]:
    if not evidence.issues and not skipped:
        return []
    shown = [f"`{i.resource}`: {i.message}" for i in evidence.issues[:20]]
    if len(evidence.issues) > 20:
        shown.append(f"…and {len(evidence.issues) - 20} more")
    count = len(evidence.issues)
    text = (f"{count} FHIR resource(s) could not be used; see details." if count
            else "Some analyses did not run; see details.")
    return [card(new_uuid, "data-quality", ModelRef(key="fhir_mapping", version=None, source="default"), "info",
                 text, _bullets(skipped + shown))]
