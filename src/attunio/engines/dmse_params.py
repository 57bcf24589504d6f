"""Digital MSE parameters: heuristic bands (no validated absolute cut-off exists) and design choices."""

from __future__ import annotations

from typing import Annotated

from attunio.engines.params import ParamsBase, capped

HEURISTIC = "Heuristic default; no validated absolute cut-off exists (Mundt 2007, 2012; Yamamoto 2020)."


class DmseParams(ParamsBase, frozen=True):
    latency_borderline_s: Annotated[
        float, capped(0.5, 4.0, "Mean response latency from which delay is noted.", HEURISTIC, "s")
    ] = 1.5
    latency_clinical_s: Annotated[
        float,
        capped(
            1.0,
            6.0,
            "Mean latency judged markedly delayed; the reference fixes 2.6 s as marked.",
            HEURISTIC,
            "s",
        ),
    ] = 2.5
    psychomotor_borderline: Annotated[
        float,
        capped(
            1,
            20,
            "Fidget episodes per session from which restlessness is noted, when the session length is not sent.",
            HEURISTIC,
            "episodes",
        ),
    ] = 3
    psychomotor_clinical: Annotated[
        float,
        capped(
            2,
            50,
            "Fidget episodes per session judged marked restlessness, when the session length is not sent.",
            HEURISTIC,
            "episodes",
        ),
    ] = 6
    psychomotor_borderline_per_min: Annotated[
        float,
        capped(
            0.05,
            1.0,
            "Fidget episodes per minute from which restlessness is noted, when `sessionDurationSeconds` is sent.",
            "Design choice: the per-session count (3) over a 15-minute reference session; h" + HEURISTIC[1:],
            "episodes/min",
        ),
    ] = 0.2
    psychomotor_clinical_per_min: Annotated[
        float,
        capped(
            0.1,
            2.0,
            "Fidget episodes per minute judged marked restlessness, when `sessionDurationSeconds` is sent.",
            "Design choice: the per-session count (6) over a 15-minute reference session; h" + HEURISTIC[1:],
            "episodes/min",
        ),
    ] = 0.4
    speech_slow_borderline_wpm: Annotated[
        float,
        capped(
            80,
            140,
            "Rate below which speech is noted as slowed; conversation runs ≈150 wpm.",
            HEURISTIC,
            "wpm",
        ),
    ] = 110
    speech_slow_clinical_wpm: Annotated[
        float, capped(50, 120, "Rate below which speech is judged markedly slowed.", HEURISTIC, "wpm")
    ] = 90
    speech_fast_borderline_wpm: Annotated[
        float, capped(160, 240, "Rate above which speech is noted as rapid.", HEURISTIC, "wpm")
    ] = 190
    speech_fast_clinical_wpm: Annotated[
        float,
        capped(
            180,
            320,
            "Rate above which speech is judged markedly rapid (possible pressure).",
            HEURISTIC,
            "wpm",
        ),
    ] = 220
    attention_borderline_pct: Annotated[
        float, capped(40, 95, "On-screen share below which attention is noted as reduced.", HEURISTIC, "%")
    ] = 70
    attention_clinical_pct: Annotated[
        float,
        capped(20, 85, "On-screen share below which attention is judged markedly reduced.", HEURISTIC, "%"),
    ] = 50
    short_session_s: Annotated[
        float,
        capped(
            30,
            900,
            "Sessions shorter than this lower confidence one step: counts and means "
            "rest on too little speech and movement.",
            "Design choice; heuristic.",
            "s",
        ),
    ] = 180
    signals_for_high: Annotated[
        int, capped(2, 4, "Signals present for high overall confidence.", "Design choice.", "signals")
    ] = 3
    signals_for_moderate: Annotated[
        int, capped(1, 3, "Signals present for moderate overall confidence.", "Design choice.", "signals")
    ] = 2
    trend_sd_multiple: Annotated[
        float,
        capped(
            0.5,
            3.0,
            "A value this many sample SDs from the baseline mean is a trend.",
            "Design choice: one SD of the patient's own prior values, a descriptive band; it is not the "
            "Jacobson & Truax reliable change index (1.96 × SE of the difference, from test-retest reliability, "
            "which these timings lack).",
            "SD",
        ),
    ] = 1.0
    trend_min_relative: Annotated[
        float,
        capped(
            0.0,
            0.5,
            "Smallest change, as a share of the baseline mean, counted as a trend; "
            "guards against a near-zero SD.",
            "Design choice.",
            "fraction",
        ),
    ] = 0.05

    ORDERED = (
        ("latency_borderline_s", "latency_clinical_s"),
        ("psychomotor_borderline", "psychomotor_clinical"),
        ("psychomotor_borderline_per_min", "psychomotor_clinical_per_min"),
        ("speech_slow_clinical_wpm", "speech_slow_borderline_wpm"),
        ("speech_slow_borderline_wpm", "speech_fast_borderline_wpm"),
        ("speech_fast_borderline_wpm", "speech_fast_clinical_wpm"),
        ("attention_clinical_pct", "attention_borderline_pct"),
        ("signals_for_moderate", "signals_for_high"),
    )
