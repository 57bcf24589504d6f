"""The relapse symptom factor: each instrument's trajectory over the window, in its own units.

Per instrument: the latest administration's badness L (share of the scale, 0 best), the window's
best (lowest) badness m over the administrations dated within `trajectory_window_days` before `now`
(the latest always counts), and the rise L − m. Points are
`symptoms_level_points × L + symptoms_velocity_points × clamp(rise / full, 0, 1)` with `full` one
`velocity_full_mcid` multiple of the instrument's MCID (an unknown instrument: `velocity_full_rise`
of its maximum). The instrument with the most points speaks for the factor; the latest band of
every instrument sets a level floor.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from attunio.engines.common import as_utc, clamp, fmt
from attunio.engines.instruments import FloorLevel
from attunio.engines.relapse_params import RelapseParams
from attunio.engines.scales import Series, badness, floor_of, mcid_share, severity_of, when
from attunio.engines.timing import age_days

FLOOR_RANK: dict[FloorLevel | None, int] = {None: 0, "moderate": 1, "elevated": 2}


class Trajectory(msgspec.Struct, frozen=True, kw_only=True):
    series: Series
    latest: float  # badness of the latest administration
    best: float  # lowest badness in the window
    best_index: int  # position of the window's best in `series.points` (the latest on a tie)
    worst: float  # highest badness in the window
    in_window: int  # administrations inside the window, the latest included
    full: float  # rise that earns all velocity points
    points: float
    floor: FloorLevel | None
    age_days: int


def trajectory(series: Series, p: RelapseParams, now: datetime) -> Trajectory:
    start = as_utc(now) - timedelta(days=p.trajectory_window_days)
    entry = series.entry
    values = [badness(a, entry) for a in series.points]
    window = [i for i, a in enumerate(series.points) if when(a) >= start]
    if not window or window[-1] != len(values) - 1:
        window.append(len(values) - 1)
    best_index = min(window, key=lambda i: (values[i], -i))
    latest, best = values[-1], values[best_index]
    full = p.velocity_full_mcid * mcid_share(entry, p.velocity_full_rise) if entry else p.velocity_full_rise
    rise = latest - best
    points = p.symptoms_level_points * latest + p.symptoms_velocity_points * clamp(rise / full, 0.0, 1.0)
    return Trajectory(
        series=series,
        latest=latest,
        best=best,
        best_index=best_index,
        worst=max(values[i] for i in window),
        in_window=len(window),
        full=full,
        points=points,
        floor=floor_of(series.latest, entry),
        age_days=age_days(now, series.latest.createdAt),
    )


def trend_of(t: Trajectory | None, p: RelapseParams) -> str:
    """Rising from the window's best, else falling from its worst, else stable; `unknown` with a
    single administration in the window."""
    if t is None or t.in_window < 2:
        return "unknown"
    if t.latest - t.best >= p.trend_min_change:
        return "rising"
    if t.worst - t.latest >= p.trend_min_change:
        return "falling"
    return "stable"


def _score(series: Series, index: int) -> str:
    return fmt(series.points[index].score)


def describe(t: Trajectory, p: RelapseParams) -> str:
    series, last = t.series, t.series.latest
    severity = severity_of(last, series.entry)
    sev = f" ({severity})" if severity else ""
    at = f"{fmt(last.score)}/{fmt(last.maxScore)}{sev}"
    if t.in_window < 2:
        text = f"{series.name} at {at} on a single administration in the {p.trajectory_window_days}-day window"
        text += "; a rise needs two."
    else:
        verb = trend_of(t, p)
        if t.in_window == 2 and len(series.points) >= 2 and t.best_index in (len(series.points) - 2,
                                                                              len(series.points) - 1):
            before = _score(series, len(series.points) - 2)
            text = f"{series.name} {verb} {before}→{at} at the two most recent administrations."
        else:
            best = _score(series, t.best_index)
            text = (
                f"{series.name} {verb}: best {best} in the {p.trajectory_window_days}-day window, now {at}, "
                f"across {t.in_window} administrations."
            )
    if series.entry is None:
        text += " Instrument not in the registry: read as higher-is-worse, as a share of its maximum."
    if t.age_days > p.stale_after_days:
        text += f" The latest administration is {t.age_days} days old — stale; reassess."
    return text
