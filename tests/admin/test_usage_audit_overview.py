"""Usage moving after real /v1 calls, the signed report download, the audit trail's filters,
verification and export, the overview, and the admin OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from tests.admin.conftest import Console, Instance, make_instance
from tests.billing_helpers import license_bytes, write_public_key
from tests.logscan import ISSUED_SECRETS

from attunio import admin
from attunio.admin.openapi import OPERATIONS, spelled
from attunio.api.openapi_text import REQUEST_EXAMPLES
from attunio.crypto.ed25519 import Ed25519PrivateKey
from attunio.crypto.usage_report import read_report
from attunio.services.licensing.instance_key import ensure_signing_key
from attunio.services.licensing.registry import LicenseRegistry


@pytest.fixture
def licensed(tmp_path: Path) -> Iterator[Instance]:
    vendor = Ed25519PrivateKey.generate()
    pub = write_public_key(vendor, tmp_path / "vendor.pub")
    made = make_instance(tmp_path / "one", ATTUNIO_TRUST_EXTRA_VENDOR_KEYS=json.dumps([str(pub)]))
    ensure_signing_key(made.store)  # as `attunio init` does
    registry: LicenseRegistry = made.app.app.state.runtime.billing.licenses
    registry.install(license_bytes(vendor, monthly_allowance=3), actor="test")
    yield made
    made.store.close()


def new_key(console: Console, mode: str) -> str:
    apps = console.get("/admin/api/apps").json()["apps"]
    app = apps[0] if apps else console.change("POST", "/admin/api/apps", {"name": "EHR"}).json()
    secret: str = console.change("POST", f"/admin/api/apps/{app['id']}/keys", {"mode": mode}).json()["secret"]
    ISSUED_SECRETS.add(secret)
    return secret


def call(console: Console, key: str) -> None:
    answer = console.client.post("/v1/relapse/predict", json=REQUEST_EXAMPLES["relapse_risk"],
                                 headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text


def test_usage_moves_after_real_calls(licensed: Instance) -> None:
    with licensed.client() as client:
        console = licensed.sign_in("admin", client)
        before = console.get("/admin/api/usage?month=2026-11").json()
        assert (before["used"], before["allowance"], before["sandbox"]["used"]) == (0, 3, 0)
        live, test = new_key(console, "live"), new_key(console, "test")
        for _ in range(5):
            call(console, live)
        call(console, test)
        after = console.get("/admin/api/usage").json()
        assert after["month"] == "2026-11"
        assert (after["used"], after["overage"], after["remaining"]) == (5, 2, 0)
        assert after["byEndpoint"] == {"/v1/relapse/predict": 5}
        assert after["days"] == [{"date": "2026-11-30", "calls": 5, "byEndpoint": {"/v1/relapse/predict": 5}}]
        assert after["sandbox"] == {"used": 1, "limit": 500, "days": [{"date": "2026-11-30", "calls": 1}]}
        bad = console.get("/admin/api/usage?month=2026-13")
        assert bad.status_code == 400 and "YYYY-MM" in bad.json()["error"]["message"]


def test_the_usage_report_is_the_signed_one_and_audited(licensed: Instance) -> None:
    with licensed.client() as client:
        console = licensed.sign_in("admin", client)
        call(console, new_key(console, "live"))
        answer = console.get("/admin/api/usage/report?month=2026-11")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-disposition"] == 'attachment; filename="usage-2026-11-report-1.json"'
        stored = licensed.store.one("SELECT report FROM usage_reports WHERE sequence = 1")[0]
        assert answer.content == bytes(stored)
        report = read_report(answer.content)  # verifies the instance's signature
        assert (report.month, report.total, report.sequence) == ("2026-11", 1, 1)
        entry = console.get("/admin/api/audit?action=usage.report").json()["entries"][0]
        assert entry["actor"].startswith(f"admin:{console.admin_id}") and entry["detail"]["total"] == 1
        future = console.get("/admin/api/usage/report?month=2027-01")
        assert future.status_code == 400 and "has not started" in future.json()["error"]["message"]


def test_a_reviewer_reads_usage_but_cannot_sign_a_report(instance: Instance, reviewer: Console) -> None:
    assert reviewer.get("/admin/api/usage").status_code == 200
    assert reviewer.get("/admin/api/usage/report?month=2026-11").status_code == 403


def test_the_audit_trail_filters_pages_verifies_and_exports(instance: Instance, console: Console) -> None:
    for name in ("A", "B", "C"):
        console.change("POST", "/admin/api/apps", {"name": name})
    instance.clock.advance(minutes=10)
    console.change("POST", "/admin/api/apps", {"name": "D"})
    page = console.get("/admin/api/audit?action=app&limit=2").json()
    assert [e["detail"]["name"] for e in page["entries"]] == ["D", "C"]
    rest = console.get(f"/admin/api/audit?action=app&limit=2&before={page['next']}").json()
    assert [e["detail"]["name"] for e in rest["entries"]] == ["B", "A"] and rest["next"] is None
    late = console.get("/admin/api/audit?action=app.create&from=2026-11-30T09:05:00Z").json()["entries"]
    assert [e["detail"]["name"] for e in late] == ["D"]
    early = console.get("/admin/api/audit?action=app&to=2026-11-30T10:05:00%2B01:00").json()["entries"]
    assert [e["detail"]["name"] for e in early] == ["C", "B", "A"]
    mine = console.get(f"/admin/api/audit?actor={console.admin_id}").json()["entries"]
    assert {e["action"] for e in mine} == {"app.create", "session.sign_in"}
    assert console.get("/admin/api/audit?actor=nobody").json()["entries"] == []
    for query, message in (("from=yesterday-ish", "is not a time"), ("from=2026-11-30T09:00:00", "no UTC offset"),
                           ("limit=0", "from 1 to 500"), ("from=2026-11-30&to=2026-11-29", "must be after")):
        answer = console.get(f"/admin/api/audit?{query}")
        assert answer.status_code == 400 and message in answer.json()["error"]["message"], answer.text
    assert console.get("/admin/api/audit/verify").json() == {"ok": True, "entries": 7, "firstBad": None,
                                                              "problem": None}
    export = console.get("/admin/api/audit/export?from=2026-11-30T09:05:00Z")
    assert export.headers["content-disposition"].startswith("attachment")
    lines = [json.loads(line) for line in export.content.splitlines()]
    assert [line["detail"]["name"] for line in lines] == ["D"]
    instance.store.conn.execute("BEGIN IMMEDIATE")
    instance.store.conn.execute("UPDATE audit SET reason = 'edited' WHERE seq = 4")
    instance.store.conn.execute("COMMIT")
    broken = console.get("/admin/api/audit/verify").json()
    assert broken["ok"] is False and broken["firstBad"] == 4 and "edited" in broken["problem"]


def test_the_overview_reports_the_appliance(licensed: Instance) -> None:
    with licensed.client() as client:
        console = licensed.sign_in("admin", client)
        data = console.get("/admin/api/overview").json()
    assert data["health"]["status"] == "ready"
    license_ = data["license"]
    assert (license_["state"], license_["plan"], license_["allowance"], license_["productionAccess"]) == \
        ("valid", "growth", 3, True)
    assert license_["expiresAt"] == "2027-01-01T00:00:00.000Z" and license_["graceUntil"] == "2027-01-15T00:00:00.000Z"
    assert data["store"] == {"kind": "sqlcipher", "path": str(licensed.settings.store_path)}
    assert data["lastBackup"] is None and any("no backup" in w for w in data["warnings"])
    assert data["certificate"] is None  # these tests serve plain HTTP; the served TLS test covers it
    assert {k["id"] for k in data["vendorKeys"]} >= {"bbf5799ffc036af1"}
    assert all(len(k["fingerprint"]) == 64 for k in data["vendorKeys"])
    assert data["version"]


def test_the_admin_openapi_document_covers_every_route(console: Console) -> None:
    answer = console.get("/admin/api/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    validate(document)
    table = {(method, spelled(path[len("/admin/api"):])) for method, path, _, _ in admin.route_table()}
    assert table == set(OPERATIONS)
    for path, item in document["paths"].items():
        for operation in item.values():
            assert operation["tags"] == ["Admin"], path
    assert not any(p.startswith("/admin") for p in console.get("/v1/openapi.json").json()["paths"])


def test_another_instance_has_its_own_sessions(tmp_path: Path) -> None:
    one, two = make_instance(tmp_path / "a"), make_instance(tmp_path / "b")
    with one.client() as client:
        cookie = one.sign_in("admin", client).client.cookies["attunio_admin"]
    with two.client() as client:
        client.cookies.set("attunio_admin", cookie)
        assert client.get("/admin/api/overview").status_code == 401
    one.store.close()
    two.store.close()
