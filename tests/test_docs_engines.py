"""docs/engines.md cannot drift from the engines: every parameter, default and cap is written there."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from attunio.engines import ENGINES, describe_params

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "engines.md").read_text()


def _table_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "engine_params_table", ROOT / "scripts" / "engine_params_table.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TABLES = _table_script()


@pytest.mark.parametrize("key", sorted(ENGINES))
def test_every_parameter_is_documented(key: str) -> None:
    for doc in describe_params(ENGINES[key].params_type):
        assert f"`{doc.name}`" in DOC, f"{key}.{doc.name} is missing from docs/engines.md"


@pytest.mark.parametrize("key", sorted(ENGINES))
def test_parameter_table_matches_the_code(key: str) -> None:
    marker = f"<!-- params:{key} -->\n"
    assert marker in DOC, f"no parameter table for {key}; run scripts/engine_params_table.py"
    documented = DOC.split(marker, 1)[1].split("\n\n", 1)[0]
    assert documented == TABLES.table(key), "docs/engines.md table differs; regenerate it"


def test_no_documented_parameter_is_unknown() -> None:
    known = {doc.name for spec in ENGINES.values() for doc in describe_params(spec.params_type)}
    rows = re.findall(r"^\| `([a-z0-9_]+)` \|", DOC, flags=re.MULTILINE)
    assert rows and set(rows) <= known


@pytest.mark.parametrize("key", sorted(ENGINES))
def test_every_engine_and_endpoint_is_documented(key: str) -> None:
    assert f"`{key}`" in DOC
    assert ENGINES[key].path in DOC
