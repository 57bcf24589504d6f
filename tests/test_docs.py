"""Docs that cannot drift: every CLI command, setting and endpoint is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.test_cli import all_commands

from attunio.config import env_name, setting_names
from attunio.engines import ENGINES

DOCS = Path(__file__).resolve().parents[1] / "docs"


def operations() -> str:
    return (DOCS / "operations.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", all_commands(), ids=" ".join)
def test_every_cli_command_is_documented(command: tuple[str, ...]) -> None:
    assert f"attunio {' '.join(command)}" in operations()


@pytest.mark.parametrize("setting", setting_names())
def test_every_setting_is_documented_with_its_variable(setting: str) -> None:
    text = operations()
    assert f"`{setting}`" in text, f"{setting} missing from docs/operations.md"
    assert env_name(setting) in text


@pytest.mark.parametrize("path", [spec.path for spec in ENGINES.values()] + ["/v1/ping", "/healthz", "/readyz",
                                                                             "/v1/openapi.json"])
def test_every_endpoint_is_in_the_api_guide(path: str) -> None:
    assert path in (DOCS / "api.md").read_text(encoding="utf-8")
