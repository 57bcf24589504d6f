"""Parameters: shipped defaults inside their safety caps, and `check_caps` catching every breach."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from attunio.engines import ENGINES, ModelRef, check_caps, describe_params
from attunio.engines.biomarker import BiomarkerParams
from attunio.engines.dmse import DmseParams
from attunio.engines.params import params_from_dict
from attunio.engines.relapse import RelapseParams
from attunio.validation import decoder_for

SPECS = sorted(ENGINES.values(), key=lambda s: s.key)
IDS = [s.key for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_shipped_defaults_pass_their_caps(spec) -> None:  # type: ignore[no-untyped-def]
    assert check_caps(spec.default_params) == []
    for doc in describe_params(spec.params_type):
        assert doc.low <= doc.default <= doc.high, doc.name
        assert doc.rationale and doc.source, f"{doc.name} lacks rationale or source"


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_parameter_leaving_its_cap_is_reported(spec) -> None:  # type: ignore[no-untyped-def]
    for doc in describe_params(spec.params_type):
        for value in (doc.high + 1, doc.low - 1):
            moved = msgspec.structs.replace(spec.default_params, **{doc.name: value})
            assert any(v.param == doc.name and "safety cap" in v.message for v in check_caps(moved))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_calibrated_values_outside_caps_do_not_decode(spec) -> None:  # type: ignore[no-untyped-def]
    for doc in describe_params(spec.params_type):
        with pytest.raises(msgspec.ValidationError):
            params_from_dict(spec.params_type, {doc.name: doc.high + 1})
        assert params_from_dict(spec.params_type, {doc.name: doc.default}) == spec.default_params


def test_unknown_parameter_names_do_not_decode() -> None:
    with pytest.raises(msgspec.ValidationError):
        params_from_dict(BiomarkerParams, {"critical_tone": "watch"})


def test_crossed_band_edges_are_reported() -> None:
    crossed = DmseParams(latency_borderline_s=3.0, latency_clinical_s=2.0)
    assert [v.param for v in check_caps(crossed)] == ["latency_borderline_s"]


def test_relapse_maxima_must_sum_to_100() -> None:
    assert any("must equal 100" in v.message for v in check_caps(RelapseParams(sleep_points=20)))
    assert check_caps(RelapseParams(sleep_points=20, dmse_points=18)) == []


def test_no_parameter_can_reach_the_critical_floor() -> None:
    # The floor is code: nothing in the biomarker parameters names a tone or the critical flag.
    names = {doc.name for doc in describe_params(BiomarkerParams)}
    assert not any("tone" in n or "critical" in n or "floor" in n for n in names)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_model_block_is_echoed(spec) -> None:  # type: ignore[no-untyped-def]
    bodies = {
        "dmse_signals": b'{"responseLatencySeconds": 1}',
        "medication_response": b'{"prescriptions": [{"id": "a", "medicationName": "X", "status": "active"}]}',
        "biomarker_interpretation": b'{"labs": [{"id": "l", "labName": "L", "results": {"biomarkers": []}}]}',
        "outcome_score": b'{"avgSleepHours": 7}',
        "relapse_risk": b'{"avgSleepHours": 7}',
    }
    request = decoder_for(spec.request_type).decode(bodies[spec.key])
    model = ModelRef(key=spec.key, version=4, source="calibrated")
    result = spec.analyze(request, spec.default_params, datetime(2026, 1, 1, tzinfo=UTC), model)
    encoded = msgspec.json.decode(msgspec.json.encode(result))
    assert list(encoded)[:2] == ["object", "model"]
    assert encoded["model"] == {"key": spec.key, "version": 4, "source": "calibrated"}
    assert "sessionRef" not in encoded
    assert encoded["generatedAt"] == "2026-01-01T00:00:00.000Z"
