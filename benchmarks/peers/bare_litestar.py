"""The framework's own ceiling: Litestar decodes the Digital MSE body to the same Struct, strictly,
and returns a fixed answer. No key, no store, no engine, no logging.

    uvicorn benchmarks.peers.bare_litestar:app
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, post

from attunio.engines import ENGINES
from attunio.engines.common import ModelRef
from attunio.engines.dmse import DmseRequest
from benchmarks.bodies import DMSE_BODY, DMSE_PATH

_decode = msgspec.json.Decoder(DmseRequest, strict=True).decode
_spec = ENGINES["dmse_signals"]


def _fixed_answer() -> bytes:
    """The same bytes the appliance answers for this body, computed once at import."""
    model = ModelRef(key=_spec.key, version=None, source="default")
    result = _spec.analyze(_decode(msgspec.json.encode(DMSE_BODY)), _spec.default_params, datetime.now(UTC), model)
    return msgspec.json.encode({"ok": True, "data": result})


FIXED = _fixed_answer()


@post(DMSE_PATH)
async def analyze(request: Request[Any, Any, Any]) -> Response[bytes]:
    _decode(await request.body())
    return Response(FIXED, status_code=200, media_type="application/json")


app = Litestar(route_handlers=[analyze], openapi_config=None, debug=False, logging_config=None)
