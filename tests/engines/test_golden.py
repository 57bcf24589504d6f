"""Every golden case answers byte-for-byte what its expected file holds.

Expected files change only through `python scripts/engine_golden.py --write`, never from a test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_harness import answer, expected_path, golden_cases

from attunio.engines import ENGINES

CASES = golden_cases()


@pytest.mark.parametrize(("engine", "request_file"), CASES, ids=[f"{e}/{p.name[:-13]}" for e, p in CASES])
def test_golden_answer_is_byte_identical(engine: str, request_file: Path) -> None:
    expected = expected_path(request_file)
    assert expected.exists(), f"missing {expected.name}; run scripts/engine_golden.py --write and review"
    assert answer(ENGINES[engine], request_file.read_bytes()) == expected.read_bytes()


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_each_engine_has_at_least_ten_golden_cases(engine: str) -> None:
    assert sum(1 for e, _ in CASES if e == engine) >= 10


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_each_engine_has_success_and_error_golden_cases(engine: str) -> None:
    names = [p.name for e, p in CASES if e == engine]
    assert any(n.startswith("error_") for n in names)
    assert any(not n.startswith("error_") for n in names)


def test_no_orphan_expected_files() -> None:
    requests = {expected_path(p) for _, p in CASES}
    for engine_dir in (Path(__file__).parent / "golden").iterdir():
        for expected in engine_dir.glob("*.expected.json"):
            assert expected in requests, f"{expected} has no request file"


def _answers(engine: str) -> list[dict[str, Any]]:
    out = []
    for e, request in CASES:
        if e == engine and expected_path(request).exists():
            body = json.loads(expected_path(request).read_bytes())
            if body["ok"]:
                out.append(body["data"])
    return out


def _collect(engine: str, pick: Any) -> set[str]:
    return {value for data in _answers(engine) for value in pick(data)}


@pytest.mark.parametrize(
    ("engine", "pick", "needed"),
    [
        (
            "dmse_signals",
            lambda d: [s.get("interpretation") for s in d["signals"] if s["present"]],
            {"within_normal_limits", "borderline", "clinical_attention"},
        ),
        (
            "dmse_signals",
            lambda d: [s["trendDir"] for s in d["signals"] if "trendDir" in s],
            {"up", "down", "stable"},
        ),
        ("dmse_signals", lambda d: [d["overallConfidence"]], {"low", "moderate", "high"}),
        (
            "medication_response",
            lambda d: [s["tone"] for s in d["signals"]],
            {"positive", "neutral", "watch", "elevated"},
        ),
        (
            "medication_response",
            lambda d: [s["confidence"] for s in d["signals"]],
            {"low", "moderate", "high"},
        ),
        (
            "biomarker_interpretation",
            lambda d: [s["tone"] for s in d["signals"]],
            {"watch", "elevated", "critical"},
        ),
        ("outcome_score", lambda d: [d["direction"]], {"improving", "stable", "worsening"}),
        ("outcome_score", lambda d: [d["confidence"]], {"low", "moderate", "high"}),
        ("relapse_risk", lambda d: [d["level"]], {"low", "moderate", "elevated", "high"}),
        ("relapse_risk", lambda d: [d["trend"]], {"rising", "falling", "stable", "unknown"}),
        ("relapse_risk", lambda d: [f["tone"] for f in d["factors"]], {"neutral", "watch", "elevated"}),
    ],
)
def test_golden_cases_cover_every_band_and_tone(engine: str, pick: Any, needed: set[str]) -> None:
    assert needed <= _collect(engine, pick)
