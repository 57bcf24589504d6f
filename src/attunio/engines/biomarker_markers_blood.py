"""Blood count, liver, kidney, inflammatory and other markers."""

from __future__ import annotations

from attunio.engines.biomarker_types import Marker, Relevance, Tier

# Cells per µL; ×10⁹/L (= 10³/µL, `G/L`, `K/µL`) is a thousand of them.
_PER_UL = {"/ul": 1.0, "/mm3": 1.0, "/cumm": 1.0, "10^9/l": 1000.0, "g/l": 1000.0, "10^3/ul": 1000.0,
           "10^3/mm3": 1000.0, "k/ul": 1000.0, "thou/ul": 1000.0}

_LIVER = Relevance(
    text="raised liver enzymes — valproate, carbamazepine, duloxetine, naltrexone and alcohol can "
    "injure the liver",
    action="review hepatotoxic medicines and alcohol use before dose changes.",
)


MARKERS: tuple[Marker, ...] = (
    Marker(
        key="wbc",
        label="White cell count",
        aliases=("wbc", "white blood cells", "white cell count", "leukocytes", "white blood cell count", "wbc count",
                 "leukocyte count"),
        codes=("6690-2",),
        low=Relevance(
            text="leukopenia — clozapine, carbamazepine and mirtazapine can lower white cells",
            action="check the neutrophil count before continuing the implicated drug.",
        ),
        high=Relevance(
            text="raised white cells may signal infection, a cause of delirium",
            action="assess for infection, especially with new confusion.",
        ),
    ),
    Marker(
        key="anc",
        label="Neutrophils (ANC)",
        aliases=("anc", "neutrophils", "absolute neutrophil count", "neutrophil count", "absolute neutrophils",
                 "neutrophils absolute", "abs neutrophils", "neutrophils abs", "neutrophil abs", "neut abs",
                 "neutrophil absolute count", "absolute neutrophil", "neutrophils auto abs"),
        codes=("751-8", "753-4", "26499-4"),
        unit="/µL",
        units=_PER_UL,
        low=Relevance(
            text="neutropenia — on clozapine it requires the ANC monitoring protocol",
            action="follow the clozapine ANC monitoring schedule.",
            tone="elevated",
            tiers=(
                Tier(
                    param="anc_moderate_below_per_ul",
                    above=False,
                    tone="critical",
                    text="moderate neutropenia (ANC below {threshold}/µL); on clozapine the label's ANC table "
                    "calls for interrupting it when clozapine-induced neutropenia is suspected",
                    action="on clozapine: interrupt it if clozapine-induced neutropenia is suspected, seek "
                    "haematology advice and monitor ANC daily until ≥ 1000/µL (clozapine label).",
                ),
                Tier(
                    param="anc_severe_below_per_ul",
                    above=False,
                    tone="critical",
                    text="severe neutropenia (ANC below {threshold}/µL) carries a high risk of life-threatening "
                    "infection",
                    action="on clozapine: interrupt it now, seek haematology advice, assess for infection and "
                    "fever today; no rechallenge unless benefits outweigh risks (clozapine label).",
                ),
            ),
        ),
    ),
    Marker(
        key="hemoglobin",
        label="Haemoglobin",
        aliases=("hemoglobin", "haemoglobin", "hgb", "hb"),
        codes=("718-7",),
        low=Relevance(
            text="anaemia can present as fatigue, low energy and poor concentration",
            action="investigate anaemia before attributing fatigue to depression.",
        ),
    ),
    Marker(
        key="mcv",
        label="MCV",
        aliases=("mcv", "mean corpuscular volume", "mean cell volume"),
        codes=("787-2",),
        high=Relevance(
            text="macrocytosis suggests B12/folate deficiency or heavy alcohol use",
            action="check B12, folate and alcohol use.",
        ),
    ),
    Marker(
        key="platelets",
        label="Platelets",
        aliases=("platelets", "plt", "platelet count", "platelet"),
        codes=("777-3",),
        low=Relevance(
            text="thrombocytopenia — valproate can lower platelets",
            action="review valproate dose and bleeding risk.",
        ),
    ),
    Marker(key="alt", label="ALT", aliases=("alt", "alanine aminotransferase", "sgpt", "alt sgpt"), codes=("1742-6",),
           high=_LIVER),
    Marker(key="ast", label="AST", aliases=("ast", "aspartate aminotransferase", "sgot", "ast sgot"), codes=("1920-8",),
           high=_LIVER),
    Marker(
        key="ggt",
        label="GGT",
        aliases=("ggt", "gamma gt", "gamma glutamyl transferase", "gamma glutamyltransferase"),
        codes=("2324-2",),
        high=Relevance(
            text="raised GGT suggests alcohol use or hepatic enzyme induction",
            action="explore alcohol use; review enzyme-inducing drugs.",
        ),
    ),
    Marker(
        key="ammonia",
        label="Ammonia",
        aliases=("ammonia", "nh3", "serum ammonia"),
        codes=("16362-6",),
        high=Relevance(
            text="hyperammonaemia, notably on valproate, can cause confusion and lethargy",
            action="review valproate; assess mental state urgently if confused.",
            tone="elevated",
        ),
    ),
    Marker(
        key="creatinine",
        label="Creatinine",
        aliases=("creatinine", "creat", "serum creatinine"),
        codes=("2160-0",),
        high=Relevance(
            text="reduced kidney function raises lithium levels and toxicity risk",
            action="review lithium and renally cleared drugs.",
        ),
    ),
    Marker(
        key="egfr",
        label="eGFR",
        aliases=("egfr", "estimated gfr", "gfr", "egfr ckd epi", "egfr non afr american"),
        codes=("33914-3", "62238-1", "98979-8"),
        low=Relevance(
            text="reduced eGFR lowers lithium clearance",
            action="review lithium dosing and monitoring frequency.",
        ),
    ),
    Marker(
        key="urea",
        label="Urea (BUN)",
        aliases=("urea", "bun", "blood urea nitrogen", "urea nitrogen", "urea nitrogen bun"),
        codes=("3094-0",),
        high=Relevance(
            text="raised urea suggests dehydration or reduced kidney function, which raise lithium levels",
            action="assess hydration and renal function.",
        ),
    ),
    Marker(
        key="calcium",
        label="Calcium",
        aliases=("calcium", "ca", "serum calcium"),
        codes=("17861-6",),
        high=Relevance(
            text="hypercalcaemia can present as depression, fatigue and confusion; lithium can "
            "cause hyperparathyroidism",
            action="check PTH, especially on lithium.",
        ),
        low=Relevance(
            text="hypocalcaemia can cause anxiety, irritability and tetany",
            action="correct calcium and check magnesium.",
        ),
    ),
    Marker(
        key="crp",
        label="C-reactive protein",
        aliases=("crp", "c reactive protein", "hs crp", "hscrp"),
        codes=("1988-5", "30522-7"),
        high=Relevance(
            text="raised inflammatory markers are linked to depression and may signal an "
            "infective or inflammatory driver",
            action="look for infection or inflammation.",
        ),
    ),
    Marker(
        key="esr",
        label="ESR",
        aliases=("esr", "erythrocyte sedimentation rate", "sed rate", "sed rate by modified westergren"),
        codes=("4537-7", "30341-2"),
        high=Relevance(
            text="raised ESR may signal an inflammatory or infective driver",
            action="look for infection or inflammation.",
        ),
    ),
    Marker(
        key="prolactin",
        label="Prolactin",
        aliases=("prolactin", "prl"),
        codes=("2842-3",),
        high=Relevance(
            text="hyperprolactinaemia is a common effect of antipsychotics (risperidone, amisulpride)",
            action="ask about sexual side effects and galactorrhoea; review the antipsychotic.",
        ),
    ),
    Marker(
        key="ferritin",
        label="Ferritin",
        aliases=("ferritin", "serum ferritin"),
        codes=("2276-4",),
        low=Relevance(
            text="iron deficiency can cause fatigue, low mood and restless legs",
            action="investigate and replace iron.",
        ),
    ),
    Marker(
        key="ck",
        label="Creatine kinase",
        aliases=("ck", "cpk", "creatine kinase", "creatine phosphokinase"),
        codes=("2157-6",),
        high=Relevance(
            text="raised CK on an antipsychotic can signal neuroleptic malignant syndrome if "
            "rigidity, fever or confusion are present",
            action="assess urgently for rigidity, fever and autonomic instability.",
            tone="elevated",
        ),
    ),
)
