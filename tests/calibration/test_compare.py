"""`compare`: vectorised figures on a large set equal the per-request engine's, request by request."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import msgspec
import numpy as np
import pytest
from tests.calibration.helpers import RELAPSE_V1, default_params, evaluation_lines

from attunio.engines import ENGINES
from attunio.engines.common import ModelRef
from attunio.services.calibration.compare import (
    Dataset,
    auc,
    compare,
    features_of,
    load_dataset,
    score_each,
    score_vectorised,
)
from attunio.services.calibration.models import default_pair
from attunio.validation import RequestInvalid, decode_request

NOW = datetime(2026, 5, 15, tzinfo=UTC)
LARGE = 100_000
SAMPLE = 1_000


def pairs(engine: str, candidate: dict[str, Any]) -> tuple[Any, Any]:
    spec = ENGINES[engine]
    return default_pair(engine), (ModelRef(key=engine, version=7, source="calibrated"),
                                  msgspec.convert(candidate, spec.params_type))


@pytest.fixture(scope="module")
def large_relapse_set() -> Dataset:
    return load_dataset(evaluation_lines("relapse_risk", LARGE, seed=2026), ENGINES["relapse_risk"])


def subset(data: Dataset, index: list[int]) -> Dataset:
    return Dataset([data.requests[i] for i in index], [data.outcomes[i] for i in index], [])


def test_compare_on_100k_requests_equals_one_request_at_a_time_on_a_sample(large_relapse_set: Dataset) -> None:
    data = large_relapse_set
    assert len(data.requests) >= 0.99 * LARGE
    active, candidate = pairs("relapse_risk", RELAPSE_V1)
    report = compare("relapse_risk", data, active, candidate, NOW)
    assert report.vectorised and report.cases == len(data.requests)
    assert sum(map(sum, report.matrix)) == report.cases
    assert 0 < report.changed < report.cases and report.max_abs_shift is not None and report.max_abs_shift > 0

    # Request by request on a random sample: the same scores and levels as the vectorised arrays…
    spec = ENGINES["relapse_risk"]
    index = sorted(random.Random(5).sample(range(len(data.requests)), SAMPLE))
    features = features_of(spec, data.requests, NOW)
    for pair in (active, candidate):
        scores, levels = score_vectorised(spec, features, pair[1])
        one_scores, one_levels = score_each(spec, [data.requests[i] for i in index], pair, NOW)
        assert one_scores is not None
        assert scores[index].tolist() == one_scores.tolist()
        assert levels[index].tolist() == one_levels.tolist()

    # …and the same figures, computed both ways on the sample.
    sample = subset(data, index)
    fast = compare("relapse_risk", sample, active, candidate, NOW)
    slow = compare("relapse_risk", sample, active, candidate, NOW, vectorised=False)
    assert not slow.vectorised
    assert msgspec.structs.replace(fast, vectorised=False) == slow


def test_figures_match_a_hand_count(large_relapse_set: Dataset) -> None:
    spec = ENGINES["relapse_risk"]
    sample = subset(large_relapse_set, list(range(400)))
    active, candidate = pairs("relapse_risk", RELAPSE_V1)
    report = compare("relapse_risk", sample, active, candidate, NOW, vectorised=False)
    before = [spec.analyze(r, active[1], NOW, active[0]) for r in sample.requests]
    after = [spec.analyze(r, candidate[1], NOW, candidate[0]) for r in sample.requests]
    levels = report.levels
    for i, row in enumerate(report.matrix):
        for j, count in enumerate(row):
            assert count == sum(b.level == levels[i] and a.level == levels[j] for b, a in zip(before, after))
    shifts = [a.score - b.score for b, a in zip(before, after)]
    assert report.changed == sum(b.level != a.level for b, a in zip(before, after))
    assert report.agreement == pytest.approx(1 - report.changed / 400)
    assert report.mean_shift == pytest.approx(sum(shifts) / 400)
    assert report.max_abs_shift == max(map(abs, shifts))
    outcomes = sample.outcomes
    brier = sum((a.score / 100 - o) ** 2 for a, o in zip(after, outcomes)) / 400  # type: ignore[operator]
    assert report.candidate_concordance is not None
    assert report.candidate_concordance.brier == pytest.approx(brier)


def test_auc_equals_the_pairwise_definition() -> None:
    rng = random.Random(9)
    scores = np.array([rng.randint(0, 20) for _ in range(300)])
    outcomes = np.array([rng.random() < 0.3 + scores[i] / 40 for i in range(300)], dtype=np.int64)
    pos = scores[outcomes == 1]
    neg = scores[outcomes == 0]
    pairwise = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))
    assert auc(scores, outcomes) == pytest.approx(pairwise)
    assert auc(scores, np.zeros(300, dtype=np.int64)) is None


def _broken(line: bytes, rng: random.Random) -> bytes:
    choice = rng.randint(0, 6)
    if choice == 0:
        return line.replace(b'"score":', b'"score":99', 1)  # above maxScore, or out of range
    if choice == 1:
        return b'{"request":{},"outcome":1}\n'  # no evidence at all
    if choice == 2:
        return line[: len(line) // 2] + b"\n"  # not JSON
    if choice == 3:
        return line.replace(b'"outcome":', b'"outcome":2', 1)
    if choice == 4:
        return line.replace(b'"maxScore":27', b'"maxScore":"27"', 1)  # strict: no strings for numbers
    if choice == 5:
        return line.replace(b'"request":{', b'"request":{"extra":1,', 1)
    return line


@pytest.mark.parametrize("engine", ["relapse_risk", "outcome_score"])
def test_the_fast_loader_accepts_exactly_what_the_api_accepts(engine: str) -> None:
    spec = ENGINES[engine]
    rng = random.Random(4)
    lines = [_broken(line, rng) for line in evaluation_lines(engine, 2000, seed=3)]
    data = load_dataset(lines, spec)
    accepted = []
    for line in lines:
        try:
            wrapped = msgspec.json.decode(line)
            if wrapped.get("outcome") not in (0, 1, None):
                raise RequestInvalid("bad line", [])
            accepted.append(decode_request(msgspec.json.encode(wrapped["request"]), spec))
        except (RequestInvalid, msgspec.DecodeError):
            continue
    assert data.requests == accepted
    assert len(data.invalid) == len(lines) - len(accepted) > 300


def test_bare_request_lines_without_outcomes_are_compared_without_concordance() -> None:
    lines = evaluation_lines("outcome_score", 500, outcomes=False)
    data = load_dataset(lines, ENGINES["outcome_score"])
    candidate = {**default_params("outcome_score"), "symptoms_weight": 70, "direction_threshold": 15}
    report = compare("outcome_score", data, *pairs("outcome_score", candidate), NOW)
    assert report.with_outcome == 0 and report.active_concordance is None
    assert report.levels == ["worsening", "stable", "improving"] and report.changed > 0


def test_engines_without_a_single_score_compare_on_their_highest_level() -> None:
    spec = ENGINES["biomarker_interpretation"]
    lines = []
    for i, (value, flag) in enumerate([(1.3, "high"), (1.7, "high"), (2.1, "critical"), (131, "low"),
                                       (128, "low"), (0.9, "normal")]):
        name = "Lithium" if value < 10 else "Sodium"
        lab = {"id": f"lab{i}", "labName": "Core", "results": {"biomarkers": [
            {"name": name, "value": value, "unit": "mmol/L", "flag": flag}]}}
        lines.append(msgspec.json.encode({"request": {"labs": [lab]}, "outcome": int(flag != "normal")}) + b"\n")
    data = load_dataset(lines, spec)
    candidate = {**default_params("biomarker_interpretation"), "lithium_toxic_mmol_l": 1.2,
                 "sodium_marked_below_mmol_l": 132}
    report = compare("biomarker_interpretation", data, *pairs("biomarker_interpretation", candidate), NOW)
    assert not report.vectorised and report.max_abs_shift is None
    assert report.changed >= 2  # lithium 1.3 and sodium 131 now escalate
    assert report.candidate_concordance is not None and report.candidate_concordance.brier is None


@pytest.mark.parametrize("vectorised", [True, False])
def test_progress_reports_every_byte_read_and_every_case_scored(vectorised: bool) -> None:
    lines = evaluation_lines("relapse_risk", 300)
    read: list[int] = []
    data = load_dataset(lines, ENGINES["relapse_risk"], read.append)
    assert sum(read) == sum(map(len, lines))
    scored: list[int] = []
    compare("relapse_risk", data, *pairs("relapse_risk", RELAPSE_V1), NOW, vectorised=vectorised,
            progress=scored.append)
    assert sum(scored) == 2 * len(data.requests)
