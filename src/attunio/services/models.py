"""Which parameter set each engine runs with. Until a calibrated version is promoted, every
engine runs its shipped defaults and answers `model: {version: null, source: "default"}`."""

from __future__ import annotations

from typing import Any

from attunio.engines import ENGINES
from attunio.engines.common import ModelRef
from attunio.store import Store


class ModelRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._defaults = {
            key: (ModelRef(key=key, version=None, source="default"), spec.default_params)
            for key, spec in ENGINES.items()
        }

    def active(self, engine_key: str) -> tuple[ModelRef, Any]:
        return self._defaults[engine_key]
