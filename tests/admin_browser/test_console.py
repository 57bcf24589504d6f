"""The admin console in Debian's Chromium against a served appliance with a real encrypted store and
real admin identities made by the CLI: sign in, a key revealed once, allowed origins edited and seen
in a real CORS preflight, revoke, usage moving after real /v1 calls, a candidate compared and
promoted by a reviewer and refused for an admin, each action on the Audit page; then every page
scanned by axe-core, checked at 390 px wide, and checked for its CSP, console and CSP reports.

Screenshots land in tests/artifacts/admin-console/ (ignored by git)."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.admin_browser.browser import ARTIFACTS, Browser
from tests.billing_helpers import license_bytes
from tests.calibration.helpers import RELAPSE_V1, RELAPSE_V2, make_vendor, payload, relapse_request, sign
from tests.conftest import Served, run_cli, settings_env, start_served
from tests.logscan import ISSUED_SECRETS

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
EHR = "https://ehr.example.org"
PREFLIGHT_PATH = "/v1/dmse/analyze"
MARKUP = '<img src=x id=injected> & "quotes"'
PAGES = {"overview": "Overview", "keys": "Apps and keys", "usage": "Usage", "models": "Models", "audit": "Audit"}


@dataclass
class Console:
    served: Served
    admin_token: str
    reviewer_token: str
    dataset: Path


def cli_token(served: Served, *args: str) -> str:
    token = served.cli("admins", "create", *args).stdout.strip().splitlines()[-1]
    ISSUED_SECRETS.add(token)
    return token


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    root = tmp_path_factory.mktemp("admin-console")
    vendor = make_vendor(root / "vendor")
    # The local evaluation set the compare view scores: seeded relapse cases, a third with an outcome.
    rng = random.Random(17)
    dataset = root / "instance" / "data" / "evaluation" / "relapse_risk.jsonl"
    dataset.parent.mkdir(parents=True)
    lines = [relapse_request(rng) for _ in range(300)]
    dataset.write_text("".join((f'{{"request": {line}, "outcome": {rng.randint(0, 1)}}}' if i % 3 == 0 else line) + "\n"
                               for i, line in enumerate(lines)))
    # One throw-away vendor signs both the license (live keys, an allowance) and the candidate bundle.
    trust = {"ATTUNIO_TRUST_EXTRA_VENDOR_KEYS": f'["{vendor.pub_path}"]'}
    run_cli(settings_env(root / "instance", **trust), "init")
    now = datetime.now(UTC)
    license_file = root / "license.txt"
    license_file.write_bytes(license_bytes(vendor.private, valid_from=now - timedelta(days=1),
                                           expires_at=now + timedelta(days=60)))
    run_cli(settings_env(root / "instance", **trust), "license", "install", str(license_file))
    served = start_served(root / "instance", init=False, **trust)
    try:
        # Two candidates: one the compare test promotes, one the page sweep compares in any order.
        for version, params in ((1, RELAPSE_V1), (2, RELAPSE_V2)):
            bundle = root / f"relapse-v{version}.bundle.json"
            bundle.write_bytes(sign(vendor, payload(version=version, params=params)))
            served.cli("models", "import", str(bundle))
        admin = cli_token(served, "--name", "Sam Ortiz", "--role", "admin")
        reviewer = cli_token(served, "--name", "Dr Ada Okafor", "--role", "reviewer", "--licence-number", "GMC-7654321")
        yield Console(served, admin, reviewer, dataset)
    finally:
        served.stop()


@pytest.fixture
def browser(console: Console, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Browser]:
    out = ARTIFACTS / request.node.name
    shutil.rmtree(out, ignore_errors=True)  # only this run's screenshots stay
    b = Browser(console.served.base_url, tmp_path, out)
    try:
        yield b
    finally:
        b.close()


def on(method: str, path: str) -> dict[str, str]:
    """The request (method, path prefix) whose answer a click waits for."""
    return {"method": method, "path": path}


def sign_in(b: Browser, token: str) -> None:
    b("goto", path="/admin")
    b("fill", selector="#main input[name=token]", value=token)
    answer = b("click", selector="#main button[type=submit]", response=on("POST", "/admin/api/session"))
    assert answer["status"] == 200, answer
    b("waitReady", page="overview")


def sign_out(b: Browser) -> None:
    b("click", selector="#sign-out", response=on("DELETE", "/admin/api/session"))
    b("waitReady", page="signin")


def page_text(b: Browser) -> str:
    return "".join(b("texts", selector="body")["texts"])


def preflight(base_url: str, origin: str) -> httpx.Response:
    return httpx.options(base_url + PREFLIGHT_PATH, timeout=30, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})


def audit_actions(b: Browser) -> list[str]:
    b("nav", name="Audit", page="audit")
    return [t.strip() for t in b("texts", selector="table.audit tbody td:nth-child(4)")["texts"]]


def test_sign_in_keys_origins_revoke_usage_and_audit(console: Console, browser: Browser) -> None:
    b, base = browser, console.served.base_url

    # A wrong token is refused with the server's message, and no session starts.
    b("goto", path="/admin")
    b("fill", selector="#main input[name=token]", value="att_admin_" + "x" * 40)
    refused = b("click", selector="#main button[type=submit]", response=on("POST", "/admin/api/session"))
    assert refused["status"] == 401 and refused["body"]["error"]["code"] == "invalid_admin_token"
    b("waitText", selector="#main .error", text="not accepted")
    b.screenshot("01-sign-in-refused")

    sign_in(b, console.admin_token)
    assert "Sam Ortiz (admin)" in page_text(b)
    b.screenshot("02-overview", full_page=True)

    # Create an app and a publishable key; the full key is shown once, with a copy button.
    b("nav", name="Apps and keys", page="keys")
    b("fill", selector="form[data-form=create-app] input", value="Ward 7 EHR")
    made_app = b("click", selector="form[data-form=create-app] button", response=on("POST", "/admin/api/apps"))
    assert made_app["status"] == 201, made_app
    b("waitText", selector="section[data-app] h2", text="Ward 7 EHR")
    # Data is text, never markup: an app named like an HTML element shows as those characters.
    b("fill", selector="form[data-form=create-app] input", value=MARKUP)
    b("click", selector="form[data-form=create-app] button", response=on("POST", "/admin/api/apps"))
    b("waitText", selector="section[data-app] h2", text=MARKUP)
    assert b("count", selector="section[data-app] h2 img")["count"] == 0
    app = "section[data-app]:has(h2:text-is('Ward 7 EHR'))"
    b("select", selector=f"{app} form[data-form=create-key] select >> nth=0", value="publishable")
    b("fill", selector=f"{app} form[data-form=create-key] input[type=text]", value="ehr-widget")
    b("fill", selector=f"{app} form[data-form=create-key] textarea", value="https://intranet.example.org")
    created = b("click", selector=f"{app} form[data-form=create-key] button[type=submit]",
                response=on("POST", "/admin/api/apps/"))
    assert created["status"] == 201, created
    secret = created["body"]["secret"]
    ISSUED_SECRETS.add(secret)
    key_id = created["body"]["key"]["id"]
    b("waitText", selector=".once", text="shown once")
    assert b("values", selector="input[data-secret]")["values"] == [secret]
    b("click", selector=".once button:text-is('Copy')")
    b("waitText", selector=".once [role=status]", text="Copied")
    assert b("clipboard")["text"] == secret
    b.screenshot("03-key-shown-once")

    # Reloaded, the page has no way to show it again: the listing carries prefix and last four only.
    b("reload")
    assert b("count", selector="input[data-secret]")["count"] == 0
    listing = page_text(b)
    assert secret not in listing and secret[-4:] in listing

    # The preflight a browser on the EHR's origin sends is refused until the key allows that origin.
    before = preflight(base, EHR)
    assert before.status_code == 403 and "access-control-allow-origin" not in before.headers
    row = f"article[data-key='{key_id}']"
    b("fill", selector=f"{row} textarea[data-field=origins]", value=f"https://intranet.example.org\n{EHR}")
    saved = b("click", selector=f"{row} form[data-form=origins] button",
              response=on("PUT", f"/admin/api/keys/{key_id}/origins"))
    assert saved["status"] == 200 and sorted(saved["body"]["allowedOrigins"]) == [EHR, "https://intranet.example.org"]
    b("waitText", selector=f"{row} [data-field=origins-list]", text=EHR)
    after = preflight(base, EHR)
    assert after.status_code == 204 and after.headers["access-control-allow-origin"] == EHR
    # A bad origin is refused with the server's precise message, shown beside the field.
    b("fill", selector=f"{row} textarea[data-field=origins]", value="https://ehr.example.org/path")
    bad = b("click", selector=f"{row} form[data-form=origins] button",
            response=on("PUT", f"/admin/api/keys/{key_id}/origins"))
    assert bad["status"] == 400, bad
    b("waitText", selector=f"{row} form[data-form=origins] .error", text=bad["body"]["error"]["message"][:30])
    assert preflight(base, EHR).status_code == 204  # the refused edit changed nothing

    # A live secret key for calls; usage moves after real /v1 calls (test keys count as sandbox).
    b("select", selector=f"{app} form[data-form=create-key] select >> nth=0", value="secret")
    b("select", selector=f"{app} form[data-form=create-key] select >> nth=1", value="live")
    b("fill", selector=f"{app} form[data-form=create-key] input[type=text]", value="ward7-server")
    made = b("click", selector=f"{app} form[data-form=create-key] button[type=submit]",
             response=on("POST", "/admin/api/apps/"))
    assert made["body"]["key"]["mode"] == "live", made
    sk, sk_id = made["body"]["secret"], made["body"]["key"]["id"]
    ISSUED_SECRETS.add(sk)
    test_key = console.served.new_key()
    b("nav", name="Usage", page="usage")
    used_before = int(b("texts", selector="[data-field=used]")["texts"][0].replace(",", ""))
    sandbox_before = int(b("texts", selector="[data-field=sandbox]")["texts"][0].split()[0].replace(",", ""))
    for key in (sk, sk, sk, test_key):
        answer = httpx.post(base + "/v1/dmse/analyze", timeout=30, headers={"Authorization": f"Bearer {key}"},
                            json={"responseLatencySeconds": 2.6, "speechRateWpm": 98})
        assert answer.status_code == 200, answer.text
    b("click", selector="form[data-form=month] button", response=on("GET", "/admin/api/usage"))
    b("waitText", selector="[data-field=used]", text=f"{used_before + 3:,}")
    b("waitText", selector="[data-field=sandbox]", text=f"{sandbox_before + 1:,} calls")
    b("waitText", selector="figure", text="/v1/dmse/analyze")
    b("waitText", selector="figure", text="Sandbox calls per day")
    b.screenshot("04-usage", full_page=True)
    report = b("download", selector="a:has-text('report')")
    assert json.loads(Path(report["path"]).read_text())  # the signed report, as `attunio usage report` writes

    # Revoke, after a confirm step; the key stops working at once. The listing shows when each key
    # was last used (this worker's pending times are flushed for it): the live key just now, the
    # publishable one never.
    b("nav", name="Apps and keys", page="keys")
    assert b("texts", selector=f"article[data-key='{key_id}'] [data-field=lastUsed]")["texts"] == ["never"]
    last_used = b("texts", selector=f"article[data-key='{sk_id}'] [data-field=lastUsed]")["texts"][0]
    assert last_used != "never" and last_used.endswith(" UTC"), last_used
    b("click", selector=f"article[data-key='{sk_id}'] button[data-action=revoke]")
    b("waitText", selector="dialog[open]", text="Revoke this key?")
    b("fill", selector="#confirm-reason", value="server decommissioned")
    b.screenshot("05-revoke-confirm")
    revoked = b("click", selector="#confirm-yes", response=on("POST", f"/admin/api/keys/{sk_id}/revoke"))
    assert revoked["status"] == 200 and revoked["body"]["revokedAt"], revoked
    b("waitText", selector=f"article[data-key='{sk_id}'] [data-field=status]", text="revoked")
    gone = httpx.post(base + "/v1/dmse/analyze", timeout=30, headers={"Authorization": f"Bearer {sk}"},
                      json={"responseLatencySeconds": 2.6})
    assert gone.status_code == 401

    # Rotate with an overlap: a new key shown once, the old one listed with its end.
    b("fill", selector=f"article[data-key='{key_id}'] form[data-form=rotate] input[type=number]", value="48")
    rotated = b("click", selector=f"article[data-key='{key_id}'] form[data-form=rotate] button",
                response=on("POST", f"/admin/api/keys/{key_id}/rotate"))
    assert rotated["status"] == 201 and rotated["body"]["oldKeyExpiresAt"], rotated
    ISSUED_SECRETS.add(rotated["body"]["secret"])
    b("waitText", selector=".once", text="shown once")
    b("waitText", selector=f"article[data-key='{key_id}'] [data-field=status]", text="expires")

    # Every one of those actions is on the Audit page, by this admin; the chain verifies.
    actions = audit_actions(b)
    for action in ("app.create", "key.create", "key.origins", "key.revoke", "key.rotate"):
        assert any(a.startswith(action) for a in actions), (action, actions)
    b("click", selector="button:text-is('Verify the chain')", response=on("GET", "/admin/api/audit/verify"))
    b("waitText", selector="[data-field=verify]", text="intact")
    b("fill", selector="form[data-form=audit-filter] input >> nth=3", value="key.revoke")
    b("click", selector="form[data-form=audit-filter] button", response=on("GET", "/admin/api/audit"))
    b("waitGone", selector="table.audit tbody tr:not([data-action^='key.revoke'])")
    assert b("count", selector="table.audit tbody tr")["count"] >= 1
    assert "server decommissioned" in page_text(b)  # the reason typed in the confirm dialog
    # By actor (any part of it), then a time range that holds nothing yet.
    b("fill", selector="form[data-form=audit-filter] input >> nth=3", value="")
    b("fill", selector="form[data-form=audit-filter] input >> nth=2", value="Sam Ortiz")
    b("click", selector="form[data-form=audit-filter] button", response=on("GET", "/admin/api/audit"))
    b("waitText", selector="table.audit tbody tr[data-action='app.create']", text="Sam Ortiz")
    actors = b("texts", selector="table.audit tbody td:nth-child(3)")["texts"]
    assert len(actors) >= 6 and all("Sam Ortiz" in a for a in actors), actors
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    b("fill", selector="form[data-form=audit-filter] input >> nth=0", value=tomorrow)
    b("click", selector="form[data-form=audit-filter] button", response=on("GET", "/admin/api/audit"))
    b("waitText", selector="table.audit tbody tr[data-empty]", text="No entries match")
    b("fill", selector="form[data-form=audit-filter] input >> nth=0", value="")
    b("fill", selector="form[data-form=audit-filter] input >> nth=2", value="")
    b("click", selector="form[data-form=audit-filter] button", response=on("GET", "/admin/api/audit"))
    b.screenshot("06-audit", full_page=True)
    exported = b("download", selector="a:text-is('Export as JSON Lines')")
    lines = [json.loads(line) for line in Path(exported["path"]).read_text().splitlines() if line.strip()]
    assert any(line["action"].startswith("key.revoke") for line in lines)
    assert secret not in Path(exported["path"]).read_text()

    sign_out(b)
    b("reload")
    assert b("count", selector="#main input[name=token]")["count"] == 1  # the session is gone server-side


def test_compare_and_promote_as_a_reviewer_refused_as_an_admin(console: Console, browser: Browser) -> None:
    b, base = browser, console.served.base_url
    engine = "section[data-engine='relapse_risk']"

    sign_in(b, console.admin_token)
    b("nav", name="Models", page="models")
    b("click", selector=f"{engine} button[data-compare-version='1']",
      response=on("GET", "/admin/api/models/relapse_risk/compare"))
    b("waitText", selector=f"{engine} .compare h3", text="Version 1")
    b("fill", selector=f"{engine} form[data-form=promote] input >> nth=0", value="validated on ward 7 data")
    b("fill", selector=f"{engine} form[data-form=promote] input >> nth=1", value="NMC-1234567")
    refused = b("click", selector=f"{engine} form[data-form=promote] button",
                response=on("POST", "/admin/api/models/relapse_risk/promote"))
    assert refused["status"] == 403 and refused["body"]["error"]["code"] == "forbidden", refused
    b("waitText", selector=f"{engine} form[data-form=promote] .error", text=refused["body"]["error"]["message"][:30])
    b.screenshot("01-promote-refused-for-an-admin")
    sign_out(b)

    sign_in(b, console.reviewer_token)
    b("nav", name="Models", page="models")
    compared = b("click", selector=f"{engine} button[data-compare-version='1']",
                 response=on("GET", "/admin/api/models/relapse_risk/compare"))
    assert compared["status"] == 200, compared
    comparison: dict[str, Any] = compared["body"]
    b("waitText", selector=f"{engine} .compare h3", text="Version 1")
    # The pictures carry the server's numbers: every band-matrix cell, and a histogram of each side.
    cells = [int(t.replace(",", "")) for t in b("texts", selector=f"{engine} .heat-table td")["texts"]]
    assert cells == [n for row in comparison["bandMatrix"]["counts"] for n in row]
    assert sum(cells) == comparison["n"] > 0
    assert b("count", selector=f"{engine} svg.chart")["count"] >= 1
    b.screenshot("02-compare", full_page=True)
    b.screenshot("admin-console", selector=engine)  # the picture docs/admin-console.md shows

    b("fill", selector=f"{engine} form[data-form=promote] input >> nth=0", value="validated on ward 7 data")
    b("fill", selector=f"{engine} form[data-form=promote] input >> nth=1", value="GMC-7654321")
    promoted = b("click", selector=f"{engine} form[data-form=promote] button",
                 response=on("POST", "/admin/api/models/relapse_risk/promote"))
    assert promoted["status"] == 200, promoted
    b("waitText", selector=engine, text="Active: version 1")
    key = console.served.new_key()
    answer = httpx.post(base + "/v1/relapse/predict", timeout=30, headers={"Authorization": f"Bearer {key}"},
                        json={"avgSleepHours": 5.5, "daysSinceLastVisit": 70})
    assert answer.json()["data"]["model"] == {"key": "relapse_risk", "version": 1, "source": "calibrated"}

    # Reset to the engine defaults, from the same page, with its own reason and licence number.
    b("nav", name="Models", page="models")
    b("click", selector=f"{engine} details summary")
    b("fill", selector=f"{engine} form[data-form=reset] input >> nth=0", value="alert rate doubled")
    b("fill", selector=f"{engine} form[data-form=reset] input >> nth=1", value="GMC-7654321")
    reset = b("click", selector=f"{engine} form[data-form=reset] button",
              response=on("POST", "/admin/api/models/relapse_risk/reset"))
    assert reset["status"] == 200, reset
    b("waitText", selector=engine, text="Active: engine defaults")
    answer = httpx.post(base + "/v1/relapse/predict", timeout=30, headers={"Authorization": f"Bearer {key}"},
                        json={"avgSleepHours": 5.5, "daysSinceLastVisit": 70})
    assert answer.json()["data"]["model"]["source"] == "default"

    actions = audit_actions(b)
    assert any("promote" in a for a in actions) and any("reset" in a for a in actions), actions
    text = page_text(b)
    assert "GMC-7654321" in text  # the reviewer's licence number is recorded with the promotion


def test_every_page_passes_axe_fits_390px_and_keeps_its_csp(console: Console, browser: Browser) -> None:
    b = browser
    sign_in_page = b("goto", path="/admin")
    csp = sign_in_page["headers"]["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe" not in csp
    # Keyboard: the first Tab reaches the skip link, which moves focus to the content.
    b("press", key="Tab")
    assert b("focused")["href"] == "#main"
    b("press", key="Enter")
    assert b("focused")["id"] == "main"
    scans: dict[str, Any] = {"signin": b("axe")["violations"]}
    sign_in(b, console.reviewer_token)
    for width in (1280, 390):
        b("viewport", width=width, height=900)
        for name, title in PAGES.items():
            b("nav", name=title, page=name)
            if name == "models":  # the comparison pictures are part of the page
                b("click", selector="section[data-engine='relapse_risk'] button[data-compare-version='2']",
                  response=on("GET", "/admin/api/models/relapse_risk/compare"))
                b("waitText", selector=".compare h3", text="Version 2")
            box = b("overflow")
            assert box["scrollWidth"] <= box["clientWidth"] and not box["wide"], (name, width, box)
            if width == 390:
                b.screenshot(f"narrow-{name}", full_page=True)
            else:
                scans[name] = b("axe")["violations"]
    serious = {page: [v for v in found if v["impact"] in ("serious", "critical")] for page, found in scans.items()}
    assert not any(serious.values()), serious
    (b.out / "axe.json").write_text(json.dumps(scans, indent=1))

    log = b("log")
    assert log["violations"] == []
    assert not [m for m in log["console"] if not m.startswith("error: Failed to load resource")], log["console"]
    # The one failed load a signed-out first visit makes: the session probe, answered 401.
    failed = [r for r in log["responses"] if r["status"] >= 400]
    assert all(r["path"] == "/admin/api/session" and r["status"] == 401 for r in failed), failed
    assert len([m for m in log["console"] if m.startswith("error:")]) == len(failed)
    pages = [r for r in log["responses"] if r["path"] == "/admin" or r["path"].startswith("/admin/static/")]
    assert pages and all(r["csp"] == csp for r in pages)
    # Nothing but the appliance's own files and its admin API was asked for.
    assert {r["path"].split("?")[0] for r in log["responses"]} <= {
        "/admin", *(f"/admin/static/{n}" for n in ("console.js", "charts.js", "dom.js", "pages.js", "models.js",
                                                    "console.css"))} | {
        r["path"] for r in log["responses"] if r["path"].startswith("/admin/api/")}


def test_throttled_sign_in_and_an_ended_session_say_what_happened(
    serve_appliance: Callable[..., Served], tmp_path: Path,
) -> None:
    served = serve_appliance(ATTUNIO_ADMIN_SIGNIN_MAX_FAILURES="2")
    admin = cli_token(served, "--name", "Sam Ortiz", "--role", "admin")
    b = Browser(served.base_url, tmp_path, ARTIFACTS / "throttle-and-expiry")
    try:
        b("goto", path="/admin")
        # A revoked identity's live session ends: the next page asks to sign in again.
        b("fill", selector="#main input[name=token]", value=admin)
        b("click", selector="#main button[type=submit]", response=on("POST", "/admin/api/session"))
        b("waitReady", page="overview")
        admin_id = json.loads(served.cli("admins", "list", "--json").stdout)[0]["id"]
        served.cli("admins", "revoke", admin_id, "--reason", "left the trust")
        b("nav", name="Usage", page="signin")
        b("waitText", selector="#main .error", text="Your session has ended")
        assert b("count", selector="#nav:not([hidden])")["count"] == 0

        for _ in range(2):
            b("fill", selector="#main input[name=token]", value="att_admin_" + "y" * 40)
            wrong = b("click", selector="#main button[type=submit]", response=on("POST", "/admin/api/session"))
            assert wrong["status"] == 401
        b("fill", selector="#main input[name=token]", value="att_admin_" + "y" * 40)
        throttled = b("click", selector="#main button[type=submit]", response=on("POST", "/admin/api/session"))
        assert throttled["status"] == 429 and throttled["body"]["error"]["code"] == "too_many_attempts", throttled
        b("waitText", selector="#main .error", text="Too many failed sign-ins")
        b("waitText", selector="#main .error", text="Try again in")
        b.screenshot("sign-in-throttled")
    finally:
        b.close()
