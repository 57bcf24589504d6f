"""`attunio serve`: the HTTP API under uvicorn, one process tree with N workers."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from types import FrameType
from typing import Any, NamedTuple

import click
import uvicorn

from attunio.api.connection_limits import ConnectionLimits, ensure_file_limit
from attunio.api.metrics import read_token as read_metrics_token
from attunio.cli.backup import serve_lock
from attunio.cli.billing_common import check_vendor_trust
from attunio.cli.common import Context, fail, pass_ctx
from attunio.cli.tls import serve_tls
from attunio.config import ConfigError, Settings
from attunio.logs import log_config
from attunio.metrics.counters import reset as reset_request_counts
from attunio.settings_file import CONFIG_ENV
from attunio.store import Store, StoreError
from attunio.store.db import key_file_warnings
from attunio.tls.handshake import HandshakeTimeoutLoop


class ServeStep(NamedTuple):
    """One check or set-up before the port is bound: it stops start-up with its reason (`fail`),
    or adds to the server's options (uvicorn keyword arguments)."""

    name: str
    run: Callable[[Settings, dict[str, Any]], None]


# In this order: the lock first, so a second `serve` on the same data directory stops before it
# checks or prints anything; trust before TLS, because a bad vendor key stops start-up either way.
SERVE_STEPS: tuple[ServeStep, ...] = (
    ServeStep("serve lock", serve_lock),
    ServeStep("vendor trust", check_vendor_trust),
    ServeStep("tls", serve_tls),
)


@click.command(epilog="Examples:\n\n\b\n  attunio serve\n  attunio serve --port 9443 --workers 2\n")
@click.option("--host", default=None, help="Override server.host.")
@click.option("--port", type=int, default=None, help="Override server.port.")
@click.option("--workers", type=int, default=None, help="Override server.workers.")
@pass_ctx
def serve(ctx: Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API. Checks the store opens before binding the port."""
    settings = ctx.settings
    try:
        store = Store.open(settings)  # a wrong key, missing, empty or foreign store stops here, with its reason
        try:
            store.check_pages()  # so does a damaged page, before any worker starts
        finally:
            store.close()
    except StoreError as exc:
        fail(str(exc))
    for warning in key_file_warnings(settings):
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    try:
        read_metrics_token(settings)  # a missing or short scrape token stops here, before binding
    except ConfigError as exc:
        fail(str(exc))
    reset_request_counts(settings.data_dir)  # counts start from zero with every start
    if ctx.source.path is not None:
        os.environ[CONFIG_ENV] = str(ctx.source.path)  # workers load the same file, found once here
    limit_warning = ensure_file_limit(settings.server.max_connections)  # workers inherit the raised limit
    if limit_warning is not None:
        click.secho(f"warning: {limit_warning}", fg="yellow", err=True)
    kwargs: dict[str, Any] = {
        "host": host or settings.server.host,
        "port": port or settings.server.port,
        "workers": workers or settings.server.workers,
        "factory": True,
        # uvicorn's httptools protocol, head and body of each answer in one write (api/transport.py),
        # with limits on head size, head time and open connections (api/connection_limits.py);
        # no WebSocket support: the API has no such endpoint, so an upgrade request is just refused.
        "http": ConnectionLimits.from_settings(settings.server),
        "ws": "none",
        "timeout_keep_alive": settings.server.keep_alive_timeout,
        # uvloop, as uvicorn would pick, with the TLS handshake limited to tls.handshake_timeout.
        "loop": HandshakeTimeoutLoop(settings.tls.handshake_timeout),
        "log_config": log_config(settings.server.log_level),
        "server_header": False,
        "proxy_headers": bool(settings.server.trusted_proxies),
        "forwarded_allow_ips": ",".join(settings.server.trusted_proxies) or "127.0.0.1",
        "timeout_graceful_shutdown": 10,
    }
    for step in SERVE_STEPS:
        step.run(settings, kwargs)
    signal.signal(signal.SIGTERM, _stopped)
    uvicorn.run("attunio.api.app:app_from_environment", **kwargs)


def _stopped(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (every container stop) is how the appliance is meant to stop, so it exits 0.

    uvicorn shuts down gracefully on SIGTERM, then restores the handler it found and raises the
    signal again: with the default handler the process died by the signal (status 143) before the
    interpreter's exit could write the last log lines. This handler is the one it finds; raised
    before uvicorn takes over, it stops start-up the same way."""
    raise SystemExit(0)
