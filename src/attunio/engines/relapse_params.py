"""Relapse early-warning parameters: factor maxima, band edges and thresholds with their caps."""

from __future__ import annotations

from typing import Annotated

import msgspec

from attunio.engines.params import ParamsBase, capped


def _points(low: float, high: float, what: str) -> msgspec.Meta:
    return capped(low, high, what, "Design choice; the factor maxima must sum to 100.", "points")


class RelapseParams(ParamsBase, frozen=True):
    symptoms_level_points: Annotated[
        float, _points(5, 25, "Points for the latest score at its scale maximum.")
    ] = 12
    symptoms_velocity_points: Annotated[
        float,
        _points(
            15,
            35,
            "Points for a rise from the window's best score to the latest of at least one "
            "`velocity_full_mcid` multiple of the instrument's MCID; relapse is a change of state, "
            "so the rise weighs most.",
        ),
    ] = 26
    sleep_points: Annotated[float, _points(10, 25, "Points for very short sleep.")] = 18
    dmse_points: Annotated[
        float, _points(10, 25, "Points for a latency rise of `dmse_full_pct` or more.")
    ] = 20
    medication_points: Annotated[float, _points(5, 20, "Points on the day of a medication change.")] = 12
    cadence_points: Annotated[
        float, _points(5, 20, "Points once the visit gap reaches `cadence_full_days`.")
    ] = 12
    velocity_full_rise: Annotated[
        float,
        capped(
            0.1,
            0.5,
            "Rise, as a share of the scale maximum, that earns the full velocity points on an "
            "instrument outside the registry (which has no MCID of its own).",
            "Design choice: close to the registry's MCIDs as shares (PHQ-9 5/27 = 0.19, GAD-7 4/21 = 0.19).",
            "fraction",
        ),
    ] = 0.2
    velocity_full_mcid: Annotated[
        float,
        capped(
            0.5,
            2,
            "Rise, in multiples of the instrument's MCID, that earns the full velocity points.",
            "MCID: PHQ-9 5 points (Löwe 2004), GAD-7 4 points (Toussaint 2020); one MCID is the "
            "smallest change a patient notices.",
            "MCID",
        ),
    ] = 1
    trajectory_window_days: Annotated[
        int,
        capped(
            28,
            365,
            "Days before `now` whose administrations the rise is measured over (from the window's "
            "best score to the latest); the latest administration always counts.",
            "Design choice: most depressive relapses after response occur within months; 90 days spans "
            "three monthly reviews. Safety floor: a bundle may lengthen it, never shorten it.",
            "days",
        ),
    ] = 90
    stale_after_days: Annotated[
        int,
        capped(
            14,
            90,
            "Age of the latest administration, relative to `now`, from which it is called stale "
            "(said in the detail; confidence one step lower).",
            "PHQ-9 and GAD-7 ask about the last two weeks (Kroenke 2001, Spitzer 2006); design choice of "
            "one monthly review beyond that. Safety floor: a bundle may shorten it, never lengthen it.",
            "days",
        ),
    ] = 30
    trend_min_change: Annotated[
        float,
        capped(
            0.02,
            0.3,
            "Change, as a share of the scale maximum, that names the trend rising (from the window's "
            "best) or falling (from its worst).",
            "Design choice: about 3 PHQ-9 points, below the 5-point MCID, so a trend is named before it "
            "is clinically meaningful.",
            "fraction",
        ),
    ] = 0.1
    sleep_suboptimal_h: Annotated[
        float,
        capped(6.5, 8, "Below this, one third of the sleep points.", "AASM/SRS 2015: adults ≥ 7 h.", "h"),
    ] = 7
    sleep_short_h: Annotated[
        float,
        capped(
            5.5,
            6.5,
            "Below this, two thirds of the sleep points (short sleep).",
            "Design choice for the 6 h edge, one hour below the AASM/SRS 7 h minimum; self-reported sleep "
            "disturbance precedes depressive recurrence (Perlis 1997).",
            "h",
        ),
    ] = 6
    sleep_very_short_h: Annotated[
        float,
        capped(4, 5.5, "Below this, all sleep points.", "Design choice: very short sleep, below 5 h.", "h")
    ] = 5
    sleep_long_h: Annotated[
        float,
        capped(
            9,
            12,
            "Above this, one third of the sleep points (hypersomnia).",
            "Design choice for the 10 h edge; hypersomnia is a DSM-5 atypical feature.",
            "h",
        ),
    ] = 10
    dmse_full_pct: Annotated[
        float,
        capped(
            10,
            50,
            "Latency rise, in percent, that earns all dmse points.",
            "Design choice (heuristic); longer latency in depression (Mundt 2012, Yamamoto 2020).",
            "%",
        ),
    ] = 25
    medication_window_days: Annotated[
        int,
        capped(
            14,
            90,
            "Days after a medication change over which its points fade to zero.",
            "Design choice: destabilisation after a start or switch is most likely in the first weeks.",
            "days",
        ),
    ] = 30
    cadence_grace_days: Annotated[
        int,
        capped(
            14, 60, "Visit gap that earns no points.", "Design choice: monthly review during active treatment.", "days"
        ),
    ] = 30
    cadence_full_days: Annotated[
        int,
        capped(45, 180, "Visit gap that earns all cadence points.", "Design choice (three months).", "days"),
    ] = 90
    factor_elevated_share: Annotated[
        float,
        capped(
            0.3,
            0.8,
            "Share of a factor's maximum from which its tone is `elevated`.",
            "Design choice.",
            "fraction",
        ),
    ] = 0.5
    moderate_from: Annotated[
        float, capped(10, 40, "Score from which the level is moderate.", "Design choice.", "points")
    ] = 25
    elevated_from: Annotated[
        float, capped(35, 65, "Score from which the level is elevated.", "Design choice.", "points")
    ] = 50
    high_from: Annotated[
        float, capped(60, 90, "Score from which the level is high.", "Design choice.", "points")
    ] = 75
    confidence_sources_high: Annotated[
        int,
        capped(
            3,
            5,
            "Available factors (with two or more administrations in the window) for high confidence.",
            "Design choice.",
            "factors",
        ),
    ] = 4
    confidence_sources_moderate: Annotated[
        int, capped(1, 4, "Available factors for moderate confidence.", "Design choice.", "factors")
    ] = 2

    ORDERED = (
        ("sleep_very_short_h", "sleep_short_h"),
        ("sleep_short_h", "sleep_suboptimal_h"),
        ("sleep_suboptimal_h", "sleep_long_h"),
        ("cadence_grace_days", "cadence_full_days"),
        ("moderate_from", "elevated_from"),
        ("elevated_from", "high_from"),
        ("confidence_sources_moderate", "confidence_sources_high"),
    )
    SUM_TO = (
        (
            (
                "symptoms_level_points",
                "symptoms_velocity_points",
                "sleep_points",
                "dmse_points",
                "medication_points",
                "cadence_points",
            ),
            100.0,
        ),
    )
