"""Loading and matching the machine-readable cases of the API reference.

The cases are kept in this folder (copied from the shared `conformance/` folder that sits beside
a development checkout), so a fresh clone checks the contract on its own; `test_copy.py` proves
the copy is the contract recorded in `CONTRACT.sha256`, and so is the shared folder where present.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def shared_dir() -> Path:
    """The shared folder beside the checkout (CONFORMANCE_DIR overrides), which may be absent."""
    return Path(os.environ.get("CONFORMANCE_DIR", REPO.parent / "shared" / "conformance"))


def case_files(folder: Path = HERE) -> list[Path]:
    """Every file of a conformance folder that belongs to the contract (cases and their README)."""
    return sorted(p for p in folder.iterdir() if p.suffix in (".json", ".md") and p.is_file())


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    files = sorted(HERE.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no conformance cases in {HERE}: the checkout is incomplete")
    return [(f.stem, json.loads(f.read_text(encoding="utf-8"))) for f in files]


def fill(value: str, placeholders: dict[str, str]) -> str:
    for name, replacement in placeholders.items():
        value = value.replace("{{" + name + "}}", replacement)
    return value


def mismatches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """The README's rules: objects as subsets, arrays as positional prefixes, numbers by value,
    and the `<iso8601>`, `<startswith:…>`, `<any>` string forms."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems.extend(mismatches(value, actual[key], f"{path}.{key}"))
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) < len(expected):
            return [f"{path}: expected at least {len(expected)} items, got {actual!r}"]
        return [p for i, item in enumerate(expected) for p in mismatches(item, actual[i], f"{path}[{i}]")]
    if isinstance(expected, str):
        if expected == "<any>":
            return []
        if expected == "<iso8601>":
            return [] if isinstance(actual, str) and ISO.match(actual) else [f"{path}: {actual!r} is not ISO-8601 ms Z"]
        if expected.startswith("<startswith:") and expected.endswith(">"):
            prefix = expected[len("<startswith:"):-1]
            if isinstance(actual, str) and actual.startswith(prefix):
                return []
            return [f"{path}: {actual!r} does not start with {prefix!r}"]
        return [] if actual == expected else [f"{path}: expected {expected!r}, got {actual!r}"]
    if isinstance(expected, bool) or expected is None:
        return [] if actual is expected else [f"{path}: expected {expected!r}, got {actual!r}"]
    if isinstance(expected, (int, float)):
        ok = isinstance(actual, (int, float)) and not isinstance(actual, bool) and actual == expected
        return [] if ok else [f"{path}: expected {expected!r}, got {actual!r}"]
    return [f"{path}: unsupported expectation {expected!r}"]
