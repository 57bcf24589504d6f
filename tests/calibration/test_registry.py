"""Review and promotion: reviewer only, exactly one active version, every worker switches at once,
every action audited with who, what, when and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient
from tests.calibration.helpers import RELAPSE_V1, RELAPSE_V2, Vendor, payload, sign
from tests.conftest import Keys

from attunio.clock import SystemClock
from attunio.config import Settings
from attunio.crypto import tokens
from attunio.engines import ENGINES
from attunio.services.calibration.lifecycle import Calibration
from attunio.services.calibration.models import ModelRegistry
from attunio.services.operations import audit
from attunio.services.operations.admins import AdminService
from attunio.store import Store

REASON = "Concordance improved on the Q2 evaluation set; reviewed the level changes."


@pytest.fixture
def two_versions(calibration: Calibration, vendor: Vendor) -> Calibration:
    calibration.import_bundle(sign(vendor, payload(version=1, params=RELAPSE_V1)), actor="test")
    calibration.import_bundle(sign(vendor, payload(version=2, params=RELAPSE_V2)), actor="test")
    return calibration


def active_rows(store: Store, engine: str = "relapse_risk") -> list[Any]:
    return store.query("SELECT version FROM model_versions WHERE engine = ? AND state = 'active'", (engine,))


def test_defaults_until_a_promotion(store: Store) -> None:
    registry = ModelRegistry(store)
    for key, spec in ENGINES.items():
        model, params = registry.active(key)
        assert (model.key, model.version, model.source) == (key, None, "default")
        assert params == spec.default_params


def test_promote_switches_another_workers_registry_on_its_next_request(
    two_versions: Calibration, reviewer_token: str, settings: Settings
) -> None:
    # A second Store is a second connection, as another worker process has.
    other = Store.open(settings)
    try:
        worker = ModelRegistry(other)
        assert worker.active("relapse_risk")[0].version is None
        two_versions.promote("relapse_risk", 1, token=reviewer_token, reason=REASON)
        model, params = worker.active("relapse_risk")
        assert (model.version, model.source) == (1, "calibrated")
        assert msgspec.to_builtins(params) == RELAPSE_V1
        assert worker.active("outcome_score")[0].source == "default"
    finally:
        other.close()


def test_the_per_request_read_reuses_the_decoded_pair_until_the_generation_moves(
    two_versions: Calibration, reviewer_token: str, store: Store
) -> None:
    registry = ModelRegistry(store)
    two_versions.promote("relapse_risk", 1, token=reviewer_token, reason=REASON)
    first = registry.active("relapse_risk")
    assert registry.active("relapse_risk") is first
    two_versions.promote("relapse_risk", 2, token=reviewer_token, reason=REASON)
    second = registry.active("relapse_risk")
    assert second is not first and second[0].version == 2


def test_exactly_one_version_is_active(two_versions: Calibration, reviewer_token: str, store: Store) -> None:
    two_versions.promote("relapse_risk", 1, token=reviewer_token, reason=REASON)
    two_versions.promote("relapse_risk", 2, token=reviewer_token, reason=REASON)
    assert [tuple(r) for r in active_rows(store)] == [(2,)]
    states = {v.version: v.state for v in two_versions.versions("relapse_risk")}
    assert states == {1: "retired", 2: "active"}
    with pytest.raises(Exception, match="UNIQUE"), store.write():
        store.conn.execute("UPDATE model_versions SET state = 'active' WHERE version = 1")


def test_rollback_reactivates_the_previous_version_and_reset_returns_to_defaults(
    two_versions: Calibration, reviewer_token: str, store: Store
) -> None:
    registry = ModelRegistry(store)
    two_versions.promote("relapse_risk", 1, token=reviewer_token, reason=REASON)
    two_versions.promote("relapse_risk", 2, token=reviewer_token, reason=REASON)
    assert two_versions.rollback("relapse_risk", None, token=reviewer_token, reason="v2 misfires").version == 1
    assert registry.active("relapse_risk")[0].version == 1
    assert two_versions.rollback("relapse_risk", 2, token=reviewer_token, reason="back to v2").version == 2
    two_versions.reset("relapse_risk", token=reviewer_token, reason="pause calibration")
    model, params = registry.active("relapse_risk")
    assert (model.version, model.source) == (None, "default")
    assert params == ENGINES["relapse_risk"].default_params
    assert active_rows(store) == []
    assert [(h.action, h.version) for h in two_versions.history("relapse_risk")] == [
        ("promote", 1), ("promote", 2), ("rollback", 1), ("rollback", 2), ("reset", None)]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda c, t: c.rollback("relapse_risk", 2, token=t, reason=REASON), "was never active; promote it"),
        (lambda c, t: c.rollback("relapse_risk", None, token=t, reason=REASON), "no earlier calibrated version"),
        (lambda c, t: c.reset("relapse_risk", token=t, reason=REASON), "already runs its shipped defaults"),
        (lambda c, t: c.promote("relapse_risk", 9, token=t, reason=REASON), "no relapse_risk version 9"),
        (lambda c, t: c.promote("relapse_risk", 1, token=t, reason="  "), "give a reason"),
    ],
)
def test_impossible_activations_are_refused(two_versions: Calibration, reviewer_token: str, action: Any,
                                            message: str) -> None:
    with pytest.raises((ValueError, LookupError), match=message):
        action(two_versions, reviewer_token)


def test_promotion_needs_a_reviewer_not_an_admin(two_versions: Calibration, admin_token: str, store: Store) -> None:
    before = store.query("SELECT * FROM audit")
    with pytest.raises(PermissionError, match="needs a reviewer identity"):
        two_versions.promote("relapse_risk", 1, token=admin_token, reason=REASON)
    with pytest.raises(PermissionError, match="unknown or revoked"):
        two_versions.promote("relapse_risk", 1, token=tokens.mint_admin_token(), reason=REASON)
    assert store.query("SELECT * FROM audit") == before
    assert active_rows(store) == []


def test_a_revoked_reviewer_cannot_promote(two_versions: Calibration, store: Store) -> None:
    admins = AdminService(store, SystemClock())
    who, token = admins.create("Dr Lee", "reviewer", actor="test", licence_number="NMC-1")
    admins.revoke(who.id, actor="test")
    with pytest.raises(PermissionError):
        two_versions.promote("relapse_risk", 1, token=token, reason=REASON)


def test_a_version_that_expired_after_import_cannot_be_promoted(calibration: Calibration, vendor: Vendor,
                                                               reviewer_token: str, store: Store) -> None:
    expires = datetime.now(UTC) + timedelta(days=1)
    calibration.import_bundle(sign(vendor, payload(expires=expires)), actor="test")
    calibration.clock = type("Later", (), {"now": staticmethod(lambda: expires + timedelta(seconds=1))})()
    with pytest.raises(ValueError, match="expired at"):
        calibration.promote("relapse_risk", 1, token=reviewer_token, reason=REASON)
    assert active_rows(store) == []


def test_every_action_is_audited_with_who_what_when_and_why(two_versions: Calibration, reviewer_token: str,
                                                            store: Store) -> None:
    two_versions.promote("relapse_risk", 1, token=reviewer_token, reason=REASON)
    two_versions.promote("relapse_risk", 2, token=reviewer_token, reason="second look")
    two_versions.rollback("relapse_risk", None, token=reviewer_token, reason="v2 misfires")
    two_versions.reset("relapse_risk", token=reviewer_token, reason="pause")
    events = [e for e in audit.events(store) if e.action.startswith("model.")]
    assert [e.action for e in events] == ["model.import", "model.import", "model.promote", "model.promote",
                                          "model.rollback", "model.reset"]
    assert events[0].detail["sha256"] and events[0].detail["notes"].startswith("Quarterly")
    promote = events[2]
    assert "Dr Ada Okafor" in promote.actor and "GMC-7654321" in promote.actor
    assert promote.reason == REASON
    assert promote.detail == {"engine": "relapse_risk", "from_version": None, "to_version": 1,
                              "reviewer": "Dr Ada Okafor", "licence_number": "GMC-7654321"}
    assert events[4].detail["from_version"] == 2 and events[4].detail["to_version"] == 1
    assert events[5].detail["to_version"] is None and events[5].reason == "pause"
    assert all(e.at for e in events)
    assert audit.verify(store) == (len(list(audit.events(store))), None)


def test_every_scored_answer_carries_the_promoted_model_block(
    client: TestClient, keys: Keys, calibration: Calibration, vendor: Vendor, reviewer_token: str  # type: ignore[type-arg]
) -> None:
    headers = {"Authorization": f"Bearer {keys.issue()}"}
    body = {"avgSleepHours": 5.5, "daysSinceLastVisit": 70,
            "assessments": [{"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": s, "maxScore": 27,
                             "createdAt": f"2026-0{m}-01T00:00:00Z"} for s, m in ((8, 3), (15, 4))]}
    before = client.post("/v1/relapse/predict", json=body, headers=headers).json()["data"]
    assert before["model"] == {"key": "relapse_risk", "version": None, "source": "default"}
    calibration.import_bundle(sign(vendor, payload(params=RELAPSE_V2)), actor="test")
    calibration.promote("relapse_risk", 1, token=reviewer_token, reason=REASON)
    after = client.post("/v1/relapse/predict", json=body, headers=headers).json()["data"]
    assert after["model"] == {"key": "relapse_risk", "version": 1, "source": "calibrated"}
    assert after["score"] != before["score"]
    outcome = client.post("/v1/outcome/score", json={"avgSleepHours": 8}, headers=headers).json()["data"]
    assert outcome["model"] == {"key": "outcome_score", "version": None, "source": "default"}
