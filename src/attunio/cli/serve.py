"""`attunio serve`: the HTTP API under uvicorn, one process tree with N workers."""

from __future__ import annotations

import os
from typing import Any

import click
import uvicorn

from attunio.api.transport import CoalescingHttpToolsProtocol
from attunio.cli.common import Context, fail, pass_ctx
from attunio.logs import log_config
from attunio.settings_file import CONFIG_ENV
from attunio.store import Store, StoreError

SERVE_HOOKS: list = []  # type: ignore[type-arg]  # (settings, uvicorn kwargs) -> None: TLS registers here


@click.command(epilog="Examples:\n\n\b\n  attunio serve\n  attunio serve --port 9443 --workers 2\n")
@click.option("--host", default=None, help="Override server.host.")
@click.option("--port", type=int, default=None, help="Override server.port.")
@click.option("--workers", type=int, default=None, help="Override server.workers.")
@pass_ctx
def serve(ctx: Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API. Checks the store opens before binding the port."""
    from attunio.cli.hooks import load_hooks

    load_hooks()
    settings = ctx.settings
    try:
        Store.open(settings).close()  # a wrong key or missing store stops here, with its reason
    except StoreError as exc:
        fail(str(exc))
    if ctx.source.path is not None:
        os.environ[CONFIG_ENV] = str(ctx.source.path)  # workers load the same file, found once here
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
    uvicorn.run("attunio.api.app:app_from_environment", **kwargs)
