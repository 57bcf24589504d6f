"""Biomarker thresholds: each grades an already-abnormal reading more urgently.

None of them can silence a flagged reading or lower the `critical` floor (that is code). Each
threshold is also a safety floor (`safety_floors.py`): a bundle may move it only in the direction
that grades more readings as severe.
"""

from __future__ import annotations

from typing import Annotated

from attunio.engines.params import ParamsBase, capped

LITHIUM_TOXIC = "Lithium label: levels > 1.5 mEq/L carry a greater risk of toxicity."
LITHIUM_MODERATE = (
    "Lithium label: levels must not exceed 2 mEq/L even in acute treatment; above 2, ataxia, blurred "
    "vision and tinnitus follow the early signs."
)
LITHIUM_SEVERE = (
    "Design choice: the lowest level at which published gradings place impaired consciousness and "
    "seizures (> 2.5 mmol/L in UK plasma-lithium tables; eTG Toxicology 2.5–3.5 moderate, > 3.5 severe), "
    "so none is missed; EXTRIP 2015 (Decker, Clin J Am Soc Nephrol) for when to dialyse."
)
CLOZAPINE_ANC = (
    "Clozapine prescribing information, ANC monitoring table (general population): mild neutropenia "
    "1000–1499/µL, moderate 500–999/µL (interrupt if clozapine-induced is suspected), severe < 500/µL."
)
HYPONATRAEMIA = "European hyponatraemia guideline (Spasovski 2014): moderate 125–129, profound < 125 mmol/L."
HYPOKALAEMIA = (
    "Hypokalaemia graded mild 3.0–3.4, moderate 2.5–2.9, severe < 2.5 mmol/L (Kardalas 2018, Endocr Connect)."
)
HYPERKALAEMIA = "UK Kidney Association 2020 (acute hyperkalaemia): mild 5.5–5.9, moderate 6.0–6.4, severe ≥ 6.5 mmol/L."
QTC = (
    "AHA/ACCF 2010 scientific statement on torsade de pointes in hospital (Drew 2010): QTc > 500 ms "
    "marks a substantially raised risk; prolonged from 450 ms in men, 460 ms in women (AHA/ACCF/HRS 2009)."
)


class BiomarkerParams(ParamsBase, frozen=True):
    lithium_toxic_mmol_l: Annotated[
        float,
        capped(
            1.0,
            2.0,
            "Lithium level from which a high reading is worded as toxic and raised to `elevated`.",
            LITHIUM_TOXIC,
            "mmol/L",
        ),
    ] = 1.5
    lithium_moderate_toxicity_mmol_l: Annotated[
        float,
        capped(
            1.5,
            2.5,
            "Lithium level from which a reading is worded as moderate-to-severe toxicity needing same-day "
            "medical assessment; tone `critical`.",
            LITHIUM_MODERATE,
            "mmol/L",
        ),
    ] = 2.0
    lithium_severe_toxicity_mmol_l: Annotated[
        float,
        capped(
            2.0,
            3.5,
            "Lithium level from which a reading is worded as severe, potentially life-threatening toxicity "
            "(emergency care; discuss extracorporeal removal); tone `critical`.",
            LITHIUM_SEVERE,
            "mmol/L",
        ),
    ] = 2.5
    anc_moderate_below_per_ul: Annotated[
        float,
        capped(
            500,
            1500,
            "Absolute neutrophil count below which a low reading is moderate neutropenia; tone `critical`.",
            CLOZAPINE_ANC,
            "/µL",
        ),
    ] = 1000
    anc_severe_below_per_ul: Annotated[
        float,
        capped(
            200,
            1000,
            "Absolute neutrophil count below which a low reading is severe neutropenia; tone `critical`.",
            CLOZAPINE_ANC,
            "/µL",
        ),
    ] = 500
    sodium_marked_below_mmol_l: Annotated[
        float,
        capped(
            126,
            134,
            "Sodium below which a low reading is worded as marked hyponatraemia and raised to `elevated`.",
            "Hyponatraemia < 130 mmol/L is moderate-to-severe "
            "(European hyponatraemia guideline 2014); SSRI-SIADH reviews.",
            "mmol/L",
        ),
    ] = 130
    sodium_profound_below_mmol_l: Annotated[
        float,
        capped(
            115,
            129,
            "Sodium below which a reading is profound hyponatraemia (seizure and fall risk); tone `critical`.",
            HYPONATRAEMIA,
            "mmol/L",
        ),
    ] = 125
    potassium_low_moderate_below_mmol_l: Annotated[
        float,
        capped(
            2.5,
            3.5,
            "Potassium below which a low reading is moderate hypokalaemia; tone `elevated`.",
            HYPOKALAEMIA,
            "mmol/L",
        ),
    ] = 3.0
    potassium_low_severe_below_mmol_l: Annotated[
        float,
        capped(2.0, 3.0, "Potassium below which a reading is severe hypokalaemia; tone `critical`.", HYPOKALAEMIA,
               "mmol/L"),
    ] = 2.5
    potassium_high_moderate_mmol_l: Annotated[
        float,
        capped(5.5, 6.5, "Potassium from which a high reading is moderate hyperkalaemia; tone `elevated`.",
               HYPERKALAEMIA, "mmol/L"),
    ] = 6.0
    potassium_high_severe_mmol_l: Annotated[
        float,
        capped(6.0, 7.0, "Potassium from which a reading is severe hyperkalaemia; tone `critical`.",
               HYPERKALAEMIA, "mmol/L"),
    ] = 6.5
    magnesium_severe_below_mmol_l: Annotated[
        float,
        capped(
            0.3,
            0.7,
            "Magnesium below which a low reading is severe hypomagnesaemia (torsade risk with "
            "QT-prolonging drugs); tone `elevated`.",
            "Design choice: 0.5 mmol/L (1.2 mg/dL) is where reviews place symptomatic hypomagnesaemia; the "
            "lab's own range (about 0.7) flags the milder values.",
            "mmol/L",
        ),
    ] = 0.5
    phosphate_severe_below_mmol_l: Annotated[
        float,
        capped(
            0.2,
            0.8,
            "Phosphate below which a low reading is severe hypophosphataemia (refeeding risk); tone `elevated`.",
            "Severe hypophosphataemia < 1.0 mg/dL = 0.32 mmol/L (Gaasbeek & Meinders 2005, Am J Med); "
            "refeeding risk with low phosphate (NICE CG32; MARSIPAN).",
            "mmol/L",
        ),
    ] = 0.32
    qtc_prolonged_ms: Annotated[
        float,
        capped(
            430,
            470,
            "QTc from which a reading is prolonged; tone `elevated` (one threshold for both sexes, the "
            "lower, so none is missed).",
            QTC,
            "ms",
        ),
    ] = 450
    qtc_high_risk_ms: Annotated[
        float,
        capped(470, 520, "QTc from which torsade risk is substantial; tone `critical`.", QTC, "ms"),
    ] = 500
    vitamin_d_deficient_below_ng_ml: Annotated[
        float,
        capped(
            10,
            30,
            "25-OH vitamin D below which a low reading is worded as deficiency.",
            "Endocrine Society 2011: < 20 ng/mL deficient.",
            "ng/mL",
        ),
    ] = 20
    valproate_toxic_ug_ml: Annotated[
        float,
        capped(
            100,
            175,
            "Valproate level from which a high reading is worded as toxic and raised to `elevated`; below it, "
            "a high level is read against the indication.",
            "Depakote label: epilepsy trough 50–100 µg/mL; acute-mania trials dosed to troughs up to 125 µg/mL; "
            "thrombocytopenia more likely above 110 (women) / 135 (men) µg/mL.",
            "µg/mL",
        ),
    ] = 125

    ORDERED = (
        ("lithium_toxic_mmol_l", "lithium_moderate_toxicity_mmol_l"),
        ("lithium_moderate_toxicity_mmol_l", "lithium_severe_toxicity_mmol_l"),
        ("anc_severe_below_per_ul", "anc_moderate_below_per_ul"),
        ("sodium_profound_below_mmol_l", "sodium_marked_below_mmol_l"),
        ("potassium_low_severe_below_mmol_l", "potassium_low_moderate_below_mmol_l"),
        ("potassium_high_moderate_mmol_l", "potassium_high_severe_mmol_l"),
        ("qtc_prolonged_ms", "qtc_high_risk_ms"),
    )
