"""Potassium, magnesium, phosphate and the QTc interval: the readings that decide whether a
QT-prolonging psychotropic is safe, and the refeeding risk in eating disorders.

Sources: AHA/ACCF 2010 statement on preventing torsade de pointes (Drew 2010): hypokalaemia and
hypomagnesaemia are modifiable risk factors and QTc > 500 ms a high-risk value; NICE CG32 and
MARSIPAN (RCPsych 2014) for refeeding risk with low potassium, phosphate or magnesium.
"""

from __future__ import annotations

from attunio.engines.biomarker_markers_core import MMOL
from attunio.engines.biomarker_types import Marker, Relevance, Tier

_QT_DRUGS = "citalopram/escitalopram, antipsychotics (haloperidol, ziprasidone, pimozide), methadone"

MARKERS: tuple[Marker, ...] = (
    Marker(
        key="potassium",
        label="Potassium",
        aliases=("potassium", "k", "k+", "serum potassium", "potassium k"),
        codes=("2823-3", "6298-4"),
        unit="mmol/L",
        units=MMOL,
        low=Relevance(
            text=f"hypokalaemia raises torsade risk with QT-prolonging drugs ({_QT_DRUGS}); consider purging, "
            "laxative or diuretic use and refeeding",
            action="correct potassium before starting or raising a QT-prolonging drug; ask about purging.",
            tiers=(
                Tier(
                    param="potassium_low_moderate_below_mmol_l",
                    above=False,
                    tone="elevated",
                    text="moderate hypokalaemia (below {threshold} mmol/L) raises arrhythmia risk, more so "
                    "with QT-prolonging drugs",
                    action="arrange prompt medical review and an ECG; correct potassium; review QT-prolonging drugs.",
                ),
                Tier(
                    param="potassium_low_severe_below_mmol_l",
                    above=False,
                    tone="critical",
                    text="severe hypokalaemia (below {threshold} mmol/L) risks arrhythmia, weakness and paralysis",
                    action="arrange same-day medical assessment with ECG and replacement under local protocol; "
                    "hold QT-prolonging drugs.",
                ),
            ),
        ),
        high=Relevance(
            text="hyperkalaemia can cause arrhythmia; consider renal impairment and interacting drugs",
            action="repeat to exclude a haemolysed sample; review renal function and potassium-raising drugs.",
            tiers=(
                Tier(
                    param="potassium_high_moderate_mmol_l",
                    above=True,
                    tone="elevated",
                    text="moderate hyperkalaemia (at or above {threshold} mmol/L) risks arrhythmia",
                    action="arrange prompt medical review and an ECG; repeat to exclude haemolysis.",
                ),
                Tier(
                    param="potassium_high_severe_mmol_l",
                    above=True,
                    tone="critical",
                    text="severe hyperkalaemia (at or above {threshold} mmol/L) risks life-threatening arrhythmia",
                    action="arrange emergency medical assessment with ECG now (UK Kidney Association 2020).",
                ),
            ),
        ),
    ),
    Marker(
        key="magnesium",
        label="Magnesium",
        aliases=("magnesium", "mg", "mg2+", "serum magnesium", "magnesium mg"),
        codes=("19123-9", "2601-3"),
        unit="mmol/L",
        units={"mmol/l": 1.0, "mg/dl": 0.4114, "meq/l": 0.5},
        low=Relevance(
            text="hypomagnesaemia raises torsade risk with QT-prolonging drugs and is common with alcohol "
            "use, proton-pump inhibitors and refeeding",
            action="correct magnesium before a QT-prolonging drug; review alcohol use and refeeding risk.",
            tiers=(
                Tier(
                    param="magnesium_severe_below_mmol_l",
                    above=False,
                    tone="elevated",
                    text="severe hypomagnesaemia (below {threshold} mmol/L) risks tetany, seizures and torsade "
                    "de pointes",
                    action="arrange prompt medical review with ECG and replacement; check potassium and calcium.",
                ),
            ),
        ),
    ),
    Marker(
        key="phosphate",
        label="Phosphate",
        aliases=("phosphate", "phosphorus", "po4", "inorganic phosphate", "phosphorus inorganic",
                 "phosphate as phosphorus", "phos"),
        codes=("2777-1",),
        unit="mmol/L",
        units={"mmol/l": 1.0, "mg/dl": 0.3229},
        low=Relevance(
            text="hypophosphataemia is the hallmark of refeeding syndrome in restrictive eating disorders and "
            "alcohol dependence",
            action="assess refeeding risk (NICE CG32, MARSIPAN) and replace phosphate.",
            tiers=(
                Tier(
                    param="phosphate_severe_below_mmol_l",
                    above=False,
                    tone="elevated",
                    text="severe hypophosphataemia (below {threshold} mmol/L) risks muscle weakness, "
                    "respiratory failure, heart failure and confusion",
                    action="arrange same-day medical review; slow refeeding and replace phosphate under local "
                    "protocol.",
                ),
            ),
        ),
    ),
    Marker(
        key="qtc",
        label="QTc interval",
        aliases=("qtc", "qtc interval", "corrected qt", "qt corrected", "qt interval corrected", "qtcb", "qtcf",
                 "qtc bazett", "qtc fridericia", "corrected qt interval", "qt c"),
        codes=("8636-3",),
        unit="ms",
        units={"ms": 1.0, "msec": 1.0, "s": 1000.0},
        high=Relevance(
            text=f"a prolonged QTc raises the risk of torsade de pointes with QT-prolonging drugs ({_QT_DRUGS})",
            action="review QT-prolonging drugs; check potassium and magnesium; repeat the ECG.",
            tiers=(
                Tier(
                    param="qtc_prolonged_ms",
                    above=True,
                    tone="elevated",
                    text="QTc at or above {threshold} ms is prolonged; torsade risk rises with QT-prolonging "
                    f"drugs ({_QT_DRUGS})",
                ),
                Tier(
                    param="qtc_high_risk_ms",
                    above=True,
                    tone="critical",
                    text="QTc at or above {threshold} ms carries a substantially raised risk of torsade de pointes",
                    action="review today: stop or reduce QT-prolonging drugs where possible, correct potassium and "
                    "magnesium, and seek cardiology advice (AHA/ACCF 2010).",
                ),
            ),
        ),
    ),
)
