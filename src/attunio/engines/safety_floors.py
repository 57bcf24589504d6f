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
from attunio.engines.biomarker_params import BiomarkerParams
from attunio.engines.params import ParamsBase
from attunio.engines.relapse import KEY as RELAPSE_KEY
from attunio.engines.relapse_params import RelapseParams

Bound = Literal["at_least", "at_most"]


class SafetyFloor(msgspec.Struct, frozen=True, kw_only=True):
    param: str
    bound: Bound
    """`at_least`: lowering the value would escalate fewer readings; `at_most`: raising it would."""
    why: str


def _above(param: str, what: str) -> SafetyFloor:
    return SafetyFloor(param=param, bound="at_most", why=f"raising it would stop grading some {what}")


def _below(param: str, what: str) -> SafetyFloor:
    return SafetyFloor(param=param, bound="at_least", why=f"lowering it would stop grading some {what}")


_LAB_FLOORS: tuple[SafetyFloor, ...] = (
    SafetyFloor(
        param="lithium_toxic_mmol_l",
        bound="at_most",
        why="raising it would stop wording some high lithium levels as toxic",
    ),
    _above("lithium_moderate_toxicity_mmol_l", "lithium levels as moderate-to-severe toxicity"),
    _above("lithium_severe_toxicity_mmol_l", "lithium levels as severe toxicity"),
    _below("anc_moderate_below_per_ul", "low neutrophil counts as moderate neutropenia"),
    _below("anc_severe_below_per_ul", "low neutrophil counts as severe neutropenia"),
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
    _below("sodium_profound_below_mmol_l", "low sodium as profound hyponatraemia"),
    _below("potassium_low_moderate_below_mmol_l", "low potassium as moderate hypokalaemia"),
    _below("potassium_low_severe_below_mmol_l", "low potassium as severe hypokalaemia"),
    _above("potassium_high_moderate_mmol_l", "high potassium as moderate hyperkalaemia"),
    _above("potassium_high_severe_mmol_l", "high potassium as severe hyperkalaemia"),
    _below("magnesium_severe_below_mmol_l", "low magnesium as severe hypomagnesaemia"),
    _below("phosphate_severe_below_mmol_l", "low phosphate as severe hypophosphataemia"),
    _above("qtc_prolonged_ms", "QTc readings as prolonged"),
    _above("qtc_high_risk_ms", "QTc readings as high torsade risk"),
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
