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
