"""Hypothesis properties of the lab severity tiers and the Digital MSE capture and rate rules:
the critical floor under any in-cap parameters, tiers monotone in the value, name spelling never
changing the answer, determinism and bounds."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from engine_harness import NOW, answer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attunio.engines import ENGINES, check_caps, describe_params
from attunio.engines.biomarker import BiomarkerParams, BiomarkerRequest, analyze
from attunio.engines.biomarker_table import MARKERS
from attunio.engines.common import HIGHEST_TONE, TONE_ORDER
from attunio.engines.dmse import DmseParams, DmseRequest
from attunio.engines.dmse import analyze as dmse_analyze
from attunio.engines.safety_floors import FLOORS, floor_value

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPEC = ENGINES["biomarker_interpretation"]


def in_cap(params_type: Any) -> st.SearchStrategy[Any]:
    """Any parameter set a bundle could carry: inside every cap, band edges in order."""
    fields = {
        d.name: st.integers(int(d.low), int(d.high)) if isinstance(d.default, int) else st.floats(d.low, d.high)
        for d in describe_params(params_type)
    }
    return st.fixed_dictionaries(fields).map(lambda v: params_type(**v)).filter(lambda p: check_caps(p) == [])


def importable(params: BiomarkerParams) -> BiomarkerParams:
    """The same set as the bundle importer would accept it: no floor moved the softening way."""
    values = {d.name: getattr(params, d.name) for d in describe_params(BiomarkerParams)}
    for floor in FLOORS[SPEC.key]:
        shipped = floor_value(SPEC.key, floor)
        value = values[floor.param]
        values[floor.param] = min(value, shipped) if floor.bound == "at_most" else max(value, shipped)
    return BiomarkerParams(**values)


def run(body: dict[str, Any], params: BiomarkerParams | None = None) -> dict[str, Any]:
    reply = msgspec.json.decode(answer(SPEC, json.dumps(body).encode(), params))
    assert reply["ok"], reply
    data: dict[str, Any] = reply["data"]
    return data


def panel(*readings: dict[str, Any]) -> dict[str, Any]:
    return {"labs": [{"id": "l", "labName": "L", "results": {"biomarkers": list(readings)}}]}


RANK = {tone: i for i, tone in enumerate(TONE_ORDER)}
NAMES = sorted({alias for m in MARKERS for alias in m.aliases} | {"Zinc", "Lithium, serum", "Serum Li"})
readings = st.fixed_dictionaries(
    {"name": st.sampled_from(NAMES), "value": st.one_of(st.none(), st.floats(0, 10000, allow_nan=False))},
    optional={
        "flag": st.sampled_from(["high", "low", "critical", "normal"]),
        "unit": st.sampled_from(["mmol/L", "mEq/L", "/µL", "×10⁹/L", "ms", "ng/mL", "mg/dL", "µg/mL", "IU"]),
        "referenceRange": st.sampled_from(["0.6-1.2", "135-145", "1.5-7.8", "junk"]),
        "code": st.sampled_from(["14334-7", "751-8", "2951-2", "8636-3", "0000-0"]),
    },
)


@FAST
@given(st.lists(readings, max_size=6), st.sampled_from(NAMES), in_cap(BiomarkerParams))
def test_a_critical_flag_is_critical_under_any_importable_parameters(
    others: list[dict[str, Any]], name: str, params: BiomarkerParams
) -> None:
    critical = {"name": name, "value": 1.0, "unit": "mmol/L", "flag": "critical"}
    data = run(panel(*others, critical), importable(params))
    flagged = [s for s in data["signals"] if "critical value" in s["summaryLine"]]
    assert len(flagged) == 1 + sum(r.get("flag") == "critical" for r in others)
    assert all(s["tone"] == HIGHEST_TONE for s in flagged)
    assert data["signals"][0]["tone"] == HIGHEST_TONE  # surfaced first


# (name, unit, direction of worsening, lowest and highest value sampled)
GRADED = [
    ("Lithium", "mmol/L", +1, 0.0, 6.0),
    ("Absolute neutrophils", "/µL", -1, 0.0, 3000.0),
    ("ANC", "×10⁹/L", -1, 0.0, 3.0),
    ("Sodium", "mmol/L", -1, 100.0, 145.0),
    ("Potassium", "mmol/L", -1, 1.0, 3.5),
    ("Potassium", "mmol/L", +1, 5.0, 8.0),
    ("Magnesium", "mg/dL", -1, 0.2, 2.0),
    ("Phosphate", "mmol/L", -1, 0.05, 1.0),
    ("QTc", "ms", +1, 380.0, 650.0),
    ("Valproate", "µg/mL", +1, 90.0, 200.0),
]


@FAST
@given(st.sampled_from(GRADED), st.floats(0, 1), st.floats(0, 1), st.booleans(), in_cap(BiomarkerParams))
def test_a_more_extreme_value_never_gets_a_milder_tier(
    case: tuple[str, str, int, float, float], a: float, b: float, flagged: bool, params: BiomarkerParams
) -> None:
    name, unit, worse, low, high = case
    mild, extreme = sorted((low + a * (high - low), low + b * (high - low)), key=lambda v: worse * v)
    flag = ({"flag": "high" if worse > 0 else "low"}) if flagged else {}
    answers = [run(panel({"name": name, "value": v, "unit": unit, **flag}), params) for v in (mild, extreme)]
    tones = [RANK[d["signals"][0]["tone"]] if d["signals"] else -1 for d in answers]
    assert tones[1] >= tones[0], (mild, extreme, answers)


def respell(name: str, draw: st.DrawFn) -> str:
    """The same name in another case, with other separators between its words and around it."""
    seps = st.sampled_from([" ", "  ", ", ", "-", "_", "/", ".", " (", ") ", "\t", ": "])
    words = "".join(c if c.isalnum() or c in "µ+" else " " for c in name).split()
    cased = [draw(st.sampled_from([w.lower(), w.upper(), w.capitalize(), w])) for w in words]
    out = draw(st.sampled_from(["", " ", "(", "*"]))
    for i, word in enumerate(cased):
        out += word + (draw(seps) if i < len(cased) - 1 else "")
    return out + draw(st.sampled_from(["", " ", ")", ":"]))


@FAST
@given(st.data(), st.sampled_from(NAMES), readings)
def test_case_and_punctuation_of_a_name_never_change_the_answer(
    data: st.DataObject, name: str, reading: dict[str, Any]
) -> None:
    spelt = respell(name, data.draw)
    base, other = run(panel({**reading, "name": name})), run(panel({**reading, "name": spelt}))
    if base["signals"] and not base["signals"][0]["signalKey"].startswith("bio_zinc"):
        assert [(s["signalKey"], s["tone"], s["detail"]) for s in other["signals"]] == [
            (s["signalKey"], s["tone"], s["detail"]) for s in base["signals"]
        ], spelt
    assert base["signalsPresent"] == other["signalsPresent"]


@FAST
@given(st.lists(readings, max_size=8), in_cap(BiomarkerParams))
def test_lab_answers_are_deterministic_and_bounded(items: list[dict[str, Any]], params: BiomarkerParams) -> None:
    body = panel(*items)
    raw = json.dumps(body).encode()
    first = answer(SPEC, raw, params)
    assert answer(SPEC, raw, params) == first
    data = run(body, params)
    abnormal = sum(r.get("flag") in ("high", "low", "critical") for r in items)
    assert abnormal <= data["signalsPresent"] <= len(items)
    tones = [RANK[s["tone"]] for s in data["signals"]]
    assert tones == sorted(tones, reverse=True)
    request = msgspec.json.decode(raw, type=BiomarkerRequest)
    assert analyze(request, params, NOW).signalsPresent == data["signalsPresent"]


# Digital MSE ---------------------------------------------------------------------------------
MSE_RANK = {"within_normal_limits": 0, "borderline": 1, "clinical_attention": 2}


def psychomotor(episodes: float, duration: float | None, params: DmseParams) -> int:
    request = DmseRequest(psychomotorFidgetEpisodes=episodes, sessionDurationSeconds=duration)
    found = dmse_analyze(request, params, NOW).signals[1]
    return MSE_RANK[found.interpretation or ""]


@FAST
@given(st.floats(0, 1000), st.floats(0, 1000), st.one_of(st.none(), st.floats(0, 86400)), in_cap(DmseParams))
def test_more_fidgeting_in_the_same_session_never_reads_milder(
    a: float, b: float, duration: float | None, params: DmseParams
) -> None:
    fewer, more = sorted((a, b))
    assert psychomotor(more, duration, params) >= psychomotor(fewer, duration, params)


@FAST
@given(st.floats(0, 1000), st.floats(60, 86400), st.floats(60, 86400), in_cap(DmseParams))
def test_the_same_fidgeting_over_a_longer_session_never_reads_worse(
    episodes: float, a: float, b: float, params: DmseParams
) -> None:
    shorter, longer = sorted((a, b))
    assert psychomotor(episodes, longer, params) <= psychomotor(episodes, shorter, params)


@FAST
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "responseLatencySeconds": st.sampled_from([0.0, 0.4, 2.6, 120.0]),
            "speechRateWpm": st.sampled_from([0.0, 40.0, 150.0, 600.0]),
            "psychomotorFidgetEpisodes": st.floats(0, 1000),
            "sustainedAttentionPct": st.floats(0, 100),
            "sessionDurationSeconds": st.floats(0, 86400),
        },
    ),
    in_cap(DmseParams),
)
def test_zeros_are_never_findings_and_the_narrative_is_the_clinical_lines(
    body: dict[str, Any], params: DmseParams
) -> None:
    request = DmseRequest(**body)
    result = dmse_analyze(request, params, NOW)
    for found in result.signals:
        if found.signalKey in ("response_latency", "speech_rate") and found.metricValue == 0:
            assert not found.present and found.interpretation is None and found.mseLine is None
            assert (found.detail or "").startswith("Not measured — check capture")
    assert result.signalsPresent == sum(s.present for s in result.signals) <= 4
    assert result.mseNarrative == [s.mseLine for s in result.signals if s.interpretation == "clinical_attention"]
    assert msgspec.json.encode(dmse_analyze(request, params, NOW)) == msgspec.json.encode(result)
