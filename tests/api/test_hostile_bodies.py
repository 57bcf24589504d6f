"""Bodies built to break a parser are refused as `400 invalid_request`, never answered with a 500.

Each case here was once a 500 found by fuzzing the served appliance (see tests/e2e/test_fuzz.py).
"""

from __future__ import annotations

import pytest
from litestar.testing import TestClient
from tests.conftest import Keys

from attunio.engines import ENGINES

PATHS = [spec.path for spec in ENGINES.values()]
HOSTILE = {
    "number beyond a double": b'{"responseLatencySeconds": 1e400, "assessments": [{"score": -1e999}]}',
    "unknown field then trailing garbage": b'{"unknown": 1}   x',
    "unknown field then a second document": b'{"unknown": 1}{"unknown": 2}',
    "100k nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "nested arrays in a string field": b'{"sessionRef": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "nested objects": b'{"sessionRef": ' + b'{"a": ' * 20_000 + b"1" + b"}" * 20_000 + b"}",
    "lone surrogate escape": b'{"sessionRef": "\\ud800"}',
    "invalid utf-8": b'\xff\xfe{"sessionRef": "x"}',
    "invalid utf-8 in a string": b'{"sessionRef": "\xc0\xaf", "history": "\xed\xa0\x80"}',
    "invalid utf-8 in a wrongly typed field": b'{"responseLatencySeconds": "\xc0\xaf"}',
    "5000-digit number": b'{"responseLatencySeconds": 1' + b"0" * 5000 + b"}",
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_body_is_an_invalid_request(client: TestClient, keys: Keys, path: str, body: bytes) -> None:  # type: ignore[type-arg]
    answer = client.post(path, content=body, headers={"Authorization": f"Bearer {keys.issue()}",
                                                       "Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_request" and error["message"]


# Valid JSON numbers the schema accepts but the engines once could not round: 1e308 as a lab value
# overflowed Decimal's context; a 5e-324 baseline score made a ratio infinite.
EXTREME = [("/v1/biomarker/analyze", ("labs", 0, "results", "biomarkers", 0, "value"), "1e308"),
           ("/v1/biomarker/analyze", ("labs", 0, "results", "biomarkers", 1, "value"), "-1e308"),
           ("/v1/biomarker/analyze", ("labs", 0, "results", "biomarkers", 0, "value"),
            "123456789012345678901234567890.5"),
           ("/v1/medication/analyze", ("assessments", 0, "score"), "4.9e-324")]


@pytest.mark.parametrize(("path", "where", "number"), EXTREME)
def test_extreme_numbers_are_answered_not_crashed(client: TestClient, keys: Keys, path: str,  # type: ignore[type-arg]
                                                  where: tuple[object, ...], number: str) -> None:
    from tests.e2e.mutations import _place
    from tests.e2e.test_attacks import valid_bodies

    body = _place(valid_bodies()[path], where, number)
    answer = client.post(path, content=body, headers={"Authorization": f"Bearer {keys.issue()}",
                                                      "Content-Type": "application/json"})
    assert answer.status_code in (200, 400), answer.text
