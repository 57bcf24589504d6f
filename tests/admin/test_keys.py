"""Apps and keys through the admin API: create (shown once), list, revoke, rotate with an overlap,
edit origins (and the CORS preflight on /v1 follows), every change audited with the actor."""

from __future__ import annotations

from typing import Any

from tests.admin.conftest import Console, Instance
from tests.logscan import ISSUED_SECRETS

from attunio.api.openapi_text import REQUEST_EXAMPLES

PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
ORIGIN = "https://tele.example.org"


def make_key(console: Console, **body: Any) -> tuple[dict[str, Any], str]:
    apps = console.get("/admin/api/apps").json()["apps"]
    app = apps[0] if apps else console.change("POST", "/admin/api/apps", {"name": "Telehealth"}).json()
    answer = console.change("POST", f"/admin/api/apps/{app['id']}/keys", body)
    assert answer.status_code == 201, answer.text
    ISSUED_SECRETS.add(answer.json()["secret"])
    return answer.json()["key"], answer.json()["secret"]


def audit_actions(console: Console) -> list[tuple[str, str, str]]:
    entries = console.get("/admin/api/audit?limit=500").json()["entries"]
    return [(e["action"], e["objectId"], e["actor"]) for e in entries]


def test_create_list_and_the_key_is_shown_once(console: Console) -> None:
    key, secret = make_key(console, type="secret", mode="test", label="epic-prod")
    assert secret.startswith("att_sk_test_") and key["last4"] == secret[-4:]
    apps = console.get("/admin/api/apps")
    assert apps.headers["cache-control"] == "no-store"
    listed = apps.json()["apps"][0]["keys"]
    assert [k["id"] for k in listed] == [key["id"]]
    assert set(listed[0]) == {"id", "appId", "prefix", "last4", "type", "mode", "label", "allowedOrigins",
                              "createdAt", "lastUsedAt", "revokedAt", "expiresAt"}
    assert secret not in apps.text and secret[12:] not in apps.text
    actor = f"admin:{console.admin_id} (Sam Ortiz)"
    assert ("app.create", listed[0]["appId"], actor) in audit_actions(console)
    assert ("key.create", key["id"], actor) in audit_actions(console)


def test_bad_bodies_are_refused_precisely(console: Console) -> None:
    app = console.change("POST", "/admin/api/apps", {"name": "EHR"}).json()
    again = console.change("POST", "/admin/api/apps", {"name": "EHR"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    cases = [
        ({"type": "publishable"}, "needs at least one allowed origin"),
        ({"type": "secret", "allowedOrigins": [ORIGIN]}, "publishable keys only"),
        ({"type": "publishable", "allowedOrigins": ["https://x.example/path"]}, "give scheme, host"),
        ({"type": "weird"}, "Invalid enum value 'weird' - at `$.type`"),
        ({"label": "x", "colour": "red"}, "colour"),
    ]
    for body, message in cases:
        answer = console.change("POST", f"/admin/api/apps/{app['id']}/keys", body)
        assert answer.status_code == 400, (body, answer.text)
        assert message in answer.json()["error"]["message"], answer.json()
    missing = console.change("POST", "/admin/api/apps/app_nope/keys", {})
    assert missing.status_code == 404 and "No app 'app_nope'" in missing.json()["error"]["message"]


def test_revoke_then_the_key_is_refused_on_v1_and_a_second_revoke_conflicts(console: Console) -> None:
    key, secret = make_key(console)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert console.client.get("/v1/ping", headers=bearer).status_code == 200
    answer = console.change("POST", f"/admin/api/keys/{key['id']}/revoke", {"reason": "left on a drive"})
    assert answer.status_code == 200 and answer.json()["revokedAt"]
    assert console.client.get("/v1/ping", headers=bearer).status_code == 401
    again = console.change("POST", f"/admin/api/keys/{key['id']}/revoke")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert ("key.revoke", key["id"], f"admin:{console.admin_id} (Sam Ortiz)") in audit_actions(console)


def test_editing_origins_changes_the_cors_preflight(console: Console) -> None:
    key, _ = make_key(console, type="publishable", allowedOrigins=[ORIGIN])
    preflight = {**PREFLIGHT, "Origin": "https://new.example.org"}
    assert console.client.options("/v1/dmse/analyze", headers=preflight).status_code == 403
    answer = console.change("PUT", f"/admin/api/keys/{key['id']}/origins",
                            {"allowedOrigins": ["https://NEW.example.org/", ORIGIN]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["allowedOrigins"] == ["https://new.example.org", ORIGIN]
    allowed = console.client.options("/v1/dmse/analyze", headers=preflight)
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == "https://new.example.org"
    console.change("PUT", f"/admin/api/keys/{key['id']}/origins", {"allowedOrigins": ["https://new.example.org"]})
    gone = console.client.options("/v1/dmse/analyze", headers={**PREFLIGHT, "Origin": ORIGIN})
    assert gone.status_code == 403
    assert "admin console" in gone.json()["error"]["message"] and "developer dashboard" not in gone.text
    entry = console.get("/admin/api/audit?action=key.origins").json()["entries"][0]
    assert entry["detail"]["to"] == ["https://new.example.org"] and entry["actor"].startswith("admin:")


def test_origins_are_validated_and_apply_to_publishable_keys_only(console: Console) -> None:
    key, _ = make_key(console, type="publishable", allowedOrigins=[ORIGIN])
    for origins, message in ((["ftp://x.example"], "is not an origin"),
                             (["https://x.example/app"], "give scheme, host and optional port only"),
                             ([f"https://h{i}.example" for i in range(51)], "at most 50")):
        answer = console.change("PUT", f"/admin/api/keys/{key['id']}/origins", {"allowedOrigins": origins})
        assert answer.status_code == 400 and message in answer.json()["error"]["message"], answer.text
    secret_key, _ = make_key(console)
    answer = console.change("PUT", f"/admin/api/keys/{secret_key['id']}/origins", {"allowedOrigins": [ORIGIN]})
    assert answer.status_code == 400 and "publishable keys only" in answer.json()["error"]["message"]


def test_rotation_with_an_overlap_keeps_the_old_key_working_until_it_ends(instance: Instance, console: Console) -> None:
    key, old_secret = make_key(console)
    old = {"Authorization": f"Bearer {old_secret}"}
    assert console.client.get("/v1/ping", headers=old).status_code == 200  # now in the worker's key cache
    answer = console.change("POST", f"/admin/api/keys/{key['id']}/rotate", {"overlapHours": 24})
    assert answer.status_code == 201, answer.text
    rotated = answer.json()
    ISSUED_SECRETS.add(rotated["secret"])
    assert rotated["oldKeyExpiresAt"] == "2026-12-01T09:00:00.000Z"
    new = {"Authorization": f"Bearer {rotated['secret']}"}
    instance.clock.advance(hours=23, minutes=59)
    assert console.client.get("/v1/ping", headers=old).status_code == 200
    assert console.client.get("/v1/ping", headers=new).status_code == 200
    instance.clock.advance(minutes=1)
    refused = console.client.get("/v1/ping", headers=old)  # the cached key is refused at its expiry too
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"
    assert console.client.get("/v1/ping", headers=new).status_code == 200
    console = instance.sign_in("admin", console.client)  # a day later: the first session has ended
    again = console.change("POST", f"/admin/api/keys/{key['id']}/rotate", {"overlapHours": 1})
    assert again.status_code == 409
    assert ("key.rotate", key["id"], f"admin:{console.admin_id} (Sam Ortiz)") in audit_actions(console)


def test_rotation_without_overlap_revokes_at_once(console: Console) -> None:
    key, old_secret = make_key(console)
    answer = console.change("POST", f"/admin/api/keys/{key['id']}/rotate", {"overlapHours": 0})
    ISSUED_SECRETS.add(answer.json()["secret"])
    assert answer.json()["oldKeyExpiresAt"] == "2026-11-30T09:00:00.000Z"
    assert console.client.get("/v1/ping", headers={"Authorization": f"Bearer {old_secret}"}).status_code == 401
    for hours in (-1, 721):
        bad = console.change("POST", f"/admin/api/keys/{answer.json()['key']['id']}/rotate", {"overlapHours": hours})
        assert bad.status_code == 400


def test_last_used_moves_after_a_real_call(console: Console) -> None:
    _, secret = make_key(console, type="publishable", allowedOrigins=[ORIGIN])
    headers = {"Authorization": f"Bearer {secret}", "Origin": ORIGIN}
    answer = console.client.post("/v1/dmse/analyze", json=REQUEST_EXAMPLES["dmse_signals"], headers=headers)
    assert answer.status_code == 200, answer.text
    listed = console.get("/admin/api/apps").json()["apps"][0]["keys"][0]
    assert listed["lastUsedAt"] == "2026-11-30T09:00:00.000Z"
