"""`GET /metrics` for the hospital's monitoring, behind its own token (or mTLS), and the hook that
counts every answer for it.

Counting hangs on the access log (`AccessLog.observer`), the one place that already sees every
answer's path, status and duration, whichever layer produced it."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, get

from attunio.api.edge import access_log
from attunio.api.routes import runtime_of
from attunio.config import ConfigError, Settings
from attunio.errors import ApiError
from attunio.metrics.counters import Layout, RequestCounters, metrics_dir
from attunio.metrics.state import appliance_state

MIN_TOKEN_LENGTH = 32
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="metrics"'}


def read_token(settings: Settings) -> bytes | None:
    """The scrape token, or None when none is required; a bad file stops start-up with its reason."""
    metrics = settings.metrics
    if not metrics.enabled or metrics.auth != "token":
        return None
    path = Path(metrics.token_file)
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"metrics.token_file: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token):
        raise ConfigError(f"metrics.token_file: {path} must hold one token of at least {MIN_TOKEN_LENGTH} "
                          "characters without spaces (e.g. `openssl rand -hex 32`)")
    return token.encode()


class MetricsEndpoint:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.token = read_token(settings)
        self.folder = metrics_dir(settings.data_dir)
        self.layout: Layout | None = None

    def routes(self) -> list[Any]:
        if not self.settings.metrics.enabled:
            return []

        @get("/metrics", sync_to_thread=False)
        def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
            self.check(request.headers.get("authorization"))
            # prometheus_client is imported only by a worker that serves metrics.
            from attunio.metrics.exposition import render

            runtime = runtime_of(request)
            gauges = appliance_state(runtime, runtime.clock.now())
            if self.layout is None:  # `start` sets it before the app serves
                raise RuntimeError("metrics endpoint used before MetricsEndpoint.start")
            body, content_type = render(self.folder, self.layout, gauges, request.headers.get("accept"))
            return Response(body, headers={"content-type": content_type, "Cache-Control": "no-store"})

        return [metrics]

    def start(self, app: Litestar) -> None:
        """Count this worker's answers from now on (or stop counting, when metrics are off)."""
        access_log.observer = None
        if not self.settings.metrics.enabled:
            return
        self.layout = Layout.of(route.path for route in app.routes)
        access_log.observer = RequestCounters(self.folder, self.layout).observe

    def check(self, authorization: str | None) -> None:
        if self.token is None:  # mtls: the handshake already required a client certificate
            return
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError("unauthorized", "Send the scrape token: `Authorization: Bearer <metrics token>`.",
                           headers=CHALLENGE)
        if not hmac.compare_digest(token.strip().encode(), self.token):
            raise ApiError("invalid_token", "The metrics token is not the one this appliance is configured with.",
                           headers=CHALLENGE)
