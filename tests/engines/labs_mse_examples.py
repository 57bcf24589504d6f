"""The Biomarker and Digital MSE examples of issue 13's "Why", with the clinically right answer for
each. Shared by the engine-level tests and the tests against a served appliance."""

from __future__ import annotations

from typing import Any

LAB_ID = "lab_why"


def panel(*readings: dict[str, Any]) -> dict[str, Any]:
    return {"labs": [{"id": LAB_ID, "labName": "Quest Diagnostics", "results": {"biomarkers": list(readings)}}]}


# (name, reading, signalKey, tone, text the detail or summary must hold, text neither may hold)
BIOMARKER_CASES: list[tuple[str, dict[str, Any], str, str, str, str]] = [
    (
        "lithium_serum_1_6",
        {"name": "Lithium, serum", "value": 1.6, "unit": "mmol/L", "flag": "high", "referenceRange": "0.6-1.2"},
        "bio_lithium", "elevated", "toxic range", "outside the psychiatric reference table",
    ),
    (
        "serum_li_2_6",
        {"name": "Serum Li", "value": 2.6, "unit": "mmol/L", "flag": "high"},
        "bio_lithium", "critical", "severe, potentially life-threatening toxicity", "outside the psychiatric",
    ),
    (
        "lithium_2_6_not_worded_as_1_6",
        {"name": "Lithium", "value": 2.6, "unit": "mmol/L", "flag": "high"},
        "bio_lithium", "critical", "emergency medical care", "in the toxic range (tremor",
    ),
    (
        "25_hydroxy_vitamin_d",
        {"name": "25-hydroxy vitamin D", "value": 14, "unit": "ng/mL", "flag": "low", "referenceRange": "30-100"},
        "bio_vitamin_d", "watch", "deficient", "reversible contributor",
    ),
    (
        "absolute_neutrophils_0_4_x10_9_per_l",
        {"name": "Absolute neutrophils", "value": 0.4, "unit": "×10⁹/L", "flag": "low", "referenceRange": "1.5-7.8"},
        "bio_anc", "critical", "severe neutropenia", "follow the clozapine ANC monitoring schedule",
    ),
    (
        "tsh_long_name",
        {"name": "Thyroid Stimulating Hormone (TSH)", "value": 7.2, "unit": "mIU/L", "flag": "high",
         "referenceRange": "0.45-4.5"},
        "bio_tsh", "watch", "free T4", "outside the psychiatric reference table",
    ),
    (
        "anc_300_per_ul",
        {"name": "ANC", "value": 300, "unit": "/µL", "flag": "low"},
        "bio_anc", "critical", "interrupt it now", "follow the clozapine ANC monitoring schedule",
    ),
    (
        "folate_low_checks_b12_first",
        {"name": "Folate", "value": 2.0, "unit": "ng/mL", "flag": "low"},
        "bio_folate", "watch", "check vitamin B12 before replacing folate", "replace folate and",
    ),
    (
        "valproate_110_inside_mania_target",
        {"name": "Valproate", "value": 110, "unit": "µg/mL", "flag": "high", "referenceRange": "50-100"},
        "bio_valproate", "watch", "acute-mania dosing reaches 125", "above the 50–100 µg/mL trough window",
    ),
    (
        "vitamin_d_low_not_reversible_contributor",
        {"name": "Vitamin D", "value": 25, "unit": "ng/mL", "flag": "low", "referenceRange": "30-100"},
        "bio_vitamin_d", "watch", "has not been shown", "reversible contributor",
    ),
    (
        "loinc_code_field",
        {"name": "Na", "code": "2951-2", "value": 121, "unit": "mmol/L", "flag": "low"},
        "bio_sodium", "critical", "profound hyponatraemia", "outside the psychiatric",
    ),
    (
        "loinc_code_as_name",
        {"name": "14334-7", "value": 2.1, "unit": "mEq/L", "flag": "high"},
        "bio_lithium", "critical", "moderate-to-severe toxicity", "outside the psychiatric",
    ),
    (
        "qtc_unflagged_reading",
        {"name": "QTc", "value": 515, "unit": "ms"},
        "bio_qtc", "critical", "torsade de pointes", "outside the psychiatric",
    ),
]

FULL_DMSE = {
    "responseLatencySeconds": 2.6,
    "speechRateWpm": 98,
    "psychomotorFidgetEpisodes": 4,
    "sustainedAttentionPct": 66,
    "sessionDurationSeconds": 540,
    "history": {"response_latency": [3.1, 2.9, 2.7]},
    "sessionRef": "visit_8841",
}
FULL_NARRATIVE = [
    "Speech: increased response latency (avg ~2.6s).",
    "Psychomotor: psychomotor agitation (4 fidget episodes during session).",
]


def signal(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in data["signals"] if s["signalKey"] == key)


def check_biomarker(data: dict[str, Any], key: str, tone: str, wanted: str, unwanted: str) -> None:
    assert data["signalsPresent"] == 1, data
    found = data["signals"][0]
    assert (found["signalKey"], found["tone"]) == (key, tone), found
    text = found["detail"] + " " + found["summaryLine"]
    assert wanted in text and unwanted not in text, text
    assert found["sourceRef"] == LAB_ID


def check_dmse_examples(run: Any) -> None:
    """`run(body) -> data` over whichever path (engine or HTTP) the caller tests."""
    long_session = run({"psychomotorFidgetEpisodes": 6, "sessionDurationSeconds": 7200})
    moving = signal(long_session, "psychomotor")
    assert moving["interpretation"] == "within_normal_limits" and "Marked" not in moving["detail"]
    assert "0.05 per minute" in moving["detail"]

    silent = run({"speechRateWpm": 0, "responseLatencySeconds": 0, "sustainedAttentionPct": 90})
    for key in ("speech_rate", "response_latency"):
        gap = signal(silent, key)
        assert gap["present"] is False and "interpretation" not in gap, gap
        assert gap["detail"].startswith("Not measured — check capture")
    assert "Markedly slowed" not in signal(silent, "speech_rate")["detail"]
    assert silent["signalsPresent"] == 1 and silent["mseNarrative"] == []

    borderline = run({"speechRateWpm": 100, "responseLatencySeconds": 1.8, "sustainedAttentionPct": 60,
                      "psychomotorFidgetEpisodes": 4})
    for found in borderline["signals"]:
        assert found["interpretation"] == "borderline"
        assert "ossibl" in found["mseLine"] and "ossibl" in found["detail"], found
    assert borderline["mseNarrative"] == []

    full = run(FULL_DMSE)
    assert full["mseNarrative"] == FULL_NARRATIVE
    assert [s["interpretation"] for s in full["signals"]] == [
        "clinical_attention", "clinical_attention", "borderline", "borderline"
    ]
