"""Issue 13's clinical examples at engine level (validation and engine, as the HTTP layer runs
them) at a fixed `now`; tests/e2e/test_clinical_served.py sends the same cases to a served process."""

from __future__ import annotations

import json
from itertools import permutations

import msgspec
import pytest
from engine_harness import NOW, answer
from tests.clinical_cases import CASES, PAIRS, Case
from tests.conformance import HERE as CONFORMANCE

from attunio.engines import ENGINES


def run(engine: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    got = msgspec.json.decode(answer(ENGINES[engine], json.dumps(body).encode(), now=NOW))
    return (200 if got["ok"] else 400), got


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_clinical_case(case: Case) -> None:
    case.check(*run(case.engine, case.build(NOW)))


@pytest.mark.parametrize(("name", "pair"), PAIRS, ids=[name for name, _ in PAIRS])
def test_clinical_pair(name: str, pair: object) -> None:
    sparse, dense = pair(NOW)  # type: ignore[operator]
    _, low = run("relapse_risk", sparse)
    _, high = run("relapse_risk", dense)
    assert high["data"]["score"] >= low["data"]["score"]  # type: ignore[index]


@pytest.mark.parametrize("engine", ["relapse_risk", "outcome_score", "medication_response"])
def test_same_timestamp_order_does_not_depend_on_request_order(engine: str) -> None:
    same = "2026-06-20T09:00:00Z"
    items = [
        {"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": s, "maxScore": 27, "createdAt": t}
        for s, t in ((9, "2026-05-01T09:00:00Z"), (12, same), (21, same), (3, same))
    ]
    extra = {"prescriptions": [{"id": "rx", "medicationName": "Sertraline", "status": "active",
                                "prescribedAt": "2026-05-10T00:00:00Z"}]} if engine == "medication_response" else {}
    answers = {answer(ENGINES[engine], json.dumps({**extra, "assessments": list(order)}).encode(), now=NOW)
               for order in permutations(items)}
    assert len(answers) == 1
    data = msgspec.json.decode(answers.pop())["data"]
    if engine == "relapse_risk":
        # The worst of the same-time administrations is read as the latest: 21 (severe) floors elevated.
        assert data["level"] in ("elevated", "high")


def test_the_reference_relapse_example_is_exact_at_generated_at() -> None:
    case = json.loads((CONFORMANCE / "relapse.json").read_text())
    status, got = run("relapse_risk", case["request"]["body"])
    assert status == 200
    data = got["data"]
    assert (data["score"], data["level"], data["trend"], data["confidence"]) == (68, "elevated", "rising", "high")
    assert data["factors"][0]["points"] == 34.4


@pytest.mark.parametrize(
    ("items", "path", "message"),
    [
        ([{"itemId": "4", "score": 2}], "assessments.0.items.0.score", "C-SSRS screener items are scored 0 or 1"),
        ([{"itemId": "7", "score": 1}], "assessments.0.items.0.itemId", 'C-SSRS screener items are "1"–"6"'),
    ],
)
def test_item_answers_an_instrument_cannot_have_are_refused(items: list[object], path: str, message: str) -> None:
    body = {"assessments": [{"instrumentId": "cssrs_screener", "instrumentName": "C-SSRS", "score": 1,
                             "maxScore": 6, "createdAt": "2026-06-20T00:00:00Z", "items": items}]}
    status, got = run("relapse_risk", body)
    assert status == 400
    assert got["error"]["issues"] == [{"path": path, "message": message}]  # type: ignore[index]


def test_phq9_item_above_three_is_refused() -> None:
    body = {"assessments": [{"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 6, "maxScore": 27,
                             "createdAt": "2026-06-20T00:00:00Z", "items": [{"itemId": "9", "score": 4}]}]}
    status, got = run("outcome_score", {**body, "avgSleepHours": 7})
    assert status == 400
    assert got["error"]["issues"] == [  # type: ignore[index]
        {"path": "assessments.0.items.0.score", "message": "PHQ-9 items are scored 0–3"}]


def test_a_date_one_day_ahead_is_accepted_and_a_bad_date_refused() -> None:
    ahead = {"assessments": [{"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 6, "maxScore": 27,
                              "createdAt": "2026-06-29T15:04:05Z"}]}
    assert run("relapse_risk", ahead)[0] == 200
    bad = {"assessments": [{**ahead["assessments"][0], "createdAt": "2026-02-30"}]}
    status, got = run("relapse_risk", bad)
    assert status == 400
    assert got["error"]["issues"] == [{"path": "assessments.0.createdAt", "message": "Invalid datetime"}]  # type: ignore[index]


TIME_DEPENDENT = {
    "relapse_risk": {"generatedAt", "score", "level", "trend", "confidence", "topDriver", "summaryLine",
                     "recommendation", "factors[0].points", "factors[0].tone", "factors[0].detail"},
    "medication_response": {"generatedAt"},
    "outcome_score": {"generatedAt"},
}


def _flat(value: object, path: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{path}.{key}".lstrip(".")).items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _flat(item, f"{path}[{i}]").items()}
    return {path: value}


@pytest.mark.parametrize("engine", sorted(TIME_DEPENDENT))
def test_served_later_the_reference_examples_differ_only_in_documented_fields(engine: str) -> None:
    """docs/engines.md, "Answers that depend on `now`": the fields listed there and no others."""
    from datetime import UTC, datetime
    name = {"relapse_risk": "relapse", "medication_response": "medication", "outcome_score": "outcome"}[engine]
    case = json.loads((CONFORMANCE / f"{name}.json").read_text())
    body = json.dumps(case["request"]["body"]).encode()
    at_reference = _flat(msgspec.json.decode(answer(ENGINES[engine], body, now=NOW))["data"])
    later = _flat(msgspec.json.decode(answer(ENGINES[engine], body, now=datetime(2026, 12, 2, 12, tzinfo=UTC)))["data"])
    changed = {key for key in at_reference.keys() | later.keys() if at_reference.get(key) != later.get(key)}
    assert changed <= TIME_DEPENDENT[engine], changed - TIME_DEPENDENT[engine]
    assert "generatedAt" in changed
