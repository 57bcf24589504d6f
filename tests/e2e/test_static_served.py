"""The demo page and the SDK files over a socket: each says its charset once."""

from __future__ import annotations

import httpx
import pytest
from tests.conftest import Served

EXPECTED = {"/demo": "text/html; charset=utf-8", "/sdk/capture.js": "text/javascript; charset=utf-8",
            "/sdk/demo.css": "text/css; charset=utf-8"}


@pytest.mark.e2e
def test_static_files_name_one_charset(served: Served) -> None:
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        for path, content_type in EXPECTED.items():
            answer = http.get(path)
            assert answer.status_code == 200, path
            assert answer.headers.get_list("content-type") == [content_type], path


@pytest.mark.e2e
def test_the_reference_page_is_served_under_a_strict_policy(served: Served) -> None:
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        for path, content_type in (("/docs", "text/html; charset=utf-8"),
                                   ("/docs/reference.js", "text/javascript; charset=utf-8"),
                                   ("/docs/reference.css", "text/css; charset=utf-8")):
            answer = http.get(path)
            assert answer.status_code == 200, path
            assert answer.headers.get_list("content-type") == [content_type], path
            policy = answer.headers["content-security-policy"]
            assert "default-src 'none'" in policy and "script-src 'self'" in policy and "unsafe" not in policy
        page = http.get("/docs").text
        assert "<script src=\"/docs/reference.js\"" in page and "http" not in page.replace("/v1/openapi.json", "")
