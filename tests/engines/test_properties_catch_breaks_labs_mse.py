"""Each safety-relevant property of the symptom, outcome, lab and Digital MSE engines is shown to fail
on a deliberately broken engine, so none of them passes because it cannot fail. Every break is a
plausible regression, patched where the engine looks the name up when it runs: polarity read the
wrong way round, the outcome change read as a rise, a latency or lab tier comparison flipped, the
critical floor set one tone short, name folding lost, one signal per marker, the fidget rate scaled
the wrong way or capped, zero latency read as a finding, an unclamped or non-deterministic score."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import pytest
from break_runner import Break, assert_fails_on, case_id
from tests.engines import test_labs_mse_properties as labs_mse
from tests.engines import test_properties as properties

from attunio.engines import ENGINES, biomarker, biomarker_table, dmse, dmse_readings, outcome, relapse_symptoms
from attunio.engines.common import TONE_ORDER
from attunio.engines.dmse_params import DmseParams
from attunio.engines.dmse_readings import Interpretation, Reading


def _polarity_inverted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scale read as higher-is-better: a PHQ-9 of 27 counts as the best share of its scale."""
    real = relapse_symptoms.badness
    monkeypatch.setattr(relapse_symptoms, "badness", lambda item, entry: 1.0 - real(item, entry))


def _outcome_inverted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The symptom change read as a rise (after − before): a worsening scores as an improvement."""
    real = outcome.symptom_change

    def symptom_change(assessments: Sequence[Any]) -> Any:
        chosen, changes, any_series = real(assessments)

        def flip(change: Any) -> Any:
            return msgspec.structs.replace(change, reduction=-change.reduction)

        return None if chosen is None else flip(chosen), [flip(c) for c in changes], any_series

    monkeypatch.setattr(outcome, "symptom_change", symptom_change)


def _unclamped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The component and composite clamps dropped: a 1000 % latency change outweighs its cap."""
    monkeypatch.setattr(outcome, "clamp", lambda value, low, high: value)


def _outcome_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outcome score depends on how many times the engine has run (a hidden state)."""
    calls = itertools.count()
    real = outcome.round_int
    monkeypatch.setattr(outcome, "round_int", lambda value: real(value) + next(calls) % 2)


Reader = Callable[[float, DmseParams, float | None], Reading]


def _read(monkeypatch: pytest.MonkeyPatch, key: str, read: Reader) -> None:
    """One Digital MSE metric read by another function (the engine walks `dmse.SIGNALS` per request)."""
    signals = tuple(msgspec.structs.replace(s, read=read) if s.key == key else s for s in dmse.SIGNALS)
    monkeypatch.setattr(dmse, "SIGNALS", signals)


def _latency_flipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Latency graded with the speech rate's lower-is-worse comparisons (a copy-paste slip)."""

    def latency(v: float, p: DmseParams, _: float | None) -> Reading:
        if v < p.latency_borderline_s:
            return Reading("clinical_attention", "delayed", "delayed")
        if v < p.latency_clinical_s:
            return Reading("borderline", "possibly delayed", "possibly delayed")
        return Reading("within_normal_limits", "expected", "expected")

    _read(monkeypatch, "response_latency", latency)


def _fidgets_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over 500 fidget episodes taken for a capture glitch and read as nothing found."""
    real = dmse_readings._psychomotor

    def psychomotor(v: float, p: DmseParams, duration_s: float | None) -> Reading:
        return real(0.0 if v > 500 else v, p, duration_s)

    _read(monkeypatch, "psychomotor", psychomotor)


def _fidget_rate_inverted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fidget count multiplied by the session's minutes instead of divided by them."""
    real = dmse_readings._psychomotor

    def psychomotor(v: float, p: DmseParams, duration_s: float | None) -> Reading:
        if duration_s is None or duration_s < dmse_readings.MIN_RATE_SESSION_S:
            return real(v, p, duration_s)
        rate = v * (duration_s / 60)
        level: Interpretation = "within_normal_limits"
        if rate >= p.psychomotor_clinical_per_min:
            level = "clinical_attention"
        elif rate >= p.psychomotor_borderline_per_min:
            level = "borderline"
        return Reading(level, level, level)

    _read(monkeypatch, "psychomotor", psychomotor)


def _zero_latency_is_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """The "0 s is no measurement" rule lost: a capture failure reads as a brisk latency."""
    monkeypatch.setattr(dmse, "NOT_MEASURED", {k: v for k, v in dmse.NOT_MEASURED.items() if k != "response_latency"})


def _signals_reordered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The four signals emitted out of their documented order."""
    monkeypatch.setattr(dmse, "SIGNALS", dmse.SIGNALS[::-1])


def _tier_flipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lab tier's comparison flipped: an `above` tier is crossed below its threshold and back."""

    def tier_reached(relevance: Any, converted: float, params: Any) -> Any:
        reached = None
        for tier in relevance.tiers:
            threshold = float(getattr(params, tier.param))
            crossed = converted < threshold if tier.above else converted >= threshold
            if crossed and (reached is None or biomarker.tone_rank(tier.tone) >= biomarker.tone_rank(reached.tone)):
                reached = tier
        return reached

    monkeypatch.setattr(biomarker, "tier_reached", tier_reached)


def _critical_floor_short(monkeypatch: pytest.MonkeyPatch) -> None:
    """The critical-flag floor set one tone short of the highest."""
    monkeypatch.setattr(biomarker, "HIGHEST_TONE", TONE_ORDER[-2])


def _no_name_folding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names split on spaces only: case is folded but `Lithium, serum` or `(TSH)` no longer match."""
    monkeypatch.setattr(biomarker_table, "tokens", lambda name: name.lower().split())


def _one_signal_per_marker(monkeypatch: pytest.MonkeyPatch) -> None:
    """A marker reported twice (two labs, a repeat draw) yields one signal, the first."""
    spec = ENGINES["biomarker_interpretation"]
    real = spec.analyze

    def analyze(request: Any, params: Any, now: Any, model: Any = None) -> Any:
        result = real(request, params, now, model)
        kept = list({s.signalKey: s for s in reversed(result.signals)}.values())[::-1]
        return msgspec.structs.replace(result, signals=kept, signalsPresent=len(kept))

    monkeypatch.setitem(ENGINES, spec.key, dataclasses.replace(spec, analyze=analyze))


def _least_urgent_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lab signals sorted by tone the wrong way round: the least urgent first."""
    real = biomarker.tone_rank
    monkeypatch.setattr(biomarker, "tone_rank", lambda tone: -real(tone))


BREAKS: list[tuple[Break, Callable[[], None]]] = [
    (_polarity_inverted, properties.test_worse_symptoms_never_lower_relapse_risk),
    (_outcome_inverted, properties.test_worse_symptoms_never_raise_the_outcome_score),
    (_unclamped, properties.test_outcome_bounds),
    (_outcome_jitter, properties.test_determinism),
    (_latency_flipped, properties.test_longer_latency_never_reads_milder),
    (_signals_reordered, properties.test_dmse_shape),
    (_critical_floor_short, properties.test_critical_lab_always_yields_the_highest_tone),
    (_one_signal_per_marker, properties.test_every_abnormal_lab_yields_a_signal),
    (_critical_floor_short, labs_mse.test_a_critical_flag_is_critical_under_any_importable_parameters),
    (_tier_flipped, labs_mse.test_a_more_extreme_value_never_gets_a_milder_tier),
    (_no_name_folding, labs_mse.test_case_and_punctuation_of_a_name_never_change_the_answer),
    (_least_urgent_first, labs_mse.test_lab_answers_are_deterministic_and_bounded),
    (_fidgets_capped, labs_mse.test_more_fidgeting_in_the_same_session_never_reads_milder),
    (_fidget_rate_inverted, labs_mse.test_the_same_fidgeting_over_a_longer_session_never_reads_worse),
    (_zero_latency_is_a_finding, labs_mse.test_zeros_are_never_findings_and_the_narrative_is_the_clinical_lines),
]


@pytest.mark.parametrize(("breaks", "prop"), BREAKS, ids=[case_id(b, p) for b, p in BREAKS])
def test_the_property_fails_on_a_broken_engine(breaks: Break, prop: Callable[[], None],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert_fails_on(breaks, prop, monkeypatch)
