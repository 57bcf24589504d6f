"""Issue 13's Biomarker and Digital MSE examples through validation and the engines."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from engine_harness import answer
from labs_mse_examples import BIOMARKER_CASES, check_biomarker, check_dmse_examples, panel

from attunio.engines import ENGINES


def run(engine: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = msgspec.json.decode(answer(ENGINES[engine], json.dumps(body).encode()))
    assert reply["ok"], reply
    data: dict[str, Any] = reply["data"]
    return data


@pytest.mark.parametrize(("reading", "key", "tone", "wanted", "unwanted"),
                         [c[1:] for c in BIOMARKER_CASES], ids=[c[0] for c in BIOMARKER_CASES])
def test_biomarker_example(reading: dict[str, Any], key: str, tone: str, wanted: str, unwanted: str) -> None:
    check_biomarker(run("biomarker_interpretation", panel(reading)), key, tone, wanted, unwanted)


def test_dmse_examples() -> None:
    check_dmse_examples(lambda body: run("dmse_signals", body))


def test_an_unrecognised_unit_is_said_not_graded() -> None:
    data = run("biomarker_interpretation", panel({"name": "Lithium", "value": 2.6, "unit": "mg/dL", "flag": "high"}))
    found = data["signals"][0]
    assert found["tone"] == "watch" and "not graded" in found["detail"] and "mmol/L" in found["detail"]


def test_a_code_wins_over_the_printed_name_and_an_unknown_code_falls_back_to_it() -> None:
    by_code = run("biomarker_interpretation", panel({"name": "Sodium", "code": "14334-7", "value": 2.6,
                                                     "unit": "mmol/L", "flag": "high"}))
    assert by_code["signals"][0]["signalKey"] == "bio_lithium"
    fallback = run("biomarker_interpretation", panel({"name": "Sodium", "code": "99999-9", "value": 120,
                                                      "unit": "mmol/L", "flag": "low"}))
    assert fallback["signals"][0]["signalKey"] == "bio_sodium"


def test_a_normal_flag_is_respected_and_an_unflagged_mild_value_is_not_raised() -> None:
    data = run("biomarker_interpretation", panel(
        {"name": "Lithium", "value": 2.6, "unit": "mmol/L", "flag": "normal"},
        {"name": "QTc", "value": 430, "unit": "ms"},
        {"name": "Vitamin D", "value": 12, "unit": "ng/mL"},
    ))
    assert data["signalsPresent"] == 0


def test_a_ratio_is_never_read_as_one_of_its_parts() -> None:
    data = run("biomarker_interpretation", panel({"name": "Cholesterol/HDL ratio", "value": 6, "flag": "high"}))
    assert data["signals"][0]["signalKey"] == "bio_cholesterol_hdl_ratio"


def test_a_short_session_is_judged_by_counts_not_an_exploding_rate() -> None:
    data = run("dmse_signals", {"psychomotorFidgetEpisodes": 1, "sessionDurationSeconds": 20})
    assert data["signals"][1]["interpretation"] == "within_normal_limits"


def test_the_openapi_document_describes_the_optional_code_field() -> None:
    from attunio.api.openapi import build_openapi

    code = build_openapi()["components"]["schemas"]["Biomarker"]["properties"]["code"]
    assert "LOINC" in code["anyOf"][0]["description"] and code["anyOf"][0]["maxLength"] == 64
    assert "code" not in build_openapi()["components"]["schemas"]["Biomarker"].get("required", [])


def test_docs_describe_the_code_field_and_every_tier_parameter() -> None:
    from pathlib import Path

    from attunio.engines.safety_floors import FLOORS

    docs = Path(__file__).resolve().parents[2] / "docs"
    api, engines = (docs / "api.md").read_text(), (docs / "engines.md").read_text()
    assert "**Biomarker object `code`**" in api and "`code`" in engines
    for floor in FLOORS["biomarker_interpretation"]:
        assert f"`{floor.param}`" in engines
