"""Blood count, liver, kidney, inflammatory and other markers."""

from __future__ import annotations

from attunio.engines.biomarker_types import Marker, Relevance

_LIVER = Relevance(
    text="raised liver enzymes — valproate, carbamazepine, duloxetine, naltrexone and alcohol can "
    "injure the liver",
    action="review hepatotoxic medicines and alcohol use before dose changes.",
)


MARKERS: tuple[Marker, ...] = (
    Marker(
        key="wbc",
        label="White cell count",
        aliases=("wbc", "white blood cells", "white cell count", "leukocytes"),
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
        aliases=("anc", "neutrophils", "absolute neutrophil count", "neutrophil count"),
        low=Relevance(
            text="neutropenia — on clozapine it requires the ANC monitoring protocol",
            action="follow the clozapine ANC monitoring schedule.",
            tone="elevated",
        ),
    ),
    Marker(
        key="hemoglobin",
        label="Haemoglobin",
        aliases=("hemoglobin", "haemoglobin", "hgb", "hb"),
        low=Relevance(
            text="anaemia can present as fatigue, low energy and poor concentration",
            action="investigate anaemia before attributing fatigue to depression.",
        ),
    ),
    Marker(
        key="mcv",
        label="MCV",
        aliases=("mcv", "mean corpuscular volume"),
        high=Relevance(
            text="macrocytosis suggests B12/folate deficiency or heavy alcohol use",
            action="check B12, folate and alcohol use.",
        ),
    ),
    Marker(
        key="platelets",
        label="Platelets",
        aliases=("platelets", "plt", "platelet count"),
        low=Relevance(
            text="thrombocytopenia — valproate can lower platelets",
            action="review valproate dose and bleeding risk.",
        ),
    ),
    Marker(key="alt", label="ALT", aliases=("alt", "alanine aminotransferase", "sgpt"), high=_LIVER),
    Marker(key="ast", label="AST", aliases=("ast", "aspartate aminotransferase", "sgot"), high=_LIVER),
    Marker(
        key="ggt",
        label="GGT",
        aliases=("ggt", "gamma gt", "gamma glutamyl transferase"),
        high=Relevance(
            text="raised GGT suggests alcohol use or hepatic enzyme induction",
            action="explore alcohol use; review enzyme-inducing drugs.",
        ),
    ),
    Marker(
        key="ammonia",
        label="Ammonia",
        aliases=("ammonia", "nh3", "serum ammonia"),
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
        high=Relevance(
            text="reduced kidney function raises lithium levels and toxicity risk",
            action="review lithium and renally cleared drugs.",
        ),
    ),
    Marker(
        key="egfr",
        label="eGFR",
        aliases=("egfr", "estimated gfr", "gfr"),
        low=Relevance(
            text="reduced eGFR lowers lithium clearance",
            action="review lithium dosing and monitoring frequency.",
        ),
    ),
    Marker(
        key="urea",
        label="Urea (BUN)",
        aliases=("urea", "bun", "blood urea nitrogen"),
        high=Relevance(
            text="raised urea suggests dehydration or reduced kidney function, which raise lithium levels",
            action="assess hydration and renal function.",
        ),
    ),
    Marker(
        key="calcium",
        label="Calcium",
        aliases=("calcium", "ca", "serum calcium"),
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
        high=Relevance(
            text="raised inflammatory markers are linked to depression and may signal an "
            "infective or inflammatory driver",
            action="look for infection or inflammation.",
        ),
    ),
    Marker(
        key="esr",
        label="ESR",
        aliases=("esr", "erythrocyte sedimentation rate", "sed rate"),
        high=Relevance(
            text="raised ESR may signal an inflammatory or infective driver",
            action="look for infection or inflammation.",
        ),
    ),
    Marker(
        key="prolactin",
        label="Prolactin",
        aliases=("prolactin", "prl"),
        high=Relevance(
            text="hyperprolactinaemia is a common effect of antipsychotics (risperidone, amisulpride)",
            action="ask about sexual side effects and galactorrhoea; review the antipsychotic.",
        ),
    ),
    Marker(
        key="ferritin",
        label="Ferritin",
        aliases=("ferritin", "serum ferritin"),
        low=Relevance(
            text="iron deficiency can cause fatigue, low mood and restless legs",
            action="investigate and replace iron.",
        ),
    ),
    Marker(
        key="ck",
        label="Creatine kinase",
        aliases=("ck", "cpk", "creatine kinase", "creatine phosphokinase"),
        high=Relevance(
            text="raised CK on an antipsychotic can signal neuroleptic malignant syndrome if "
            "rigidity, fever or confusion are present",
            action="assess urgently for rigidity, fever and autonomic instability.",
            tone="elevated",
        ),
    ),
)
