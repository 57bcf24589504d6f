"""`attunio serve`: the HTTP API under uvicorn, one process tree with N workers."""

from __future__ import annotations

import os
from typing import Any

import click
import uvicorn

from attunio.api.connection_limits import ConnectionLimits, ensure_file_limit
from attunio.cli.common import Context, fail, pass_ctx
from attunio.config import CONFIG_ENV
from attunio.logs import log_config
from attunio.store import Store, StoreError
from attunio.store.db import key_file_warnings
from attunio.tls.handshake import HandshakeTimeoutLoop

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
        store = Store.open(settings)  # a wrong key, missing, empty or foreign store stops here, with its reason
        try:
            store.check_pages()  # so does a damaged page, before any worker starts
        finally:
            store.close()
    except StoreError as exc:
        fail(str(exc))
    for warning in key_file_warnings(settings):
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if ctx.config is not None:
        os.environ[CONFIG_ENV] = str(ctx.config.resolve())  # workers load the same file
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
    for hook in SERVE_HOOKS:
        hook(settings, kwargs)
    uvicorn.run("attunio.api.app:app_from_environment", **kwargs)
