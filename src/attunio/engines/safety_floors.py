"""Abnormal-lab safety floors: calibration may make the lab engine more alert, never less.

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

FLOORS: dict[str, tuple[SafetyFloor, ...]] = {BIOMARKER_KEY: _LAB_FLOORS}
_SHIPPED: dict[str, ParamsBase] = {BIOMARKER_KEY: BiomarkerParams()}


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
                f"{floor.param}={value:g} is below its abnormal-lab safety floor {shipped:g}: {floor.why}"
            )
        elif floor.bound == "at_most" and value > shipped:
            messages.append(
                f"{floor.param}={value:g} is above its abnormal-lab safety floor {shipped:g}: {floor.why}"
            )
    return messages
