"""LOINC codes the CDS Hooks services read, in one place.

Scale totals and safety items come from the engines' instrument registry (`engines/instruments.py`),
which carries each instrument's verified LOINC code, so a scale the engines learn is read from FHIR
without a second list to keep in step; only codes the registry has no entry for are added here.
"""

from __future__ import annotations

from typing import Final

import msgspec

from attunio.engines.instruments import REGISTRY

LOINC: Final = "http://loinc.org"
INTERPRETATION: Final = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # the engines' `instrumentId`
    name: str
    max_score: float


# Total-score LOINC codes of the symptom scales with each scale's published maximum: every registry
# instrument with a verified code (PHQ-9 0-27, GAD-7 0-21), plus PHQ-2 (0-6, Kroenke et al. 2003),
# which the engines read as an unregistered scale (a share of its maximum). Instruments whose codes
# are not yet verified (PHQ-8, WHO-5, EPDS) stay unread from FHIR rather than be guessed.
INSTRUMENTS: Final[dict[str, Instrument]] = {
    **{entry.loinc: Instrument(id=entry.id, name=entry.name, max_score=entry.maximum)
       for entry in REGISTRY if entry.loinc},
    "55758-7": Instrument(id="phq2", name="PHQ-2", max_score=6),
}
# Panel codes: a panel Observation carries its items as `component`s (or `hasMember`), and some
# systems put the total in the panel's own value; both are read.
PANELS: Final[dict[str, Instrument]] = {
    "44249-1": INSTRUMENTS["44261-6"],  # PHQ-9 quick depression assessment panel
    "69737-5": INSTRUMENTS["70274-6"],  # GAD-7 panel
}

# Items whose positive answer is a safety entry, from the registry (PHQ-9 item 9, "thoughts that you
# would be better off dead or of hurting yourself": Kroenke, Spitzer & Williams 2001 ask for
# follow-up of any answer above "not at all").
SAFETY_ITEMS: Final[dict[str, str]] = {
    item.loinc: item.label for entry in REGISTRY for item in entry.safety_items if item.loinc
}
PHQ9_ITEM9: Final = "44260-8"

# LOINC answer codes of the PHQ-9/GAD-7 frequency scale and their points.
ANSWER_POINTS: Final[dict[str, int]] = {
    "LA6568-5": 0,  # Not at all
    "LA6569-3": 1,  # Several days
    "LA6570-1": 2,  # More than half the days
    "LA6571-9": 3,  # Nearly every day
}

# Laboratory LOINC codes to the biomarker engine's marker names (its alias table decides the rest).
LABS: Final[dict[str, str]] = {
    "14334-7": "lithium",        # Lithium [Moles/volume] in Serum or Plasma
    "4086-5": "valproate",       # Valproate [Mass/volume] in Serum or Plasma
    "3432-2": "carbamazepine",   # Carbamazepine [Mass/volume] in Serum or Plasma
    "751-8": "anc",              # Neutrophils [#/volume] in Blood by Automated count
    "753-4": "anc",              # Neutrophils [#/volume] in Blood by Manual count
    "26499-4": "anc",            # Neutrophils [#/volume] in Blood
    "6690-2": "wbc",             # Leukocytes [#/volume] in Blood by Automated count
    "718-7": "hemoglobin",
    "777-3": "platelets",
    "2951-2": "sodium",          # Sodium [Moles/volume] in Serum or Plasma
    "2947-0": "sodium",          # Sodium in Blood
    "2345-7": "glucose",         # Glucose [Mass/volume] in Serum or Plasma
    "1558-6": "fasting glucose",
    "4548-4": "hba1c",           # Hemoglobin A1c/Hemoglobin.total in Blood
    "2093-3": "total cholesterol",
    "13457-7": "ldl",            # LDL cholesterol, calculated
    "2089-1": "ldl",
    "2085-9": "hdl",
    "2571-8": "triglycerides",
    "3016-3": "tsh",
    "3024-7": "free t4",
    "2132-9": "b12",
    "2284-8": "folate",
    "1989-3": "vitamin d",       # 25-hydroxyvitamin D3
    "62292-8": "vitamin d",      # 25-hydroxyvitamin D2+D3
    "1742-6": "alt",
    "1920-8": "ast",
    "2324-2": "ggt",
    "2160-0": "creatinine",
    "33914-3": "egfr",
    "3094-0": "urea",
    "17861-6": "calcium",
    "1988-5": "crp",
    "2157-6": "ck",
    "2842-3": "prolactin",
    "2276-4": "ferritin",
}

# Observation.interpretation codes (v3 ObservationInterpretation) to the biomarker engine's flag.
# HH, LL and AA are the critical codes; they always reach the engine (and the card) as critical.
FLAGS: Final[dict[str, str]] = {
    "HH": "critical", "LL": "critical", "AA": "critical",
    "H": "high", "HU": "high", "L": "low", "LU": "low",
    "A": "high",  # abnormal, direction unstated: read as high so it is never dropped as normal
    "N": "normal",
}
CRITICAL_FLAGS: Final = frozenset(code for code, flag in FLAGS.items() if flag == "critical")
