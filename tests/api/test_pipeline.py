"""Every engine endpoint, every method and path variant, through the one stack and its envelope.

Each case goes through `Edge` -> Litestar's router -> the engine's ASGI route (or the router's own
404/405), and each leaves with a Request-Id, the security headers and one access line.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from litestar.routes import ASGIRoute
from litestar.testing import TestClient
from tests.conftest import ALLOWED_ORIGIN, Keys

from attunio.api.edge import CLIENT_CLOSED, Edge
from attunio.api.runtime import Runtime
from attunio.engines import ENGINES

PATHS = [spec.path for spec in ENGINES.values()]
BROWSER = ENGINES["dmse_signals"].path
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}


def body_for(path: str) -> bytes:
    from tests.e2e.test_attacks import valid_bodies

    body = valid_bodies()[path]
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def auth(keys: Keys) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.issue()}", "Content-Type": "application/json"}


def common(response: Any) -> None:
    assert response.headers["request-id"].startswith("req_")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    common(response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert response.json()["ok"] is False and error["code"] == code and error["message"]
    return dict(error)


def test_each_engine_path_is_one_asgi_route_of_the_one_router(app: Edge) -> None:
    routes = {route.path: route for route in app.app.routes}
    for path in PATHS:
        assert isinstance(routes[path], ASGIRoute)
    assert len([r for r in app.app.routes if r.path in PATHS]) == len(PATHS)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("variant", ["", "/"], ids=["exact", "trailing-slash"])
def test_post_is_answered_on_the_exact_path_and_with_a_trailing_slash(
        client: TestClient[Any], keys: Keys, path: str, variant: str) -> None:
    response = client.post(path + variant, content=body_for(path), headers=auth(keys))
    common(response)
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "HEAD"])
@pytest.mark.parametrize("variant", ["", "/"], ids=["exact", "trailing-slash"])
def test_other_methods_get_405_with_allow(client: TestClient[Any], keys: Keys, path: str, method: str,
                                          variant: str) -> None:
    response = client.request(method, path + variant, headers=auth(keys))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    common(response)
    if method != "HEAD":  # a HEAD answer has no body by definition
        assert f"{method} is not allowed here; use POST." == refused(response, 405, "method_not_allowed")["message"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("variant", ["", "/"], ids=["exact", "trailing-slash"])
def test_options_without_preflight_lists_the_methods(client: TestClient[Any], path: str, variant: str) -> None:
    response = client.options(path + variant)
    common(response)
    assert response.status_code == 204
    assert response.headers["allow"] == "OPTIONS, POST"


@pytest.mark.parametrize("path", PATHS)
def test_options_with_preflight_headers_is_the_cors_decision(client: TestClient[Any], keys: Keys, path: str) -> None:
    keys.issue("publishable", "test", [ALLOWED_ORIGIN])
    response = client.options(path, headers={**PREFLIGHT, "Origin": ALLOWED_ORIGIN})
    common(response)
    if path == BROWSER:
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    else:
        assert refused(response, 403, "forbidden")["message"] == f"Only POST {BROWSER} may be called from a browser."


@pytest.mark.parametrize("path", PATHS)
def test_an_over_size_body_is_refused_with_413(client: TestClient[Any], keys: Keys, runtime: Runtime,
                                               path: str) -> None:
    limit = runtime.settings.server.max_body_bytes
    response = client.post(path, content=b"[" + b" " * limit + b"]", headers=auth(keys))
    assert str(limit) in refused(response, 413, "payload_too_large")["message"]


def _drive(app: Edge, path: str, headers: dict[str, str], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One request straight over ASGI, the body arriving as `messages` (a stream without a length)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http", "method": "POST",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "state": {},
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    pending, sent = list(messages), []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return sent


@pytest.mark.parametrize("path", PATHS)
def test_a_streamed_body_over_the_cap_is_refused_as_it_arrives(app: Edge, keys: Keys, runtime: Runtime,
                                                               path: str) -> None:
    limit = runtime.settings.server.max_body_bytes
    chunk = {"type": "http.request", "body": b" " * (limit // 2 + 1), "more_body": True}
    sent = _drive(app, path, auth(keys), [chunk, chunk, chunk])
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("path", PATHS)
def test_a_client_leaving_mid_body_is_logged_as_a_client_error_not_answered(
        app: Edge, keys: Keys, path: str, caplog: pytest.LogCaptureFixture) -> None:
    half = {"type": "http.request", "body": body_for(path)[:5], "more_body": True}
    with caplog.at_level(logging.INFO):
        sent = _drive(app, path, auth(keys), [half, {"type": "http.disconnect"}])
    assert sent == []
    access = [r for r in caplog.records if r.name == "attunio.access"]
    assert [r.status for r in access] == [CLIENT_CLOSED]  # type: ignore[attr-defined]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_server_access_log_false_writes_no_access_lines(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    from tests.conftest import init_store, make_settings

    from attunio.api.app import create_app

    settings = make_settings(tmp_path, ATTUNIO_SERVER_ACCESS_LOG="false")
    store = init_store(settings)
    try:
        with caplog.at_level(logging.INFO), TestClient(create_app(settings, store)) as quiet:
            assert quiet.get("/healthz").status_code == 200
        assert not [r for r in caplog.records if r.name == "attunio.access"]
    finally:
        store.close()
