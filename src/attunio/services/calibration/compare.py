"""Compare a candidate parameter set with the active one on a local evaluation set.

The evaluation set is JSON lines: each line a request body as the API takes it, or
`{"request": {...}, "outcome": 0 | 1}` when the observed outcome is known (1 = relapse for
`relapse_risk`, 1 = treatment response for `outcome_score`, 1 = the case needed attention for the
other engines). Lines are validated exactly as the API validates bodies; invalid lines are counted
and skipped, never scored.

Relapse and outcome scores are computed vectorised (`engines/vector.py`); the other engines have
no single score and run through their per-request `analyze`, compared on their highest level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from attunio.engines import ENGINES, EngineSpec, ParamsBase
from attunio.engines import vector as vec
from attunio.engines.common import TONE_ORDER, ModelRef
from attunio.validation import RequestInvalid, decode_request, decoder_for

Ints = npt.NDArray[np.int64]
Progress = Callable[[int], None]

# Level names per engine, mildest first; a level's index is its rank.
LEVELS: dict[str, tuple[str, ...]] = {
    "relapse_risk": vec.RELAPSE_LEVELS,
    "outcome_score": vec.OUTCOME_DIRECTIONS,
    "dmse_signals": ("none", "within_normal_limits", "borderline", "clinical_attention"),
    "medication_response": ("none", *TONE_ORDER),
    "biomarker_interpretation": ("none", *TONE_ORDER),
}
# How a score becomes a probability of the outcome for the Brier score.
_PROBABILITY: dict[str, Callable[[Ints], npt.NDArray[np.floating[Any]]]] = {
    "relapse_risk": lambda s: s / 100.0,
    "outcome_score": lambda s: (s + 100.0) / 200.0,
}
VECTORISED = frozenset(_PROBABILITY)


class Concordance(msgspec.Struct, frozen=True, kw_only=True):
    auc: float | None
    brier: float | None


class CompareReport(msgspec.Struct, frozen=True, kw_only=True):
    engine: str
    active: ModelRef
    candidate: ModelRef
    cases: int
    invalid_lines: int
    levels: list[str]
    agreement: float
    changed: int
    matrix: list[list[int]]
    """matrix[i][j]: cases at level i under the active params and level j under the candidate."""
    mean_shift: float | None
    mean_abs_shift: float | None
    max_abs_shift: int | None
    with_outcome: int
    active_concordance: Concordance | None
    candidate_concordance: Concordance | None
    vectorised: bool


@dataclass
class Dataset:
    requests: list[Any]
    outcomes: list[int | None]
    invalid: list[tuple[int, str]]


class _Line(msgspec.Struct, forbid_unknown_fields=True):
    request: msgspec.Raw
    outcome: int | None = None


_line_decoder = msgspec.json.Decoder(_Line)


def load_dataset(lines: Iterable[bytes], spec: EngineSpec, progress: Progress | None = None) -> Dataset:
    data = Dataset([], [], [])
    for number, line in enumerate(lines, start=1):
        if progress is not None:
            progress(len(line))
        if not line.strip():
            continue
        body, outcome = line, None
        try:
            wrapped = _line_decoder.decode(line)
        except msgspec.ValidationError as exc:
            # No request field has the name `request`, so only a wrapped line can be meant here.
            if b'"request"' in line:
                data.invalid.append((number, str(exc)))
                continue
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            data.invalid.append((number, f"not JSON: {exc}"))
            continue
        else:
            if wrapped.outcome not in (None, 0, 1):
                data.invalid.append((number, "outcome must be 0, 1 or null"))
                continue
            body, outcome = bytes(wrapped.request), wrapped.outcome
        try:
            data.requests.append(_fast_decode(body, spec) if spec.key in VECTORISED else decode_request(body, spec))
        except RequestInvalid as exc:
            data.invalid.append((number, exc.message))
            continue
        data.outcomes.append(outcome)
    return data


_HAS_EVIDENCE: dict[str, Callable[[Any], bool]] = {
    "relapse_risk": vec.relapse_has_evidence,
    "outcome_score": vec.outcome_has_evidence,
}


def _fast_decode(body: bytes, spec: EngineSpec) -> Any:
    """What `decode_request` accepts, at a fraction of its cost on large sets: the same strict
    decoder, the assessments' declared NOT_ABOVE rules and the evidence check without the answer's
    wording. A refused body goes through `decode_request` for its exact message. (Equivalence is
    tested on a set full of invalid lines.)"""
    try:
        request = decoder_for(spec.request_type).decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return decode_request(body, spec)
    rules_hold = all(
        getattr(item, field) <= getattr(item, limit)
        for item in request.assessments
        for field, limit, _ in type(item).NOT_ABOVE
    )
    if not rules_hold or not _HAS_EVIDENCE[spec.key](request) or any(a.items for a in request.assessments):
        return decode_request(body, spec)
    return request


def read_lines(path: Path) -> Iterable[bytes]:
    with path.open("rb") as handle:
        yield from handle


def _level_of(engine: str, result: Any) -> int:
    names = LEVELS[engine]
    if engine == "relapse_risk":
        return names.index(result.level)
    if engine == "outcome_score":
        return names.index(result.direction)
    if engine == "dmse_signals":
        found = [s.interpretation for s in result.signals if s.present and s.interpretation]
        return max((names.index(i) for i in found), default=0)
    return max((names.index(s.tone) for s in result.signals), default=0)


def score_each(spec: EngineSpec, requests: Sequence[Any], pair: tuple[ModelRef, ParamsBase], now: datetime,
               progress: Progress | None = None) -> tuple[Ints | None, Ints]:
    """The reference path: the per-request engine, exactly as the API runs it."""
    model, params = pair
    scores, levels = [], []
    for request in requests:
        result = spec.analyze(request, params, now, model)
        scores.append(getattr(result, "score", 0))
        levels.append(_level_of(spec.key, result))
        if progress is not None:
            progress(1)
    score_array = np.array(scores, dtype=np.int64) if spec.key in VECTORISED else None
    return score_array, np.array(levels, dtype=np.int64)


def score_vectorised(spec: EngineSpec, features: Any, params: ParamsBase) -> tuple[Ints, Ints]:
    if spec.key == "relapse_risk":
        return vec.relapse_scores(features, params)  # type: ignore[arg-type]
    return vec.outcome_scores(features, params)  # type: ignore[arg-type]


def features_of(spec: EngineSpec, requests: Sequence[Any], now: datetime) -> Any:
    if spec.key == "relapse_risk":
        return vec.relapse_features(requests, now)
    return vec.outcome_features(requests)


def auc(scores: npt.NDArray[Any], outcomes: Ints) -> float | None:
    """Mann–Whitney AUC with tied scores counted as half (average ranks)."""
    positives = int(outcomes.sum())
    negatives = len(outcomes) - positives
    if positives == 0 or negatives == 0:
        return None
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    average_rank = upper - (counts - 1) / 2.0
    rank_sum = float(average_rank[inverse][outcomes == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def _concordance(engine: str, scores: Ints | None, levels: Ints, outcomes: Ints) -> Concordance:
    if scores is None:
        return Concordance(auc=auc(levels, outcomes), brier=None)
    probability = _PROBABILITY[engine](scores)
    return Concordance(auc=auc(scores, outcomes), brier=float(np.mean((probability - outcomes) ** 2)))


def figures(
    spec: EngineSpec,
    pairs: tuple[tuple[ModelRef, ParamsBase], tuple[ModelRef, ParamsBase]],
    active: tuple[Ints | None, Ints],
    candidate: tuple[Ints | None, Ints],
    outcomes: Sequence[int | None],
    *,
    invalid_lines: int,
    vectorised: bool,
) -> CompareReport:
    """Every reported figure from the two (scores, levels) results; both paths share this."""
    (a_scores, a_levels), (c_scores, c_levels) = active, candidate
    names = LEVELS[spec.key]
    size = len(names)
    cases = len(a_levels)
    matrix = np.bincount(a_levels * size + c_levels, minlength=size * size).reshape(size, size)
    shift = None if a_scores is None or c_scores is None else c_scores - a_scores
    known = np.array([o is not None for o in outcomes], dtype=np.bool_)
    observed = np.array([o or 0 for o in outcomes], dtype=np.int64)[known]

    def conc(scores: Ints | None, levels: Ints) -> Concordance | None:
        if not known.any():
            return None
        return _concordance(spec.key, None if scores is None else scores[known], levels[known], observed)

    return CompareReport(
        engine=spec.key,
        active=pairs[0][0],
        candidate=pairs[1][0],
        cases=cases,
        invalid_lines=invalid_lines,
        levels=list(names),
        agreement=float(np.mean(a_levels == c_levels)) if cases else 1.0,
        changed=int(np.sum(a_levels != c_levels)),
        matrix=matrix.tolist(),
        mean_shift=None if shift is None or not cases else float(shift.mean()),
        mean_abs_shift=None if shift is None or not cases else float(np.abs(shift).mean()),
        max_abs_shift=None if shift is None or not cases else int(np.abs(shift).max()),
        with_outcome=int(known.sum()),
        active_concordance=conc(a_scores, a_levels),
        candidate_concordance=conc(c_scores, c_levels),
        vectorised=vectorised,
    )


Results = tuple[tuple[Ints | None, Ints], tuple[Ints | None, Ints]]


def score_pair(
    engine: str,
    data: Dataset,
    active: tuple[ModelRef, ParamsBase],
    candidate: tuple[ModelRef, ParamsBase],
    now: datetime,
    *,
    vectorised: bool = True,
    progress: Progress | None = None,
) -> tuple[Results, bool]:
    """(scores, levels) of every case under the active and the candidate parameters, and whether
    they were computed vectorised."""
    spec = ENGINES[engine]
    if vectorised and engine in VECTORISED:
        features = features_of(spec, data.requests, now)
        results = score_vectorised(spec, features, active[1]), score_vectorised(spec, features, candidate[1])
        if progress is not None:
            progress(2 * len(data.requests))
        return results, True
    return (score_each(spec, data.requests, active, now, progress),
            score_each(spec, data.requests, candidate, now, progress)), False


def compare(
    engine: str,
    data: Dataset,
    active: tuple[ModelRef, ParamsBase],
    candidate: tuple[ModelRef, ParamsBase],
    now: datetime,
    *,
    vectorised: bool = True,
    progress: Progress | None = None,
) -> CompareReport:
    results, vectorised = score_pair(engine, data, active, candidate, now, vectorised=vectorised, progress=progress)
    return figures(ENGINES[engine], (active, candidate), results[0], results[1], data.outcomes,
                   invalid_lines=len(data.invalid), vectorised=vectorised)
