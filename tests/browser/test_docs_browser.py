"""The /docs reference page in a real headless Chromium against a served appliance: it renders
every operation of the served OpenAPI document and every schema, with no console message, no page
error and no CSP violation, and asks nothing of anyone but the appliance (driver, DevTools and
Chromium's own net log all say so)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from tests.browser.test_capture_browser import ARTIFACTS, CHROMIUM, HERE, netlog_requests, origin_of
from tests.conftest import Served

pytestmark = pytest.mark.browser
RUNNER = HERE / "docs_run.mjs"
PAGE_FILES = {"/docs", "/docs/reference.js", "/docs/reference.css", "/v1/openapi.json"}


def require_tools() -> None:
    missing = [] if Path(CHROMIUM).exists() else [CHROMIUM]
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        missing.append("tests/browser/node_modules")
    if missing:
        pytest.fail(f"browser test needs {', '.join(missing)}: run scripts/install-browser-deps")


def test_docs_page_renders_the_whole_document_with_no_console_errors_and_no_external_requests(
    served: Served, tmp_path: Path,
) -> None:
    require_tools()
    out = ARTIFACTS.parent / "docs"
    out.mkdir(parents=True, exist_ok=True)
    (tmp_path / "config.json").write_text(json.dumps({"chromium": CHROMIUM, "baseUrl": served.base_url,
                                                      "outDir": str(out)}))
    proc = subprocess.run(["node", str(RUNNER), str(tmp_path / "config.json")], capture_output=True, text=True,
                          timeout=180, cwd=HERE, check=False)
    assert proc.returncode == 0, f"runner failed:\n{proc.stderr[-4000:]}"
    run = json.loads(proc.stdout)
    (out / "results.json").write_text(json.dumps({k: v for k, v in run.items() if k != "text"}, indent=1))
    spec = httpx.get(served.base_url + "/v1/openapi.json", timeout=30).json()

    assert run["status"] == 200 and "script-src 'self'" in run["csp"] and "unsafe" not in run["csp"]
    assert run["state"] == "ready", run["text"][:500]
    assert run["console"] == [] and run["violations"] == []
    assert sorted(run["operations"]) == sorted(op["operationId"] for item in spec["paths"].values()
                                               for op in item.values())
    assert run["statuses"] == list(spec["paths"]["/v1/relapse/predict"]["post"]["responses"])
    assert run["schemas"] == len(spec["components"]["schemas"])
    assert run["fieldRows"] == sum(len(s.get("properties", {})) for s in spec["components"]["schemas"].values())
    assert "Symptom-scale administrations. Up to 500." in run["text"]

    origin = origin_of(served.base_url)
    for source in (run["requests"], run["cdpRequests"]):  # what the page asked for
        urls = [str(r["url"]) for r in source]
        assert all(origin_of(url) == origin for url in urls), urls
        assert {urlsplit(url).path for url in urls} == PAGE_FILES, urls
        assert all(r["method"] == "GET" for r in source)
    # Chromium's own log also sees the browser process (its component updater, which the page
    # does not start): everything the page initiated, and everything sent to the appliance, is the
    # page's four files.
    log = netlog_requests(Path(run["netLog"]))
    page_initiated = [str(r["url"]) for r in log if r.get("initiator") == origin]
    assert page_initiated and all(origin_of(url) == origin for url in page_initiated), page_initiated
    to_app = {urlsplit(str(r["url"])).path for r in log if origin_of(str(r["url"])) == origin}
    assert to_app == PAGE_FILES
    assert not [r for r in log if r.get("upload")]
