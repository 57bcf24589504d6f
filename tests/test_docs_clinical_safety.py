"""docs/clinical-safety.md cannot drift: every test the hazard log names as a control's proof exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEXT = (REPO / "docs" / "clinical-safety.md").read_text(encoding="utf-8")
CITED = sorted(set(re.findall(r"tests/[\w/]+\.py(?:::\w+)?", TEXT)))


def test_the_hazard_log_cites_tests() -> None:
    assert len(CITED) >= 10, CITED


@pytest.mark.parametrize("cited", CITED)
def test_every_cited_test_exists(cited: str) -> None:
    path, _, name = cited.partition("::")
    assert (REPO / path).is_file(), cited
    if name:
        assert f"def {name}(" in (REPO / path).read_text(encoding="utf-8"), cited
