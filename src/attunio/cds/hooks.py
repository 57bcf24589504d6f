"""What each hook runs: the engines over the mapped evidence, and the order-sign lab checks. Pure:
the caller passes the time and the active (model, params) pairs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec

from attunio.cds.fhir_in import Evidence
from attunio.engines import ENGINES
from attunio.engines.biomarker import BiomarkerAnalysis, BiomarkerRequest, Lab
from attunio.engines.common import ModelRef
from attunio.engines.outcome import OutcomeRequest, OutcomeScore
from attunio.engines.relapse import RelapsePrediction, RelapseRequest

Active = Callable[[str], tuple[ModelRef, Any]]
MAX_LABS = 100  # the biomarker engine's limit per request


class PatientView(msgspec.Struct, kw_only=True):
    relapse: RelapsePrediction | None
    outcome: OutcomeScore | None
    biomarker: BiomarkerAnalysis | None
    skipped: list[str]  # why an engine did not run, in words for the card


def _run(key: str, request: Any, active: Active, now: datetime) -> Any:
    model, params = active(key)
    return ENGINES[key].analyze(request, params, now, model)


def abnormal_labs(evidence: Evidence) -> tuple[list[Lab], int]:
    """The labs the biomarker engine interprets (flagged, not normal), critical ones first, then
    the most recent; and how many did not fit its limit (their critical values still reach the
    cards through `Evidence.critical_labs`)."""
    flagged = [lab for lab in evidence.labs if lab.results.biomarkers[0].flag not in (None, "normal")]
    flagged.sort(key=lambda lab: (lab.results.biomarkers[0].flag != "critical",
                                  -(lab.observedAt.timestamp() if lab.observedAt else 0.0)))
    return flagged[:MAX_LABS], max(0, len(flagged) - MAX_LABS)


def patient_view(evidence: Evidence, active: Active, now: datetime) -> PatientView:
    skipped: list[str] = []
    started = [p.prescribedAt for p in evidence.prescriptions if p.prescribedAt is not None]
    days = None
    if started:
        days = min(3650, max(0, (now - max(started)).days))
    relapse_request = RelapseRequest(assessments=evidence.assessments,
                                     hasActiveMedication=bool(evidence.prescriptions), daysSinceMedChange=days)
    relapse = None
    if (missing := ENGINES["relapse_risk"].missing_evidence) and (why := missing(relapse_request)):
        skipped.append(f"Relapse early warning not run: {why}")
    else:
        relapse = _run("relapse_risk", relapse_request, active, now)
    labs, over = abnormal_labs(evidence)
    biomarker = _run("biomarker_interpretation", BiomarkerRequest(labs=labs), active, now) if labs else None
    if over:
        skipped.append(f"{over} further abnormal lab results were not interpreted (limit {MAX_LABS}).")
    outcome_request = OutcomeRequest(assessments=evidence.assessments,
                                     activeMedications=min(100, len(evidence.prescriptions)),
                                     biomarkerWatchCount=min(100, biomarker.signalsPresent if biomarker else 0))
    outcome = None
    if (missing := ENGINES["outcome_score"].missing_evidence) and (why := missing(outcome_request)):
        skipped.append(f"Outcome score not run: {why}")
    else:
        outcome = _run("outcome_score", outcome_request, active, now)
    return PatientView(relapse=relapse, outcome=outcome, biomarker=biomarker, skipped=skipped)


# --- order-sign ----------------------------------------------------------------------------


class LabNeed(msgspec.Struct, frozen=True, kw_only=True):
    markers: tuple[str, ...]  # any of these biomarker names satisfies the need
    label: str
    within_days: int


class MonitoringRule(msgspec.Struct, frozen=True, kw_only=True):
    drug_class: str
    names: tuple[str, ...]  # lower-case substrings of the medication name
    needs: tuple[LabNeed, ...]
    source: str


_ANTIPSYCHOTICS = ("clozapine", "olanzapine", "quetiapine", "risperidone", "paliperidone", "aripiprazole",
                   "brexpiprazole", "cariprazine", "ziprasidone", "lurasidone", "asenapine", "iloperidone",
                   "lumateperone", "haloperidol", "chlorpromazine", "fluphenazine", "perphenazine",
                   "amisulpride", "sulpiride", "zuclopenthixol", "flupentixol")
# The look-back windows follow the cited monitoring intervals; where a source gives a schedule
# that tightens early in treatment, the window is its loosest regular interval (a design choice).
RULES: tuple[MonitoringRule, ...] = (
    MonitoringRule(
        drug_class="lithium", names=("lithium",),
        needs=(LabNeed(markers=("lithium",), label="serum lithium level", within_days=92),
               LabNeed(markers=("sodium",), label="sodium", within_days=183),
               LabNeed(markers=("creatinine", "egfr"), label="renal function (creatinine or eGFR)",
                       within_days=183),
               LabNeed(markers=("tsh",), label="thyroid function (TSH)", within_days=183)),
        source="NICE CG185 (2014) 1.10: lithium level every 3 months in the first year; renal and "
               "thyroid function every 6 months",
    ),
    MonitoringRule(
        drug_class="clozapine", names=("clozapine",),
        needs=(LabNeed(markers=("anc",), label="absolute neutrophil count (ANC)", within_days=31),),
        source="Clozapine prescribing information: ANC weekly for 6 months, every 2 weeks to 12 months, "
               "then monthly",
    ),
    MonitoringRule(
        drug_class="valproate", names=("valpro", "divalproex", "depakote"),
        needs=(LabNeed(markers=("valproate",), label="valproate level", within_days=183),
               LabNeed(markers=("alt", "ast"), label="liver function (ALT or AST)", within_days=183),
               LabNeed(markers=("platelets",), label="platelet count", within_days=183)),
        source="Valproate prescribing information: liver function and platelets before and at frequent "
               "intervals during the first 6 months; window of 6 months is a design choice",
    ),
    MonitoringRule(
        drug_class="antipsychotic", names=_ANTIPSYCHOTICS,
        needs=(LabNeed(markers=("glucose", "fasting glucose", "hba1c"), label="glucose or HbA1c",
                       within_days=366),
               LabNeed(markers=("total cholesterol", "ldl", "hdl", "triglycerides"), label="lipid panel",
                       within_days=1827)),
        source="ADA/APA/AACE/NAASO consensus on antipsychotic drugs (2004): glucose at baseline, 12 weeks "
               "and yearly; lipids at baseline, 12 weeks and every 5 years",
    ),
)


class OrderCheck(msgspec.Struct, kw_only=True):
    order: str  # the medication as ordered
    rule: MonitoringRule
    missing: list[LabNeed]
    abnormal: list[str]  # biomarker summary lines of relevant abnormal results
    critical: list[str]


def rules_for(medication: str) -> list[MonitoringRule]:
    name = medication.lower()
    return [rule for rule in RULES if any(word in name for word in rule.names)]


def order_sign(evidence: Evidence, active: Active, now: datetime) -> tuple[list[OrderCheck], BiomarkerAnalysis | None]:
    labs, _ = abnormal_labs(evidence)
    biomarker = _run("biomarker_interpretation", BiomarkerRequest(labs=labs), active, now) if labs else None
    signals_by_marker: dict[str, list[str]] = {}
    for lab in labs:
        reading = lab.results.biomarkers[0]
        signals_by_marker.setdefault(reading.name, []).append(lab.id)
    summaries = {s.sourceRef: s.summaryLine for s in biomarker.signals} if biomarker else {}
    checks: list[OrderCheck] = []
    for order in evidence.orders:
        for rule in rules_for(order.medicationName):
            missing: list[LabNeed] = []
            abnormal: list[str] = []
            critical: list[str] = []
            for need in rule.needs:
                latest = [evidence.lab_codes[m] for m in need.markers if m in evidence.lab_codes]
                dated = [at for at in latest if at is not None]
                if not dated or max(dated) < now - timedelta(days=need.within_days):
                    missing.append(need)
                for marker in need.markers:
                    for ref in signals_by_marker.get(marker, []):
                        line = summaries.get(ref)
                        if line is None:
                            continue
                        crit = any(c.source == ref for c in evidence.critical_labs)
                        (critical if crit else abnormal).append(line)
            checks.append(OrderCheck(order=order.medicationName, rule=rule, missing=missing, abnormal=abnormal,
                                     critical=critical))
    return checks, biomarker
