"""Invariants over generated inputs: determinism, bounds, monotonicity, range enforcement, the
critical floor under any calibrated parameters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from engine_harness import NOW, answer
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from attunio.engines import ENGINES, check_caps, describe_params
from attunio.engines.biomarker import BiomarkerParams
from attunio.engines.common import HIGHEST_TONE, TONE_ORDER
from attunio.engines.dmse import SIGNALS, DmseRequest
from attunio.engines.dmse import analyze as dmse_analyze
from attunio.engines.outcome import OutcomeParams
from attunio.validation import Issue, RequestInvalid, decode_request

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = datetime(2025, 1, 1, tzinfo=UTC)


def iso(day: int) -> str:
    return (START + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")


def num(low: float, high: float) -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from([low, high]), st.floats(low, high, allow_nan=False))


@st.composite
def assessments(draw: st.DrawFn, min_size: int = 0, max_size: int = 6) -> list[dict[str, Any]]:
    scales = [("phq9", "PHQ-9", 27.0), ("gad7", "GAD-7", 21.0), ("x", "Scale X", 100.0)]
    out = []
    for _ in range(draw(st.integers(min_size, max_size))):
        iid, name, top = draw(st.sampled_from(scales))
        out.append(
            {
                "instrumentId": iid,
                "instrumentName": name,
                "score": draw(num(0, top)),
                "maxScore": top,
                "createdAt": iso(draw(st.integers(0, 540))),
            }
        )
    return out


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def _drop_none(body: dict[str, Any]) -> dict[str, Any]:
    # `value` is documented as required but nullable; every other None means "not sent".
    return {k: v for k, v in body.items() if v is not None or k == "value"}


dmse_bodies = st.fixed_dictionaries(
    {
        "responseLatencySeconds": optional(num(0, 120)),
        "speechRateWpm": optional(num(0, 600)),
        "psychomotorFidgetEpisodes": optional(num(0, 1000)),
        "sustainedAttentionPct": optional(num(0, 100)),
        "sessionDurationSeconds": optional(num(0, 86400)),
        "history": optional(
            st.fixed_dictionaries(
                {},
                optional={
                    "response_latency": st.lists(num(0, 120), max_size=5),
                    "speech_rate": st.lists(num(0, 600), max_size=5),
                },
            )
        ),
    }
).map(_drop_none)
outcome_bodies = st.fixed_dictionaries(
    {
        "assessments": assessments(),
        "dmseLatencyPctChange": optional(num(-100, 1000)),
        "activeMedications": st.integers(0, 100),
        "biomarkerWatchCount": st.integers(0, 100),
        "avgSleepHours": optional(num(0, 24)),
    }
).map(_drop_none)
relapse_bodies = st.fixed_dictionaries(
    {
        "assessments": assessments(),
        "dmseLatencyPctChange": optional(num(-100, 1000)),
        "avgSleepHours": optional(num(0, 24)),
        "daysSinceMedChange": optional(st.integers(0, 3650)),
        "hasActiveMedication": st.booleans(),
        "daysSinceLastVisit": optional(st.integers(0, 3650)),
    }
).map(_drop_none)
medication_bodies = st.fixed_dictionaries(
    {
        "prescriptions": st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.text(min_size=1, max_size=8),
                    "medicationName": st.sampled_from(["Sertraline", "Lithium"]),
                    "status": st.sampled_from(["active", "discontinued"]),
                },
                optional={"prescribedAt": st.integers(0, 540).map(iso), "dosage": st.just("50mg")},
            ),
            min_size=1,
            max_size=3,
        ),
        "assessments": assessments(),
        "dmseLatencyPctChange": optional(num(-100, 1000)),
    }
).map(_drop_none)
FLAGS = st.sampled_from(["high", "low", "critical", "normal", None])
biomarker_bodies = st.fixed_dictionaries(
    {
        "labs": st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.just("lab"),
                    "labName": st.just("Lab"),
                    "results": st.fixed_dictionaries(
                        {
                            "biomarkers": st.lists(
                                st.fixed_dictionaries(
                                    {
                                        "name": st.sampled_from(
                                            ["TSH", "Lithium", "Sodium", "Vitamin D", "Zinc", "CK", "B12"]
                                        ),
                                        "value": st.one_of(
                                            st.none(), num(0, 500), st.sampled_from(["<0.01", "n/a"])
                                        ),
                                    },
                                    optional={
                                        "flag": FLAGS,
                                        "unit": st.sampled_from(["mmol/L", "ng/mL", "nmol/L"]),
                                        "referenceRange": st.sampled_from(
                                            ["0.4-4.0", "<5", "135-145", "junk"]
                                        ),
                                    },
                                ).map(_drop_none),
                                max_size=5,
                            )
                        }
                    ),
                },
                optional={"observedAt": st.integers(0, 540).map(iso)},
            ),
            min_size=1,
            max_size=3,
        )
    }
)
BODIES = {
    "dmse_signals": dmse_bodies,
    "medication_response": medication_bodies,
    "biomarker_interpretation": biomarker_bodies,
    "outcome_score": outcome_bodies,
    "relapse_risk": relapse_bodies,
}


def run(engine: str, body: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    try:
        decode_request(raw, ENGINES[engine])
    except RequestInvalid:
        assume(False)  # empty of evidence: covered by the validation tests
    data: dict[str, Any] = msgspec.json.decode(answer(ENGINES[engine], raw))["data"]
    return data


@FAST
@given(st.sampled_from(sorted(BODIES)).flatmap(lambda e: st.tuples(st.just(e), BODIES[e])))
def test_determinism(case: tuple[str, dict[str, Any]]) -> None:
    engine, body = case
    raw = json.dumps(body).encode()
    first = answer(ENGINES[engine], raw)
    assert answer(ENGINES[engine], raw) == first
    assert answer(ENGINES[engine], json.dumps(json.loads(raw)).encode()) == first


@FAST
@given(outcome_bodies)
def test_outcome_bounds(body: dict[str, Any]) -> None:
    data = run("outcome_score", body)
    params = OutcomeParams()
    assert -100 <= data["score"] <= 100
    limits = {
        "symptoms": params.symptoms_weight,
        "dmse": params.dmse_weight,
        "medication": params.medication_on_treatment,
        "biomarker": params.biomarker_max,
        "sleep": params.sleep_weight,
    }
    assert [c["key"] for c in data["components"]] == list(limits)
    for component in data["components"]:
        assert abs(component["contribution"]) <= limits[component["key"]]
        assert component["available"] or component["contribution"] == 0
    assert data["sourceCount"] == sum(c["available"] for c in data["components"]) >= 1


@FAST
@given(relapse_bodies)
def test_relapse_bounds(body: dict[str, Any]) -> None:
    data = run("relapse_risk", body)
    assert 0 <= data["score"] <= 100
    assert sum(f["maxPoints"] for f in data["factors"]) == 100
    assert [f["key"] for f in data["factors"]] == ["symptoms", "sleep", "dmse", "medication", "cadence"]
    for factor in data["factors"]:
        assert 0 <= factor["points"] <= factor["maxPoints"]
        assert factor["available"] or factor["points"] == 0
    assert abs(sum(f["points"] for f in data["factors"]) - data["score"]) <= 0.5 + 0.05 * len(data["factors"])


@FAST
@given(dmse_bodies)
def test_dmse_shape(body: dict[str, Any]) -> None:
    data = run("dmse_signals", body)
    assert [s["signalKey"] for s in data["signals"]] == [spec.key for spec in SIGNALS]
    assert data["signalsPresent"] == sum(s["present"] for s in data["signals"])
    # The narrative lists the clinical-attention findings only, in signal order.
    assert data["mseNarrative"] == [
        s["mseLine"] for s in data["signals"] if s.get("interpretation") == "clinical_attention"
    ]
    for signal in data["signals"]:
        if signal.get("baseline") and signal["baseline"]["sd"] is not None:
            assert signal["baseline"]["sd"] >= 0


@FAST
@given(
    st.sampled_from(["medication_response", "biomarker_interpretation"]).flatmap(
        lambda e: st.tuples(st.just(e), BODIES[e])
    )
)
def test_signal_engines_shape(case: tuple[str, dict[str, Any]]) -> None:
    engine, body = case
    data = run(engine, body)
    assert data["signalsPresent"] == len(data["signals"])
    for signal in data["signals"]:
        assert signal["tone"] in TONE_ORDER
        assert signal["confidence"] in ("low", "moderate", "high")


def _with_latest(body: dict[str, Any], score: float) -> dict[str, Any]:
    items = sorted(body["assessments"], key=lambda a: a["createdAt"])
    latest_id = items[-1]["instrumentId"]
    same = [a for a in items if a["instrumentId"] == latest_id]
    latest = {**same[-1], "score": min(score, same[-1]["maxScore"]), "createdAt": iso(541)}
    return {**body, "assessments": [*body["assessments"], latest]}


@FAST
@given(relapse_bodies.filter(lambda b: b["assessments"]), st.floats(0, 1), st.floats(0, 1))
def test_worse_symptoms_never_lower_relapse_risk(body: dict[str, Any], a: float, b: float) -> None:
    top = sorted(body["assessments"], key=lambda x: x["createdAt"])[-1]["maxScore"]
    low, high = sorted((a * top, b * top))
    better, worse = (
        run("relapse_risk", _with_latest(body, low)),
        run("relapse_risk", _with_latest(body, high)),
    )
    assert worse["score"] >= better["score"]


@FAST
@given(outcome_bodies.filter(lambda b: b["assessments"]), st.floats(0, 1), st.floats(0, 1))
def test_worse_symptoms_never_raise_the_outcome_score(body: dict[str, Any], a: float, b: float) -> None:
    top = sorted(body["assessments"], key=lambda x: x["createdAt"])[-1]["maxScore"]
    low, high = sorted((a * top, b * top))
    better, worse = (
        run("outcome_score", _with_latest(body, low)),
        run("outcome_score", _with_latest(body, high)),
    )
    assert worse["score"] <= better["score"]


RANK = {"within_normal_limits": 0, "borderline": 1, "clinical_attention": 2}


@FAST
@given(num(0, 120), num(0, 120))
def test_longer_latency_never_reads_milder(a: float, b: float) -> None:
    assume(a > 0 and b > 0)  # 0 s is no measurement at all (tests/engines/test_dmse_capture.py)
    shorter, longer = sorted((a, b))
    params = ENGINES["dmse_signals"].default_params
    read = [
        dmse_analyze(DmseRequest(responseLatencySeconds=v), params, NOW).signals[0]  # type: ignore[arg-type]
        for v in (shorter, longer)
    ]
    assert RANK[read[1].interpretation or ""] >= RANK[read[0].interpretation or ""]


@st.composite
def biomarker_params(draw: st.DrawFn) -> BiomarkerParams:
    values = {d.name: draw(st.floats(d.low, d.high)) for d in describe_params(BiomarkerParams)}
    return BiomarkerParams(**values)


@FAST
@given(biomarker_bodies, biomarker_params())
def test_critical_lab_always_yields_the_highest_tone(body: dict[str, Any], params: BiomarkerParams) -> None:
    body["labs"][0]["results"]["biomarkers"].append({"name": "Anything", "value": None, "flag": "critical"})
    spec = ENGINES["biomarker_interpretation"]
    data = msgspec.json.decode(answer(spec, json.dumps(body).encode(), params))["data"]
    flagged = [m for lab in body["labs"] for m in lab["results"]["biomarkers"] if m.get("flag") == "critical"]
    critical = [s for s in data["signals"] if s["tone"] == HIGHEST_TONE]
    # Every critical flag is critical; a severity tier (lithium ≥ 2.5 ...) may add more.
    assert len(critical) >= len(flagged)
    assert all(s["tone"] == HIGHEST_TONE for s in data["signals"] if "critical value" in s["summaryLine"])
    assert data["signals"][: len(critical)] == critical  # most urgent first


@FAST
@given(biomarker_bodies)
def test_every_abnormal_lab_yields_a_signal(body: dict[str, Any]) -> None:
    data = run("biomarker_interpretation", body)
    abnormal = [
        m
        for lab in body["labs"]
        for m in lab["results"]["biomarkers"]
        if m.get("flag") in ("high", "low", "critical")
    ]
    # Unflagged readings past an urgent tier add signals (tests/engines/test_biomarker_properties.py).
    assert data["signalsPresent"] >= len(abnormal)
    assert sum("critical value" in s["summaryLine"] for s in data["signals"]) == sum(
        m.get("flag") == "critical" for lab in body["labs"] for m in lab["results"]["biomarkers"]
    )


# Range enforcement: every documented numeric field, any value inside accepted, any outside refused
# with the bound named.
RANGES = [
    ("dmse_signals", "responseLatencySeconds", 0, 120, {}),
    ("dmse_signals", "speechRateWpm", 0, 600, {}),
    ("dmse_signals", "psychomotorFidgetEpisodes", 0, 1000, {}),
    ("dmse_signals", "sustainedAttentionPct", 0, 100, {}),
    ("outcome_score", "avgSleepHours", 0, 24, {}),
    ("outcome_score", "dmseLatencyPctChange", -100, 1000, {}),
    ("relapse_risk", "avgSleepHours", 0, 24, {}),
    ("relapse_risk", "dmseLatencyPctChange", -100, 1000, {}),
    (
        "medication_response",
        "dmseLatencyPctChange",
        -100,
        1000,
        {"prescriptions": [{"id": "a", "medicationName": "X", "status": "active"}]},
    ),
]


def _range_case(case: tuple[str, str, float, float, dict[str, Any]]) -> st.SearchStrategy[Any]:
    _, _, low, high = case[:4]
    edges = st.sampled_from([low, high, low - 0.0001, high + 0.0001])
    return st.tuples(st.just(case), st.one_of(edges, st.floats(-2000, 2000, allow_nan=False)))


@FAST
@given(st.sampled_from(RANGES).flatmap(_range_case))
def test_documented_ranges_are_enforced(
    drawn: tuple[tuple[str, str, float, float, dict[str, Any]], float],
) -> None:
    (engine, field, low, high, base), value = drawn
    raw = json.dumps({**base, field: value}).encode()
    if low <= value <= high:
        decode_request(raw, ENGINES[engine])
        return
    try:
        decode_request(raw, ENGINES[engine])
    except RequestInvalid as exc:
        bound = f"≥ {low}" if value < low else f"≤ {high}"
        assert exc.issues == [Issue(field, f"Number must be {bound}")]
    else:
        raise AssertionError(f"{field}={value!r} accepted")


@FAST
@given(
    st.sampled_from(
        [
            ("outcome_score", "activeMedications", 0, 100),
            ("outcome_score", "biomarkerWatchCount", 0, 100),
            ("relapse_risk", "daysSinceMedChange", 0, 3650),
            ("relapse_risk", "daysSinceLastVisit", 0, 3650),
        ]
    ),
    st.integers(-5000, 5000),
)
def test_documented_integer_ranges_are_enforced(case: tuple[str, str, int, int], value: int) -> None:
    engine, field, low, high = case
    raw = json.dumps({field: value, "avgSleepHours": 7}).encode()
    if low <= value <= high:
        decode_request(raw, ENGINES[engine])
    else:
        try:
            decode_request(raw, ENGINES[engine])
        except RequestInvalid as exc:
            assert exc.issues == [
                Issue(field, f"Number must be {'≥ ' + str(low) if value < low else '≤ ' + str(high)}")
            ]
        else:
            raise AssertionError(f"{field}={value} accepted")


def _in_cap_params(params_type: Any) -> st.SearchStrategy[Any]:
    def build(values: dict[str, float]) -> Any:
        return params_type(**values)

    fields = {
        d.name: (
            st.integers(int(d.low), int(d.high)) if isinstance(d.default, int) else st.floats(d.low, d.high)
        )
        for d in describe_params(params_type)
    }
    return st.fixed_dictionaries(fields).map(build).filter(lambda p: check_caps(p) == [])


@FAST
@given(
    st.sampled_from(["dmse_signals", "medication_response", "outcome_score"]).flatmap(
        lambda e: st.tuples(st.just(e), BODIES[e], _in_cap_params(ENGINES[e].params_type))
    )
)
def test_any_in_cap_calibration_keeps_answers_valid(case: tuple[str, dict[str, Any], Any]) -> None:
    engine, body, params = case
    raw = json.dumps(body).encode()
    try:
        decode_request(raw, ENGINES[engine])
    except RequestInvalid:
        assume(False)
    data = msgspec.json.decode(answer(ENGINES[engine], raw, params))["data"]
    if engine == "outcome_score":
        assert -100 <= data["score"] <= 100
    elif engine == "dmse_signals":
        assert len(data["signals"]) == 4
    else:
        assert all(s["tone"] in TONE_ORDER for s in data["signals"])
