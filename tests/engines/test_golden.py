"""Every golden case answers byte-for-byte what its expected file holds.

Expected files change only through `python scripts/engine_golden.py --write`, never from a test.
"""

from __future__ import annotations

from pathlib import Path

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
