"""Unit checks of the small parts the engines are built from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from attunio.engines.biomarker import reference_bounds
from attunio.engines.biomarker_table import MARKERS, lookup, normalize
from attunio.engines.common import fmt, iso_ms, round_half_up, signed, slug
from attunio.engines.inputs import Assessment
from attunio.engines.scales import group, most_covered, severity_of


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (34.45, 1, 34.5),
        (34.444, 1, 34.4),
        (0.125, 2, 0.13),
        (2.5, 0, 3.0),
        (-2.5, 0, -3.0),
        (68.044, 0, 68.0),
        (3.9e121, 1, 3.9e121),
        (-1e300, 0, -1e300),
    ],
)
def test_round_half_up(value: float, digits: int, expected: float) -> None:
    assert round_half_up(value, digits) == expected


def test_iso_ms_is_utc_with_milliseconds() -> None:
    assert iso_ms(datetime(2026, 5, 15, tzinfo=UTC)) == "2026-05-15T00:00:00.000Z"
    assert iso_ms(datetime(2026, 5, 15, 2, 0, 0, 987654, tzinfo=timezone(timedelta(hours=2)))) == (
        "2026-05-15T00:00:00.987Z"
    )
    assert iso_ms(datetime(2026, 5, 15)) == "2026-05-15T00:00:00.000Z"


@pytest.mark.parametrize(
    ("value", "text"), [(2.6, "2.6"), (98.0, "98"), (0.25, "0.25"), (1e-7, "0"), (-12, "-12")]
)
def test_fmt_never_uses_exponents(value: float, text: str) -> None:
    assert fmt(value) == text


def test_signed_and_slug() -> None:
    assert [signed(16), signed(-12), signed(0)] == ["+16", "-12", "0"]
    assert slug("Venlafaxine XR 75 mg") == "venlafaxine_xr_75_mg"
    assert slug("—") == "unnamed"


def test_every_alias_names_one_marker_only() -> None:
    owner: dict[str, str] = {}
    for marker in MARKERS:
        for alias in (*marker.aliases, marker.label, marker.key):
            previous = owner.setdefault(normalize(alias), marker.key)
            assert previous == marker.key, f"{alias!r} names both {previous} and {marker.key}"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("TSH", "tsh"),
        ("Thyroid Stimulating Hormone", "tsh"),
        ("25-OH Vitamin D", "vitamin_d"),
        ("vitamin d", "vitamin_d"),
        ("LDL-C", "ldl"),
        ("Na+", "sodium"),
        ("Valproic Acid", "valproate"),
        ("HEMOGLOBIN A1C", "hba1c"),
        ("Absolute Neutrophil Count", "anc"),
    ],
)
def test_names_match_case_and_punctuation_insensitively(name: str, key: str) -> None:
    marker = lookup(name)
    assert marker is not None and marker.key == key


def test_table_covers_the_first_line_workup() -> None:
    keys = {m.key for m in MARKERS}
    assert {
        "tsh",
        "free_t4",
        "b12",
        "folate",
        "vitamin_d",
        "sodium",
        "lithium",
        "valproate",
        "glucose",
        "hba1c",
        "ldl",
        "triglycerides",
        "wbc",
        "hemoglobin",
        "platelets",
        "alt",
        "ast",
        "creatinine",
        "egfr",
    } <= keys
    assert all(m.high or m.low for m in MARKERS)


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("0.4-4.0", (0.4, 4.0)),
        ("135 – 145", (135, 145)),
        ("<150", (None, 150)),
        (">40", (40, None)),
        ("≤ 5", (None, 5)),
        ("negative", (None, None)),
        (None, (None, None)),
    ],
)
def test_reference_bounds(text: str | None, bounds: tuple[float | None, float | None]) -> None:
    assert reference_bounds(text) == bounds


def _a(iid: str, score: float, day: int, top: float = 27, severity: str | None = None) -> Assessment:
    return Assessment(
        instrumentId=iid,
        instrumentName=iid.upper(),
        score=score,
        maxScore=top,
        createdAt=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day),
        severity=severity,
    )


def test_most_covered_prefers_count_then_recency_then_id() -> None:
    assert most_covered(group([_a("b", 1, 1), _a("a", 1, 2), _a("a", 1, 3)])).instrument_id == "a"  # type: ignore[union-attr]
    assert most_covered(group([_a("b", 1, 5), _a("a", 1, 2)])).instrument_id == "b"  # type: ignore[union-attr]
    assert most_covered(group([_a("b", 1, 5), _a("a", 1, 5)])).instrument_id == "a"  # type: ignore[union-attr]
    assert most_covered([]) is None


def test_series_are_time_ordered_whatever_the_request_order() -> None:
    (series,) = group([_a("phq9", 3, 9), _a("phq9", 1, 1), _a("phq9", 2, 5)])
    assert [p.score for p in series.points] == [1, 2, 3]


@pytest.mark.parametrize(
    ("iid", "score", "top", "severity", "expected"),
    [
        ("phq9", 19, 27, None, "moderately severe"),
        ("PHQ-9", 4, 27, None, "minimal"),
        ("gad7", 15, 21, None, "severe"),
        ("phq9", 19, 27, "custom", "custom"),
        ("phq9", 19, 30, None, None),
        ("other", 5, 10, None, None),
    ],
)
def test_severity_words(
    iid: str, score: float, top: float, severity: str | None, expected: str | None
) -> None:
    assert severity_of(_a(iid, score, 0, top, severity)) == expected
