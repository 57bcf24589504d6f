"""`attunio migrate`: apply this release's schema migrations to the store, then exit.

Every command applies missing migrations when it opens the store; this one does only that, so an
upgrade of several replicas on one PostgreSQL store migrates once, before the new replicas start.
Migrations are serialised across processes (one write lock or advisory lock), so two at once are safe.
"""

from __future__ import annotations

import click

from attunio.cli.common import Context, echo_json, json_option, pass_ctx
from attunio.store.migrations import latest_version


@click.command(epilog="Examples:\n\n\b\n  attunio migrate\n  attunio migrate --json\n")
@json_option
@pass_ctx
def migrate(ctx: Context, as_json: bool) -> None:
    """Apply the schema migrations this release has and the store lacks; a store from a newer
    release is refused (exit 3)."""
    with ctx.store() as store:
        applied, where = store.applied, str(store.path)
    if as_json:
        echo_json({"ok": True, "store": where, "schema": latest_version(), "applied": applied})
        return
    done = ", ".join(map(str, applied)) if applied else "none: already up to date"
    click.echo(f"store       {where}\nschema      {latest_version()}\napplied     {done}")
