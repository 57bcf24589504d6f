"""The documented examples, fed straight through validation and the engines.

The HTTP-level run of the same cases lives with the API tests; this one pins the engines alone, so a
formula change that breaks a documented answer fails here first.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from engine_harness import SPEC_BY_PATH, answer

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _conformance_dir() -> Path | None:
    configured = os.environ.get("ATTUNIO_CONFORMANCE_DIR")
    if configured:
        return Path(configured)
    for parent in Path(__file__).resolve().parents:
        for candidate in (parent / "shared" / "conformance", parent / "conformance"):
            if candidate.is_dir() and any(candidate.glob("*.json")):
                return candidate
    return None


def _engine_cases() -> list[Path]:
    folder = _conformance_dir()
    if folder is None:
        return []
    cases = []
    for path in sorted(folder.glob("*.json")):
        case = json.loads(path.read_text())
        auth = case["request"].get("headers", {}).get("Authorization", "")
        # Cases about authentication, methods and origins belong to the HTTP layer.
        if (
            case["request"]["path"] in SPEC_BY_PATH
            and "{{secret_test_key}}" in auth
            and "body" in case["request"]
        ) and case["expect"]["status"] in (200, 400):
            cases.append(path)
    return cases


def matches(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """The README's rules: subset objects, prefix arrays, numbers by value, string placeholders."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += matches(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) < len(expected):
            return [f"{where}: expected at least {len(expected)} elements, got {actual!r}"]
        return [p for i, item in enumerate(expected) for p in matches(item, actual[i], f"{where}[{i}]")]
    if isinstance(expected, str):
        if expected == "<any>":
            return []
        if expected == "<iso8601>":
            return (
                [] if isinstance(actual, str) and ISO_MS.match(actual) else [f"{where}: not ISO: {actual!r}"]
            )
        if expected.startswith("<startswith:") and expected.endswith(">"):
            prefix = expected[len("<startswith:") : -1]
            ok = isinstance(actual, str) and actual.startswith(prefix)
            return [] if ok else [f"{where}: {actual!r} does not start with {prefix!r}"]
        return [] if actual == expected else [f"{where}: {actual!r} != {expected!r}"]
    if isinstance(expected, bool) or expected is None:
        return [] if actual is expected else [f"{where}: {actual!r} != {expected!r}"]
    if isinstance(expected, int | float):
        ok = isinstance(actual, int | float) and not isinstance(actual, bool) and actual == expected
        return [] if ok else [f"{where}: {actual!r} != {expected!r}"]
    return [f"{where}: unsupported expectation {expected!r}"]


CASES = _engine_cases()


@pytest.mark.skipif(not CASES, reason="conformance folder not found (set ATTUNIO_CONFORMANCE_DIR)")
@pytest.mark.parametrize("case_file", CASES, ids=[p.stem for p in CASES])
def test_documented_answer(case_file: Path) -> None:
    case = json.loads(case_file.read_text())
    spec = SPEC_BY_PATH[case["request"]["path"]]
    body = json.dumps(case["request"]["body"]).encode()
    got = json.loads(answer(spec, body))
    assert matches(case["expect"]["body"], got) == []


def test_every_engine_has_a_documented_example() -> None:
    if not CASES:
        pytest.skip("conformance folder not found")
    paths = {json.loads(p.read_text())["request"]["path"] for p in CASES}
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
