"""Engines stay pure: standard library, msgspec and numpy only; no clock, environment or files."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ENGINE_DIR = Path(__file__).resolve().parents[2] / "src" / "attunio" / "engines"
# `attunio/utc.py`, the one rule for instants, is the only module outside the engines they may use;
# it is held to the same rules.
MODULES = [*sorted(ENGINE_DIR.glob("*.py")), ENGINE_DIR.parent / "utc.py"]
ALLOWED = set(sys.stdlib_module_names) | {"msgspec", "numpy", "attunio", "__future__"}
FORBIDDEN_CALLS = {"now", "utcnow", "today", "time", "open", "getenv", "urlopen", "random"}
FORBIDDEN_MODULES = {"os", "sys", "random", "socket", "subprocess", "pathlib", "time", "logging"}


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_engine_imports_are_pure(module: Path) -> None:
    tree = ast.parse(module.read_text())
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            assert top in ALLOWED, f"{module.name} imports {name}"
            assert top not in FORBIDDEN_MODULES, f"{module.name} imports {name}"
            if top == "attunio":
                assert name.startswith("attunio.engines") or name == "attunio.utc", (
                    f"{module.name} reaches outside the engines: {name}"
                )


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_engine_reads_no_clock_or_environment(module: Path) -> None:
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            assert name not in FORBIDDEN_CALLS, f"{module.name} calls {name}()"
