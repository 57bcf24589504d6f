"""`attunio ehr`: the EHRs allowed to call the CDS Hooks services, and their feedback counts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from attunio.cds.registry import CdsRegistry
from attunio.cli.common import Context, actor, clear_errors, emit_table, json_option, pass_ctx


@click.group()
def ehr() -> None:
    """Register, list and remove EHRs that call the CDS Hooks services (docs/ehr-integration.md)."""


@ehr.command("register", epilog=(
    "Examples:\n\n\b\n"
    "  attunio ehr register --iss https://ehr.hospital.local --name epic-prod \\\n"
    "      --jwks /etc/attunio/epic-jwks.json\n"
    "  attunio ehr register --iss https://ehr.hospital.local --name epic-prod \\\n"
    "      --jwks /etc/attunio/epic-jwks.json --jku https://ehr.hospital.local/jwks\n"))
@click.option("--iss", required=True, help="The issuer exactly as the EHR's JWTs carry it in `iss`.")
@click.option("--name", required=True, help="A short name for the audit trail and the access log.")
@click.option("--jwks", "jwks_file", type=click.Path(path_type=Path, dir_okay=False, exists=True), required=True,
              help="The EHR's JWK Set (public keys, each with a `kid`), as a JSON file.")
@click.option("--jku", multiple=True, help="A JWK Set URL the EHR may name in its JWT `jku` header (repeatable).")
@pass_ctx
def register(ctx: Context, iss: str, name: str, jwks_file: Path, jku: tuple[str, ...]) -> None:
    """Allow an EHR's JWTs: its issuer, its public keys, and any jku URLs it uses."""
    with ctx.store() as store, clear_errors():
        client = CdsRegistry(store, ctx.clock).register(iss, name, jwks_file.read_text(encoding="utf-8"),
                                                        list(jku), actor=actor())
    kids = ", ".join(k["kid"] for k in json.loads(client.jwks)["keys"])
    click.echo(f"registered {client.name} ({client.iss}); keys: {kids}")
    for url in client.jku:
        if not url.startswith("https://"):
            click.secho(f"warning: jku {url} is not https; use it on a trusted network only", fg="yellow", err=True)


@ehr.command("list", epilog="Examples:\n\n\b\n  attunio ehr list\n  attunio ehr list --json\n")
@json_option
@pass_ctx
def list_(ctx: Context, as_json: bool) -> None:
    """List registered EHRs (removed ones show when they were removed)."""
    with ctx.store() as store:
        rows = [{"iss": c.iss, "name": c.name, "kids": ",".join(k["kid"] for k in json.loads(c.jwks)["keys"]),
                 "jku": ",".join(c.jku), "created_at": c.created_at, "removed_at": c.removed_at}
                for c in CdsRegistry(store, ctx.clock).clients()]
    emit_table(rows, ["iss", "name", "kids", "jku", "created_at", "removed_at"], as_json)


@ehr.command("remove", epilog=("Examples:\n\n\b\n"
                               "  attunio ehr remove https://ehr.hospital.local --reason 'EHR decommissioned'\n"))
@click.argument("iss")
@click.option("--reason", default="", help="Why, for the audit trail.")
@pass_ctx
def remove(ctx: Context, iss: str, reason: str) -> None:
    """Stop accepting JWTs from ISS."""
    with ctx.store() as store, clear_errors():
        client = CdsRegistry(store, ctx.clock).remove(iss, actor=actor(), reason=reason)
    click.echo(f"removed {client.iss} at {client.removed_at}")


@ehr.command("calls", epilog="Examples:\n\n\b\n  attunio ehr calls\n  attunio ehr calls --json\n")
@json_option
@pass_ctx
def calls(ctx: Context, as_json: bool) -> None:
    """Admitted CDS Hooks calls per issuer, JWT `tenant` and UTC day."""
    with ctx.store() as store:
        rows = CdsRegistry(store, ctx.clock).calls()
    emit_table(rows, ["day", "iss", "tenant", "count"], as_json)


@ehr.command("feedback", epilog="Examples:\n\n\b\n  attunio ehr feedback --json > cds-feedback.json\n")
@json_option
@pass_ctx
def feedback(ctx: Context, as_json: bool) -> None:
    """Card feedback counts per service, card kind, model version, outcome and reason (no patient data)."""
    with ctx.store() as store:
        rows = CdsRegistry(store, ctx.clock).feedback_counts()
    emit_table(rows, ["service", "kind", "model_key", "model_version", "outcome", "reason", "count"], as_json)
