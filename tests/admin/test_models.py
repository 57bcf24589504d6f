"""Models through the admin API: the listing, a candidate compared as pictures on the local
evaluation set (the same figures `attunio models compare` gives), and promote / roll back / reset
by a reviewer only, with the licence number checked and recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from tests.admin.conftest import START, Console, Instance, make_instance
from tests.calibration.helpers import RELAPSE_V1, RELAPSE_V2, evaluation_lines, make_vendor, payload, sign

from attunio.engines import ENGINES
from attunio.services.calibration.compare import compare, load_dataset
from attunio.services.calibration.lifecycle import Calibration

REASON = {"reason": "validated on ward 7 data", "licenceNumber": "GMC 7654321"}


@pytest.fixture
def calibrated(tmp_path: Path) -> Iterator[Instance]:
    vendor = make_vendor(tmp_path / "vendor")
    made = make_instance(tmp_path / "one", ATTUNIO_TRUST_EXTRA_VENDOR_KEYS=json.dumps([str(vendor.pub_path)]))
    service = Calibration(made.store, made.clock, vendor.trusted, 1024 * 1024)
    created = START - timedelta(days=1)
    service.import_bundle(sign(vendor, payload(version=1, created=created, params=RELAPSE_V1)), actor="test")
    service.import_bundle(sign(vendor, payload(version=2, created=created, params=RELAPSE_V2)), actor="test")
    folder = made.settings.evaluation_dir
    folder.mkdir(parents=True)
    (folder / "relapse_risk.jsonl").write_bytes(b"".join(evaluation_lines("relapse_risk", 300)))
    yield made
    made.store.close()


@pytest.fixture
def reviewer_console(calibrated: Instance) -> Iterator[Console]:
    with calibrated.client() as client:
        yield calibrated.sign_in("reviewer", client)


def test_the_listing_shows_active_and_candidates(calibrated: Instance, reviewer_console: Console) -> None:
    engines = {e["engine"]: e for e in reviewer_console.get("/admin/api/models").json()["engines"]}
    assert set(engines) == set(ENGINES)
    relapse = engines["relapse_risk"]
    assert relapse["active"] is None and [c["version"] for c in relapse["candidates"]] == [1, 2]


def test_compare_gives_the_clis_figures_as_pictures(calibrated: Instance, reviewer_console: Console) -> None:
    answer = reviewer_console.get("/admin/api/models/relapse_risk/compare?candidate=2")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    service = Calibration(calibrated.store, calibrated.clock, {}, 1024 * 1024)
    lines = (calibrated.settings.evaluation_dir / "relapse_risk.jsonl").read_bytes().splitlines(keepends=True)
    report = compare("relapse_risk", load_dataset(lines, ENGINES["relapse_risk"]),
                     service.pair("relapse_risk", None), service.pair("relapse_risk", 2), service.now())
    assert data["bandMatrix"] == {"bands": report.levels, "counts": report.matrix}
    assert data["n"] == report.cases and data["invalidLines"] == report.invalid_lines
    assert report.cases + report.invalid_lines == 300 and len(data["scores"]["active"]) == report.cases
    assert data["scores"]["kind"] == "score" and data["scores"]["active"] != data["scores"]["candidate"]
    assert report.candidate_concordance is not None
    assert data["concordance"] == pytest.approx(report.candidate_concordance.auc)
    calibration = data["calibration"]
    assert sum(point["n"] for point in calibration["candidate"]) == report.with_outcome
    assert all(0 <= point["observed"] <= 1 for point in calibration["active"])
    assert msgspec.to_builtins(report.changed) == data["changed"]


def test_compare_names_what_is_missing(calibrated: Instance, reviewer_console: Console) -> None:
    cases = [("relapse_risk/compare", 400, "invalid_request", "?candidate=VERSION"),
             ("relapse_risk/compare?candidate=9", 404, "not_found", "No relapse_risk version 9"),
             ("outcome_score/compare?candidate=1", 404, "not_found", "No outcome_score version 1"),
             ("nosuch/compare?candidate=1", 404, "not_found", "No engine 'nosuch'")]
    for path, status, code, message in cases:
        answer = reviewer_console.get(f"/admin/api/models/{path}")
        assert answer.status_code == status and answer.json()["error"]["code"] == code, answer.text
        assert message in answer.json()["error"]["message"]
    (calibrated.settings.evaluation_dir / "relapse_risk.jsonl").unlink()
    answer = reviewer_console.get("/admin/api/models/relapse_risk/compare?candidate=2")
    assert answer.status_code == 412 and answer.json()["error"]["code"] == "not_configured"
    assert "relapse_risk.jsonl" in answer.json()["error"]["message"]


def test_a_reviewer_promotes_rolls_back_and_resets_with_the_licence_recorded(calibrated: Instance,
                                                                           reviewer_console: Console) -> None:
    console = reviewer_console
    for version in (1, 2):
        answer = console.change("POST", "/admin/api/models/relapse_risk/promote", {"version": version, **REASON})
        assert answer.status_code == 200, answer.text
        assert answer.json()["active"]["version"] == version
    assert calibrated.app.app.state.runtime.models.active("relapse_risk")[0].version == 2
    again = console.change("POST", "/admin/api/models/relapse_risk/promote", {"version": 2, **REASON})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    back = console.change("POST", "/admin/api/models/relapse_risk/rollback", REASON)
    assert back.status_code == 200 and back.json()["active"]["version"] == 1
    reset = console.change("POST", "/admin/api/models/relapse_risk/reset", REASON)
    assert reset.status_code == 200 and reset.json() == {"engine": "relapse_risk", "active": None}
    entries = console.get("/admin/api/audit?action=model").json()["entries"]
    assert [e["action"] for e in entries] == ["model.reset", "model.rollback", "model.promote", "model.promote",
                                              "model.import", "model.import"]
    actor = f"reviewer:{console.admin_id} (Dr Ada Okafor, licence GMC 7654321)"
    for entry in entries[:4]:
        assert entry["actor"] == actor and entry["detail"]["licence_number"] == "GMC 7654321"
        assert entry["reason"] == REASON["reason"]


def test_a_wrong_licence_number_or_no_reason_is_refused(reviewer_console: Console) -> None:
    for body, message in (({"version": 1, "reason": "ok", "licenceNumber": "GMC 1"}, "not the one registered"),
                          ({"version": 1, "reason": " ", "licenceNumber": "GMC 7654321"}, "Give a reason"),
                          ({"version": 1, "reason": "ok"}, "licenceNumber")):
        answer = reviewer_console.change("POST", "/admin/api/models/relapse_risk/promote", body)
        assert answer.status_code == 400 and message in answer.json()["error"]["message"], answer.text


def test_an_admin_cannot_promote(calibrated: Instance) -> None:
    with calibrated.client() as client:
        admin = calibrated.sign_in("admin", client)
        for action, body in (("promote", {"version": 1, **REASON}), ("rollback", REASON), ("reset", REASON)):
            answer = admin.change("POST", f"/admin/api/models/relapse_risk/{action}", body)
            assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
            assert "needs a reviewer identity" in answer.json()["error"]["message"]
        # A reviewer's audit shows no activation happened.
        assert admin.get("/admin/api/audit?action=model.promote").json()["entries"] == []
    assert calibrated.app.app.state.runtime.models.active("relapse_risk")[0].version is None
