"""Each relapse property is shown to fail on a deliberately broken engine, so none of them passes
because it cannot fail. Every break is a plausible regression: the old "two most recent
administrations" design, a lost polarity, inverted sleep, a dropped suicidality or level floor,
a vectorised scorer drifting from the engine, a non-deterministic score."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from break_runner import Break, assert_fails_on, case_id
from tests.engines import test_trajectory_properties as properties

from attunio.engines import relapse, relapse_symptoms, vector


def _last_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the two most recent administrations of a series count (the design this replaced)."""
    real = relapse_symptoms.trajectory

    def trajectory(series: Any, p: Any, now: Any) -> Any:
        return real(msgspec.structs.replace(series, points=series.points[-2:]), p, now)

    monkeypatch.setattr(relapse, "trajectory", trajectory)


def _no_polarity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scale read as higher-is-worse: a falling WHO-5 looks like an improvement."""
    monkeypatch.setattr(relapse_symptoms, "badness", lambda item, entry: min(max(item.score / item.maxScore, 0.0), 1.0))


def _sleep_inverted(monkeypatch: pytest.MonkeyPatch) -> None:
    """More sleep, more points."""
    def sleep(hours: float | None, p: Any) -> Any:
        points = 0.0 if hours is None else p.sleep_points * min(hours, 24.0) / 24.0
        return relapse._Part("sleep", "Sleep (wearable)", points, p.sleep_points, hours is not None, "")

    monkeypatch.setattr(relapse, "_sleep", sleep)


def _no_safety(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(relapse, "safety_findings", lambda assessments: [])


def _no_level_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(relapse, "FLOOR_RANK", dict.fromkeys(relapse.FLOOR_RANK, 0))


def _vector_drift(monkeypatch: pytest.MonkeyPatch) -> None:
    real = vector.relapse_scores

    def relapse_scores(features: Any, params: Any) -> Any:
        scores, levels = real(features, params)
        return scores + (scores < 100), levels

    monkeypatch.setattr(vector, "relapse_scores", relapse_scores)


def _jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The score depends on how many times the engine has run (a hidden state)."""
    calls = itertools.count()
    real = relapse.round_int
    monkeypatch.setattr(relapse, "round_int", lambda value: real(value) + next(calls) % 2)


BREAKS: list[tuple[Break, Callable[[], None]]] = [
    (_last_two, properties.test_appending_an_administration_at_least_as_bad_never_lowers_risk),
    (_last_two, properties.test_measuring_the_same_trajectory_more_often_never_lowers_risk),
    (_no_polarity, properties.test_raising_a_score_never_lowers_risk),
    (_sleep_inverted, properties.test_shorter_sleep_below_the_healthy_band_never_lowers_risk),
    (_no_safety, properties.test_a_positive_suicidality_item_always_surfaces),
    (_no_level_floor, properties.test_the_latest_band_floors_the_level_under_any_parameters),
    (_vector_drift, properties.test_vectorised_relapse_equals_the_engine),
    (_jitter, properties.test_relapse_bounds_and_determinism),
]


@pytest.mark.parametrize(("breaks", "prop"), BREAKS, ids=[case_id(b, p) for b, p in BREAKS])
def test_the_property_fails_on_a_broken_engine(breaks: Break, prop: Callable[[], None],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert_fails_on(breaks, prop, monkeypatch)
