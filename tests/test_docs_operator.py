"""The operator's docs match the CLI: exit codes, doctor checks, --json, the README's promises."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click
import pytest
from tests.cli.test_cli import all_commands

from attunio.cli.doctor_checks import CHECK_NAMES
from attunio.cli.exits import TABLE
from attunio.cli.main import cli

REPO = Path(__file__).resolve().parents[1]
OPERATIONS = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")


def command(path: tuple[str, ...]) -> click.Command:
    found: click.Command = cli
    for name in path:
        assert isinstance(found, click.Group)
        found = found.get_command(click.Context(found), name)  # type: ignore[assignment]
    return found


def test_every_exit_code_is_in_the_table() -> None:
    section = OPERATIONS[OPERATIONS.index("### Exit codes"):]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    assert documented == set(TABLE)


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_every_doctor_check_is_in_the_doctor_table(name: str) -> None:
    section = OPERATIONS[OPERATIONS.index("### `attunio doctor`"):OPERATIONS.index("### `attunio support-bundle`")]
    assert f"\n| {name} |" in section


@pytest.mark.parametrize("path", [p for p in all_commands()
                                  if any(param.name == "as_json" for param in command(p).params)], ids=" ".join)
def test_every_json_option_is_documented(path: tuple[str, ...]) -> None:
    lines = [line for line in OPERATIONS.splitlines() if f"attunio {' '.join(path)}" in line]
    assert any("--json" in line for line in lines), f"attunio {' '.join(path)}: --json not in docs/operations.md"


def test_the_readme_claims_only_platforms_the_scripts_handle() -> None:
    assert not re.search(r"macOS|Windows", README)
    assert "Linux" in README and "Debian" in README
    script = REPO / "scripts" / "test"
    assert "scripts/test" in README and os.access(script, os.X_OK)


def test_the_settings_search_order_is_documented() -> None:
    for step in ("`--config FILE`", "`ATTUNIO_CONFIG=FILE`", "`/etc/attunio/attunio.toml`",
                 "of the checkout the appliance runs from"):
        assert step in OPERATIONS
