"""Runs a hypothesis property against a deliberately broken engine and expects it to fail: the
shared check behind the test_properties_catch_breaks* modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, settings

Break = Callable[[pytest.MonkeyPatch], None]


def failures(exc: BaseException) -> list[BaseException]:
    """Hypothesis reports distinct failures together as an exception group."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in failures(inner)]
    return [exc]


def case_id(breaks: Break, prop: Callable[..., None]) -> str:
    return f"{breaks.__name__[1:]}-{prop.__name__[5:]}"


def assert_fails_on(breaks: Break, prop: Callable[..., None], monkeypatch: pytest.MonkeyPatch, **params: Any) -> None:
    """`params` are the pytest parameters of a property that pytest parametrizes as well."""
    # The property itself runs on the real engine in its own module. Here: find a counterexample and
    # stop (no shrinking, nothing saved, the same examples every run), so the check costs seconds.
    found = settings(getattr(prop, "_hypothesis_internal_use_settings"), phases=[Phase.generate], database=None,
                     derandomize=True, max_examples=2000, report_multiple_bugs=False)
    monkeypatch.setattr(prop, "_hypothesis_internal_use_settings", found)
    breaks(monkeypatch)
    with pytest.raises(BaseException) as caught:  # hypothesis may group several failures
        prop(**params)
    assert all(isinstance(e, AssertionError) for e in failures(caught.value)), caught.value
