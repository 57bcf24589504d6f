from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec import structs
from tests.billing_helpers import INSTANCE, claims

from attunio.services.licensing.evaluate import evaluate, evaluate_installed, install_refusal, next_change

EXPIRES = datetime(2027, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("overrides", "now", "status", "reason"),
    [
        ({}, datetime(2026, 6, 1, tzinfo=UTC), "valid", None),
        ({"instance_id": INSTANCE}, datetime(2026, 6, 1, tzinfo=UTC), "valid", None),
        ({"instance_id": "inst_other"}, datetime(2026, 6, 1, tzinfo=UTC), "refused", "other_instance"),
        ({"production_access": False}, datetime(2026, 6, 1, tzinfo=UTC), "refused", "no_production_access"),
        ({}, datetime(2025, 12, 31, 23, 59, tzinfo=UTC), "refused", "not_yet_valid"),
        ({}, EXPIRES - timedelta(seconds=1), "valid", None),
        ({}, EXPIRES, "grace", None),
        ({}, EXPIRES + 14 * DAY - timedelta(seconds=1), "grace", None),
        ({}, EXPIRES + 14 * DAY, "refused", "expired"),
        ({"grace_days": 0}, EXPIRES, "refused", "expired"),
    ],
)
def test_states(overrides: dict[str, Any], now: datetime, status: str, reason: str | None) -> None:
    state = evaluate(claims(**overrides), now, None, INSTANCE)
    assert (state.status, state.reason) == (status, reason)
    assert state.serves_live == (status != "refused")
    assert state.message


def test_no_license_is_refused_with_its_own_reason() -> None:
    state = evaluate(None, datetime(2026, 6, 1, tzinfo=UTC), None, INSTANCE)
    assert (state.status, state.reason) == ("refused", "no_license")
    assert "attunio license install" in state.message


@pytest.mark.parametrize(
    ("into_grace", "left"), [(timedelta(0), 14), (DAY / 2, 14), (DAY, 13), (13.5 * DAY, 1)]
)
def test_grace_counts_whole_days_left(into_grace: timedelta, left: int) -> None:
    state = evaluate(claims(), EXPIRES + into_grace, None, INSTANCE)
    assert state.status == "grace"
    assert state.grace_days_left == left
    assert f"{left} more day" in state.message


def test_setting_the_clock_back_does_not_extend_a_license() -> None:
    high_water = EXPIRES + 20 * DAY
    wound_back = datetime(2026, 6, 1, tzinfo=UTC)
    state = evaluate(claims(), wound_back, high_water, INSTANCE)
    assert (state.status, state.reason) == ("refused", "expired")
    assert state.effective_now == high_water
    assert state.clock_behind


def test_setting_the_clock_back_does_not_restore_grace_days() -> None:
    state = evaluate(claims(), EXPIRES + DAY, EXPIRES + 10 * DAY, INSTANCE)
    assert state.grace_days_left == 4


@pytest.mark.parametrize(
    ("behind", "flagged"),
    [(timedelta(0), False), (timedelta(minutes=59), False), (timedelta(hours=1, seconds=1), True)],
)
def test_a_clock_more_than_an_hour_behind_the_mark_is_flagged(behind: timedelta, flagged: bool) -> None:
    mark = datetime(2026, 6, 1, tzinfo=UTC)
    state = evaluate(claims(), mark - behind, mark, INSTANCE)
    assert state.clock_behind is flagged
    assert state.status == "valid"


def test_a_clock_ahead_of_the_mark_is_used_as_is() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    state = evaluate(claims(), now, now - DAY, INSTANCE)
    assert state.effective_now == now
    assert not state.clock_behind


def test_the_best_installed_license_wins_so_renewals_can_be_installed_early() -> None:
    current = claims(license_id="LIC-A")
    renewal = claims(license_id="LIC-B", valid_from=EXPIRES, expires_at=EXPIRES + 365 * DAY)
    before = evaluate_installed([renewal, current], datetime(2026, 12, 1, tzinfo=UTC), None, INSTANCE)
    assert (before.status, before.license_id) == ("valid", "LIC-A")
    after = evaluate_installed([current, renewal], EXPIRES + DAY, None, INSTANCE)
    assert (after.status, after.license_id) == ("valid", "LIC-B")
    assert evaluate_installed([], EXPIRES, None, INSTANCE).reason == "no_license"


def test_install_refuses_only_licenses_that_can_never_serve_here() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert install_refusal(claims(), now, None, INSTANCE) is None
    assert install_refusal(claims(valid_from=EXPIRES, expires_at=EXPIRES + DAY), now, None, INSTANCE) is None
    assert install_refusal(claims(production_access=False), now, None, INSTANCE) is None
    assert "another instance" in (install_refusal(claims(instance_id="inst_x"), now, None, INSTANCE) or "")
    assert "expired" in (install_refusal(claims(), EXPIRES + 15 * DAY, None, INSTANCE) or "")
    assert install_refusal(claims(), now, EXPIRES + 15 * DAY, INSTANCE) is not None


# -- next_change: the span over which one evaluation can be reused -----------------------------------

_T0 = datetime(2026, 1, 1, tzinfo=UTC)
_offsets = st.integers(min_value=-400 * 86_400, max_value=800 * 86_400)


def _same_verdict(a: Any, b: Any) -> bool:
    return structs.replace(a, effective_now=_T0) == structs.replace(b, effective_now=_T0)


@settings(max_examples=400, deadline=None)
@given(
    licenses=st.lists(
        st.tuples(_offsets, st.integers(min_value=1, max_value=500 * 86_400), st.integers(0, 30), st.booleans()),
        max_size=3,
    ),
    at_offset=_offsets,
    later=st.floats(min_value=0.0, max_value=1.0),
)
def test_the_verdict_holds_until_next_change_and_changes_there(
    licenses: list[tuple[int, int, int, bool]], at_offset: int, later: float
) -> None:
    installed = [
        claims(license_id=f"LIC-{i}", valid_from=_T0 + timedelta(seconds=start),
               expires_at=_T0 + timedelta(seconds=start + length), grace_days=grace, production_access=access)
        for i, (start, length, grace, access) in enumerate(licenses)
    ]
    at = _T0 + timedelta(seconds=at_offset)
    verdict = evaluate_installed(installed, at, None, INSTANCE)
    until = next_change(installed, at)
    if until is None:  # nothing will ever change: any later instant gives the same verdict
        assert _same_verdict(verdict, evaluate_installed(installed, at + 3650 * DAY, None, INSTANCE))
        return
    assert until > at
    inside = at + (until - at) * later
    if inside < until:
        assert _same_verdict(verdict, evaluate_installed(installed, inside, None, INSTANCE))
    assert _same_verdict(verdict, evaluate_installed(installed, until - timedelta(microseconds=1), None, INSTANCE))
    if len(installed) == 1:  # with one license every boundary is a change of its verdict
        assert not _same_verdict(verdict, evaluate_installed(installed, until, None, INSTANCE))


def test_next_change_steps_through_each_grace_day() -> None:
    one = [claims(expires_at=EXPIRES, grace_days=3)]
    assert next_change(one, EXPIRES - DAY) == EXPIRES
    assert next_change(one, EXPIRES) == EXPIRES + DAY
    assert next_change(one, EXPIRES + timedelta(hours=30)) == EXPIRES + 2 * DAY
    assert next_change(one, EXPIRES + 3 * DAY) is None
    assert next_change([claims(production_access=False)], EXPIRES) is None
    assert next_change([], EXPIRES) is None
