"""`attunio admins`: admin and reviewer identities and their tokens."""

from __future__ import annotations

import click

from attunio.cli.common import Context, actor, as_rows, clear_errors, echo_json, emit_table, json_option, pass_ctx
from attunio.services.operations.admins import AdminService

EXAMPLES = ("Examples:\n\n\b\n"
            "  attunio admins create --name \"Dr Ada Byron\" --role reviewer --licence-number \"GMC 7654321\"\n"
            "  attunio admins list\n  attunio admins revoke adm_0123456789abcdef --reason \"left the trust\"\n")


@click.group()
def admins() -> None:
    """Create, list and revoke admin identities (roles: admin, reviewer)."""


@admins.command("create", epilog=EXAMPLES)
@click.option("--name", required=True, help="Full name, as the audit trail should show it.")
@click.option("--role", type=click.Choice(["admin", "reviewer"]), required=True,
              help="admin: keys, licenses, bundles. reviewer: a licensed clinician who promotes calibrations.")
@click.option("--licence-number", default=None, help="Clinical licence number (required for reviewers).")
@json_option
@pass_ctx
def create(ctx: Context, name: str, role: str, licence_number: str | None, as_json: bool) -> None:
    """Create an identity and print its token once."""
    with ctx.store() as store, clear_errors():
        admin, token = AdminService(store, ctx.clock).create(name, role, actor=actor(),  # type: ignore[arg-type]
                                                             licence_number=licence_number)
    if as_json:
        echo_json({"ok": True, "admin": as_rows([admin])[0], "token": token, "shown_once": True})
        return
    click.echo(f"created {admin.role} {admin.id} ({admin.name})")
    click.echo("The token is shown once and cannot be recovered; give it to its holder now:")
    click.echo(token)


@admins.command("list", epilog=EXAMPLES)
@json_option
@pass_ctx
def list_(ctx: Context, as_json: bool) -> None:
    """List identities."""
    with ctx.store() as store:
        rows = as_rows(AdminService(store, ctx.clock).list())
    emit_table(rows, ["id", "name", "role", "licence_number", "last4", "created_at", "revoked_at"], as_json)


@admins.command("revoke", epilog=EXAMPLES)
@click.argument("admin_id")
@click.option("--reason", default="", help="Why, for the audit trail.")
@json_option
@pass_ctx
def revoke(ctx: Context, admin_id: str, reason: str, as_json: bool) -> None:
    """Revoke ADMIN_ID's token."""
    with ctx.store() as store, clear_errors():
        admin = AdminService(store, ctx.clock).revoke(admin_id, actor=actor(), reason=reason)
    if as_json:
        echo_json({"ok": True, "admin": as_rows([admin])[0]})
        return
    click.echo(f"revoked {admin.id} at {admin.revoked_at}")
