"""config/attunio.toml is the shipped defaults, all of them: every setting in config.py appears in
it with its default value, and nothing else does."""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from attunio.config import Settings, setting_names

CONFIG = Path(__file__).resolve().parents[1] / "config" / "attunio.toml"


def test_the_shipped_file_holds_every_setting_at_its_default() -> None:
    shipped = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    defaults = msgspec.to_builtins(Settings())
    assert shipped == defaults
    assert [f"{s}.{f}" for s in shipped for f in shipped[s]] == setting_names()
