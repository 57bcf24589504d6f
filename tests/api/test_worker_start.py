"""What a worker does once at start: the objects start-up built are kept out of every collection."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from tests.conftest import init_store, make_settings, settings_env

from attunio.api import app as app_module
from attunio.api.edge import Edge


def test_freezing_takes_start_up_objects_out_of_the_collector() -> None:
    built_at_start = [object() for _ in range(3)]
    try:
        app_module.freeze_start_up_objects()
        assert gc.get_freeze_count() > 0
        tracked = {id(o) for o in gc.get_objects()}
        assert id(built_at_start) not in tracked  # no collection walks it any more
        after = [object()]
        assert id(after) in {id(o) for o in gc.get_objects()}  # what requests leave behind still is
    finally:
        gc.unfreeze()


def test_after_freezing_what_requests_hold_at_once_triggers_no_young_collection() -> None:
    """A loop turn's concurrent requests hold a few thousand objects at once; none of that may
    trigger a collection of what reference counting is about to free anyway."""
    default = gc.get_threshold()
    collected: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collected.append(info["generation"])

    try:
        app_module.freeze_start_up_objects()
        assert gc.get_threshold()[0] == app_module.YOUNG_GENERATION_THRESHOLD
        assert gc.get_threshold()[1:] == default[1:]
        gc.callbacks.append(seen)
        for _ in range(50):  # fifty turns, each holding 5,000 live objects, then freeing them
            held = [[] for _ in range(5_000)]
            del held
        assert collected == []
    finally:
        if seen in gc.callbacks:
            gc.callbacks.remove(seen)
        gc.set_threshold(*default)
        gc.unfreeze()


def test_the_worker_factory_freezes_after_building_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_store(make_settings(tmp_path)).close()
    for name, value in settings_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    order: list[str] = []
    real_create = app_module.create_app
    monkeypatch.setattr(app_module, "create_app", lambda *a, **k: order.append("app") or real_create(*a, **k))
    monkeypatch.setattr(app_module, "freeze_start_up_objects", lambda: order.append("freeze"))
    monkeypatch.setattr(app_module, "configure", lambda level: None)  # leave this process's logging alone
    assert isinstance(app_module.app_from_environment(), Edge)
    assert order == ["app", "freeze"]
