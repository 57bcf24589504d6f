"""The admin API on a served appliance over real TLS: a browser-like client signs in, works and
signs out; the CLI's `keys origins` and `keys rotate --overlap-hours` act on the same instance; no
cookie, CSRF token, admin token or key reaches the log."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable

import httpx
import pytest
from tests.conftest import Served
from tests.logscan import ISSUED_SECRETS

pytestmark = pytest.mark.e2e
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}


def test_a_console_session_over_tls_and_the_cli_on_the_same_instance(serve_appliance: Callable[..., Served]) -> None:
    served = serve_appliance(scheme="https", ATTUNIO_TLS_ENABLED="true")
    token = served.cli("admins", "create", "--name", "Sam Ortiz", "--role", "admin").stdout.strip().splitlines()[-1]
    ISSUED_SECRETS.add(token)
    trust = ssl.create_default_context(cafile=str(served.root / "data" / "tls" / "cert.pem"))
    base = served.base_url.replace("127.0.0.1", "localhost")
    with httpx.Client(base_url=base, verify=trust, timeout=30) as browser:
        signed = browser.post("/admin/api/session", json={"token": token}, headers={"Origin": base})
        assert signed.status_code == 200, signed.text
        cookie, csrf = signed.cookies["attunio_admin"], signed.json()["csrfToken"]
        ISSUED_SECRETS.update({cookie, csrf})
        assert signed.headers["set-cookie"] == f"attunio_admin={cookie}; HttpOnly; Secure; SameSite=Strict; Path=/admin"
        assert "strict-transport-security" in signed.headers
        change = {"X-CSRF-Token": csrf, "Origin": base}

        overview = browser.get("/admin/api/overview").json()
        assert overview["certificate"]["daysLeft"] > 300 and overview["certificate"]["selfSigned"] is True

        app = browser.post("/admin/api/apps", json={"name": "Telehealth"}, headers=change).json()
        made = browser.post(f"/admin/api/apps/{app['id']}/keys", headers=change,
                            json={"type": "publishable", "allowedOrigins": ["https://tele.example.org"]}).json()
        ISSUED_SECRETS.add(made["secret"])
        key_id = made["key"]["id"]

        # The CLI edits the same key; the served worker answers the preflight with the new list.
        new_origin = "https://ehr.example.org"
        assert browser.options("/v1/dmse/analyze", headers={**PREFLIGHT, "Origin": new_origin}).status_code == 403
        edited = served.cli("keys", "origins", key_id, "--set", new_origin, "--json")
        assert json.loads(edited.stdout)["key"]["allowed_origins"] == [new_origin]
        assert browser.options("/v1/dmse/analyze", headers={**PREFLIGHT, "Origin": new_origin}).status_code == 204
        keys = browser.get("/admin/api/apps").json()["apps"][0]["keys"]
        assert keys[0]["allowedOrigins"] == [new_origin]
        assert served.cli("keys", "origins", key_id, check=False).returncode != 0  # neither --set nor --clear

        rotated = json.loads(served.cli("keys", "rotate", key_id, "--overlap-hours", "12", "--json").stdout)
        ISSUED_SECRETS.add(rotated["key"]["key"])
        assert rotated["revoked"] is None and rotated["old_key_expires_at"]
        listed = {k["id"]: k for k in browser.get("/admin/api/apps").json()["apps"][0]["keys"]}
        assert listed[key_id]["expiresAt"] == rotated["old_key_expires_at"] and listed[key_id]["revokedAt"] is None
        assert served.cli("keys", "origins", key_id, "--clear").returncode == 0

        entries = browser.get("/admin/api/audit?limit=20").json()["entries"]
        actions = [(e["action"], e["actor"].split(" ")[0]) for e in entries]
        assert ("app.create", "admin:" + signed.json()["admin"]["id"]) in actions
        assert entries[0]["action"] == "key.origins" and entries[0]["actor"].startswith("os:")  # the CLI's actor

        assert browser.delete("/admin/api/session", headers=change).status_code == 204
    with httpx.Client(base_url=base, verify=trust, timeout=30, cookies={"attunio_admin": cookie}) as replay:
        assert replay.get("/admin/api/session").status_code == 401
    served.stop()
    logs = served.logs()
    for secret in (cookie, csrf, token, made["secret"], rotated["key"]["key"]):
        assert secret not in logs and secret[-20:] not in logs
    # Admin paths with an id in them are logged as their route, never with the segment the client sent.
    paths = {line["path"] for line in served.access_lines()}
    assert "/admin/api/apps/{app_id}/keys" in paths and "/admin/[unrouted]" not in paths
    assert not any(app["id"] in p or key_id in p for p in paths)
