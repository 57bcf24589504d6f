"""The vectorised relapse and outcome scores equal the per-request engine's, case by case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.calibration.helpers import RELAPSE_V1, RELAPSE_V2, default_params, evaluation_lines

from attunio.engines import ENGINES, check_caps, describe_params
from attunio.engines.common import round_int
from attunio.engines.inputs import convert
from attunio.engines.vector import round_half_away
from attunio.services.calibration.compare import features_of, load_dataset, score_each, score_vectorised
from attunio.services.calibration.models import default_pair

NOW = datetime(2026, 5, 15, tzinfo=UTC)

OUTCOME_V1 = {**default_params("outcome_score"), "symptoms_weight": 75, "dmse_weight": 15.5, "sleep_weight": 12,
              "sleep_span_h": 1.5, "biomarker_per_item": 7, "biomarker_max": 20, "direction_threshold": 7,
              "polypharmacy_count": 4}
OUTCOME_V2 = {**default_params("outcome_score"), "symptoms_weight": 100, "dmse_weight": 0, "dmse_full_pct": 33.3,
              "sleep_healthy_low_h": 6.5, "sleep_healthy_high_h": 8.5, "direction_threshold": 25}


@pytest.mark.parametrize(
    "values",
    [0.0, -0.0, 0.5, 1.5, 2.5, -2.5, -0.5, 24.499999999999996, 24.5, 0.49999999999999994, 99.99999999999999,
     -99.5, 33.35, 0.1 + 0.2, 12.45, -12.45],
)
def test_array_rounding_matches_the_engines_decimal_rounding(values: float) -> None:
    assert int(round_half_away(np.array([values]))[0]) == round_int(values)


def test_array_rounding_on_many_random_values() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.uniform(-100, 100, 20000), np.round(rng.uniform(-100, 100, 5000) * 2) / 2,
                             np.round(rng.uniform(-100, 100, 5000), 1)])
    assert round_half_away(values).tolist() == [round_int(float(v)) for v in values]


@pytest.mark.parametrize(
    ("engine", "params"),
    [
        ("relapse_risk", default_params("relapse_risk")),
        ("relapse_risk", RELAPSE_V1),
        ("relapse_risk", RELAPSE_V2),
        ("outcome_score", default_params("outcome_score")),
        ("outcome_score", OUTCOME_V1),
        ("outcome_score", OUTCOME_V2),
    ],
    ids=["relapse-default", "relapse-v1", "relapse-v2", "outcome-default", "outcome-v1", "outcome-v2"],
)
def test_vectorised_scores_and_levels_equal_the_engine(engine: str, params: dict[str, Any]) -> None:
    spec = ENGINES[engine]
    data = load_dataset(evaluation_lines(engine, 4000, seed=11), spec)
    assert len(data.requests) > 3500
    typed = msgspec.convert(params, spec.params_type)
    model = default_pair(engine)[0]
    expected_scores, expected_levels = score_each(spec, data.requests, (model, typed), NOW)
    scores, levels = score_vectorised(spec, features_of(spec, data.requests, NOW), typed)
    assert expected_scores is not None
    assert scores.tolist() == expected_scores.tolist()
    assert levels.tolist() == expected_levels.tolist()
    # The set must exercise the whole range, or equality proves little.
    assert len(set(levels.tolist())) == len(set(expected_levels.tolist())) >= 3


def _params_strategy(engine: str) -> st.SearchStrategy[Any]:
    """Any parameter set a bundle could carry: each value inside its cap, the rules then assumed."""
    spec = ENGINES[engine]
    ints = {f.name for f in msgspec.structs.fields(spec.params_type) if getattr(f.type, "__origin__", None) is int}
    fields = {
        doc.name: (st.integers(int(doc.low), int(doc.high)) if doc.name in ints
                   else st.floats(float(doc.low), float(doc.high), allow_nan=False))
        for doc in describe_params(spec.params_type)
    }
    sums = spec.params_type.SUM_TO

    def build(values: dict[str, Any]) -> Any:
        for names, total in sums:
            # The last of a summed group takes what the others leave, so the group adds up exactly.
            values[names[-1]] = total - sum(values[name] for name in names[:-1])
        return values

    return st.fixed_dictionaries(fields).map(build)


@pytest.mark.parametrize("engine", ["relapse_risk", "outcome_score"])
def test_vectorised_equals_the_engine_under_any_in_cap_params(engine: str) -> None:
    spec = ENGINES[engine]
    data = load_dataset(evaluation_lines(engine, 600, seed=21), spec)
    features = features_of(spec, data.requests, NOW)
    model = default_pair(engine)[0]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
    @given(_params_strategy(engine))
    def check(values: dict[str, Any]) -> None:
        try:
            params = msgspec.convert(values, spec.params_type)
        except msgspec.ValidationError:
            assume(False)
        assume(not check_caps(params))
        expected_scores, expected_levels = score_each(spec, data.requests, (model, params), NOW)
        scores, levels = score_vectorised(spec, features, params)
        assert expected_scores is not None
        assert scores.tolist() == expected_scores.tolist()
        assert levels.tolist() == expected_levels.tolist()

    check()


def test_series_order_follows_time_across_offsets_naive_times_and_ties() -> None:
    spec = ENGINES["relapse_risk"]

    def item(score: float, at: str, instrument: str = "phq9") -> dict[str, Any]:
        return {"instrumentId": instrument, "instrumentName": instrument.upper(), "score": score,
                "maxScore": 27, "createdAt": at}

    bodies = [
        # +02:00 at 01:00 is 23:00Z the day before: it is the older of the two despite its later text.
        [item(20, "2026-03-01T01:00:00+02:00"), item(5, "2026-02-28T23:30:00Z")],
        [item(20, "2026-03-01T01:00:00Z"), item(5, "2026-02-28T23:30:00Z")],
        # Naive times are UTC; equal times keep request order.
        [item(3, "2026-03-01T00:00:00"), item(25, "2026-03-01T00:00:00Z"), item(9, "2026-03-01T00:00:00+00:00")],
        [item(9, "2026-03-01T00:00:00Z", "gad7"), item(1, "2026-01-01T00:00:00Z"), item(27, "2026-03-01T00:00:00Z"),
         item(2, "2026-02-01T00:00:00Z", "gad7"), item(14, "0001-01-01T00:00:00.000001Z"),
         item(13, "0001-01-01T00:00:00Z")],
    ]
    requests = [convert({"assessments": body}, spec.request_type) for body in bodies]
    params = spec.default_params
    expected_scores, _ = score_each(spec, requests, (default_pair("relapse_risk")[0], params), NOW)
    scores, _ = score_vectorised(spec, features_of(spec, requests, NOW), params)
    assert expected_scores is not None and scores.tolist() == expected_scores.tolist()
    assert scores[0] != scores[1]


@pytest.mark.parametrize(
    ("ids", "counts"),
    [(("phq", "phq9"), (2, 2)), (("b", "a"), (2, 2)), (("a", "b"), (2, 2)), (("gad7", "phq9"), (3, 2)),
     (("zz", "z"), (2, 2))],
)
def test_outcome_picks_the_same_series_as_the_engine_on_ties(ids: tuple[str, str], counts: tuple[int, int]) -> None:
    spec = ENGINES["outcome_score"]
    body = []
    for (instrument, n), (start, end) in zip(zip(ids, counts), ((20.0, 5.0), (4.0, 18.0)), strict=True):
        for k in range(n):
            score = start if k < n - 1 else end
            body.append({"instrumentId": instrument, "instrumentName": instrument, "score": score,
                         "maxScore": 27, "createdAt": f"2026-0{k + 1}-01T00:00:00Z"})
    request = convert({"assessments": body}, spec.request_type)
    expected, _ = score_each(spec, [request], default_pair("outcome_score"), NOW)
    scores, _ = score_vectorised(spec, features_of(spec, [request], NOW), spec.default_params)
    assert expected is not None and scores.tolist() == expected.tolist()
