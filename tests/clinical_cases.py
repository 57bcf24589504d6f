"""The clinical examples of issue 13's "Why", each with the clinically right answer.

Every case builds its request around a given `now` (dates are days before it), so the same case
runs at engine level at a fixed `now` and over HTTP against a served process on today's clock.
`check(status, body)` raises AssertionError with the reason when the answer is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

Body = dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    engine: str
    build: Callable[[datetime], Body]
    check: Callable[[int, Body], None]


def day(now: datetime, days_before: float) -> str:
    return (now - timedelta(days=days_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def adm(now: datetime, days_before: float, score: float, instrument: str = "phq9", top: float = 27,
        name: str | None = None, items: list[dict[str, Any]] | None = None) -> Body:
    body: Body = {"instrumentId": instrument, "instrumentName": name or instrument.upper(), "score": score,
                  "maxScore": top, "createdAt": day(now, days_before)}
    if items is not None:
        body["items"] = items
    return body


def ok(status: int, body: Body) -> Body:
    assert status == 200, body
    data: Body = body["data"]
    return data


LEVEL = {"low": 0, "moderate": 1, "elevated": 2, "high": 3}
ROUTINE = "Continue routine care"


def at_least(level: str) -> Callable[[int, Body], None]:
    def check(status: int, body: Body) -> None:
        data = ok(status, body)
        assert LEVEL[data["level"]] >= LEVEL[level], (data["level"], data["score"], data["summaryLine"])
        assert not data["recommendation"].startswith(ROUTINE), data["recommendation"]
    return check


def _rising(check: Callable[[int, Body], None]) -> Callable[[int, Body], None]:
    def both(status: int, body: Body) -> None:
        check(status, body)
        assert body["data"]["trend"] == "rising", body["data"]["trend"]
    return both


def _relapse_safety(status: int, body: Body) -> None:
    data = ok(status, body)
    assert data["level"] == "high"
    assert data["recommendation"].startswith("Positive suicidality item: arrange a same-day suicide-risk assessment")
    assert [s["key"] for s in data["safety"]] == ["suicidal_ideation"]
    assert data["safety"][0]["severity"] == "critical"
    assert data["safety"][0]["sourceRef"] == "assessments.0.items.0"


def _has_safety(severity: str, ref: str) -> Callable[[int, Body], None]:
    def check(status: int, body: Body) -> None:
        data = ok(status, body)
        assert [(s["key"], s["severity"], s["sourceRef"]) for s in data["safety"]] == [
            ("suicidal_ideation", severity, ref)], data.get("safety")
    return check


def _stale(status: int, body: Body) -> None:
    data = ok(status, body)
    assert "stale; reassess" in data["factors"][0]["detail"]
    assert data["confidence"] == "low"


def _future(status: int, body: Body) -> None:
    assert status == 400, body
    assert body["error"]["code"] == "invalid_request"
    assert [i["path"] for i in body["error"]["issues"]] == ["assessments.1.createdAt"]
    assert "more than a day after now" in body["error"]["issues"][0]["message"]


def _outcome_not_improving(status: int, body: Body) -> None:
    data = ok(status, body)
    assert data["direction"] == "stable" and data["confidence"] != "high", (data["direction"], data["confidence"])


def _outcome_stable(status: int, body: Body) -> None:
    data = ok(status, body)
    assert data["direction"] == "stable" and data["components"][0]["contribution"] == 0, data


def _outcome_worsening(mention: str) -> Callable[[int, Body], None]:
    def check(status: int, body: Body) -> None:
        data = ok(status, body)
        assert data["direction"] == "worsening" and data["score"] < 0, data
        assert mention in data["components"][0]["detail"]
    return check


def _signal(check: Callable[[Body], None]) -> Callable[[int, Body], None]:
    def run(status: int, body: Body) -> None:
        check(ok(status, body)["signals"][0])
    return run


def _no_response_claim(signal: Body) -> None:
    assert "response criterion" not in signal["summaryLine"], signal["summaryLine"]
    assert signal["tone"] != "positive"


def _not_worsened(signal: Body) -> None:
    assert "worsened" not in signal["summaryLine"] and "review the regimen" not in signal["summaryLine"]
    assert "within the instrument's MCID" in signal["detail"]


def _remission(signal: Body) -> None:
    assert "in remission (PHQ-9 < 5)" in signal["summaryLine"] and signal["tone"] == "positive"


def _lost(signal: Body) -> None:
    assert "loss of response" in signal["summaryLine"] and signal["tone"] == "elevated", signal


def _baseline_same_day(signal: Body) -> None:
    assert signal["signalKey"] == "med_response_sertraline", signal["signalKey"]
    assert "meets the ≥50% response criterion" in signal["summaryLine"]


def _gad_worse(signal: Body) -> None:
    assert signal["tone"] == "elevated" and "GAD-7 worsened from 5 to 18" in signal["summaryLine"], signal


def _rx(start: str) -> list[Body]:
    return [{"id": "rx_1", "medicationName": "Sertraline", "status": "active", "prescribedAt": start}]


def _one_series(status: int, body: Body) -> None:
    data = ok(status, body)
    assert data["components"][0]["detail"] == "PHQ-9 improved 18→8 across 2 administrations.", data


def _relapse_mentions_gad(status: int, body: Body) -> None:
    data = ok(status, body)
    assert "GAD-7" in data["factors"][0]["detail"] and data["trend"] == "rising", data["factors"][0]["detail"]


CASES: list[Case] = [
    Case("relapse_reference_plus_20_a_week_later", "relapse_risk",
         lambda n: {"assessments": [adm(n, 58, 12), adm(n, 13, 19), adm(n, 6, 20)], "dmseLatencyPctChange": 16,
                    "avgSleepHours": 5.2, "daysSinceMedChange": 12, "hasActiveMedication": True,
                    "daysSinceLastVisit": 38},
         _rising(at_least("elevated"))),
    Case("relapse_5_20_then_22_a_month_later", "relapse_risk",
         lambda n: {"assessments": [adm(n, 60, 5), adm(n, 35, 20), adm(n, 5, 22)]}, _rising(at_least("elevated"))),
    Case("relapse_steady_climb_5_to_25", "relapse_risk",
         lambda n: {"assessments": [adm(n, 80 - 8 * k, 5 + 2 * k) for k in range(11)]},
         _rising(at_least("elevated"))),
    Case("relapse_27_then_27", "relapse_risk",
         lambda n: {"assessments": [adm(n, 30, 27), adm(n, 3, 27)]}, at_least("elevated")),
    Case("relapse_stale_scores_are_said_stale", "relapse_risk",
         lambda n: {"assessments": [adm(n, 2400, 12), adm(n, 2350, 19)]}, _stale),
    Case("relapse_future_dated_is_refused", "relapse_risk",
         lambda n: {"assessments": [adm(n, 10, 12), adm(n, -1800, 19)]}, _future),
    Case("relapse_phq9_item9_positive", "relapse_risk",
         lambda n: {"assessments": [adm(n, 2, 6, items=[{"itemId": "9", "score": 3}])]}, _relapse_safety),
    Case("relapse_phq9_item9_by_loinc", "relapse_risk",
         lambda n: {"assessments": [adm(n, 2, 6, items=[{"itemId": "44260-8", "score": 1}])]},
         _has_safety("urgent", "assessments.0.items.0")),
    Case("relapse_cssrs_screener_item", "relapse_risk",
         lambda n: {"assessments": [adm(n, 1, 1, "cssrs_screener", 6, "C-SSRS",
                                        items=[{"itemId": "1", "score": 0}, {"itemId": "4", "score": 1}])]},
         _has_safety("critical", "assessments.0.items.1")),
    Case("relapse_gad7_rise_beside_improving_phq9", "relapse_risk",
         lambda n: {"assessments": [adm(n, 60, 18), adm(n, 5, 8), adm(n, 60, 5, "gad7", 21),
                                    adm(n, 5, 18, "gad7", 21)]}, _relapse_mentions_gad),
    Case("outcome_states_are_not_improvement", "outcome_score",
         lambda n: {"assessments": [adm(n, 60, 20), adm(n, 5, 20)], "activeMedications": 1, "avgSleepHours": 7.5},
         _outcome_not_improving),
    Case("outcome_0_to_1_is_stable", "outcome_score",
         lambda n: {"assessments": [adm(n, 60, 0), adm(n, 5, 1)]}, _outcome_stable),
    Case("outcome_who5_20_to_5_is_worsening", "outcome_score",
         lambda n: {"assessments": [adm(n, 60, 20, "who5", 25, "WHO-5"), adm(n, 5, 5, "who5", 25, "WHO-5")]},
         _outcome_worsening("WHO-5 worsened 20→5")),
    Case("outcome_gad7_rise_beside_improving_phq9", "outcome_score",
         lambda n: {"assessments": [adm(n, 60, 18), adm(n, 60, 5, "gad7", 21), adm(n, 5, 9),
                                    adm(n, 5, 18, "gad7", 21)]}, _outcome_worsening("GAD-7 worsened 5→18")),
    Case("outcome_phq9_spellings_are_one_series", "outcome_score",
         lambda n: {"assessments": [adm(n, 60, 18, "PHQ9", name="PHQ-9"), adm(n, 5, 8, "phq9", name="PHQ-9")]},
         _one_series),
    Case("outcome_phq9_item9_positive", "outcome_score",
         lambda n: {"assessments": [adm(n, 60, 12), adm(n, 5, 6, items=[{"itemId": "9", "score": 2}])]},
         _has_safety("critical", "assessments.1.items.0")),
    Case("medication_2_to_1_is_not_response", "medication_response",
         lambda n: {"prescriptions": _rx(day(n, 90)), "assessments": [adm(n, 95, 2), adm(n, 5, 1)]},
         _signal(_no_response_claim)),
    Case("medication_4_to_5_is_not_worsening", "medication_response",
         lambda n: {"prescriptions": _rx(day(n, 90)), "assessments": [adm(n, 95, 4), adm(n, 5, 5)]},
         _signal(_not_worsened)),
    Case("medication_remission_is_reported", "medication_response",
         lambda n: {"prescriptions": _rx(day(n, 90)), "assessments": [adm(n, 95, 18), adm(n, 5, 3)]},
         _signal(_remission)),
    Case("medication_loss_of_response", "medication_response",
         lambda n: {"prescriptions": _rx(day(n, 90)), "assessments": [adm(n, 95, 18), adm(n, 50, 5), adm(n, 5, 15)]},
         _signal(_lost)),
    Case("medication_baseline_minutes_after_start", "medication_response",
         lambda n: {"prescriptions": _rx(day(n, 90)[:10] + "T10:00:00Z"),
                    "assessments": [{**adm(n, 90, 18), "createdAt": day(n, 90)[:10] + "T10:07:00Z"}, adm(n, 5, 8)]},
         _signal(_baseline_same_day)),
    Case("medication_date_only_start", "medication_response",
         lambda n: {"prescriptions": _rx(day(n, 90)[:10]), "assessments": [adm(n, 95, 18), adm(n, 5, 8)]},
         _signal(_baseline_same_day)),
    Case("medication_gad7_rise_beside_improving_phq9", "medication_response",
         lambda n: {"prescriptions": _rx(day(n, 90)), "assessments": [adm(n, 95, 18), adm(n, 5, 9),
                                                                      adm(n, 95, 5, "gad7", 21),
                                                                      adm(n, 5, 18, "gad7", 21)]},
         _signal(_gad_worse)),
    Case("medication_epds_item10_positive", "medication_response",
         lambda n: {"prescriptions": _rx(day(n, 90)),
                    "assessments": [adm(n, 95, 14, "epds", 30, "EPDS"),
                                    adm(n, 5, 9, "epds", 30, "EPDS", items=[{"itemId": "10", "score": 1}])]},
         _has_safety("urgent", "assessments.1.items.0")),
]


def _measured_more_often(now: datetime) -> tuple[Body, Body]:
    sparse = {"assessments": [adm(now, 60, 5), adm(now, 5, 20)]}
    dense = {"assessments": [adm(now, 60 - 11 * k, 5 + 3 * k) for k in range(5)] + [adm(now, 5, 20)]}
    return sparse, dense


PAIRS: list[tuple[str, Callable[[datetime], tuple[Body, Body]]]] = [
    ("measuring_more_often_never_lowers_relapse_risk", _measured_more_often),
]
