"""docs/security.md cannot drift: every test it cites exists, and every reliability test is cited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEXT = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
RELIABILITY_TESTS = ["tests/e2e/test_attacks.py", "tests/e2e/test_fuzz.py", "tests/e2e/test_crash.py",
                     "tests/e2e/test_backup_served.py", "tests/api/test_hostile_bodies.py",
                     "tests/services/test_backup.py", "tests/services/test_audit.py", "tests/logscan.py"]


@pytest.mark.parametrize("cited", sorted(set(re.findall(r"tests/[\w/]+\.py(?:::\w+)?", TEXT))))
def test_every_cited_test_exists(cited: str) -> None:
    path, _, name = cited.partition("::")
    assert (REPO / path).is_file(), cited
    if name:
        assert f"def {name}(" in (REPO / path).read_text(encoding="utf-8"), cited


@pytest.mark.parametrize("module", RELIABILITY_TESTS)
def test_every_reliability_test_is_cited(module: str) -> None:
    assert module in TEXT
