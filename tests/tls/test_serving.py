"""uvicorn options, /readyz certificate state and the header middleware, in process."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from attunio.api.security_headers import SecurityHeadersMiddleware
from attunio.config import ServerSettings, Settings, TlsSettings
from attunio.tls.certs import ensure_self_signed
from attunio.tls.context import ServerContextFactory, uvicorn_options
from attunio.tls.inspect import readiness, summarize_configured


def test_uvicorn_options_default() -> None:
    options = uvicorn_options(Settings())
    assert options["server_header"] is False
    assert options["proxy_headers"] is False
    assert isinstance(options["ssl_context_factory"], ServerContextFactory)


def test_uvicorn_options_with_proxies_and_no_tls() -> None:
    settings = Settings(server=ServerSettings(trusted_proxies=["10.0.0.5"]), tls=TlsSettings(enabled=False))
    options = uvicorn_options(settings)
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.0.0.5"]
    assert "ssl_context_factory" not in options


def test_readiness_states(tmp_path: Path) -> None:
    tls = TlsSettings()
    assert readiness(tls, tmp_path, dt.datetime.now(dt.UTC))["status"] == "error"
    ensure_self_signed(tls, tmp_path, dt.datetime.now(dt.UTC))
    expires = summarize_configured(tls, tmp_path).not_after
    assert readiness(tls, tmp_path, expires - dt.timedelta(days=60))["status"] == "ok"
    soon = readiness(tls, tmp_path, expires - dt.timedelta(days=10))
    assert soon["status"] == "warning" and "expires in 10 days" in soon["message"]
    assert readiness(tls, tmp_path, expires + dt.timedelta(days=1))["status"] == "error"
    assert readiness(TlsSettings(enabled=False), tmp_path, expires) == {"status": "disabled"}
    assert str(tmp_path) not in str(soon)


def run_app(middleware: SecurityHeadersMiddleware, scheme: str) -> dict[bytes, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(middleware({"type": "http", "scheme": scheme, "path": "/v1/x"}, receive, send))
    return dict(sent[0]["headers"])


def make(hsts: int, headers: list[tuple[bytes, bytes]]) -> SecurityHeadersMiddleware:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    return SecurityHeadersMiddleware(app, hsts_max_age=hsts)


def test_headers_over_https() -> None:
    headers = run_app(make(600, [(b"Server", b"x"), (b"content-type", b"text/plain")]), "https")
    assert headers[b"strict-transport-security"] == b"max-age=600"
    assert headers[b"cache-control"] == b"no-store"
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert b"Server" not in headers and b"server" not in headers


def test_no_hsts_over_http_or_when_zero_and_app_cache_policy_kept() -> None:
    assert b"strict-transport-security" not in run_app(make(600, []), "http")
    headers = run_app(make(0, [(b"cache-control", b"public, max-age=60")]), "https")
    assert b"strict-transport-security" not in headers
    assert headers[b"cache-control"] == b"public, max-age=60"
