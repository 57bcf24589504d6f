"""`attunio tls`: the serving certificate; and TLS's part in `init` and `serve`.

`init` makes a self-signed certificate and a CSR when none is configured; `serve` builds the
server context once before binding, so a missing file, a wrong key password or a key that does
not match its certificate stops start-up with the setting's name instead of a worker traceback.
"""

from __future__ import annotations

from typing import Any

import click

from attunio.cli.common import Context, echo_json, fail, json_option, pass_ctx
from attunio.cli.exits import CONFIG
from attunio.clock import SystemClock
from attunio.config import Settings
from attunio.tls.certs import ensure_self_signed
from attunio.tls.context import ServerContextFactory, TlsError, build_server_context
from attunio.tls.inspect import describe, summarize_configured, tls_warnings


@click.group()
def tls() -> None:
    """Inspect the TLS certificate and settings in force."""


@tls.command("show", epilog="Examples:\n\n\b\n  attunio tls show\n  attunio tls show --json | jq .days_left\n")
@json_option
@pass_ctx
def show(ctx: Context, as_json: bool) -> None:
    """Print the serving certificate's subject, names, issuer, expiry and the TLS profile."""
    settings = ctx.settings
    if not settings.tls.enabled and not as_json:
        click.echo("TLS is off (tls.enabled = false): the appliance serves plain HTTP.")
    try:
        summary = summarize_configured(settings.tls, settings.data_dir)
    except TlsError as exc:
        fail(f"{exc}\nno certificate yet? `attunio init` makes a self-signed one", CONFIG, kind="tls")
    now = ctx.clock.now()
    if as_json:
        echo_json({
            "ok": True, "enabled": settings.tls.enabled, "profile": settings.tls.profile,
            "certificate": str(summary.path), "subject": summary.subject, "issuer": summary.issuer,
            "self_signed": summary.self_signed, "dns_names": list(summary.dns_names),
            "ip_addresses": list(summary.ip_addresses), "not_before": summary.not_before.isoformat(),
            "not_after": summary.not_after.isoformat(), "days_left": int(summary.days_left(now)),
            "key": summary.key, "serial": summary.serial, "sha256": summary.sha256,
            "chain_length": summary.chain_length, "client_ca_file": settings.tls.client_ca_file or None,
            "client_crl_file": settings.tls.client_crl_file or None,
            "warnings": tls_warnings(settings.tls, summary, now),
        })
        return
    for line in describe(summary, settings.tls, now):
        click.echo(line)


def init_certificate(settings: Settings, store: Any) -> None:
    """An init step: a self-signed certificate and a CSR, unless one is configured or exists."""
    del store  # certificates live in files, not in the store
    if not settings.tls.enabled:
        return
    try:
        issued = ensure_self_signed(settings.tls, settings.data_dir, SystemClock().now())
    except TlsError as exc:
        fail(str(exc))
    if issued is None:
        click.echo(f"certificate {settings.tls.cert_file} (configured)")
    elif issued.created:
        click.echo(f"certificate {issued.cert_file} (self-signed, created)")
        click.echo(f"tls key     {issued.key_file} (created, mode 0600)")
        click.echo(f"csr         {issued.csr_file} (take it to your CA; see docs/deploy.md)")
    else:
        click.echo(f"certificate {issued.cert_file} (exists, kept)")


def serve_tls(settings: Settings, kwargs: dict[str, Any]) -> None:
    """A serve step: check the TLS material now, then let each worker build its context."""
    if not settings.tls.enabled:
        return
    try:
        build_server_context(settings.tls, settings.data_dir)
        summary = summarize_configured(settings.tls, settings.data_dir)
    except TlsError as exc:
        fail(str(exc))
    for warning in tls_warnings(settings.tls, summary, SystemClock().now()):
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    kwargs["ssl_context_factory"] = ServerContextFactory.from_settings(settings)

