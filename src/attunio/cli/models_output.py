"""How `attunio models show` and `compare` print for a reader at a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from attunio.engines import ENGINES, ParamsBase
from attunio.engines.common import ModelRef
from attunio.services.calibration.compare import CompareReport, Concordance
from attunio.services.calibration.lifecycle import Activation, ModelVersion


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """On stderr, and only at a terminal, so piped JSON output stays clean."""
    bar = Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty())
    with bar:
        yield bar


def _model(model: ModelRef) -> str:
    return f"version {model.version} ({model.source})" if model.version is not None else "shipped defaults"


def print_version(engine: str, model: ModelRef, params: ParamsBase, record: ModelVersion | None,
                  history: list[Activation]) -> None:
    click.echo(f"{engine}: {_model(model)}")
    if record is not None:
        click.echo(f"  state      {record.state}")
        click.echo(f"  created    {record.created_at}   expires {record.expires_at}")
        click.echo(f"  signer     {record.signer}   bundle sha256 {record.bundle_sha256}")
        click.echo(f"  imported   {record.imported_at} by {record.imported_by}")
        if record.promoted_at:
            click.echo(f"  promoted   {record.promoted_at} by {record.promoted_by}")
        click.echo(f"  metrics    {msgspec.json.encode(record.metrics).decode()}")
        if record.notes:
            click.echo(f"  notes      {record.notes}")
    defaults = msgspec.to_builtins(ENGINES[engine].default_params)
    click.echo("  parameters (value, shipped default where different):")
    for name, value in msgspec.to_builtins(params).items():
        marker = "" if value == defaults[name] else f"   (default {defaults[name]})"
        click.echo(f"    {name:<32} {value}{marker}")
    if history:
        click.echo("  activation history:")
        for entry in history:
            what = f"version {entry.version}" if entry.version is not None else "shipped defaults"
            click.echo(f"    {entry.at}  {entry.action:<8} {what} by {entry.actor}: {entry.reason}")


def _concordance(label: str, value: Concordance | None) -> str:
    if value is None:
        return f"{label}: no outcomes in the set"
    auc = "n/a" if value.auc is None else f"{value.auc:.4f}"
    brier = "n/a" if value.brier is None else f"{value.brier:.4f}"
    return f"{label}: AUC {auc}, Brier {brier}"


def print_report(report: CompareReport) -> None:
    click.echo(f"{report.engine}: active {_model(report.active)} vs candidate {_model(report.candidate)}")
    path = "vectorised" if report.vectorised else "one request at a time"
    click.echo(f"cases        {report.cases} ({report.invalid_lines} invalid lines skipped; scored {path})")
    click.echo(f"agreement    {report.agreement:.2%} same level; {report.changed} cases change level")
    if report.max_abs_shift is not None:
        click.echo(f"score shift  mean {report.mean_shift:+.3f}, mean absolute {report.mean_abs_shift:.3f}, "
                   f"max absolute {report.max_abs_shift}")
    width = max(len(name) for name in report.levels) + 2
    click.echo("level change (rows: active, columns: candidate)")
    click.echo(" " * width + "".join(name.rjust(width) for name in report.levels))
    for name, row in zip(report.levels, report.matrix, strict=True):
        click.echo(name.ljust(width) + "".join(str(n).rjust(width) for n in row))
    click.echo(f"outcomes     {report.with_outcome} cases with an observed outcome")
    if report.with_outcome:
        click.echo("  " + _concordance("active   ", report.active_concordance))
        click.echo("  " + _concordance("candidate", report.candidate_concordance))
