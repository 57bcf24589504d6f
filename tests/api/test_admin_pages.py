"""The console's pages as the appliance serves them: /admin (with or without the trailing slash)
and its fixed list of static files, each under the console's CSP; /dashboard sends the browser to
/admin; any other name under /admin/static/ is a 404 in the envelope; no file holds an inline
script, an inline style or innerHTML, and none names another origin."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from attunio.admin_console.pages import CSP, FILES, HERE

PATHS = ["/admin", "/admin/", *(f"/admin/static/{name}" for name in FILES)]


@pytest.mark.parametrize("path", PATHS)
def test_every_page_file_is_served_under_the_console_csp(client: TestClient, path: str) -> None:  # type: ignore[type-arg]
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["x-content-type-options"] == "nosniff"
    kind = answer.headers["content-type"].split(";")[0]
    assert kind == {"css": "text/css", "js": "text/javascript"}.get(path.rsplit(".", 1)[-1], "text/html")


def test_the_policy_allows_nothing_inline_and_nothing_from_elsewhere() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in CSP


def test_dashboard_redirects_to_the_console(client: TestClient) -> None:  # type: ignore[type-arg]
    answer = client.get("/dashboard", follow_redirects=False)
    assert answer.status_code == 302 and answer.headers["location"] == "/admin"


def test_an_unknown_static_name_is_a_404_in_the_envelope(client: TestClient) -> None:  # type: ignore[type-arg]
    answer = client.get("/admin/static/../pages.py")
    assert answer.status_code == 404
    answer = client.get("/admin/static/index.js")
    assert answer.status_code == 404 and answer.json()["ok"] is False


def test_the_files_hold_no_inline_code_no_markup_from_strings_and_no_other_origin() -> None:
    html = (HERE / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and "<style" not in html and " style=" not in html
    assert not re.search(r"\bon[a-z]+=", html)
    for name in FILES:
        text = (HERE / name).read_text()
        assert "innerHTML" not in text and "outerHTML" not in text and "insertAdjacentHTML" not in text, name
        assert "eval(" not in text and "new Function" not in text, name
        assert "setAttribute('style'" not in text, name
        # The only absolute URL any file holds is the SVG namespace.
        assert set(re.findall(r"https?://[^\s'\"`)]+", text)) <= {"http://www.w3.org/2000/svg"}, name
