"""Thyroid, vitamins, electrolytes, psychotropic drug levels and metabolic markers."""

from __future__ import annotations

from attunio.engines.biomarker_types import Marker, Relevance, Severe

_MMOL = {"mmol/l": 1.0, "meq/l": 1.0}
_UG_ML = {"µg/ml": 1.0, "ug/ml": 1.0, "mcg/ml": 1.0, "mg/l": 1.0}
_METABOLIC = Relevance(
    text="dyslipidaemia is a metabolic adverse effect of second-generation antipsychotics",
    action="review metabolic risk and the antipsychotic choice (ADA/APA 2004 monitoring).",
)

MARKERS: tuple[Marker, ...] = (
    Marker(
        key="tsh",
        label="Thyroid (TSH)",
        aliases=("tsh", "thyroid stimulating hormone", "thyrotropin", "thyrotropin tsh"),
        high=Relevance(
            text="elevated TSH can present as depression, fatigue, and cognitive slowing — "
            "screen before escalating an antidepressant",
            action="check free T4 before attributing symptoms to a primary mood disorder.",
        ),
        low=Relevance(
            text="suppressed TSH can present as anxiety, insomnia, and mania-like symptoms",
            action="check free T4/T3 before treating as a primary psychiatric disorder.",
        ),
    ),
    Marker(
        key="free_t4",
        label="Thyroid (free T4)",
        aliases=("free t4", "ft4", "free thyroxine", "t4 free"),
        high=Relevance(
            text="raised free T4 can mimic anxiety, agitation, insomnia and mania",
            action="correlate with TSH and assess for hyperthyroidism.",
        ),
        low=Relevance(
            text="low free T4 can present as depression, psychomotor slowing and poor memory",
            action="correlate with TSH and treat hypothyroidism.",
        ),
    ),
    Marker(
        key="b12",
        label="Vitamin B12",
        aliases=("b12", "vitamin b12", "cobalamin", "cyanocobalamin"),
        low=Relevance(
            text="B12 deficiency can cause mood change, psychosis, and cognitive decline",
            action="replace B12 (confirm with methylmalonic acid if borderline).",
        ),
    ),
    Marker(
        key="folate",
        label="Folate",
        aliases=("folate", "folic acid", "serum folate", "rbc folate"),
        low=Relevance(
            text="low folate is linked to depression and poorer antidepressant response",
            action="replace folate and review diet and alcohol use.",
        ),
    ),
    Marker(
        key="vitamin_d",
        label="Vitamin D",
        aliases=(
            "vitamin d",
            "25 oh vitamin d",
            "25 hydroxyvitamin d",
            "25 oh d",
            "vitamin d 25 oh",
            "vitamin d 25 hydroxy",
            "25 oh vit d",
            "calcidiol",
        ),
        low=Relevance(
            text="vitamin D insufficiency is associated with low mood and fatigue",
            action="replete and recheck; a reversible contributor to fatigue and low mood.",
            severe=Severe(
                param="vitamin_d_deficient_below_ng_ml",
                above=False,
                factors={"ng/ml": 1.0, "nmol/l": 0.4},
                tone="watch",
                text="vitamin D below {threshold} ng/mL is deficient and is "
                "associated with low mood and fatigue",
            ),
        ),
    ),
    Marker(
        key="sodium",
        label="Sodium",
        aliases=("sodium", "na", "serum sodium", "na+"),
        low=Relevance(
            text="hyponatraemia can cause confusion, lethargy and falls; SSRIs and SNRIs can "
            "cause SIADH, mostly in the first month and in older patients",
            action="review SSRI/SNRI, carbamazepine/oxcarbazepine and fluid intake; repeat.",
            severe=Severe(
                param="sodium_marked_below_mmol_l",
                above=False,
                factors=_MMOL,
                tone="elevated",
                text="marked hyponatraemia (below {threshold} mmol/L) risks "
                "confusion, seizures and falls; SSRIs and SNRIs can cause SIADH",
            ),
        ),
        high=Relevance(
            text="hypernatraemia can cause irritability and confusion; consider dehydration "
            "or lithium-induced nephrogenic diabetes insipidus",
            action="assess hydration and lithium exposure.",
        ),
    ),
    Marker(
        key="lithium",
        label="Lithium level",
        aliases=("lithium", "li", "serum lithium", "lithium level"),
        high=Relevance(
            text="lithium above its narrow therapeutic window risks toxicity",
            action="check for tremor, ataxia and confusion; review dose, renal function and "
            "interacting drugs.",
            severe=Severe(
                param="lithium_toxic_mmol_l",
                above=True,
                factors=_MMOL,
                tone="elevated",
                text="lithium at or above {threshold} mmol/L is in the toxic range "
                "(tremor, ataxia, confusion)",
            ),
        ),
        low=Relevance(
            text="sub-therapeutic lithium raises relapse risk",
            action="check adherence and that the sample was a 12-hour trough.",
        ),
    ),
    Marker(
        key="valproate",
        label="Valproate level",
        aliases=("valproate", "valproic acid", "depakote", "divalproex", "vpa", "sodium valproate"),
        high=Relevance(
            text="valproate above the 50–100 µg/mL trough window risks sedation, tremor and hyperammonaemia",
            action="check ammonia and platelets; review the dose.",
            severe=Severe(
                param="valproate_toxic_ug_ml",
                above=True,
                factors=_UG_ML,
                tone="elevated",
                text="valproate at or above {threshold} µg/mL risks toxicity: "
                "sedation, confusion and hyperammonaemia",
            ),
        ),
        low=Relevance(
            text="sub-therapeutic valproate level may not control mood symptoms",
            action="check adherence and trough timing.",
        ),
    ),
    Marker(
        key="carbamazepine",
        label="Carbamazepine level",
        aliases=("carbamazepine", "tegretol", "cbz"),
        high=Relevance(
            text="carbamazepine above range causes ataxia, diplopia and confusion",
            action="review the dose and interacting drugs.",
        ),
        low=Relevance(
            text="sub-therapeutic carbamazepine may not control mood symptoms",
            action="check adherence; carbamazepine induces its own metabolism.",
        ),
    ),
    Marker(
        key="glucose",
        label="Glucose",
        aliases=(
            "glucose",
            "fasting glucose",
            "blood glucose",
            "plasma glucose",
            "fbg",
            "fasting blood glucose",
        ),
        high=Relevance(
            text="hyperglycaemia is a metabolic risk of second-generation antipsychotics",
            action="follow ADA/APA 2004 antipsychotic metabolic monitoring.",
        ),
        low=Relevance(
            text="hypoglycaemia can present as anxiety, confusion and agitation",
            action="exclude hypoglycaemia before treating as anxiety.",
        ),
    ),
    Marker(
        key="hba1c",
        label="HbA1c",
        aliases=(
            "hba1c",
            "a1c",
            "hemoglobin a1c",
            "haemoglobin a1c",
            "glycated hemoglobin",
            "glycated haemoglobin",
        ),
        high=Relevance(
            text="raised HbA1c shows sustained hyperglycaemia, a metabolic risk of "
            "second-generation antipsychotics",
            action="follow ADA/APA 2004 antipsychotic metabolic monitoring.",
        ),
    ),
    Marker(
        key="total_cholesterol",
        label="Cholesterol (total)",
        aliases=("cholesterol", "total cholesterol", "cholesterol total", "tc"),
        high=_METABOLIC,
    ),
    Marker(
        key="ldl",
        label="LDL cholesterol",
        aliases=("ldl", "ldl cholesterol", "ldl c", "ldl-c"),
        high=_METABOLIC,
    ),
    Marker(
        key="hdl",
        label="HDL cholesterol",
        aliases=("hdl", "hdl cholesterol", "hdl c"),
        low=Relevance(
            text="low HDL is part of the metabolic syndrome seen with second-generation antipsychotics",
            action=_METABOLIC.action,
        ),
    ),
    Marker(
        key="triglycerides",
        label="Triglycerides",
        aliases=("triglycerides", "trig", "tg", "triglyceride"),
        high=_METABOLIC,
    ),
)
