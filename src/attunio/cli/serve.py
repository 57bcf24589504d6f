"""`attunio serve`: the HTTP API under uvicorn, one process tree with N workers."""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import Any

import click
import uvicorn

from attunio.api.metrics import read_token as read_metrics_token
from attunio.api.transport import CoalescingHttpToolsProtocol
from attunio.cli.common import Context, fail, pass_ctx
from attunio.config import CONFIG_ENV, ConfigError
from attunio.logs import log_config
from attunio.metrics.counters import reset as reset_request_counts
from attunio.store import Store, StoreError

SERVE_HOOKS: list = []  # type: ignore[type-arg]  # (settings, uvicorn kwargs) -> None: TLS registers here


@click.command()
@click.option("--host", default=None, help="Override server.host.")
@click.option("--port", type=int, default=None, help="Override server.port.")
@click.option("--workers", type=int, default=None, help="Override server.workers.")
@pass_ctx
def serve(ctx: Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API. Checks the store opens before binding the port."""
    settings = ctx.settings
    try:
        Store.open(settings).close()  # a wrong key or missing store stops here, with its reason
    except StoreError as exc:
        fail(str(exc))
    try:
        read_metrics_token(settings)  # a missing or short scrape token stops here, before binding
    except ConfigError as exc:
        fail(str(exc))
    reset_request_counts(settings.data_dir)  # counts start from zero with every start
    if ctx.config is not None:
        os.environ[CONFIG_ENV] = str(ctx.config.resolve())  # workers load the same file
    kwargs: dict[str, Any] = {
        "host": host or settings.server.host,
        "port": port or settings.server.port,
        "workers": workers or settings.server.workers,
        "factory": True,
        # uvicorn's httptools protocol, head and body of each answer in one write (api/transport.py);
        # no WebSocket support: the API has no such endpoint, so an upgrade request is just refused.
        "http": CoalescingHttpToolsProtocol,
        "ws": "none",
        "log_config": log_config(settings.server.log_level),
        "server_header": False,
        "proxy_headers": bool(settings.server.trusted_proxies),
        "forwarded_allow_ips": ",".join(settings.server.trusted_proxies) or "127.0.0.1",
        "timeout_graceful_shutdown": 10,
    }
    for hook in SERVE_HOOKS:
        hook(settings, kwargs)
    signal.signal(signal.SIGTERM, _stopped)
    uvicorn.run("attunio.api.app:app_from_environment", **kwargs)


def _stopped(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (every container stop) is how the appliance is meant to stop, so it exits 0.

    uvicorn shuts down gracefully on SIGTERM, then restores the handler it found and raises the
    signal again: with the default handler the process died by the signal (status 143) before the
    interpreter's exit could write the last log lines. This handler is the one it finds; raised
    before uvicorn takes over, it stops start-up the same way."""
    raise SystemExit(0)
