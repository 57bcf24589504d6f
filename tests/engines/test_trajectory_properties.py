"""Relapse over trajectories, proven over random histories of registry and unknown instruments and
random in-cap parameters: appending an administration at least as bad as the latest, raising a
score (other than the window's best, see docs/design.md), measuring the same trajectory more often
and shorter sleep below the healthy band never lower the risk; the suicidality floor and the level
floors hold under any parameters a bundle could carry; the vectorised scorer equals the engine."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from attunio.engines import check_caps, describe_params, medication, outcome, vector
from attunio.engines.inputs import convert
from attunio.engines.instruments import REGISTRY, lookup, normalise, scale_of
from attunio.engines.medication import MedicationParams
from attunio.engines.outcome import OutcomeParams
from attunio.engines.relapse import RelapseParams, RelapseRequest, analyze
from attunio.engines.scales import badness, band_of

NOW = datetime(2026, 6, 28, 15, 4, 5, tzinfo=UTC)
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
LEVELS = ("low", "moderate", "elevated", "high")
# (instrumentId, name, maxScore): registry instruments on their own and alternate maxima, and one
# instrument the registry does not know.
SCALES = [("phq9", "PHQ-9", 27.0), ("PHQ-9", "PHQ-9", 27.0), ("gad7", "GAD-7", 21.0), ("who5", "WHO-5", 25.0),
          ("who5", "WHO-5", 100.0), ("epds", "EPDS", 30.0), ("pcl5", "PCL-5", 80.0), ("ybocs", "Y-BOCS", 40.0)]


def _params(params_type: type[Any]) -> st.SearchStrategy[Any]:
    ints = {f.name for f in msgspec.structs.fields(params_type) if getattr(f.type, "__origin__", None) is int}
    fields = {
        doc.name: (st.integers(int(doc.low), int(doc.high)) if doc.name in ints
                   else st.floats(float(doc.low), float(doc.high), allow_nan=False))
        for doc in describe_params(params_type)
    }

    def build(values: dict[str, Any]) -> Any:
        for names, total in params_type.SUM_TO:
            values[names[-1]] = total - sum(values[name] for name in names[:-1])
        try:
            params = msgspec.convert(values, params_type)
        except msgspec.ValidationError:
            return None
        return None if check_caps(params) else params

    return st.fixed_dictionaries(fields).map(build).filter(lambda p: p is not None)


relapse_params = _params(RelapseParams)


def _iso(days_before: float) -> str:
    return (NOW - timedelta(days=days_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def administration(draw: st.DrawFn, scale: tuple[str, str, float] | None = None) -> dict[str, Any]:
    iid, name, top = scale or draw(st.sampled_from(SCALES))
    return {"instrumentId": iid, "instrumentName": name, "maxScore": top,
            "score": float(draw(st.integers(0, int(top)))),
            "createdAt": _iso(draw(st.integers(-1, 400)) + draw(st.sampled_from([0, 0.5])))}


@st.composite
def relapse_bodies(draw: st.DrawFn, min_size: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"assessments": draw(st.lists(administration(), min_size=min_size, max_size=7))}
    for field, strategy in (("avgSleepHours", st.floats(0, 24)), ("dmseLatencyPctChange", st.floats(-100, 1000)),
                            ("daysSinceMedChange", st.integers(0, 3650)), ("daysSinceLastVisit", st.integers(0, 3650))):
        if draw(st.booleans()):
            body[field] = draw(strategy)
    body["hasActiveMedication"] = draw(st.booleans())
    return body


def risk(body: dict[str, Any], params: RelapseParams) -> tuple[int, int]:
    result = analyze(convert(body, RelapseRequest), params, NOW)
    return LEVELS.index(result.level), result.score


def _bad(item: dict[str, Any]) -> float:
    request = convert({"assessments": [item]}, RelapseRequest)
    entry = lookup(item["instrumentId"])
    if entry is not None and scale_of(entry, item["maxScore"]) is None:
        entry = None
    return badness(request.assessments[0], entry)


def _score_for(item: dict[str, Any], bad: float) -> float:
    """The score of `item`'s scale with badness `bad` (turned round for a higher-is-better scale)."""
    entry = lookup(item["instrumentId"])
    share = 1.0 - bad if entry is not None and entry.polarity == "higher_is_better" else bad
    return share * item["maxScore"]


def _series_key(item: dict[str, Any]) -> str:
    """`scales.group`'s key: the registry id when the maximum is one the instrument uses."""
    entry = lookup(item["instrumentId"])
    if entry is not None and scale_of(entry, item["maxScore"]) is not None:
        return entry.id
    return "?" + normalise(item["instrumentId"])


def _same_series(body: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    key = _series_key(item)
    return sorted((a for a in body["assessments"] if _series_key(a) == key), key=lambda a: (a["createdAt"], _bad(a)))


def _at_least(after: tuple[int, int], before: tuple[int, int]) -> None:
    assert after[0] >= before[0], f"level {LEVELS[before[0]]} -> {LEVELS[after[0]]}"
    assert after[1] >= before[1], f"score {before[1]} -> {after[1]}"


@PROPERTY
@given(relapse_bodies(), relapse_params, st.data())
def test_appending_an_administration_at_least_as_bad_never_lowers_risk(
    body: dict[str, Any], params: RelapseParams, data: st.DataObject
) -> None:
    pick = data.draw(st.sampled_from(body["assessments"]))
    series = _same_series(body, pick)
    latest = series[-1]
    latest_at = datetime.fromisoformat(latest["createdAt"].replace("Z", "+00:00"))
    later = data.draw(st.integers(1, 30 * 24))
    moment = min(latest_at + timedelta(hours=later), NOW + timedelta(hours=23))
    assume(moment > latest_at)
    worse = data.draw(st.floats(_bad(latest), 1.0))
    appended = {**latest, "score": _score_for(latest, worse), "createdAt": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assume(_bad(appended) >= _bad(latest))
    _at_least(risk({**body, "assessments": [*body["assessments"], appended]}, params), risk(body, params))


@PROPERTY
@given(relapse_bodies(), relapse_params, st.data())
def test_raising_a_score_never_lowers_risk(body: dict[str, Any], params: RelapseParams, data: st.DataObject) -> None:
    """Any administration's badness raised — except the window's best, the baseline a rise is
    measured from (raising it makes the deterioration smaller by definition; docs/design.md)."""
    index = data.draw(st.integers(0, len(body["assessments"]) - 1))
    item = body["assessments"][index]
    series = _same_series(body, item)
    window = [a for a in series if a["createdAt"] >= _iso(params.trajectory_window_days)] or series[-1:]
    if series[-1] not in window:
        window.append(series[-1])
    best = min(_bad(a) for a in window)
    # The engine's latest is the worst of the latest instant's administrations, so a better one at
    # that instant is the window's best, not "the latest" (raising it above the worst shrinks the rise).
    is_latest = item is series[-1]
    assume(is_latest or item not in window or _bad(item) > best or
           sum(_bad(a) == best for a in window) > 1)
    raised = dict(item, score=_score_for(item, data.draw(st.floats(_bad(item), 1.0))))
    assume(_bad(raised) >= _bad(item))
    after = [raised if i == index else a for i, a in enumerate(body["assessments"])]
    # A raised best must stay at or below the next best, so it is still not a smaller rise.
    if not is_latest and item in window and _bad(item) == best:
        others = [_bad(a) for a in window if a is not item]
        assume(_bad(raised) <= min(others, default=best))
    _at_least(risk({**body, "assessments": after}, params), risk(body, params))


@PROPERTY
@given(relapse_bodies(min_size=2), relapse_params, st.data())
def test_measuring_the_same_trajectory_more_often_never_lowers_risk(
    body: dict[str, Any], params: RelapseParams, data: st.DataObject
) -> None:
    pick = data.draw(st.sampled_from(body["assessments"]))
    series = _same_series(body, pick)
    pairs = [(a, b) for a, b in itertools.pairwise(series) if a["createdAt"] < b["createdAt"]]
    assume(pairs)
    first, second = data.draw(st.sampled_from(pairs))
    t0 = datetime.fromisoformat(first["createdAt"].replace("Z", "+00:00"))
    t1 = datetime.fromisoformat(second["createdAt"].replace("Z", "+00:00"))
    minutes = int((t1 - t0).total_seconds() // 60)
    assume(minutes >= 2)
    moment = t0 + timedelta(minutes=data.draw(st.integers(1, minutes - 1)))
    low, high = sorted((_bad(first), _bad(second)))
    between = {**first, "score": _score_for(first, data.draw(st.floats(low, high))),
               "createdAt": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assume(low <= _bad(between) <= high)
    _at_least(risk({**body, "assessments": [*body["assessments"], between]}, params), risk(body, params))


@PROPERTY
@given(relapse_bodies(min_size=0), relapse_params, st.floats(0, 1), st.floats(0, 1))
def test_shorter_sleep_below_the_healthy_band_never_lowers_risk(
    body: dict[str, Any], params: RelapseParams, a: float, b: float
) -> None:
    shorter, longer = sorted((a * params.sleep_suboptimal_h, b * params.sleep_suboptimal_h))
    _at_least(risk({**body, "avgSleepHours": shorter}, params), risk({**body, "avgSleepHours": longer}, params))


POSITIVE_ITEMS = [("phq9", "PHQ-9", 27.0, "9", 3.0), ("phq9", "PHQ-9", 27.0, "44260-8", 3.0),
                  ("epds", "EPDS", 30.0, "10", 3.0)] + [
    ("cssrs_screener", "C-SSRS screener", 6.0, str(n), 1.0) for n in range(1, 7)]


@PROPERTY
@given(relapse_bodies(min_size=0), relapse_params, _params(OutcomeParams), _params(MedicationParams),
       st.sampled_from(POSITIVE_ITEMS), st.data())
def test_a_positive_suicidality_item_always_surfaces(
    body: dict[str, Any], params: RelapseParams, outcome_params: OutcomeParams,
    medication_params: MedicationParams, item: tuple[str, str, float, str, float], data: st.DataObject,
) -> None:
    iid, name, top, item_id, item_max = item
    answer = data.draw(st.floats(1, item_max)) if item_max > 1 else 1.0
    positive = {"instrumentId": iid, "instrumentName": name, "maxScore": top,
                "score": float(data.draw(st.integers(int(answer), int(top)))), "createdAt": _iso(data.draw(
                    st.integers(0, 900))), "items": [{"itemId": item_id, "score": answer}]}
    assessments = [*body["assessments"], positive]
    result = analyze(convert({**body, "assessments": assessments}, RelapseRequest), params, NOW)
    assert result.level == "high"
    assert result.recommendation.startswith("Positive suicidality item: arrange a same-day suicide-risk assessment")
    assert [s.key for s in result.safety][:1] == ["suicidal_ideation"]
    scored = outcome.analyze(convert({"assessments": assessments, "avgSleepHours": 7.0}, outcome.OutcomeRequest),
                             outcome_params, NOW)
    rx = [{"id": "rx", "medicationName": "Sertraline", "status": "active"}]
    signals = medication.analyze(convert({"assessments": assessments, "prescriptions": rx},
                                         medication.MedicationRequest), medication_params, NOW)
    for other in (scored.safety, signals.safety):
        assert [s.key for s in other][:1] == ["suicidal_ideation"]


FLOORED = [(entry, band) for entry in REGISTRY for band in entry.bands if band.floor is not None]


@PROPERTY
@given(relapse_bodies(min_size=0), relapse_params, st.sampled_from(FLOORED), st.data())
def test_the_latest_band_floors_the_level_under_any_parameters(
    body: dict[str, Any], params: RelapseParams, floored: tuple[Any, Any], data: st.DataObject
) -> None:
    entry, band = floored
    score = float(data.draw(st.integers(0, int(entry.maximum))))
    latest = {"instrumentId": entry.id, "instrumentName": entry.name, "maxScore": entry.maximum, "score": score,
              "createdAt": _iso(data.draw(st.integers(-1, 900)) - 0.5)}
    request = convert({"assessments": [latest]}, RelapseRequest)
    assume(band_of(request.assessments[0], entry) == band)
    # Later than anything else of the same instrument, so it is the latest.
    others = [a for a in body["assessments"] if lookup(a["instrumentId"]) is not entry]
    result = analyze(convert({**body, "assessments": [*others, latest]}, RelapseRequest), params, NOW)
    assert LEVELS.index(result.level) >= LEVELS.index(band.floor), (entry.id, score, result.level)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(relapse_bodies(min_size=0), min_size=1, max_size=8), relapse_params)
def test_vectorised_relapse_equals_the_engine(bodies: list[dict[str, Any]], params: RelapseParams) -> None:
    requests = [convert(b, RelapseRequest) for b in bodies]
    requests = [r for r in requests if vector.relapse_has_evidence(r)]
    assume(requests)
    scores, levels = vector.relapse_scores(vector.relapse_features(requests, NOW), params)
    expected = [analyze(r, params, NOW) for r in requests]
    assert scores.tolist() == [e.score for e in expected]
    assert levels.tolist() == [LEVELS.index(e.level) for e in expected]


@PROPERTY
@given(relapse_bodies(min_size=0), relapse_params)
def test_relapse_bounds_and_determinism(body: dict[str, Any], params: RelapseParams) -> None:
    request = convert(body, RelapseRequest)
    assume(vector.relapse_has_evidence(request))
    first, second = analyze(request, params, NOW), analyze(request, params, NOW)
    assert msgspec.json.encode(first) == msgspec.json.encode(second)
    assert 0 <= first.score <= 100
    for factor in first.factors:
        assert 0 <= factor.points <= factor.maxPoints
