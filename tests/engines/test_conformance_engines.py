"""The documented examples, fed straight through validation and the engines.

The HTTP-level run of the same cases lives with the API tests; this one pins the engines alone, so a
formula change that breaks a documented answer fails here first.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from engine_harness import SPEC_BY_PATH, answer
from tests.conformance import load_cases
from tests.conformance import mismatches as matches


def _engine_cases() -> list[tuple[str, dict[str, Any]]]:
    """The cases whose answer the engines alone decide; authentication, methods and origins
    belong to the HTTP layer (tests/api/test_conformance.py runs every case end to end)."""
    cases = []
    for name, case in load_cases():
        auth = case["request"].get("headers", {}).get("Authorization", "")
        if (
            case["request"]["path"] in SPEC_BY_PATH
            and "{{secret_test_key}}" in auth
            and "body" in case["request"]
            and case["expect"]["status"] in (200, 400)
        ):
            cases.append((name, case))
    return cases


CASES = _engine_cases()


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_documented_answer(name: str, case: dict[str, Any]) -> None:
    spec = SPEC_BY_PATH[case["request"]["path"]]
    body = json.dumps(case["request"]["body"]).encode()
    got = json.loads(answer(spec, body))
    assert matches(case["expect"]["body"], got) == []


def test_every_engine_has_a_documented_example() -> None:
    paths = {case["request"]["path"] for _, case in CASES}
    assert paths == set(SPEC_BY_PATH)


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ({"a": 12}, {"a": 12.0, "b": 1}, True),
        ([{"a": 1}], [{"a": 1}, {"a": 2}], True),
        ([1, 2], [1], False),
        ("<startswith:ab>", "abc", True),
        ("<startswith:ab>", "xabc", False),
        ("<iso8601>", "2026-05-15T00:00:00.000Z", True),
        ("<iso8601>", "2026-05-15T00:00:00Z", False),
        (None, None, True),
        (None, 0, False),
        (True, 1, False),
        ({"a": None}, {}, False),
    ],
)
def test_matcher_rules(expected: Any, actual: Any, ok: bool) -> None:
    assert (matches(expected, actual) == []) is ok
