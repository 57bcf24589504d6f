"""Issue 13's clinical examples over HTTP against a served process (`attunio serve`, real socket,
today's clock): the same cases as tests/engines/test_clinical_cases.py, dated relative to now."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from tests.clinical_cases import CASES, PAIRS
from tests.conftest import Served

from attunio.engines import ENGINES

pytestmark = pytest.mark.e2e


def test_every_clinical_case_over_http(served: Served) -> None:
    key = served.new_key()
    failures = []
    with httpx.Client(base_url=served.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {key}"}) as http:
        for case in CASES:
            now = datetime.now(UTC)
            answer = http.post(ENGINES[case.engine].path, json=case.build(now))
            try:
                case.check(answer.status_code, answer.json())
            except AssertionError as exc:
                failures.append(f"{case.name}: {exc}")
        for name, pair in PAIRS:
            sparse, dense = pair(datetime.now(UTC))
            low = http.post(ENGINES["relapse_risk"].path, json=sparse).json()["data"]["score"]
            high = http.post(ENGINES["relapse_risk"].path, json=dense).json()["data"]["score"]
            if high < low:
                failures.append(f"{name}: {high} < {low}")
    assert not failures, "\n".join(failures)


def test_served_answers_carry_safety_first_and_refuse_future_dates(served: Served) -> None:
    key = served.new_key()
    now = datetime.now(UTC)
    item9 = {"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 6, "maxScore": 27,
             "createdAt": now.strftime("%Y-%m-%d"), "items": [{"itemId": "9", "score": 3}]}
    with httpx.Client(base_url=served.base_url, timeout=30, headers={"Authorization": f"Bearer {key}"}) as http:
        answer = http.post("/v1/relapse/predict", json={"assessments": [item9]})
        assert answer.status_code == 200, answer.text
        # `safety` precedes the score in the JSON text, so a reader meets it first.
        assert answer.text.index('"safety"') < answer.text.index('"score"')
        assert answer.json()["data"]["level"] == "high"
        future = {**item9, "createdAt": "2099-01-01"}
        refused = http.post("/v1/relapse/predict", json={"assessments": [future]})
        assert refused.status_code == 400
        assert refused.json()["error"]["issues"][0]["path"] == "assessments.0.createdAt"
