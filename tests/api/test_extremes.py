"""Valid but extreme inputs are answered, never a 500."""

from __future__ import annotations

from litestar.testing import TestClient
from tests.conftest import Keys


def test_tiny_baseline_score_with_large_follow_up_is_answered(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    # A baseline of 1e-119 makes the relative change about 4e121, beyond Decimal's default precision.
    body = {
        "prescriptions": [{"id": "rx", "medicationName": "Sertraline", "status": "active",
                           "prescribedAt": "2026-03-01T00:00:00Z"}],
        "assessments": [
            {"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 1e-119, "maxScore": 1000,
             "createdAt": "2026-02-20T00:00:00Z"},
            {"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 390, "maxScore": 1000,
             "createdAt": "2026-05-15T00:00:00Z"},
        ],
    }
    for path in ("/v1/medication/analyze", "/v1/outcome/score", "/v1/relapse/predict"):
        payload = body if path.startswith("/v1/medication") else {"assessments": body["assessments"]}
        response = client.post(path, json=payload, headers={"Authorization": f"Bearer {keys.issue()}"})
        assert response.status_code == 200, (path, response.text)
