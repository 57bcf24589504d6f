"""Issue 13's Biomarker and Digital MSE examples against `attunio serve` over a socket: the answers a
clinician would read from a served appliance, the optional `code` field included."""

from __future__ import annotations

from typing import Any

import httpx
from tests.conftest import Served
from tests.engines.labs_mse_examples import (
    BIOMARKER_CASES,
    FULL_DMSE,
    FULL_NARRATIVE,
    check_biomarker,
    check_dmse_examples,
    panel,
)


def _post(http: httpx.Client, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = http.post(path, headers={"Authorization": f"Bearer {key}"}, json=body)
    assert reply.status_code == 200, reply.text
    data: dict[str, Any] = reply.json()["data"]
    return data


def test_served_biomarker_and_dmse_examples_give_the_clinically_right_answer(served: Served) -> None:
    key = served.new_key()
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        for _, reading, signal_key, tone, wanted, unwanted in BIOMARKER_CASES:
            data = _post(http, key, "/v1/biomarker/analyze", panel(reading))
            check_biomarker(data, signal_key, tone, wanted, unwanted)
        check_dmse_examples(lambda body: _post(http, key, "/v1/dmse/analyze", body))
        full = _post(http, key, "/v1/dmse/analyze", FULL_DMSE)
        assert full["mseNarrative"] == FULL_NARRATIVE and full["sessionRef"] == "visit_8841"
        # A malformed `code` is refused in the documented envelope, naming its path.
        bad = http.post("/v1/biomarker/analyze", headers={"Authorization": f"Bearer {key}"},
                        json=panel({"name": "Lithium", "value": 1, "code": ""}))
        assert bad.status_code == 400
        issues = bad.json()["error"]["issues"]
        assert [i["path"] for i in issues] == ["labs.0.results.biomarkers.0.code"]
