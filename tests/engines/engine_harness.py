"""Run a JSON body through validation and an engine the way the HTTP layer does, to bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from attunio.engines import ENGINES, EngineSpec, default_model
from attunio.validation import RequestInvalid, decode_request

NOW = datetime(2026, 6, 28, 15, 4, 5, 123456, tzinfo=UTC)
GOLDEN = Path(__file__).parent / "golden"
SPEC_BY_PATH = {spec.path: spec for spec in ENGINES.values()}


def answer(spec: EngineSpec, body: bytes, params: Any = None, now: datetime = NOW) -> bytes:
    try:
        request = decode_request(body, spec, now)
    except RequestInvalid as exc:
        error = {"code": "invalid_request", "message": exc.message, "issues": exc.issues}
        return msgspec.json.encode({"ok": False, "error": error})
    result = spec.analyze(request, params or spec.default_params, now, default_model(spec.key))
    return msgspec.json.encode({"ok": True, "data": result})


def golden_cases() -> list[tuple[str, Path]]:
    return sorted(
        (engine_dir.name, request)
        for engine_dir in GOLDEN.iterdir()
        if engine_dir.is_dir()
        for request in engine_dir.glob("*.request.json")
    )


def expected_path(request: Path) -> Path:
    return request.with_name(request.name.replace(".request.json", ".expected.json"))
