"""Safety floors of calibration: a bundle may make the lab and relapse engines more alert, never less.

The `critical` flag's highest tone is code in `biomarker.py` and has no parameter at all. The
thresholds below decide when an already-abnormal reading is escalated (worded as toxic, marked or
deficient and raised in tone). Their safety caps allow movement both ways, but a calibration bundle
may move each only in the direction that escalates more readings: the shipped value is the floor of
the engine's alertness. Each rule names the direction that is refused.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from attunio.engines.biomarker import KEY as BIOMARKER_KEY
from attunio.engines.biomarker import BiomarkerParams
from attunio.engines.params import ParamsBase
from attunio.engines.relapse import KEY as RELAPSE_KEY
from attunio.engines.relapse_params import RelapseParams

Bound = Literal["at_least", "at_most"]


class SafetyFloor(msgspec.Struct, frozen=True, kw_only=True):
    param: str
    bound: Bound
    """`at_least`: lowering the value would escalate fewer readings; `at_most`: raising it would."""
    why: str


_LAB_FLOORS: tuple[SafetyFloor, ...] = (
    SafetyFloor(
        param="lithium_toxic_mmol_l",
        bound="at_most",
        why="raising it would stop wording some high lithium levels as toxic",
    ),
    SafetyFloor(
        param="valproate_toxic_ug_ml",
        bound="at_most",
        why="raising it would stop wording some high valproate levels as toxic",
    ),
    SafetyFloor(
        param="sodium_marked_below_mmol_l",
        bound="at_least",
        why="lowering it would stop escalating some marked hyponatraemia",
    ),
    SafetyFloor(
        param="vitamin_d_deficient_below_ng_ml",
        bound="at_least",
        why="lowering it would stop wording some low vitamin D as deficiency",
    ),
)

# Relapse: the suicidality floor (level `high`) and the level floors by severity band are code with
# no parameter (`relapse.level_of`); these two parameters decide which data the floors and the rise
# see, so a bundle may move them only towards reading more deterioration.
_RELAPSE_FLOORS: tuple[SafetyFloor, ...] = (
    SafetyFloor(
        param="trajectory_window_days",
        bound="at_least",
        why="shortening it would measure the rise from a later, worse best score and miss deterioration",
    ),
    SafetyFloor(
        param="stale_after_days",
        bound="at_most",
        why="lengthening it would present older administrations as current",
    ),
)

FLOORS: dict[str, tuple[SafetyFloor, ...]] = {BIOMARKER_KEY: _LAB_FLOORS, RELAPSE_KEY: _RELAPSE_FLOORS}
_SHIPPED: dict[str, ParamsBase] = {BIOMARKER_KEY: BiomarkerParams(), RELAPSE_KEY: RelapseParams()}
_KIND = {BIOMARKER_KEY: "abnormal-lab safety floor", RELAPSE_KEY: "relapse safety floor"}


def floor_value(engine_key: str, floor: SafetyFloor) -> float:
    return float(getattr(_SHIPPED[engine_key], floor.param))


def floor_violations(engine_key: str, params: ParamsBase) -> list[str]:
    """One message per lowered floor, naming the parameter, its value and the shipped floor."""
    messages = []
    for floor in FLOORS.get(engine_key, ()):
        value = float(getattr(params, floor.param))
        shipped = floor_value(engine_key, floor)
        if floor.bound == "at_least" and value < shipped:
            messages.append(
                f"{floor.param}={value:g} is below its {_KIND[engine_key]} {shipped:g}: {floor.why}"
            )
        elif floor.bound == "at_most" and value > shipped:
            messages.append(
                f"{floor.param}={value:g} is above its {_KIND[engine_key]} {shipped:g}: {floor.why}"
            )
    return messages
