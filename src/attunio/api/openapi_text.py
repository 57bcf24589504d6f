"""The words of the OpenAPI document: a description and an example for every field, taken from the
public API reference where it says them and from docs/engines.md where it does not.

`FIELDS` is keyed by schema, then field; `SHARED` holds the fields that mean the same wherever they
appear. `tests/api/test_openapi.py` fails for any field of the published schema without both.
"""

from __future__ import annotations

from typing import Any

Doc = tuple[str, Any]  # (description, example)
ISO = "2026-06-28T15:04:05.000Z"
DISCLAIMER = ("Deterministic, rules-based decision support derived from numerical timing metrics. Not biometric ML, "
              "affect recognition, or an autonomous diagnosis. For clinician review only.")

SHARED: dict[str, Doc] = {
    "sessionRef": ("Optional. Your correlation id, echoed back. Never stored.", "visit_8841"),
    "generatedAt": ("When the answer was computed (UTC, milliseconds).", ISO),
    "model": ("Which parameter set produced the answer (see Model versioning & calibration).",
              {"key": "relapse_risk", "version": None, "source": "default"}),
    "disclaimer": ("Decision support for clinician review only, never an autonomous diagnosis.", DISCLAIMER),
    "signalsPresent": ("How many signals the answer holds.", 2),
    "confidence": ("How much the answer can be relied on: high, moderate or low.", "high"),
    "summaryLine": ("One sentence for the chart.", "Treatment response is improving (composite +66) across 4 "
                    "independent data sources."),
    "sourceCount": ("How many independent data sources contributed.", 4),
    "dmseLatencyPctChange": ("Optional Digital MSE™ latency % change across visits, for objective corroboration. "
                             "-100 to 1000.", -12),
    "assessments": ("Symptom-scale administrations. Up to 500. See Assessment object.",
                    [{"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 18, "maxScore": 27,
                      "createdAt": "2026-02-20T00:00:00Z"}]),
    "avgSleepHours": ("Optional average nightly sleep hours from wearables. 0–24.", 7.5),
    "label": ("Human-readable name of the signal, component or factor.", "Symptom trajectory"),
    "detail": ("What was found, in words, with the numbers behind it.",
               "PHQ-9 improved 18→9 across 2 administrations."),
    "available": ("Whether the request carried the data this part needs; an unavailable part contributes nothing.",
                  True),
    "metricValue": ("The measured value the signal is about.", 6.8),
    "metricUnit": ("Unit of metricValue.", "mIU/L"),
    "signalKey": ("Stable id of the signal.", "bio_tsh"),
    "tone": ("How the finding reads for care: positive, neutral, watch, elevated or critical.", "watch"),
    "sourceRef": ("Your id of the prescription or lab the signal comes from, echoed back.", "lab_88"),
    "observedAt": ("When the underlying observation was made (UTC, milliseconds).", "2026-06-01T00:00:00.000Z"),
    "safety": ("Present when the request carried a positive suicidality item (PHQ-9 item 9 ≥ 1, EPDS item 10, "
               "any positive C-SSRS screener item): each finding, for a same-day clinician assessment under local "
               "protocol. A safety floor no calibration can lower or remove; never an automatic action.",
               [{"key": "suicidal_ideation", "severity": "critical",
                 "detail": "PHQ-9 item 9 scored 3 (thoughts of self-harm nearly every day) on 2026-06-20.",
                 "sourceRef": "assessments.1.items.0"}]),
}

FIELDS: dict[str, dict[str, Doc]] = {
    "DmseRequest": {
        "psychomotorFidgetEpisodes": ("Discrete fidget / motor-restlessness episodes counted during the session "
                                      "(0–1000).", 4),
        "responseLatencySeconds": ("Mean conversational response latency in seconds (0–120).", 2.6),
        "speechRateWpm": ("Mean speech rate in words per minute (0–600).", 98),
        "sustainedAttentionPct": ("Share of session with gaze on-screen, 0–100.", 66),
        "sessionDurationSeconds": ("Optional. Session length in seconds (0–86400); longer sessions raise "
                                   "confidence.", 540),
        "history": ("Optional. Arrays of prior values keyed by signal (psychomotor, response_latency, speech_rate, "
                    "sustained_attention) for baseline + trend.", {"response_latency": [3.1, 2.9, 2.7]}),
    },
    "History": {
        "psychomotor": ("Prior fidget-episode counts, oldest first (up to 500).", [2, 3, 3]),
        "response_latency": ("Prior mean response latencies in seconds, oldest first (up to 500).", [3.1, 2.9, 2.7]),
        "speech_rate": ("Prior speech rates in words per minute, oldest first (up to 500).", [110, 104, 101]),
        "sustained_attention": ("Prior on-screen gaze shares in percent, oldest first (up to 500).", [72, 70, 68]),
    },
    "MedicationRequest": {
        "prescriptions": ("Prescriptions to correlate. Up to 100. See Prescription object.",
                          [{"id": "rx_001", "medicationName": "Sertraline", "dosage": "50mg", "frequency": "daily",
                            "status": "active", "prescribedAt": "2026-03-01T00:00:00Z"}]),
    },
    "Prescription": {
        "id": ("Your prescription id; echoed back as the signal's sourceRef. 1–128 chars.", "rx_001"),
        "medicationName": ("Medication name, e.g. \"Sertraline\". 1–160 chars.", "Sertraline"),
        "status": ("Prescription status, e.g. \"active\" or \"discontinued\".", "active"),
        "dosage": ("Optional dosage, e.g. \"50mg\".", "50mg"),
        "frequency": ("Optional frequency, e.g. \"daily\".", "daily"),
        "prescribedAt": ("When the medication started. Anchors the before/after symptom comparison.",
                         "2026-03-01T00:00:00Z"),
    },
    "Assessment": {
        "instrumentId": ("Stable id for the instrument, e.g. \"phq9\". 1–64 chars.", "phq9"),
        "instrumentName": ("Human-readable name, e.g. \"PHQ-9\". 1–120 chars.", "PHQ-9"),
        "score": ("Raw score for this administration. 0–1000, and at most maxScore.", 18),
        "maxScore": ("Maximum possible score for the instrument. 1–1000.", 27),
        "createdAt": ("When the assessment was administered (ISO-8601).", "2026-02-20T00:00:00Z"),
        "severity": ("Optional severity band, e.g. \"moderately severe\".", "moderately severe"),
        "items": ("Optional item answers of this administration (up to the instrument's item count). PHQ-9 item 9, "
                  "EPDS item 10 and the C-SSRS screener items are read for suicidality; see Item object.",
                  [{"itemId": "9", "score": 2}]),
    },
    "Item": {
        "itemId": ("Item number as printed on the form (\"9\"), or its LOINC code (\"44260-8\" for PHQ-9 item 9).",
                   "9"),
        "score": ("The item's answer, e.g. 0–3 on PHQ-9, 0/1 on the C-SSRS screener.", 2),
    },
    "SafetyFinding": {
        "key": ("What was found: \"suicidal_ideation\".", "suicidal_ideation"),
        "severity": ("\"urgent\" or \"critical\": how soon the clinician should act under local protocol.",
                     "critical"),
        "sourceRef": ("The request path of the item or administration the finding comes from.",
                      "assessments.1.items.0"),
    },
    "BiomarkerRequest": {
        "labs": ("At least one lab panel (required). Up to 100. See Lab panel object.",
                 [{"id": "lab_88", "labName": "Quest Diagnostics", "observedAt": "2026-06-01T00:00:00Z",
                   "results": {"biomarkers": [{"name": "TSH", "value": 6.8, "unit": "mIU/L", "flag": "high",
                                               "referenceRange": "0.4-4.0"}]}}]),
    },
    "Lab": {
        "id": ("Your lab/panel id; echoed back as the signal's sourceRef. 1–128 chars.", "lab_88"),
        "labName": ("Lab or panel name, e.g. \"Quest Diagnostics\". 1–160 chars.", "Quest Diagnostics"),
        "results": ("The panel's readings.", {"biomarkers": [{"name": "TSH", "value": 6.8, "flag": "high"}]}),
        "observedAt": ("When the panel was drawn or observed.", "2026-06-01T00:00:00Z"),
    },
    "Results": {
        "biomarkers": ("Up to 200 biomarker readings (see Biomarker object).",
                       [{"name": "Vitamin D", "value": 18, "unit": "ng/mL", "flag": "low",
                         "referenceRange": "30-100"}]),
    },
    "Biomarker": {
        "name": ("Biomarker name, e.g. \"TSH\". 1–120 chars.", "TSH"),
        "value": ("The measured value: a number, a string of up to 64 chars, or null.", 6.8),
        "unit": ("Unit of measure, e.g. \"mIU/L\" (up to 32 chars).", "mIU/L"),
        "flag": ("\"high\" | \"low\" | \"critical\" | \"normal\". Only abnormal flags produce a signal.", "high"),
        "referenceRange": ("Reference range string, e.g. \"0.4-4.0\" (up to 64 chars).", "0.4-4.0"),
        "note": ("Optional free-text note (≤240 chars).", "fasting sample"),
        "code": ("Optional LOINC code of the result (e.g. \"14334-7\" for serum lithium); a known code is "
                 "matched before the name.", "14334-7"),
    },
    "OutcomeRequest": {
        "activeMedications": ("Count of active medications. 0–100. Default 0.", 1),
        "biomarkerWatchCount": ("Count of flagged biomarker watch-items. 0–100. Default 0.", 0),
    },
    "RelapseRequest": {
        "daysSinceMedChange": ("Days since the last medication change. 0–3650.", 12),
        "hasActiveMedication": ("Whether the patient is on an active medication. Default false.", True),
        "daysSinceLastVisit": ("Days since the last clinical visit. 0–3650.", 38),
    },
    "ModelRef": {
        "key": ("Stable id of the engine, e.g. \"relapse_risk\", \"outcome_score\", \"medication_response\", "
                "\"biomarker_interpretation\".", "relapse_risk"),
        "version": ("The active version that produced this response. null means the engine is running the shipped "
                    "defaults — no calibrated version has been promoted.", 4),
        "source": ("\"default\" = the clinically-reasoned constants that ship with the API. \"calibrated\" = a "
                   "version a licensed admin reviewed and promoted.", "calibrated"),
    },
    "DmseAnalysis": {
        "object": ("Always \"dmse.analysis\".", "dmse.analysis"),
        "overallConfidence": ("Confidence of the whole analysis: high, moderate or low.", "high"),
        "signals": ("One entry per signal (psychomotor, response latency, speech rate, sustained attention).",
                    [{"signalKey": "response_latency", "label": "Response latency", "present": True, "metricValue": 2.6,
                      "metricUnit": "s", "interpretation": "clinical_attention", "confidence": "high"}]),
        "mseNarrative": ("The signals' MSE lines, ready for the mental-status-exam note.",
                         ["Speech: increased response latency (avg ~2.6s)."]),
    },
    "DmseSignal": {
        "signalKey": ("Which signal: psychomotor, response_latency, speech_rate or sustained_attention.",
                      "response_latency"),
        "present": ("Whether the request carried this signal's metric.", True),
        "metricValue": ("The metric as sent.", 2.6),
        "metricUnit": ("Unit of metricValue.", "s"),
        "interpretation": ("within_normal_limits, borderline or clinical_attention.", "clinical_attention"),
        "detail": ("What was found, in words.", "Markedly delayed response latency (avg 2.6s)."),
        "trendDir": ("Direction against the patient's own history: up, down or stable (needs history).", "down"),
        "mseLine": ("The line for the mental-status-exam note.", "Speech: increased response latency (avg ~2.6s)."),
        "baseline": ("The patient's own baseline from history: mean, SD and count.", {"mean": 2.9, "sd": 0.2, "n": 3}),
    },
    "Baseline": {
        "mean": ("Mean of the prior values.", 2.9),
        "sd": ("Sample standard deviation of the prior values (null with fewer than two).", 0.2),
        "n": ("How many prior values.", 3),
    },
    "MedicationAnalysis": {
        "object": ("Always \"medication.analysis\".", "medication.analysis"),
        "signals": ("Response and monitoring signals, one or more per prescription.",
                    [{"module": "medication", "signalKey": "med_response_sertraline",
                      "label": "Sertraline — symptom response",
                      "detail": "PHQ-9 improved 18→11 (39% reduction) since Sertraline 50mg started.",
                      "tone": "positive", "metricValue": 11, "metricUnit": "score", "confidence": "moderate",
                      "summaryLine": "On Sertraline 50mg, PHQ-9 improved from 18 to 11 (39% reduction).",
                      "sourceRef": "rx_001", "observedAt": "2026-05-15T00:00:00.000Z"}]),
    },
    "BiomarkerAnalysis": {
        "object": ("Always \"biomarker.analysis\".", "biomarker.analysis"),
        "signals": ("One signal per abnormally flagged reading.",
                    [{"module": "biomarker", "signalKey": "bio_tsh", "label": "Thyroid (TSH)",
                      "detail": "6.8 mIU/L (ref 0.4-4.0) — elevated TSH can present as depression.",
                      "tone": "watch", "metricValue": 6.8, "metricUnit": "mIU/L", "confidence": "high",
                      "summaryLine": "Thyroid (TSH) elevated at 6.8 mIU/L.", "sourceRef": "lab_88",
                      "observedAt": "2026-06-01T00:00:00.000Z"}]),
    },
    "Signal": {
        "module": ("The engine that produced the signal: medication or biomarker.", "biomarker"),
        "metricValue": ("The measured value the signal is about (a number or the value as sent).", 6.8),
    },
    "OutcomeScore": {
        "object": ("Always \"outcome.score\".", "outcome.score"),
        "score": ("Treatment-response composite from -100 (worsening) to +100 (strong improvement).", 66),
        "direction": ("improving, stable or worsening.", "improving"),
        "components": ("Each source's signed contribution to the score.",
                       [{"key": "symptoms", "label": "Symptom scales", "contribution": 45,
                         "detail": "PHQ-9 improved 18→9 across 2 administrations.", "available": True}]),
    },
    "Component": {
        "key": ("Which source: symptoms, dmse, medication, biomarker or sleep.", "symptoms"),
        "contribution": ("Signed points this source adds to the composite.", 45),
    },
    "RelapsePrediction": {
        "object": ("Always \"relapse.prediction\".", "relapse.prediction"),
        "score": ("Additive early-warning score, 0–100.", 68),
        "level": ("low, moderate, elevated or high.", "elevated"),
        "trend": ("rising, falling, stable or unknown (needs two administrations).", "rising"),
        "topDriver": ("Label of the factor that contributes most (null when none does).", "Symptom trajectory"),
        "factors": ("Every contributing factor, with its points out of its maximum.",
                    [{"key": "sleep", "label": "Sleep (wearable)", "points": 12, "maxPoints": 18, "tone": "elevated",
                      "available": True, "detail": "Averaging 5.2h/night recently."}]),
        "recommendation": ("A conservative next step for the clinician; nothing is auto-actioned.",
                           "Flag for closer monitoring; consider a check-in before the next scheduled visit."),
    },
    "Factor": {
        "key": ("Which factor: symptoms, dmse, sleep, medication or cadence.", "sleep"),
        "points": ("Points this factor adds to the score.", 12),
        "maxPoints": ("The most this factor can add.", 18),
    },
    "Error": {
        "ok": ("Always false on an error.", False),
        "error": ("What went wrong: a stable code, a message for a person and, for validation, every failing field.",
                  {"code": "invalid_request", "message": "Telemetry validation failed.",
                   "issues": [{"path": "responseLatencySeconds", "message": "Number must be ≤ 120"}]}),
    },
    "Ping": {
        "object": ("Always \"ping\".", "ping"),
        "mode": ("test (sandbox) or live.", "test"),
        "keyType": ("secret or publishable.", "secret"),
        "app": ("Id of the app the key belongs to.", "app_7Hc2kQ9xLm"),
        "time": ("The appliance's time (UTC, milliseconds).", ISO),
    },
    "Health": {"status": ("Always \"alive\" while the process answers.", "alive")},
    "Readiness": {
        "status": ("ready, or not_ready (with 503) when a check failed.", "ready"),
        "checks": ("Each check and its result (\"ok\" or what failed).", {"store": "ok"}),
        "license": ("The license state: status (valid, grace, refused, unknown), its reason, expiresAt, "
                    "graceDaysLeft and clockBehind. Never makes the appliance unready.",
                    {"status": "valid", "expiresAt": "2027-06-30T00:00:00.000Z", "clockBehind": False}),
        "warnings": ("Things to act on that do not make the appliance unready (certificate expiry, grace period).",
                     []),
    },
}

# Request bodies of the reference's examples, per engine key.
REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "dmse_signals": {"responseLatencySeconds": 2.6, "speechRateWpm": 98, "psychomotorFidgetEpisodes": 4,
                     "sustainedAttentionPct": 66, "sessionDurationSeconds": 540,
                     "history": {"response_latency": [3.1, 2.9, 2.7]}, "sessionRef": "visit_8841"},
    "medication_response": {
        "prescriptions": [{"id": "rx_001", "medicationName": "Sertraline", "dosage": "50mg", "frequency": "daily",
                           "status": "active", "prescribedAt": "2026-03-01T00:00:00Z"}],
        "assessments": [
            {"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 18, "maxScore": 27,
             "createdAt": "2026-02-20T00:00:00Z"},
            {"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 11, "maxScore": 27,
             "createdAt": "2026-05-15T00:00:00Z"}],
        "dmseLatencyPctChange": -14},
    "biomarker_interpretation": {"labs": [{
        "id": "lab_88", "labName": "Quest Diagnostics", "observedAt": "2026-06-01T00:00:00Z",
        "results": {"biomarkers": [
            {"name": "TSH", "value": 6.8, "unit": "mIU/L", "flag": "high", "referenceRange": "0.4-4.0"},
            {"name": "Vitamin D", "value": 18, "unit": "ng/mL", "flag": "low", "referenceRange": "30-100"}]}}]},
    "outcome_score": {
        "assessments": [
            {"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 18, "maxScore": 27,
             "createdAt": "2026-02-20T00:00:00Z"},
            {"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 9, "maxScore": 27,
             "createdAt": "2026-05-15T00:00:00Z"}],
        "dmseLatencyPctChange": -12, "activeMedications": 1, "biomarkerWatchCount": 0, "avgSleepHours": 7.5},
    "relapse_risk": {
        "assessments": [
            {"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 12, "maxScore": 27,
             "createdAt": "2026-05-01T00:00:00Z"},
            {"instrumentId": "phq9", "instrumentName": "PHQ-9", "score": 19, "maxScore": 27,
             "severity": "moderately severe", "createdAt": "2026-06-15T00:00:00Z"}],
        "dmseLatencyPctChange": 16, "avgSleepHours": 5.2, "daysSinceMedChange": 12, "hasActiveMedication": True,
        "daysSinceLastVisit": 38},
}

OPERATIONS: dict[str, tuple[str, str]] = {
    "dmse_signals": ("Digital MSE™: timing telemetry to mental-status-exam signals",
                     "Submit timing telemetry for a single session. Provide at least one metric; supply more for a "
                     "fuller mental-status picture, and include history to unlock baseline and trend. The only "
                     "endpoint a publishable key may call, from an origin on its allow-list."),
    "medication_response": ("Medication Intelligence™: response and monitoring signals",
                            "Correlates each active prescription's start date with the symptom-scale trajectory of "
                            "the most-covered instrument (before vs. after the med started), plus an optional "
                            "Digital MSE™ latency change, to produce explainable response and monitoring signals."),
    "biomarker_interpretation": ("Biomarker Intelligence™: abnormal labs and their psychiatric relevance",
                                 "Maps abnormally-flagged lab biomarkers to their psychiatric relevance so reversible "
                                 "medical drivers are ruled out before escalating psychotropics. Only readings with a "
                                 "flag of high, low, or critical produce a signal; normal values are ignored."),
    "outcome_score": ("Outcome Intelligence™: treatment-response composite",
                      "Fuses up to five independent sources into a single treatment-response composite from -100 "
                      "(worsening) to +100 (strong improvement). Each component's signed contribution is returned, "
                      "and confidence scales with how many independent sources are available and agree."),
    "relapse_risk": ("Relapse Prediction™: early-warning score",
                     "Uses the velocity and recency of symptom scales, Digital MSE™ latency, wearable sleep, "
                     "medication-change windows, and visit cadence to compute a transparent, additive 0–100 "
                     "early-warning score. Every contributing factor and a conservative recommendation are returned — "
                     "nothing is auto-actioned."),
}
