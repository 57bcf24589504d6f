"""Psychiatrically relevant lab markers: names, aliases and what an abnormal value can mean.

Sources: Holder 2014 (Am Fam Physician, medical work-up of psychiatric presentations); ADA/APA 2004
consensus on antipsychotic metabolic monitoring; Endocrine Society 2011 (vitamin D); product labels
for lithium, valproate, carbamazepine and clozapine. The table never decides what is abnormal; the
lab's own flag and reference range do.
"""

from __future__ import annotations

import re

import msgspec

from attunio.engines.common import Tone


class Severe(msgspec.Struct, frozen=True, kw_only=True):
    """A stronger reading beyond a tunable threshold (`param` names a biomarker parameter).

    `factors` converts each accepted unit (lower-case) to the parameter's unit; a value in any
    other unit is never compared, since comparing across units would be wrong.
    """

    param: str
    above: bool
    factors: dict[str, float]
    text: str
    tone: Tone


class Relevance(msgspec.Struct, frozen=True, kw_only=True):
    text: str
    action: str
    tone: Tone = "watch"
    severe: Severe | None = None


class Marker(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: str
    aliases: tuple[str, ...]
    high: Relevance | None = None
    low: Relevance | None = None


_MMOL = {"mmol/l": 1.0, "meq/l": 1.0}
_UG_ML = {"µg/ml": 1.0, "ug/ml": 1.0, "mcg/ml": 1.0, "mg/l": 1.0}
_METABOLIC = Relevance(
    text="dyslipidaemia is a metabolic adverse effect of second-generation antipsychotics",
    action="review metabolic risk and the antipsychotic choice (ADA/APA 2004 monitoring).",
)
_LIVER = Relevance(
    text="raised liver enzymes — valproate, carbamazepine, duloxetine, naltrexone and alcohol can injure the liver",
    action="review hepatotoxic medicines and alcohol use before dose changes.",
)

MARKERS: tuple[Marker, ...] = (
    Marker(key="tsh", label="Thyroid (TSH)",
           aliases=("tsh", "thyroid stimulating hormone", "thyrotropin", "thyrotropin tsh"),
           high=Relevance(text="elevated TSH can present as depression, fatigue, and cognitive slowing — "
                          "screen before escalating an antidepressant",
                          action="check free T4 before attributing symptoms to a primary mood disorder."),
           low=Relevance(text="suppressed TSH can present as anxiety, insomnia, and mania-like symptoms",
                         action="check free T4/T3 before treating as a primary psychiatric disorder.")),
    Marker(key="free_t4", label="Thyroid (free T4)", aliases=("free t4", "ft4", "free thyroxine", "t4 free"),
           high=Relevance(text="raised free T4 can mimic anxiety, agitation, insomnia and mania",
                          action="correlate with TSH and assess for hyperthyroidism."),
           low=Relevance(text="low free T4 can present as depression, psychomotor slowing and poor memory",
                         action="correlate with TSH and treat hypothyroidism.")),
    Marker(key="b12", label="Vitamin B12", aliases=("b12", "vitamin b12", "cobalamin", "cyanocobalamin"),
           low=Relevance(text="B12 deficiency can cause mood change, psychosis, and cognitive decline",
                         action="replace B12 (confirm with methylmalonic acid if borderline).")),
    Marker(key="folate", label="Folate", aliases=("folate", "folic acid", "serum folate", "rbc folate"),
           low=Relevance(text="low folate is linked to depression and poorer antidepressant response",
                         action="replace folate and review diet and alcohol use.")),
    Marker(key="vitamin_d", label="Vitamin D",
           aliases=("vitamin d", "25 oh vitamin d", "25 hydroxyvitamin d", "25 oh d", "vitamin d 25 oh",
                    "vitamin d 25 hydroxy", "25 oh vit d", "calcidiol"),
           low=Relevance(text="vitamin D insufficiency is associated with low mood and fatigue",
                         action="replete and recheck; a reversible contributor to fatigue and low mood.",
                         severe=Severe(param="vitamin_d_deficient_below_ng_ml", above=False,
                                       factors={"ng/ml": 1.0, "nmol/l": 0.4}, tone="watch",
                                       text="vitamin D below {threshold} ng/mL is deficient and is "
                                            "associated with low mood and fatigue"))),
    Marker(key="sodium", label="Sodium", aliases=("sodium", "na", "serum sodium", "na+"),
           low=Relevance(text="hyponatraemia can cause confusion, lethargy and falls; SSRIs and SNRIs can "
                         "cause SIADH, mostly in the first month and in older patients",
                         action="review SSRI/SNRI, carbamazepine/oxcarbazepine and fluid intake; repeat.",
                         severe=Severe(param="sodium_marked_below_mmol_l", above=False, factors=_MMOL,
                                       tone="elevated",
                                       text="marked hyponatraemia (below {threshold} mmol/L) risks "
                                            "confusion, seizures and falls; SSRIs and SNRIs can cause SIADH")),
           high=Relevance(text="hypernatraemia can cause irritability and confusion; consider dehydration "
                          "or lithium-induced nephrogenic diabetes insipidus",
                          action="assess hydration and lithium exposure.")),
    Marker(key="lithium", label="Lithium level", aliases=("lithium", "li", "serum lithium", "lithium level"),
           high=Relevance(text="lithium above its narrow therapeutic window risks toxicity",
                          action="check for tremor, ataxia and confusion; review dose, renal function and "
                                 "interacting drugs.",
                          severe=Severe(param="lithium_toxic_mmol_l", above=True, factors=_MMOL,
                                        tone="elevated",
                                        text="lithium at or above {threshold} mmol/L is in the toxic range "
                                             "(tremor, ataxia, confusion)")),
           low=Relevance(text="sub-therapeutic lithium raises relapse risk",
                         action="check adherence and that the sample was a 12-hour trough.")),
    Marker(key="valproate", label="Valproate level",
           aliases=("valproate", "valproic acid", "depakote", "divalproex", "vpa", "sodium valproate"),
           high=Relevance(text="valproate above the 50–100 µg/mL trough window risks sedation, tremor and "
                          "hyperammonaemia",
                          action="check ammonia and platelets; review the dose.",
                          severe=Severe(param="valproate_toxic_ug_ml", above=True, factors=_UG_ML,
                                        tone="elevated",
                                        text="valproate at or above {threshold} µg/mL risks toxicity: "
                                             "sedation, confusion and hyperammonaemia")),
           low=Relevance(text="sub-therapeutic valproate level may not control mood symptoms",
                         action="check adherence and trough timing.")),
    Marker(key="carbamazepine", label="Carbamazepine level", aliases=("carbamazepine", "tegretol", "cbz"),
           high=Relevance(text="carbamazepine above range causes ataxia, diplopia and confusion",
                          action="review the dose and interacting drugs."),
           low=Relevance(text="sub-therapeutic carbamazepine may not control mood symptoms",
                         action="check adherence; carbamazepine induces its own metabolism.")),
    Marker(key="glucose", label="Glucose",
           aliases=("glucose", "fasting glucose", "blood glucose", "plasma glucose", "fbg", "fasting blood glucose"),
           high=Relevance(text="hyperglycaemia is a metabolic risk of second-generation antipsychotics",
                          action="follow ADA/APA 2004 antipsychotic metabolic monitoring."),
           low=Relevance(text="hypoglycaemia can present as anxiety, confusion and agitation",
                         action="exclude hypoglycaemia before treating as anxiety.")),
    Marker(key="hba1c", label="HbA1c",
           aliases=("hba1c", "a1c", "hemoglobin a1c", "haemoglobin a1c", "glycated hemoglobin", "glycated haemoglobin"),
           high=Relevance(text="raised HbA1c shows sustained hyperglycaemia, a metabolic risk of "
                          "second-generation antipsychotics",
                          action="follow ADA/APA 2004 antipsychotic metabolic monitoring.")),
    Marker(key="total_cholesterol", label="Cholesterol (total)",
           aliases=("cholesterol", "total cholesterol", "cholesterol total", "tc"), high=_METABOLIC),
    Marker(key="ldl", label="LDL cholesterol", aliases=("ldl", "ldl cholesterol", "ldl c", "ldl-c"), high=_METABOLIC),
    Marker(key="hdl", label="HDL cholesterol", aliases=("hdl", "hdl cholesterol", "hdl c"),
           low=Relevance(text="low HDL is part of the metabolic syndrome seen with second-generation "
                         "antipsychotics", action=_METABOLIC.action)),
    Marker(key="triglycerides", label="Triglycerides", aliases=("triglycerides", "trig", "tg", "triglyceride"),
           high=_METABOLIC),
    Marker(key="wbc", label="White cell count", aliases=("wbc", "white blood cells", "white cell count", "leukocytes"),
           low=Relevance(text="leukopenia — clozapine, carbamazepine and mirtazapine can lower white cells",
                         action="check the neutrophil count before continuing the implicated drug."),
           high=Relevance(text="raised white cells may signal infection, a cause of delirium",
                          action="assess for infection, especially with new confusion.")),
    Marker(key="anc", label="Neutrophils (ANC)",
           aliases=("anc", "neutrophils", "absolute neutrophil count", "neutrophil count"),
           low=Relevance(text="neutropenia — on clozapine it requires the ANC monitoring protocol",
                         action="follow the clozapine ANC monitoring schedule.", tone="elevated")),
    Marker(key="hemoglobin", label="Haemoglobin", aliases=("hemoglobin", "haemoglobin", "hgb", "hb"),
           low=Relevance(text="anaemia can present as fatigue, low energy and poor concentration",
                         action="investigate anaemia before attributing fatigue to depression.")),
    Marker(key="mcv", label="MCV", aliases=("mcv", "mean corpuscular volume"),
           high=Relevance(text="macrocytosis suggests B12/folate deficiency or heavy alcohol use",
                          action="check B12, folate and alcohol use.")),
    Marker(key="platelets", label="Platelets", aliases=("platelets", "plt", "platelet count"),
           low=Relevance(text="thrombocytopenia — valproate can lower platelets",
                         action="review valproate dose and bleeding risk.")),
    Marker(key="alt", label="ALT", aliases=("alt", "alanine aminotransferase", "sgpt"), high=_LIVER),
    Marker(key="ast", label="AST", aliases=("ast", "aspartate aminotransferase", "sgot"), high=_LIVER),
    Marker(key="ggt", label="GGT", aliases=("ggt", "gamma gt", "gamma glutamyl transferase"),
           high=Relevance(text="raised GGT suggests alcohol use or hepatic enzyme induction",
                          action="explore alcohol use; review enzyme-inducing drugs.")),
    Marker(key="ammonia", label="Ammonia", aliases=("ammonia", "nh3", "serum ammonia"),
           high=Relevance(text="hyperammonaemia, notably on valproate, can cause confusion and lethargy",
                          action="review valproate; assess mental state urgently if confused.",
                          tone="elevated")),
    Marker(key="creatinine", label="Creatinine", aliases=("creatinine", "creat", "serum creatinine"),
           high=Relevance(text="reduced kidney function raises lithium levels and toxicity risk",
                          action="review lithium and renally cleared drugs.")),
    Marker(key="egfr", label="eGFR", aliases=("egfr", "estimated gfr", "gfr"),
           low=Relevance(text="reduced eGFR lowers lithium clearance",
                         action="review lithium dosing and monitoring frequency.")),
    Marker(key="urea", label="Urea (BUN)", aliases=("urea", "bun", "blood urea nitrogen"),
           high=Relevance(text="raised urea suggests dehydration or reduced kidney function, which raise "
                          "lithium levels", action="assess hydration and renal function.")),
    Marker(key="calcium", label="Calcium", aliases=("calcium", "ca", "serum calcium"),
           high=Relevance(text="hypercalcaemia can present as depression, fatigue and confusion; lithium can "
                          "cause hyperparathyroidism", action="check PTH, especially on lithium."),
           low=Relevance(text="hypocalcaemia can cause anxiety, irritability and tetany",
                         action="correct calcium and check magnesium.")),
    Marker(key="crp", label="C-reactive protein", aliases=("crp", "c reactive protein", "hs crp", "hscrp"),
           high=Relevance(text="raised inflammatory markers are linked to depression and may signal an "
                          "infective or inflammatory driver", action="look for infection or inflammation.")),
    Marker(key="esr", label="ESR", aliases=("esr", "erythrocyte sedimentation rate", "sed rate"),
           high=Relevance(text="raised ESR may signal an inflammatory or infective driver",
                          action="look for infection or inflammation.")),
    Marker(key="prolactin", label="Prolactin", aliases=("prolactin", "prl"),
           high=Relevance(text="hyperprolactinaemia is a common effect of antipsychotics (risperidone, "
                          "amisulpride)", action="ask about sexual side effects and galactorrhoea; review "
                                                 "the antipsychotic.")),
    Marker(key="ferritin", label="Ferritin", aliases=("ferritin", "serum ferritin"),
           low=Relevance(text="iron deficiency can cause fatigue, low mood and restless legs",
                         action="investigate and replace iron.")),
    Marker(key="ck", label="Creatine kinase", aliases=("ck", "cpk", "creatine kinase", "creatine phosphokinase"),
           high=Relevance(text="raised CK on an antipsychotic can signal neuroleptic malignant syndrome if "
                          "rigidity, fever or confusion are present",
                          action="assess urgently for rigidity, fever and autonomic instability.",
                          tone="elevated")),
)


def normalize(name: str) -> str:
    """`25-OH Vitamin D` -> `25 oh vitamin d`: case, punctuation and spacing never block a match."""
    return " ".join(re.sub(r"[^0-9a-zµ+]+", " ", name.lower()).split())


BY_ALIAS: dict[str, Marker] = {}
for _marker in MARKERS:
    for _alias in (*_marker.aliases, _marker.label, _marker.key):
        BY_ALIAS.setdefault(normalize(_alias), _marker)


def lookup(name: str) -> Marker | None:
    return BY_ALIAS.get(normalize(name))
