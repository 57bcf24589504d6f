"""What a team would typically build: FastAPI with a pydantic request model for the same Digital MSE
endpoint, a bearer-key check against keys held in memory, the same engine, and a dict answer that
FastAPI serialises. No store, no quota or metering, no access log.

    uvicorn benchmarks.peers.fastapi_peer:app      (BENCH_PEER_KEY: the one accepted key)
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from attunio.engines import ENGINES
from attunio.engines.common import ModelRef
from attunio.engines.dmse import DmseRequest
from benchmarks.bodies import DMSE_PATH

_spec = ENGINES["dmse_signals"]
_model = ModelRef(key=_spec.key, version=None, source="default")
_keys = {hashlib.sha256(os.environ.get("BENCH_PEER_KEY", "").encode()).digest()}

Latency = Annotated[float, Field(ge=0, le=120)]
Speech = Annotated[float, Field(ge=0, le=600)]
Fidgets = Annotated[float, Field(ge=0, le=1000)]
Attention = Annotated[float, Field(ge=0, le=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class History(Strict):
    psychomotor: Annotated[list[Fidgets], Field(max_length=500)] | None = None
    response_latency: Annotated[list[Latency], Field(max_length=500)] | None = None
    speech_rate: Annotated[list[Speech], Field(max_length=500)] | None = None
    sustained_attention: Annotated[list[Attention], Field(max_length=500)] | None = None


class DmseBody(Strict):
    psychomotorFidgetEpisodes: Fidgets | None = None
    responseLatencySeconds: Latency | None = None
    speechRateWpm: Speech | None = None
    sustainedAttentionPct: Attention | None = None
    sessionDurationSeconds: Annotated[float, Field(ge=0, le=86400)] | None = None
    history: History | None = None
    sessionRef: Annotated[str, Field(min_length=1, max_length=128)] | None = None


bearer = HTTPBearer()


def api_key(credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> str:
    if hashlib.sha256(credentials.credentials.encode()).digest() not in _keys:
        raise HTTPException(status_code=401, detail="API key is invalid or has been revoked.")
    return credentials.credentials


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.post(DMSE_PATH)
async def analyze(body: DmseBody, _key: Annotated[str, Depends(api_key)]) -> dict[str, Any]:
    request = msgspec.convert(body.model_dump(exclude_none=True), DmseRequest)
    result = _spec.analyze(request, _spec.default_params, datetime.now(UTC), _model)
    return {"ok": True, "data": msgspec.to_builtins(result)}
