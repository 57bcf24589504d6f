"""Thyroid, vitamins, electrolytes, psychotropic drug levels and metabolic markers."""

from __future__ import annotations

from attunio.engines.biomarker_types import Marker, Relevance, Tier

# Keys are `unit_key` spellings; the factor converts into the marker's `unit`.
MMOL = {"mmol/l": 1.0, "meq/l": 1.0}
_UG_ML = {"ug/ml": 1.0, "mg/l": 1.0, "umol/l": 0.14421}
_METABOLIC = Relevance(
    text="dyslipidaemia is a metabolic adverse effect of second-generation antipsychotics",
    action="review metabolic risk and the antipsychotic choice (ADA/APA 2004 monitoring).",
)

MARKERS: tuple[Marker, ...] = (
    Marker(
        key="tsh",
        label="Thyroid (TSH)",
        aliases=("tsh", "thyroid stimulating hormone", "thyrotropin", "tsh 3rd generation", "tsh ultrasensitive",
                 "tsh high sensitivity", "hs tsh", "thyroid stim hormone"),
        codes=("3016-3", "11580-8"),
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
        aliases=("free t4", "ft4", "free thyroxine", "t4 free", "thyroxine free", "t4 free direct"),
        codes=("3024-7", "14920-3"),
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
        aliases=("b12", "vitamin b12", "cobalamin", "cyanocobalamin", "vit b12", "vitamin b 12"),
        codes=("2132-9",),
        low=Relevance(
            text="B12 deficiency can cause mood change, psychosis, and cognitive decline",
            action="replace B12 (confirm with methylmalonic acid if borderline).",
        ),
    ),
    Marker(
        key="folate",
        label="Folate",
        aliases=("folate", "folic acid", "serum folate", "rbc folate"),
        codes=("2284-8",),
        low=Relevance(
            text="low folate is linked to depression and poorer antidepressant response",
            # BSH 2014 (Devalia, Br J Haematol): folic acid alone can let a B12 deficiency's
            # neurological damage progress, so B12 is checked first.
            action="check vitamin B12 before replacing folate (folic acid alone can mask B12 deficiency while "
            "its neurological damage progresses; BSH 2014); then review diet and alcohol use.",
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
            "vitamin d 25 oh total",
            "25 hydroxyvitamin d2 d3",
            "25 hydroxy vitamin d total",
            "vit d 25 oh",
            "vitamin d3 25 oh",
        ),
        codes=("1989-3", "62292-8", "14635-7"),
        unit="ng/mL",
        units={"ng/ml": 1.0, "ug/l": 1.0, "nmol/l": 0.4},
        low=Relevance(
            # Supplementation trials have not lifted mood (VITAL-DEP, Okereke 2020, JAMA), so low
            # vitamin D is an association, never presented as a reversible cause of low mood.
            text="low vitamin D is common in depression, but repletion has not been shown to improve or "
            "prevent low mood (VITAL-DEP, Okereke 2020)",
            action="replete for bone health per local guidance and recheck; do not count it as a treatment "
            "for low mood.",
            tiers=(
                Tier(
                    param="vitamin_d_deficient_below_ng_ml",
                    above=False,
                    tone="watch",
                    text="vitamin D below {threshold} ng/mL is deficient (Endocrine Society 2011); low mood is "
                    "associated with it, but repletion has not been shown to treat it (VITAL-DEP, Okereke 2020)",
                ),
            ),
        ),
    ),
    Marker(
        key="sodium",
        label="Sodium",
        aliases=("sodium", "na", "serum sodium", "na+", "sodium na"),
        codes=("2951-2", "2947-0"),
        unit="mmol/L",
        units=MMOL,
        low=Relevance(
            text="hyponatraemia can cause confusion, lethargy and falls; SSRIs and SNRIs can "
            "cause SIADH, mostly in the first month and in older patients",
            action="review SSRI/SNRI, carbamazepine/oxcarbazepine and fluid intake; repeat.",
            tiers=(
                Tier(
                    param="sodium_marked_below_mmol_l",
                    above=False,
                    tone="elevated",
                    text="marked hyponatraemia (below {threshold} mmol/L) risks "
                    "confusion, seizures and falls; SSRIs and SNRIs can cause SIADH",
                ),
                Tier(
                    param="sodium_profound_below_mmol_l",
                    above=False,
                    tone="critical",
                    text="profound hyponatraemia (below {threshold} mmol/L) risks seizures, coma and falls; "
                    "SSRIs, SNRIs, carbamazepine and psychogenic polydipsia are psychiatric causes",
                    action="arrange same-day medical assessment; do not correct faster than local protocol allows; "
                    "review SSRI/SNRI, carbamazepine/oxcarbazepine and fluid intake.",
                ),
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
        aliases=("lithium", "li", "serum lithium", "lithium level", "eskalith", "lithobid", "priadel",
                 "lithium carbonate", "li+"),
        codes=("14334-7", "3719-2"),
        unit="mmol/L",
        units=MMOL,
        high=Relevance(
            text="lithium above its narrow therapeutic window risks toxicity",
            action="check for tremor, ataxia and confusion; review dose, renal function and "
            "interacting drugs.",
            tiers=(
                Tier(
                    param="lithium_toxic_mmol_l",
                    above=True,
                    tone="elevated",
                    text="lithium at or above {threshold} mmol/L is in the toxic range "
                    "(tremor, ataxia, confusion)",
                ),
                Tier(
                    param="lithium_moderate_toxicity_mmol_l",
                    above=True,
                    tone="critical",
                    text="lithium at or above {threshold} mmol/L is moderate-to-severe toxicity "
                    "(ataxia, confusion, dysarthria; seizures may follow)",
                    action="hold lithium and arrange same-day medical assessment (neurological state, renal "
                    "function, ECG); repeat the level.",
                ),
                Tier(
                    param="lithium_severe_toxicity_mmol_l",
                    above=True,
                    tone="critical",
                    text="lithium at or above {threshold} mmol/L is severe, potentially life-threatening "
                    "toxicity (impaired consciousness, seizures, arrhythmia)",
                    action="hold lithium and send for emergency medical care now; discuss extracorporeal "
                    "removal with toxicology (EXTRIP).",
                ),
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
        aliases=("valproate", "valproic acid", "depakote", "divalproex", "vpa", "sodium valproate", "depakene",
                 "epilim", "valproic acid depakote"),
        codes=("4086-5",),
        unit="µg/mL",
        units=_UG_ML,
        high=Relevance(
            # The epilepsy trough window is 50–100 µg/mL, but acute-mania dosing reaches 125 (Depakote
            # label), so a level between them is read against the indication, not called too high.
            text="a high valproate level: the epilepsy trough window is 50–100 µg/mL, but acute-mania dosing "
            "reaches 125 µg/mL (Depakote label), so read it against the indication; thrombocytopenia is "
            "more likely above 110 µg/mL in women and 135 in men",
            action="confirm the indication and that the sample was a trough; check platelets, and ammonia "
            "if drowsy or confused.",
            tiers=(
                Tier(
                    param="valproate_toxic_ug_ml",
                    above=True,
                    tone="elevated",
                    text="valproate at or above {threshold} µg/mL is above every indication's target and risks "
                    "toxicity: sedation, confusion and hyperammonaemia",
                    action="check ammonia and platelets; review the dose.",
                ),
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
        codes=("3432-2",),
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
            "glucose fasting",
        ),
        codes=("2345-7", "1558-6"),
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
            "hemoglobin a1c hba1c",
            "glycohemoglobin",
        ),
        codes=("4548-4",),
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
        codes=("2093-3",),
        high=_METABOLIC,
    ),
    Marker(
        key="ldl",
        label="LDL cholesterol",
        aliases=("ldl", "ldl cholesterol", "ldl c", "ldl-c", "ldl calc", "ldl cholesterol calc", "cholesterol ldl"),
        codes=("13457-7", "2089-1"),
        high=_METABOLIC,
    ),
    Marker(
        key="hdl",
        label="HDL cholesterol",
        aliases=("hdl", "hdl cholesterol", "hdl c", "cholesterol hdl"),
        codes=("2085-9",),
        low=Relevance(
            text="low HDL is part of the metabolic syndrome seen with second-generation antipsychotics",
            action=_METABOLIC.action,
        ),
    ),
    Marker(
        key="triglycerides",
        label="Triglycerides",
        aliases=("triglycerides", "trig", "tg", "triglyceride"),
        codes=("2571-8",),
        high=_METABOLIC,
    ),
)
