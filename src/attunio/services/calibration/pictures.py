"""The comparison of a candidate with the active version as data for pictures (the admin console):
the band-change matrix, both score distributions and, where outcomes are known, calibration and
concordance. The figures are the ones `attunio models compare` prints, from the same scoring.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from msgspec import Struct

from attunio.engines import ENGINES, ParamsBase
from attunio.engines.common import ModelRef
from attunio.services.calibration.compare import (
    _PROBABILITY,
    CompareReport,
    Ints,
    figures,
    load_dataset,
    read_lines,
    score_pair,
)

# A distribution drawn in a browser needs no more points than this; larger sets are thinned evenly.
MAX_POINTS = 5000
CALIBRATION_BINS = 10


class EvaluationSetMissing(LookupError):
    """No local evaluation set for the engine: the comparison has nothing to score."""


class Pictures(Struct, frozen=True, kw_only=True):
    report: CompareReport
    active_scores: list[int]
    candidate_scores: list[int]
    scored_by: str
    """"score" where the engine has one, else "level" (the rank of each case's most severe level)."""
    calibration: dict[str, list[dict[str, float | int]]] | None


def evaluation_file(directory: Path, engine: str) -> Path:
    path = directory / f"{engine}.jsonl"
    if not path.is_file():
        raise EvaluationSetMissing(f"no evaluation set for {engine}: put JSON lines at {path} "
                                   "(docs/calibration.md, Compare before promoting)")
    return path


def _thin(values: Ints) -> list[int]:
    if len(values) > MAX_POINTS:
        values = values[np.linspace(0, len(values) - 1, MAX_POINTS).astype(np.int64)]
    return [int(v) for v in values]


def _calibration(engine: str, scores: Ints, outcomes: list[int | None]) -> list[dict[str, float | int]]:
    """Observed outcome rate against mean predicted probability, in equal-width probability bins."""
    known = np.array([o is not None for o in outcomes], dtype=np.bool_)
    observed = np.array([o or 0 for o in outcomes], dtype=np.float64)[known]
    probability = _PROBABILITY[engine](scores[known])
    bins = np.minimum((probability * CALIBRATION_BINS).astype(np.int64), CALIBRATION_BINS - 1)
    points: list[dict[str, float | int]] = []
    for b in range(CALIBRATION_BINS):
        inside = bins == b
        if inside.any():
            points.append({"bin": b, "predicted": float(probability[inside].mean()),
                           "observed": float(observed[inside].mean()), "n": int(inside.sum())})
    return points


def pictures(engine: str, dataset: Path, active: tuple[ModelRef, ParamsBase],
             candidate: tuple[ModelRef, ParamsBase], now: datetime) -> Pictures:
    spec = ENGINES[engine]
    data = load_dataset(read_lines(dataset), spec)
    results, vectorised = score_pair(engine, data, active, candidate, now)
    report = figures(spec, (active, candidate), results[0], results[1], data.outcomes,
                     invalid_lines=len(data.invalid), vectorised=vectorised)
    (a_scores, a_levels), (c_scores, c_levels) = results
    has_scores = a_scores is not None and c_scores is not None
    calibration: dict[str, Any] | None = None
    if a_scores is not None and c_scores is not None and report.with_outcome and engine in _PROBABILITY:
        calibration = {"active": _calibration(engine, a_scores, data.outcomes),
                       "candidate": _calibration(engine, c_scores, data.outcomes)}
    return Pictures(report=report,
                    active_scores=_thin(a_scores if a_scores is not None else a_levels),
                    candidate_scores=_thin(c_scores if c_scores is not None else c_levels),
                    scored_by="score" if has_scores else "level", calibration=calibration)
