"""The five pure engines and the registry the HTTP layer serves them from.

Each engine is `analyze(request, params, now, model) -> result`: no I/O, no clock, no globals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from attunio.engines import biomarker, dmse, medication, outcome, relapse
from attunio.engines.biomarker_params import BiomarkerParams
from attunio.engines.common import ModelRef, default_model
from attunio.engines.dmse_params import DmseParams
from attunio.engines.params import CapViolation, ParamsBase, check_caps, describe_params, params_from_dict
from attunio.engines.timing import future_dated


@dataclass(frozen=True, slots=True)
class EngineSpec:
    key: str
    path: str
    request_type: type[msgspec.Struct]
    params_type: type[ParamsBase]
    default_params: ParamsBase
    analyze: Callable[[Any, Any, datetime, ModelRef], msgspec.Struct]
    invalid_message: str
    # Returns what is missing when a well-formed request carries no evidence at all, else None.
    missing_evidence: Callable[[Any], str | None] | None = None
    # `(path, message)` for every input the clock refuses (dated more than a day after `now`).
    time_issues: Callable[[Any, datetime | None], list[tuple[str, str]]] | None = None


def _spec(
    key: str,
    path: str,
    request_type: type[msgspec.Struct],
    params_type: type[ParamsBase],
    analyze: Callable[..., msgspec.Struct],
    missing: Callable[[Any], str | None] | None,
    invalid_message: str = "Request validation failed.",
    time_issues: Callable[[Any, datetime | None], list[tuple[str, str]]] | None = None,
) -> EngineSpec:
    return EngineSpec(
        key=key,
        path=path,
        request_type=request_type,
        params_type=params_type,
        default_params=params_type(),
        analyze=analyze,
        invalid_message=invalid_message,
        missing_evidence=missing,
        time_issues=time_issues,
    )


ENGINES: dict[str, EngineSpec] = {
    spec.key: spec
    for spec in (
        _spec(
            dmse.KEY,
            "/v1/dmse/analyze",
            dmse.DmseRequest,
            DmseParams,
            dmse.analyze,
            dmse.missing_evidence,
            "Telemetry validation failed.",
        ),
        _spec(
            medication.KEY,
            "/v1/medication/analyze",
            medication.MedicationRequest,
            medication.MedicationParams,
            medication.analyze,
            medication.missing_evidence,
            time_issues=future_dated,
        ),
        _spec(
            biomarker.KEY,
            "/v1/biomarker/analyze",
            biomarker.BiomarkerRequest,
            BiomarkerParams,
            biomarker.analyze,
            None,
        ),
        _spec(
            outcome.KEY,
            "/v1/outcome/score",
            outcome.OutcomeRequest,
            outcome.OutcomeParams,
            outcome.analyze,
            outcome.missing_evidence,
            time_issues=future_dated,
        ),
        _spec(
            relapse.KEY,
            "/v1/relapse/predict",
            relapse.RelapseRequest,
            relapse.RelapseParams,
            relapse.analyze,
            relapse.missing_evidence,
            time_issues=future_dated,
        ),
    )
}

__all__ = [
    "ENGINES",
    "CapViolation",
    "EngineSpec",
    "ModelRef",
    "ParamsBase",
    "check_caps",
    "default_model",
    "describe_params",
    "params_from_dict",
]
