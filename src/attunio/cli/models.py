"""`attunio models`: import calibration bundles, compare, promote, roll back, reset."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click
import msgspec

from attunio.cli.common import Context, actor, clear_errors, emit_table, fail, json_option, pass_ctx, vendor_trust
from attunio.cli.models_output import print_report, print_version, progress_bar
from attunio.engines import ENGINES
from attunio.services.calibration.bundles import BundleRefused
from attunio.services.calibration.compare import compare as run_compare
from attunio.services.calibration.compare import load_dataset, read_lines
from attunio.services.calibration.lifecycle import Calibration
from attunio.services.operations.admins import AdminService

ExistingFile = click.Path(exists=True, dir_okay=False, path_type=Path)
engine_argument = click.argument("engine", type=click.Choice(sorted(ENGINES)))
token_option = click.option(
    "--token-file", type=ExistingFile,
    help="File holding the reviewer's admin token (else it is asked for, without echo).",
)
MODELS_EXAMPLES = """Examples:

\b
  attunio models list
  attunio models import relapse-v3.attbundle --dry-run
  attunio models compare relapse --candidate 3 --dataset ward7.jsonl
  attunio models promote relapse 3 --reason "validated on ward 7 data" --token-file reviewer.token
  attunio models rollback relapse --reason "alert rate doubled" --token-file reviewer.token
"""

reason_option = click.option("--reason", required=True, help="Why, in words a later reader understands (audited).")


@contextmanager
def calibration(ctx: Context) -> Iterator[Calibration]:
    trust = vendor_trust(ctx.settings)
    with ctx.store() as store, clear_errors():
        yield Calibration(store, ctx.clock, trust.keys, ctx.settings.calibration.max_bundle_bytes)


def read_token(token_file: Path | None, what: str = "Reviewer token") -> str:
    if token_file is not None:
        return token_file.read_text(encoding="utf-8").strip()
    return str(click.prompt(what, hide_input=True)).strip()


@click.group()
def models() -> None:
    """Calibrated model versions: import, compare, promote, roll back, reset (docs/calibration.md)."""


@models.command("list", epilog=MODELS_EXAMPLES)
@click.option("--engine", type=click.Choice(sorted(ENGINES)), help="Only this engine.")
@json_option
@pass_ctx
def list_(ctx: Context, engine: str | None, as_json: bool) -> None:
    """Every engine's active version and every imported version."""
    with calibration(ctx) as service:
        versions = service.versions(engine)
        now = service.now()
    # An active version past its expiry keeps answering (an expiry never silently changes clinical
    # output), so the listing is where a reviewer sees that it needs replacing.
    rows = [{"engine": v.engine, "version": v.version,
             "state": v.state + (" (expired)" if datetime.fromisoformat(v.expires_at) <= now else ""),
             "expires_at": v.expires_at, "imported_at": v.imported_at, "promoted_by": v.promoted_by}
            for v in versions]
    active = {v.engine for v in versions if v.state == "active"}
    rows += [{"engine": key, "version": None, "state": "active (shipped defaults)"}
             for key in sorted(ENGINES) if key not in active and engine in (None, key)]
    emit_table(rows, ["engine", "version", "state", "expires_at", "imported_at", "promoted_by"], as_json)


@models.command("show", epilog=MODELS_EXAMPLES)
@engine_argument
@click.argument("version", type=int, required=False)
@json_option
@pass_ctx
def show(ctx: Context, engine: str, version: int | None, as_json: bool) -> None:
    """One version's parameters (against the shipped defaults), metrics and provenance; without
    VERSION, the active version and the engine's activation history."""
    with calibration(ctx) as service:
        version = version if version is not None else service.active_version(engine)
        model, params = service.pair(engine, version)
        record = service.get(engine, version) if version is not None else None
        history = service.history(engine)
    if as_json:
        click.echo(json.dumps({"model": msgspec.to_builtins(model), "params": msgspec.to_builtins(params),
                               "version": msgspec.to_builtins(record),
                               "history": msgspec.to_builtins(history)}, indent=2))
        return
    print_version(engine, model, params, record, history)


@models.command("import", epilog=MODELS_EXAMPLES)
@click.argument("file", type=ExistingFile)
@click.option("--dry-run", is_flag=True, help="Run every check and report, but store nothing.")
@click.option("--token-file", type=ExistingFile, help="Admin token file; the audit trail then names that person.")
@click.option("--reason", default="", help="Why it is imported (audited), e.g. the vendor's release note.")
@json_option
@pass_ctx
def import_(ctx: Context, file: Path, dry_run: bool, token_file: Path | None, reason: str, as_json: bool) -> None:
    """Verify a signed calibration bundle and store it as a candidate. Every check runs first."""
    limit = ctx.settings.calibration.max_bundle_bytes
    if file.stat().st_size > limit:
        fail(f"bundle refused (too_large): {file} is {file.stat().st_size} bytes; "
             f"calibration.max_bundle_bytes allows {limit}")
    data = file.read_bytes()
    with calibration(ctx) as service:
        who = actor()
        if token_file is not None:
            who = AdminService(service.store, ctx.clock).authenticate(read_token(token_file)).actor
        try:
            if dry_run:
                bundle = service.verify(data)
                if as_json:
                    click.echo(json.dumps({"ok": True, "stored": False, "engine": bundle.payload.engine,
                                           "version": bundle.payload.version, "signer": bundle.signer}))
                    return
                click.echo(f"bundle ok: {bundle.payload.engine} version {bundle.payload.version} "
                           f"signed by {bundle.signer}; nothing stored (--dry-run)")
                return
            version = service.import_bundle(data, actor=who, reason=reason)
        except BundleRefused as exc:
            fail(f"bundle refused ({exc.reason}): {exc.message}")
    if as_json:
        click.echo(json.dumps({"ok": True, "stored": True, "version": msgspec.to_builtins(version)}, indent=2))
        return
    click.echo(f"imported {version.engine} version {version.version} as a candidate "
               f"(signed by {version.signer}, expires {version.expires_at})")
    click.echo(f"next: attunio models compare {version.engine} --candidate {version.version} --dataset FILE")


@models.command("promote", epilog=MODELS_EXAMPLES)
@engine_argument
@click.argument("version", type=int)
@reason_option
@token_option
@json_option
@pass_ctx
def promote(ctx: Context, engine: str, version: int, reason: str, token_file: Path | None, as_json: bool) -> None:
    """Make candidate VERSION the one version ENGINE answers with (reviewer only)."""
    token = read_token(token_file)
    with calibration(ctx) as service:
        promoted = service.promote(engine, version, token=token, reason=reason)
    if as_json:
        click.echo(json.dumps({"ok": True, "active": msgspec.to_builtins(promoted)}, indent=2))
        return
    click.echo(f"promoted {engine} version {promoted.version} by {promoted.promoted_by}; "
               "every worker answers with it from its next request")


@models.command("rollback", epilog=MODELS_EXAMPLES)
@engine_argument
@click.option("--to", "version", type=int, help="The earlier version to re-activate (default: the previous one).")
@reason_option
@token_option
@json_option
@pass_ctx
def rollback(ctx: Context, engine: str, version: int | None, reason: str, token_file: Path | None,
             as_json: bool) -> None:
    """Re-activate an earlier version of ENGINE (reviewer only)."""
    token = read_token(token_file)
    with calibration(ctx) as service:
        active = service.rollback(engine, version, token=token, reason=reason)
    if as_json:
        click.echo(json.dumps({"ok": True, "active": msgspec.to_builtins(active)}, indent=2))
        return
    click.echo(f"rolled {engine} back to version {active.version}; every worker answers with it from its next request")


@models.command("reset", epilog=MODELS_EXAMPLES)
@engine_argument
@reason_option
@token_option
@json_option
@pass_ctx
def reset(ctx: Context, engine: str, reason: str, token_file: Path | None, as_json: bool) -> None:
    """Return ENGINE to its shipped default parameters (reviewer only)."""
    token = read_token(token_file)
    with calibration(ctx) as service:
        service.reset(engine, token=token, reason=reason)
    if as_json:
        click.echo(json.dumps({"ok": True, "engine": engine, "active": None, "shipped_defaults": True}))
        return
    click.echo(f"{engine} runs its shipped defaults again; every worker answers with them from its next request")


@models.command("compare", epilog=MODELS_EXAMPLES)
@engine_argument
@click.option("--candidate", "candidate", type=int, required=True, help="The imported version to compare.")
@click.option("--dataset", type=ExistingFile, required=True,
              help="JSON lines: request bodies, or {\"request\": …, \"outcome\": 0|1}.")
@click.option("--per-request", is_flag=True, help="Score one request at a time instead of vectorised.")
@json_option
@pass_ctx
def compare(ctx: Context, engine: str, candidate: int, dataset: Path, per_request: bool, as_json: bool) -> None:
    """Score an evaluation set under the active and the candidate parameters and compare."""
    with calibration(ctx) as service:
        active_pair = service.pair(engine, service.active_version(engine))
        candidate_pair = service.pair(engine, candidate)
    spec = ENGINES[engine]
    with progress_bar() as bar:
        task = bar.add_task("reading", total=dataset.stat().st_size)
        data = load_dataset(read_lines(dataset), spec, lambda n: bar.advance(task, n))
        task = bar.add_task("scoring", total=2 * len(data.requests))
        report = run_compare(engine, data, active_pair, candidate_pair, ctx.clock.now(),
                             vectorised=not per_request, progress=lambda n: bar.advance(task, n))
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(report), indent=2))
    else:
        print_report(report)
    for number, message in data.invalid[:5]:
        click.secho(f"skipped line {number}: {message}", fg="yellow", err=True)
