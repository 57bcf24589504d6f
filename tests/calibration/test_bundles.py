"""Import refuses every bad bundle with its exact reason, and writes nothing when it refuses."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.calibration.conftest import MAX_BUNDLE_BYTES
from tests.calibration.helpers import RELAPSE_V1, Vendor, default_params, make_vendor, payload, sign

from attunio.clock import iso_ms
from attunio.engines import ENGINES, describe_params
from attunio.engines.safety_floors import FLOORS, floor_value
from attunio.services.calibration.bundles import BundleRefused
from attunio.services.calibration.lifecycle import Calibration
from attunio.services.licensing.clock_mark import advance_mark
from attunio.store import Store


def footprint(store: Store) -> tuple[Any, ...]:
    """Everything an import could write: its rows, the audit trail, and the connection's change count."""
    return (
        store.query("SELECT * FROM model_versions"),
        store.query("SELECT * FROM model_activations"),
        store.query("SELECT * FROM audit"),
        store.one("SELECT generation FROM model_generation")[0],
        store.conn.total_changes,
    )


@pytest.fixture
def untouched(store: Store) -> Iterator[None]:
    before = footprint(store)
    yield
    assert footprint(store) == before, "a refused import wrote to the store"


def refused(calibration: Calibration, data: bytes) -> BundleRefused:
    with pytest.raises(BundleRefused) as info:
        calibration.import_bundle(data, actor="test")
    return info.value


def test_a_valid_bundle_becomes_a_candidate_with_an_audit_event(calibration: Calibration, vendor: Vendor,
                                                                 store: Store) -> None:
    version = calibration.import_bundle(sign(vendor, payload(params=RELAPSE_V1)), actor="os:clinadmin")
    assert (version.engine, version.version, version.state) == ("relapse_risk", 1, "candidate")
    assert version.params == RELAPSE_V1
    assert version.metrics == {"datasetSize": 18240, "concordance": {"auc": 0.81, "brier": 0.12}}
    assert version.signer == vendor.kid
    event = store.one("SELECT actor, action, object_id FROM audit ORDER BY seq DESC LIMIT 1")
    assert tuple(event) == ("os:clinadmin", "model.import", "relapse_risk@1")
    assert calibration.active_version("relapse_risk") is None


def test_every_flipped_byte_is_refused(calibration: Calibration, vendor: Vendor, untouched: None) -> None:
    data = sign(vendor, payload(params=RELAPSE_V1))
    reasons = set()
    for offset in range(len(data)):
        for mask in (0x01, 0x80):
            flipped = bytearray(data)
            flipped[offset] ^= mask
            try:
                calibration.import_bundle(bytes(flipped), actor="test")
            except BundleRefused as exc:
                reasons.add(exc.reason)
            else:
                pytest.fail(f"byte {offset} flipped with {mask:#x} was accepted")
    assert {"malformed", "bad_signature"} <= reasons


def test_a_bundle_signed_by_an_untrusted_key_is_refused(calibration: Calibration, tmp_path: Any,
                                                        untouched: None) -> None:
    stranger = make_vendor(tmp_path / "stranger")
    exc = refused(calibration, sign(stranger, payload()))
    assert exc.reason == "unknown_key"
    assert "trusted key" in exc.message


def test_a_signature_by_another_key_under_the_trusted_key_id_is_refused(calibration: Calibration, vendor: Vendor,
                                                                        tmp_path: Any, untouched: None) -> None:
    stranger = make_vendor(tmp_path / "stranger")
    envelope = json.loads(sign(stranger, payload()))
    envelope["signatures"][0]["keyid"] = vendor.kid
    exc = refused(calibration, json.dumps(envelope).encode())
    assert exc.reason == "bad_signature"


def test_the_wrong_payload_type_is_refused(calibration: Calibration, vendor: Vendor, untouched: None) -> None:
    data = sign(vendor, payload(), payload_type="application/vnd.attunio.usage-report+json;v=1")
    exc = refused(calibration, data)
    assert exc.reason == "wrong_payload_type"
    assert "application/vnd.attunio.calibration+json;v=1" in exc.message


def test_an_unknown_engine_is_refused(calibration: Calibration, vendor: Vendor, untouched: None) -> None:
    exc = refused(calibration, sign(vendor, payload(engine="suicide_risk", params={})))
    assert exc.reason == "unknown_engine"
    assert "'suicide_risk'" in exc.message


def _just_outside() -> Iterator[Any]:
    for engine, spec in ENGINES.items():
        int_fields = {f for f, kind in spec.params_type.__annotations__.items() if "int" in str(kind)}
        for doc in describe_params(spec.params_type):
            step_down = int(doc.low) - 1 if doc.name in int_fields else math.nextafter(doc.low, -math.inf)
            step_up = int(doc.high) + 1 if doc.name in int_fields else math.nextafter(doc.high, math.inf)
            for side, value in (("below", step_down), ("above", step_up)):
                yield pytest.param(engine, doc.name, value, doc.low, doc.high, id=f"{engine}.{doc.name}-{side}")


@pytest.mark.parametrize(("engine", "name", "value", "low", "high"), list(_just_outside()))
def test_each_parameter_just_outside_its_cap_is_refused_naming_it(
    calibration: Calibration, vendor: Vendor, untouched: None, engine: str, name: str, value: float,
    low: float, high: float,
) -> None:
    params = {**default_params(engine), name: value}
    exc = refused(calibration, sign(vendor, payload(engine=engine, params=params)))
    assert exc.reason == "param_out_of_cap"
    assert f"{name}={value!r} is outside its safety cap [{low:g}, {high:g}]" in exc.message


@pytest.mark.parametrize(("engine", "name", "bound"),
                         [(e, f.param, f.bound) for e, floors in FLOORS.items() for f in floors])
def test_a_lowered_safety_floor_is_refused(calibration: Calibration, vendor: Vendor,
                                                        untouched: None, engine: str, name: str, bound: str) -> None:
    floor = next(f for f in FLOORS[engine] if f.param == name)
    doc = next(d for d in describe_params(ENGINES[engine].params_type) if d.name == name)
    shipped = floor_value(engine, floor)
    # Still inside the cap: only the floor refuses it.
    value = (shipped + doc.low) / 2 if bound == "at_least" else (shipped + doc.high) / 2
    if isinstance(doc.default, int):  # a whole-number parameter takes a whole number
        value = int(value)
    exc = refused(calibration, sign(vendor, payload(engine=engine, params={**default_params(engine), name: value})))
    assert exc.reason == "safety_floor"
    assert name in exc.message and f"{value:g}" in exc.message and f"floor {shipped:g}" in exc.message


def test_raising_an_abnormal_lab_floor_is_accepted(calibration: Calibration, vendor: Vendor) -> None:
    params = {**default_params("biomarker_interpretation"), "sodium_marked_below_mmol_l": 132,
              "lithium_toxic_mmol_l": 1.2}
    version = calibration.import_bundle(sign(vendor, payload(engine="biomarker_interpretation", params=params)),
                                        actor="test")
    assert version.state == "candidate"


def test_the_critical_flag_floor_is_not_a_parameter(calibration: Calibration, vendor: Vendor,
                                                    untouched: None) -> None:
    params = {**default_params("biomarker_interpretation"), "critical_tone": "watch"}
    exc = refused(calibration, sign(vendor, payload(engine="biomarker_interpretation", params=params)))
    assert exc.reason == "unknown_param"
    assert "critical_tone" in exc.message


@pytest.mark.parametrize(
    ("change", "reason", "words"),
    [
        ({"symptoms_level_points": 13}, "param_out_of_cap", "must equal 100"),
        ({"moderate_from": 40, "elevated_from": 40}, "param_out_of_cap", "must be below elevated_from=40"),
        ({"medication_window_days": 30.5}, "bad_param_type", "medication_window_days must be a whole number"),
        ({"sleep_points": True}, "bad_param_type", "sleep_points must be a number, not bool"),
        ({"sleep_points": "18"}, "bad_param_type", "sleep_points must be a number, not str"),
        ({"learning_rate": 0.1}, "unknown_param", "relapse_risk has no parameter learning_rate"),
    ],
)
def test_params_decode_strictly(calibration: Calibration, vendor: Vendor, untouched: None, change: dict[str, Any],
                                reason: str, words: str) -> None:
    exc = refused(calibration, sign(vendor, payload(params={**default_params("relapse_risk"), **change})))
    assert exc.reason == reason
    assert words in exc.message


def test_a_partial_parameter_set_is_refused(calibration: Calibration, vendor: Vendor, untouched: None) -> None:
    params = default_params("relapse_risk")
    del params["high_from"]
    exc = refused(calibration, sign(vendor, payload(params=params)))
    assert exc.reason == "missing_param"
    assert "missing high_from" in exc.message


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_or_equal_version_is_refused(calibration: Calibration, vendor: Vendor, store: Store,
                                              version: int) -> None:
    calibration.import_bundle(sign(vendor, payload(version=2, params=RELAPSE_V1)), actor="test")
    before = footprint(store)
    exc = refused(calibration, sign(vendor, payload(version=version)))
    assert exc.reason == "version_not_newer"
    assert f"version {version} is not higher than version 2" in exc.message
    assert footprint(store) == before


def test_versions_are_per_engine(calibration: Calibration, vendor: Vendor) -> None:
    calibration.import_bundle(sign(vendor, payload(version=5)), actor="test")
    outcome = payload(engine="outcome_score", version=1, params=default_params("outcome_score"))
    assert calibration.import_bundle(sign(vendor, outcome), actor="test").version == 1


def test_an_expired_bundle_is_refused(calibration: Calibration, vendor: Vendor, untouched: None) -> None:
    created = datetime.now(UTC) - timedelta(days=400)
    exc = refused(calibration, sign(vendor, payload(created=created, expires=created + timedelta(days=365))))
    assert exc.reason == "expired"
    assert "expired at" in exc.message


def test_setting_the_clock_back_does_not_revive_an_expired_bundle(calibration: Calibration, vendor: Vendor,
                                                                  store: Store) -> None:
    expires = datetime.now(UTC) + timedelta(days=2)
    with store.write():
        advance_mark(store, datetime.now(UTC) + timedelta(days=10))
    before = footprint(store)
    exc = refused(calibration, sign(vendor, payload(expires=expires)))
    assert exc.reason == "expired"
    assert footprint(store) == before


def test_an_oversized_file_is_refused_before_it_is_read(calibration: Calibration, vendor: Vendor,
                                                        untouched: None) -> None:
    body = payload(notes="x" * 3000)
    data = sign(vendor, body)
    data = data + b" " * (MAX_BUNDLE_BYTES + 1 - len(data))
    exc = refused(calibration, data)
    assert exc.reason == "too_large"
    assert f"{MAX_BUNDLE_BYTES + 1} bytes" in exc.message and str(MAX_BUNDLE_BYTES) in exc.message


def test_a_payload_that_is_not_a_calibration_is_refused(calibration: Calibration, vendor: Vendor,
                                                        untouched: None) -> None:
    exc = refused(calibration, sign(vendor, {"engine": "relapse_risk", "version": 3}))
    assert exc.reason == "bad_payload"


def test_timestamps_are_stored_in_utc(calibration: Calibration, vendor: Vendor) -> None:
    created = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    version = calibration.import_bundle(sign(vendor, payload(created=created)), actor="test")
    assert version.created_at == iso_ms(created)


def test_the_recorded_signer_is_the_key_whose_signature_verifies(calibration: Calibration, vendor: Vendor,
                                                                 tmp_path: Any) -> None:
    second = make_vendor(tmp_path / "second")
    calibration.trusted_keys = {**vendor.trusted, **second.trusted}
    envelope = json.loads(sign(second, payload()))
    forged = {"keyid": vendor.kid, "sig": envelope["signatures"][0]["sig"]}
    envelope["signatures"].insert(0, forged)
    version = calibration.import_bundle(json.dumps(envelope).encode(), actor="test")
    assert version.signer == second.kid
