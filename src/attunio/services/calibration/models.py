"""Which parameter set each engine runs with, read on every scored request.

Until a calibrated version is promoted an engine runs its shipped defaults and answers
`model: {version: null, source: "default"}`. Each worker keeps the decoded parameter sets in memory,
tagged with the registry generation they were read at. Per request it asks the store whether
anything changed (`ChangeWatch`, no table read); only then does it read the one-row generation,
and it reloads when a promotion or rollback, in any process, has changed an active version.
The answer's model block and its params come from one immutable pair, so no answer mixes versions.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from attunio.engines import ENGINES, ParamsBase
from attunio.engines.common import ModelRef
from attunio.store import ChangeWatch, Store

log = logging.getLogger("attunio.models")

ActivePair = tuple[ModelRef, ParamsBase]

_GENERATION_SQL = "SELECT generation FROM model_generation WHERE id = 1"
# One statement, so the generation and the active rows come from the same snapshot.
_ACTIVE_SQL = (
    "SELECT g.generation, v.engine, v.version, v.params FROM model_generation AS g"
    " LEFT JOIN model_versions AS v ON v.state = 'active' WHERE g.id = 1"
)


def default_pair(engine_key: str) -> ActivePair:
    return ModelRef(key=engine_key, version=None, source="default"), ENGINES[engine_key].default_params


def decode_params(engine_key: str, params_json: str | bytes) -> ParamsBase:
    return msgspec.json.decode(params_json, type=ENGINES[engine_key].params_type, strict=True)


class ModelRegistry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._generation: int | None = None
        self._active: dict[str, ActivePair] = {key: default_pair(key) for key in ENGINES}
        self._watch = ChangeWatch(store)

    def active(self, engine_key: str) -> tuple[ModelRef, Any]:
        """The (model block, params) pair that answers this request."""
        if self._watch.unchanged():
            return self._active[engine_key]
        row = self.store.one(_GENERATION_SQL)
        if row is None or row[0] != self._generation:
            self._reload()
        return self._active[engine_key]

    def _reload(self) -> None:
        rows = self.store.query(_ACTIVE_SQL)
        active = {key: default_pair(key) for key in ENGINES}
        generation = None
        for gen, engine, version, params_json in rows:
            generation = int(gen)
            if engine is None:
                continue
            if engine not in ENGINES:
                log.warning("active model for unknown engine %s ignored", engine)
                continue
            try:
                params = decode_params(engine, params_json)
            except msgspec.ValidationError as exc:
                # A release whose params no longer accept the stored set: the answers say `default`,
                # so what they were computed with is never misreported.
                log.error("active %s version %s does not fit this release (%s); serving defaults", engine,
                          version, exc)
                continue
            active[engine] = (ModelRef(key=engine, version=int(version), source="calibrated"), params)
        self._active = active
        self._generation = generation
