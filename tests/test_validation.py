"""Strict decoding, and the slow path that names every failing field."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attunio.engines import ENGINES
from attunio.validation import Issue, RequestInvalid, decode_request, decoder_for

A = {
    "instrumentId": "phq9",
    "instrumentName": "PHQ-9",
    "score": 12,
    "maxScore": 27,
    "createdAt": "2026-01-01T00:00:00Z",
}
A2 = {**A, "score": 9, "createdAt": "2026-02-01T00:00:00Z"}
RX = {"id": "rx", "medicationName": "Sertraline", "status": "active", "prescribedAt": "2026-01-15T00:00:00Z"}
MARKER = {"name": "TSH", "value": 6.8, "unit": "mIU/L", "flag": "high", "referenceRange": "0.4-4.0"}
LAB = {"id": "lab", "labName": "Quest", "results": {"biomarkers": [MARKER]}}

BASE: dict[str, dict[str, Any]] = {
    "dmse_signals": {"responseLatencySeconds": 1},
    "medication_response": {"prescriptions": [RX], "assessments": [A, A2]},
    "biomarker_interpretation": {"labs": [LAB]},
    "outcome_score": {"assessments": [A, A2], "avgSleepHours": 7},
    "relapse_risk": {"assessments": [A]},
}


def _with(engine: str, path: str, value: Any) -> bytes:
    body = copy.deepcopy(BASE[engine])
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return json.dumps(body).encode()


def _issues(engine: str, body: bytes) -> list[Issue]:
    with pytest.raises(RequestInvalid) as caught:
        decode_request(body, ENGINES[engine])
    return caught.value.issues


# Every documented numeric range (inclusive), as the reference states it.
NUMBER_EDGES = [
    ("dmse_signals", "responseLatencySeconds", 0, 120, False),
    ("dmse_signals", "speechRateWpm", 0, 600, False),
    ("dmse_signals", "psychomotorFidgetEpisodes", 0, 1000, False),
    ("dmse_signals", "sustainedAttentionPct", 0, 100, False),
    ("medication_response", "dmseLatencyPctChange", -100, 1000, False),
    ("outcome_score", "activeMedications", 0, 100, True),
    ("outcome_score", "biomarkerWatchCount", 0, 100, True),
    ("outcome_score", "avgSleepHours", 0, 24, False),
    ("outcome_score", "dmseLatencyPctChange", -100, 1000, False),
    ("relapse_risk", "daysSinceMedChange", 0, 3650, True),
    ("relapse_risk", "daysSinceLastVisit", 0, 3650, True),
    ("relapse_risk", "avgSleepHours", 0, 24, False),
    ("relapse_risk", "dmseLatencyPctChange", -100, 1000, False),
]


@pytest.mark.parametrize(("engine", "path", "low", "high", "integer"), NUMBER_EDGES)
def test_number_edges_accepted(engine: str, path: str, low: float, high: float, integer: bool) -> None:
    for value in (low, high):
        decode_request(_with(engine, path, value), ENGINES[engine])


@pytest.mark.parametrize(("engine", "path", "low", "high", "integer"), NUMBER_EDGES)
def test_number_just_outside_rejected(engine: str, path: str, low: float, high: float, integer: bool) -> None:
    step = 1 if integer else 0.0001
    assert _issues(engine, _with(engine, path, low - step)) == [Issue(path, f"Number must be ≥ {low}")]
    assert _issues(engine, _with(engine, path, high + step)) == [Issue(path, f"Number must be ≤ {high}")]


def test_assessment_max_score_edges() -> None:
    for low_ok in ({**A, "score": 0, "maxScore": 1}, {**A, "maxScore": 1000}):
        decode_request(_with("relapse_risk", "assessments.0", low_ok), ENGINES["relapse_risk"])
    body = _with("relapse_risk", "assessments.0", {**A, "score": 0, "maxScore": 0.9999})
    assert _issues("relapse_risk", body) == [Issue("assessments.0.maxScore", "Number must be ≥ 1")]
    body = _with("relapse_risk", "assessments.0", {**A, "maxScore": 1000.0001})
    assert _issues("relapse_risk", body) == [Issue("assessments.0.maxScore", "Number must be ≤ 1000")]


def test_assessment_score_edges() -> None:
    body = _with("relapse_risk", "assessments.0", {**A, "score": 1000, "maxScore": 1000})
    decode_request(body, ENGINES["relapse_risk"])
    body = _with("relapse_risk", "assessments.0", {**A, "score": 1000.0001, "maxScore": 1000})
    assert _issues("relapse_risk", body) == [Issue("assessments.0.score", "Number must be ≤ 1000")]
    body = _with("relapse_risk", "assessments.0", {**A, "score": -0.0001})
    assert _issues("relapse_risk", body) == [Issue("assessments.0.score", "Number must be ≥ 0")]


STRING_EDGES = [
    ("relapse_risk", "assessments.0.instrumentId", 1, 64),
    ("relapse_risk", "assessments.0.instrumentName", 1, 120),
    ("medication_response", "prescriptions.0.medicationName", 1, 160),
    ("biomarker_interpretation", "labs.0.labName", 1, 160),
    ("biomarker_interpretation", "labs.0.results.biomarkers.0.name", 1, 120),
    ("biomarker_interpretation", "labs.0.results.biomarkers.0.note", 0, 240),
    ("biomarker_interpretation", "labs.0.results.biomarkers.0.code", 1, 64),
]


@pytest.mark.parametrize(("engine", "path", "low", "high"), STRING_EDGES)
def test_string_length_edges(engine: str, path: str, low: int, high: int) -> None:
    for size in (max(low, 1), high):
        decode_request(_with(engine, path, "x" * size), ENGINES[engine])
    too_long = _issues(engine, _with(engine, path, "x" * (high + 1)))
    assert too_long == [Issue(path, f"String must contain at most {high} character(s)")]
    if low:
        assert _issues(engine, _with(engine, path, "")) == [
            Issue(path, f"String must contain at least {low} character(s)")
        ]


ARRAY_EDGES = [
    ("outcome_score", "assessments", A, 500),
    ("relapse_risk", "assessments", A, 500),
    ("medication_response", "assessments", A, 500),
    ("medication_response", "prescriptions", RX, 100),
    ("biomarker_interpretation", "labs", LAB, 100),
    ("biomarker_interpretation", "labs.0.results.biomarkers", MARKER, 200),
]


@pytest.mark.parametrize(("engine", "path", "item", "high"), ARRAY_EDGES)
def test_array_length_edges(engine: str, path: str, item: dict[str, Any], high: int) -> None:
    decode_request(_with(engine, path, [item] * high), ENGINES[engine])
    assert _issues(engine, _with(engine, path, [item] * (high + 1))) == [
        Issue(path, f"Array must contain at most {high} element(s)")
    ]


def test_labs_need_at_least_one_panel() -> None:
    assert _issues("biomarker_interpretation", b'{"labs": []}') == [
        Issue("labs", "Array must contain at least 1 element(s)")
    ]
    assert _issues("biomarker_interpretation", b"{}") == [Issue("labs", "Required")]


def test_documented_error_example() -> None:
    with pytest.raises(RequestInvalid) as caught:
        decode_request(b'{"responseLatencySeconds": 121}', ENGINES["dmse_signals"])
    assert caught.value.message == "Telemetry validation failed."
    assert caught.value.issues == [Issue("responseLatencySeconds", "Number must be ≤ 120")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"3"', "Expected number, received string"),
        ("true", "Expected number, received boolean"),
        ("[]", "Expected number, received array"),
        ("{}", "Expected number, received object"),
    ],
)
def test_no_type_coercion(value: str, message: str) -> None:
    body = f'{{"responseLatencySeconds": {value}}}'.encode()
    assert _issues("dmse_signals", body) == [Issue("responseLatencySeconds", message)]


def test_integer_fields_refuse_fractions_and_strings() -> None:
    assert _issues("outcome_score", _with("outcome_score", "activeMedications", 1.0)) == [
        Issue("activeMedications", "Expected integer, received float")
    ]
    assert _issues("outcome_score", _with("outcome_score", "activeMedications", "1")) == [
        Issue("activeMedications", "Expected integer, received string")
    ]


def test_unknown_keys_are_rejected_at_every_level() -> None:
    body = _with("medication_response", "prescriptions.0.colour", "red")
    assert _issues("medication_response", body) == [
        Issue("prescriptions.0.colour", "Unrecognized key: 'colour'")
    ]
    assert _issues("dmse_signals", b'{"responseLatencySeconds": 1, "foo": 1}') == [
        Issue("foo", "Unrecognized key: 'foo'")
    ]


def test_every_failing_field_is_listed() -> None:
    body = json.dumps(
        {
            "assessments": [A, {**A, "score": 30}, {"instrumentId": "", "score": "9", "maxScore": 27}],
            "daysSinceLastVisit": 4000,
            "hasActiveMedication": "yes",
            "extra": True,
        }
    ).encode()
    assert _issues("relapse_risk", body) == [
        Issue("assessments.1.score", "score must be ≤ maxScore"),
        Issue("assessments.2.instrumentId", "String must contain at least 1 character(s)"),
        Issue("assessments.2.instrumentName", "Required"),
        Issue("assessments.2.score", "Expected number, received string"),
        Issue("assessments.2.createdAt", "Required"),
        Issue("hasActiveMedication", "Expected boolean, received string"),
        Issue("daysSinceLastVisit", "Number must be ≤ 3650"),
        Issue("extra", "Unrecognized key: 'extra'"),
    ]


def test_score_above_max_on_the_fast_path() -> None:
    body = _with("outcome_score", "assessments.1", {**A2, "score": 27.5})
    assert _issues("outcome_score", body) == [Issue("assessments.1.score", "score must be ≤ maxScore")]
    decode_request(_with("outcome_score", "assessments.1", {**A2, "score": 27}), ENGINES["outcome_score"])


def test_enum_and_datetime_messages() -> None:
    body = _with("biomarker_interpretation", "labs.0.results.biomarkers.0.flag", "H")
    assert _issues("biomarker_interpretation", body) == [
        Issue(
            "labs.0.results.biomarkers.0.flag",
            "Invalid enum value. Expected 'critical' | 'high' | 'low' | 'normal', received 'H'",
        )
    ]
    body = _with("biomarker_interpretation", "labs.0.observedAt", "June 1st")
    assert _issues("biomarker_interpretation", body) == [Issue("labs.0.observedAt", "Invalid datetime")]


@pytest.mark.parametrize("raw", [b'{"responseLatencySeconds": 2.6,', b"", b"nope", b"{'a': 1}"])
def test_body_that_is_not_json(raw: bytes) -> None:
    with pytest.raises(RequestInvalid) as caught:
        decode_request(raw, ENGINES["dmse_signals"])
    assert caught.value.message.startswith("Request body is not valid JSON: ")
    assert caught.value.issues == []


def test_json_that_is_not_an_object() -> None:
    assert _issues("dmse_signals", b"[1, 2]") == [Issue("", "Expected object, received array")]


@pytest.mark.parametrize(
    ("engine", "body", "needle"),
    [
        ("dmse_signals", b"{}", "at least one metric"),
        ("dmse_signals", b'{"sessionRef": "x", "history": {"speech_rate": [150]}}', "at least one metric"),
        ("medication_response", b'{"assessments": []}', "at least one prescription"),
        ("outcome_score", b"{}", "at least one source"),
        ("outcome_score", b'{"activeMedications": 0, "biomarkerWatchCount": 0}', "at least one source"),
        ("relapse_risk", b'{"assessments": [], "hasActiveMedication": false}', "at least one source"),
    ],
)
def test_empty_evidence_names_what_is_needed(engine: str, body: bytes, needle: str) -> None:
    with pytest.raises(RequestInvalid) as caught:
        decode_request(body, ENGINES[engine])
    assert needle in caught.value.message
    assert caught.value.issues == [Issue("", caught.value.message)]


def test_one_decoder_per_type() -> None:
    for spec in ENGINES.values():
        assert decoder_for(spec.request_type) is decoder_for(spec.request_type)


def test_validation_module_does_not_import_the_web_framework() -> None:
    source = (Path(__file__).parents[1] / "src" / "attunio" / "validation.py").read_text()
    assert "litestar" not in source.lower()


# The slow path must refuse exactly what the fast path refuses: random JSON values in random
# places of a valid body, compared against msgspec's own verdict.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5000, 5000) | st.floats(-5000, 5000) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=5,
)
FIELDS = {
    "dmse_signals": [
        "responseLatencySeconds",
        "speechRateWpm",
        "sessionRef",
        "history",
        "sessionDurationSeconds",
    ],
    "medication_response": [
        "prescriptions",
        "assessments",
        "dmseLatencyPctChange",
        "prescriptions.0.prescribedAt",
    ],
    "biomarker_interpretation": ["labs", "labs.0.results", "labs.0.results.biomarkers.0.value"],
    "outcome_score": ["assessments.0.score", "activeMedications", "avgSleepHours", "assessments.1.maxScore"],
    "relapse_risk": ["hasActiveMedication", "daysSinceLastVisit", "assessments.0", "assessments.0.createdAt"],
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_slow_path_agrees_with_msgspec(data: st.DataObject) -> None:
    engine = data.draw(st.sampled_from(sorted(FIELDS)))
    path = data.draw(st.sampled_from(FIELDS[engine]))
    body = _with(engine, path, data.draw(JSON_VALUES))
    spec = ENGINES[engine]
    try:
        decoder_for(spec.request_type).decode(body)
        fast_ok = True
    except msgspec.ValidationError:
        fast_ok = False
    try:
        decode_request(body, spec)
    except RequestInvalid as exc:
        if fast_ok:  # accepted structurally: only a cross-field rule or missing evidence may refuse
            assert all(i.message == "score must be ≤ maxScore" or i.path == "" for i in exc.issues)
        else:
            assert exc.issues, "a refused body must name at least one field"
            assert exc.message == spec.invalid_message
    else:
        assert fast_ok


def test_numbers_python_cannot_hold_are_still_reported() -> None:
    assert _issues("dmse_signals", b'{"responseLatencySeconds": 1e400}') == [
        Issue("responseLatencySeconds", "Number out of range")
    ]


def test_null_for_an_optional_field_means_not_sent() -> None:
    request = decode_request(b'{"responseLatencySeconds": 1, "sessionRef": null}', ENGINES["dmse_signals"])
    assert request.sessionRef is None


@pytest.mark.parametrize(("engine", "field"), [("medication_response", "prescribedAt"), ("relapse_risk", "createdAt")])
def test_a_deeply_nested_date_is_a_clear_400(engine: str, field: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    item = {"id": "a", "medicationName": "b", "status": "active"} if field == "prescribedAt" else {
        "instrumentId": "a", "instrumentName": "b", "score": 1, "maxScore": 2}
    top = "prescriptions" if field == "prescribedAt" else "assessments"
    body = json.dumps({top: [{**item, field: "DEEP"}]}).replace('"DEEP"', deep)
    with pytest.raises(RequestInvalid) as refused:
        decode_request(body.encode(), ENGINES[engine])
    assert refused.value.message == "Request body nests too deeply to be a request."
