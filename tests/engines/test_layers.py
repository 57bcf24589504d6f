"""Which package may import which: the layer rules of docs/design.md, checked on every module.

Imports are read from the source (`ast`), module level and inside functions alike, so a rule
cannot be dodged by importing late.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "attunio"
# package -> the packages (and third-party modules) it must never import
FORBIDDEN: dict[str, set[str]] = {
    "engines": {"attunio.services", "attunio.store", "attunio.api", "attunio.cli", "attunio.tls", "litestar"},
    "services": {"attunio.api", "attunio.cli", "attunio.tls", "litestar", "uvicorn", "click"},
    "store": {"attunio.services", "attunio.api", "attunio.cli"},
    "crypto": {"attunio.store", "attunio.services", "attunio.api", "attunio.cli"},
    "api": {"attunio.cli"},
}
MODULES = sorted((package, path) for package in FORBIDDEN for path in (SRC / package).rglob("*.py"))
# What only the HTTP layer speaks: the error type it renders and the names of the headers it sends.
HTTP_WORDS = re.compile(r"\bApiError\b|X-RateLimit|Retry-After|WWW-Authenticate|Access-Control-|"
                        r"Attunio-License-Warning|status_code")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def reaches(name: str, forbidden: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


@pytest.mark.parametrize(("package", "module"), MODULES, ids=[f"{p}/{m.name}" for p, m in MODULES])
def test_layer_imports(package: str, module: Path) -> None:
    bad = sorted(n for n in imported(module) for f in FORBIDDEN[package] if reaches(n, f))
    assert not bad, f"{package}/{module.relative_to(SRC / package)} imports {bad}"


@pytest.mark.parametrize("module", sorted((SRC / "services").rglob("*.py")), ids=lambda p: p.name)
def test_services_speak_the_domain_not_http(module: Path) -> None:
    found = HTTP_WORDS.findall(module.read_text())
    assert not found, f"services/{module.name} speaks HTTP: {sorted(set(found))}"


def test_the_rules_see_a_violation(tmp_path: Path) -> None:
    """The reader finds imports at module level, inside functions and as `from x import y`."""
    sample = tmp_path / "sample.py"
    sample.write_text("import attunio.api.app\n\ndef late():\n    from attunio import cli\n")
    names = imported(sample)
    assert reaches("attunio.api.app", "attunio.api") and "attunio.cli" in names
