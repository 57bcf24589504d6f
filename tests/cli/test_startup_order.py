"""The start-up steps of `serve` and `init`: which run, in which order, all before the server binds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.conftest import init_store, make_settings, settings_env

from attunio.cli import init as init_module
from attunio.cli import serve as serve_module
from attunio.cli.main import cli


def test_serve_steps_are_the_lock_then_trust_then_tls() -> None:
    assert [step.name for step in serve_module.SERVE_STEPS] == ["serve lock", "vendor trust", "tls"]


def test_init_steps_are_the_signing_key_then_the_certificate() -> None:
    assert [step.name for step in init_module.INIT_STEPS] == ["signing key", "certificate"]


def test_serve_runs_every_step_in_order_before_binding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_store(make_settings(tmp_path)).close()
    ran: list[str] = []
    steps = tuple(step._replace(run=lambda _s, _k, name=step.name: ran.append(name))
                  for step in serve_module.SERVE_STEPS)
    monkeypatch.setattr(serve_module, "SERVE_STEPS", steps)
    monkeypatch.setattr(serve_module.uvicorn, "run", lambda *_a, **_k: ran.append("bind"))
    result = CliRunner().invoke(cli, ["serve"], env=settings_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert ran == ["serve lock", "vendor trust", "tls", "bind"]


def test_a_second_serve_stops_at_the_lock_before_any_other_step(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock is first for a reason: a second server must not check or announce anything."""
    settings = make_settings(tmp_path)
    init_store(settings).close()
    from attunio.services.operations import restore

    restore.hold_serve_lock(settings)  # as a running server holds it
    monkeypatch.setattr(restore, "_held", restore._held[-1:])  # released below, not left to the process
    later: list[str] = []
    steps = (serve_module.SERVE_STEPS[0], *(step._replace(run=lambda _s, _k, n=step.name: later.append(n))
                                           for step in serve_module.SERVE_STEPS[1:]))
    monkeypatch.setattr(serve_module, "SERVE_STEPS", steps)
    monkeypatch.setattr(serve_module.uvicorn, "run", lambda *_a, **_k: later.append("bind"))
    result = CliRunner().invoke(cli, ["serve"], env=settings_env(tmp_path))
    restore._held[0].close()
    assert result.exit_code != 0 and "another `attunio serve`" in result.output
    assert later == []


def test_init_runs_its_steps_in_order_after_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def recorder(name: str) -> Any:
        def run(_settings: Any, store: Any) -> None:
            assert store is not None  # the store is open when the steps run
            ran.append(name)
        return run

    steps = tuple(step._replace(run=recorder(step.name)) for step in init_module.INIT_STEPS)
    monkeypatch.setattr(init_module, "INIT_STEPS", steps)
    result = CliRunner().invoke(cli, ["init"], env=settings_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert ran == ["signing key", "certificate"]
