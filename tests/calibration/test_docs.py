"""docs/calibration.md cannot drift from the code: every refusal reason, floor and command is in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from attunio.cli.models import models
from attunio.engines.safety_floors import FLOORS
from attunio.services.calibration.bundles import CALIBRATION_PAYLOAD_TYPE, REFUSAL_REASONS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "calibration.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("reason", REFUSAL_REASONS)
def test_every_refusal_reason_is_explained(reason: str) -> None:
    assert f"`{reason}`" in DOC


@pytest.mark.parametrize("param", [f.param for floors in FLOORS.values() for f in floors])
def test_every_safety_floor_is_listed(param: str) -> None:
    assert f"`{param}`" in DOC


@pytest.mark.parametrize("command", sorted(models.commands))
def test_every_models_command_is_shown(command: str) -> None:
    assert f"attunio models {command}" in DOC


def test_the_payload_type_is_named() -> None:
    assert CALIBRATION_PAYLOAD_TYPE in DOC
