"""Random FHIR bundles for the property tests: scale totals, safety items in every encoding the
mapper reads, labs with every interpretation code, unusable statuses, and noise."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from tests.cds.helpers import medication, observation

from attunio.cds import codes

USABLE = ("final", "amended", "corrected", "preliminary")
STATUSES = (*USABLE, "entered-in-error", "cancelled", "registered")
INTERPRETATIONS = (None, "HH", "LL", "AA", "H", "L", "A", "N", "HU", "LU")
dates = st.dates(min_value=__import__("datetime").date(2024, 1, 1),
                 max_value=__import__("datetime").date(2026, 11, 30)).map(lambda d: f"{d.isoformat()}T08:00:00Z")
ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
ANSWERS = {points: code for code, points in codes.ANSWER_POINTS.items()}


@st.composite
def safety_observation(draw: st.DrawFn) -> dict[str, Any]:
    code = draw(st.sampled_from(sorted(codes.SAFETY_ITEMS)))
    points = draw(st.integers(0, 3))
    obs = observation(draw(ids), code, when=draw(dates), status=draw(st.sampled_from(STATUSES)))
    encoding = draw(st.sampled_from(("integer", "quantity", "coded", "panel")))
    if encoding == "panel":  # a PHQ-9 panel with item 9 as a component
        obs["code"] = {"coding": [{"system": codes.LOINC, "code": "44249-1"}]}
        obs["component"] = [{"code": {"coding": [{"system": codes.LOINC, "code": code}]}, "valueInteger": points}]
    elif encoding == "integer":
        obs["valueInteger"] = points
    elif encoding == "quantity":
        obs["valueQuantity"] = {"value": points}
    else:
        obs["valueCodeableConcept"] = {"coding": [{"system": codes.LOINC, "code": ANSWERS[points]}]}
    return obs


@st.composite
def safety_response(draw: st.DrawFn) -> dict[str, Any]:
    points = draw(st.integers(0, 3))
    return {"resourceType": "QuestionnaireResponse", "id": draw(ids), "status": draw(st.sampled_from(
        ("completed", "amended", "in-progress"))), "authored": draw(dates),
        "item": [{"linkId": "9", "code": [{"system": codes.LOINC, "code": codes.PHQ9_ITEM9}],
                  "answer": [{"valueCoding": {"system": codes.LOINC, "code": ANSWERS[points]}}]}]}


@st.composite
def scale_observation(draw: st.DrawFn) -> dict[str, Any]:
    code = draw(st.sampled_from(sorted(codes.INSTRUMENTS)))
    top = codes.INSTRUMENTS[code].max_score
    return observation(draw(ids), code, value=draw(st.integers(0, int(top))), when=draw(dates),
                       status=draw(st.sampled_from(STATUSES)))


@st.composite
def lab_observation(draw: st.DrawFn) -> dict[str, Any]:
    code = draw(st.sampled_from([*sorted(codes.LABS), "2823-3", "9999-9"]))
    return observation(draw(ids), code, value=draw(st.floats(0, 500, allow_nan=False)), unit="mmol/L",
                       interpretation=draw(st.sampled_from(INTERPRETATIONS)), lab=draw(st.booleans()),
                       when=draw(dates), status=draw(st.sampled_from(STATUSES)), low=1.0, high=5.0)


noise = st.sampled_from([{"resourceType": "Patient", "id": "p1"}, {"resourceType": "OperationOutcome"}, 7,
                         medication("m-noise", "Quetiapine 50 mg")])
resources = st.lists(st.one_of(safety_observation(), safety_response(), scale_observation(), lab_observation(),
                               noise), max_size=25)


def expected_critical(items: list[Any]) -> tuple[set[str], bool]:
    """An oracle written apart from the mapper: the positive safety item codes, and whether any
    usable lab carries a critical interpretation."""
    positive: set[str] = set()
    critical_lab = False
    for r in items:
        if not isinstance(r, dict):
            continue
        if r.get("resourceType") == "Observation" and r.get("status") in USABLE:
            code = r["code"]["coding"][0]["code"]
            answer = r
            if code == "44249-1":
                code, answer = codes.PHQ9_ITEM9, r["component"][0]
            if code in codes.SAFETY_ITEMS:
                points = answer.get("valueInteger", answer.get("valueQuantity", {}).get("value"))
                if points is None:
                    points = codes.ANSWER_POINTS[answer["valueCodeableConcept"]["coding"][0]["code"]]
                if points >= 1:
                    positive.add(code)
            elif code not in codes.INSTRUMENTS:
                interp = {c["code"] for i in r.get("interpretation", []) for c in i["coding"]}
                critical_lab |= bool(interp & {"HH", "LL", "AA"})
        if r.get("resourceType") == "QuestionnaireResponse" and r["status"] in ("completed", "amended"):
            answer = r["item"][0]["answer"][0]["valueCoding"]["code"]
            if codes.ANSWER_POINTS[answer] >= 1:
                positive.add(codes.PHQ9_ITEM9)
    return positive, critical_lab
