"""Calibrated model versions: list, compare a candidate as pictures, promote, roll back, reset.

Promote, roll back and reset are a reviewer's: the Calibration service re-reads the signed-in
identity inside its write, checks the role and the licence number given, and audits them.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post

from attunio.admin.http import REVIEWER, Body, answer, read, refusals, runtime_of, session_of
from attunio.api.runtime import Runtime
from attunio.errors import ApiError
from attunio.services.calibration.lifecycle import Calibration, ModelVersion
from attunio.services.calibration.pictures import EvaluationSetMissing, evaluation_file, pictures


class Promote(Body):
    version: int
    reason: str
    licence_number: str


class Rollback(Body):
    reason: str
    licence_number: str
    version: int | None = None


class Reset(Body):
    reason: str
    licence_number: str


def calibration(runtime: Runtime) -> Calibration:
    return Calibration(runtime.store, runtime.clock, runtime.billing.licenses.trust.keys,
                       runtime.settings.calibration.max_bundle_bytes)


def version_view(v: ModelVersion) -> dict[str, Any]:
    return {"engine": v.engine, "version": v.version, "state": v.state, "createdAt": v.created_at,
            "expiresAt": v.expires_at, "signer": v.signer, "notes": v.notes, "metrics": v.metrics,
            "importedAt": v.imported_at, "importedBy": v.imported_by, "promotedAt": v.promoted_at,
            "promotedBy": v.promoted_by}


def engine_of(request: Request[Any, Any, Any]) -> str:
    return str(request.path_params["engine"])


@get("/models")
async def list_models(request: Request[Any, Any, Any]) -> Response[bytes]:
    from attunio.engines import ENGINES

    versions = calibration(runtime_of(request)).versions()
    engines = []
    for engine in sorted(ENGINES):
        own = [v for v in versions if v.engine == engine]
        active = next((v for v in own if v.state == "active"), None)
        engines.append({"engine": engine, "active": None if active is None else version_view(active),
                        "candidates": [version_view(v) for v in own if v.state == "candidate"],
                        "retired": [version_view(v) for v in own if v.state == "retired"]})
    return answer({"engines": engines})


@get("/models/{engine:str}/compare")
async def compare(request: Request[Any, Any, Any]) -> Response[bytes]:
    engine = engine_of(request)
    raw = request.query_params.get("candidate", "")
    if not raw.isdigit():
        raise ApiError("invalid_request", "Give the candidate version to compare: ?candidate=VERSION (a number).")
    runtime = runtime_of(request)
    service = calibration(runtime)
    with refusals():
        active_pair = service.pair(engine, service.active_version(engine))
        candidate_pair = service.pair(engine, int(raw))
        try:
            dataset = evaluation_file(runtime.settings.evaluation_dir, engine)
        except EvaluationSetMissing as exc:
            raise ApiError("not_configured", str(exc)[0].upper() + str(exc)[1:] + ".") from None
        made = pictures(engine, dataset, active_pair, candidate_pair, service.now())
    report = made.report
    active_c, candidate_c = report.active_concordance, report.candidate_concordance
    return answer({
        "engine": engine, "active": msgspec.to_builtins(report.active),
        "candidate": msgspec.to_builtins(report.candidate),
        "bandMatrix": {"bands": report.levels, "counts": report.matrix},
        "scores": {"active": made.active_scores, "candidate": made.candidate_scores, "kind": made.scored_by},
        "calibration": made.calibration,
        "concordance": None if candidate_c is None else candidate_c.auc,
        "concordanceActive": None if active_c is None else active_c.auc,
        "brier": None if candidate_c is None else {"active": active_c.brier if active_c else None,
                                                   "candidate": candidate_c.brier},
        "n": report.cases, "withOutcome": report.with_outcome, "invalidLines": report.invalid_lines,
        "agreement": report.agreement, "changed": report.changed, "meanShift": report.mean_shift,
    })


@post("/models/{engine:str}/promote", opt={"roles": REVIEWER})
async def promote(request: Request[Any, Any, Any]) -> Response[bytes]:
    body = await read(request, Promote)
    service = calibration(runtime_of(request))
    with refusals():
        version = service.promote(engine_of(request), body.version, reason=body.reason,
                                  reviewer_id=session_of(request).admin.id, licence_number=body.licence_number)
    return answer({"engine": version.engine, "active": version_view(version)})


@post("/models/{engine:str}/rollback", opt={"roles": REVIEWER})
async def rollback(request: Request[Any, Any, Any]) -> Response[bytes]:
    body = await read(request, Rollback)
    service = calibration(runtime_of(request))
    with refusals():
        version = service.rollback(engine_of(request), body.version, reason=body.reason,
                                   reviewer_id=session_of(request).admin.id, licence_number=body.licence_number)
    return answer({"engine": version.engine, "active": version_view(version)})


@post("/models/{engine:str}/reset", opt={"roles": REVIEWER})
async def reset(request: Request[Any, Any, Any]) -> Response[bytes]:
    body = await read(request, Reset)
    engine = engine_of(request)
    with refusals():
        calibration(runtime_of(request)).reset(engine, reason=body.reason, reviewer_id=session_of(request).admin.id,
                                               licence_number=body.licence_number)
    return answer({"engine": engine, "active": None})


ROUTES = [list_models, compare, promote, rollback, reset]
