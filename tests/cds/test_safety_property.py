"""Property: a positive safety item and a critical lab always produce a `critical` card, in both
hooks, whatever else the bundle holds. Shown to fail on three deliberately broken mappers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from tests.cds.helpers import bundle, medication
from tests.cds.strategies import expected_critical, resources

from attunio.cds import cards, hooks
from attunio.cds.codes import SAFETY_ITEMS
from attunio.cds.fhir_in import Mapper, entries
from attunio.engines import ENGINES
from attunio.engines.common import ModelRef

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def active(key: str) -> tuple[ModelRef, Any]:
    return ModelRef(key=key, version=None, source="default"), ENGINES[key].default_params


def new_uuid() -> str:
    return str(uuid.uuid4())


def check(mapper_type: type[Mapper], items: list[Any]) -> None:
    positive, critical_lab = expected_critical(items)
    for hook in ("patient-view", "order-sign"):
        mapper = mapper_type()
        mapper.read("prefetch.all", entries(bundle(*items)))
        if hook == "patient-view":
            view = hooks.patient_view(mapper.evidence, active, NOW)
            made = cards.patient_view_cards(mapper.evidence, view, new_uuid, None)
        else:
            mapper.read_orders("context.draftOrders", bundle(medication("d", "Lithium 300 mg", status="draft")))
            checks, analysis = hooks.order_sign(mapper.evidence, active, NOW)
            made = cards.order_sign_cards(mapper.evidence, checks, analysis, active("biomarker_interpretation")[0],
                                          new_uuid)
        critical = [c for c in made if c.indicator == "critical"]
        if hook == "patient-view":
            for code in positive:
                label = SAFETY_ITEMS[code]
                assert any(c.kind == "safety" and c.summary.startswith(label) for c in critical), (code, made)
        if critical_lab:
            assert any(c.kind == "critical-lab" for c in critical), made
        assert all(len(c.summary) < 140 for c in made)


def property_for(mapper_type: type[Mapper], **options: Any) -> Callable[[], None]:
    @settings(max_examples=options.pop("max_examples", 150), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow], **options)
    @given(resources)
    def prop(items: list[Any]) -> None:
        check(mapper_type, items)

    return prop  # type: ignore[no-any-return]


def test_safety_items_and_critical_labs_always_give_a_critical_card() -> None:
    property_for(Mapper)()


class IgnoresPanelComponents(Mapper):
    """Broken: a panel's components are not read (item 9 inside a PHQ-9 panel is lost)."""

    def components(self, ref: str, obs: Any, at: datetime | None) -> bool:
        return False


class DropsCriticalAbnormal(Mapper):
    """Broken: the `AA` (critical abnormal) interpretation is read as plain abnormal."""

    def lab(self, ref: str, obs: Any, name: str | None, interpretation: set[str], at: datetime | None) -> None:
        super().lab(ref, obs, name, {"A" if c == "AA" else c for c in interpretation}, at)


class ForgetsCodedAnswers(Mapper):
    """Broken: item 9 answered with a LOINC answer code is not scored."""

    def observation(self, ref: str, obs: Any) -> None:
        if obs.valueCodeableConcept is not None and obs.valueInteger is None and obs.valueQuantity is None:
            self.issue(ref, "skipped")
            return
        super().observation(ref, obs)


@pytest.mark.parametrize("broken", [DropsCriticalAbnormal, ForgetsCodedAnswers, IgnoresPanelComponents])
def test_the_property_fails_on_a_broken_mapper(broken: type[Mapper]) -> None:
    with pytest.raises(AssertionError):
        property_for(broken, max_examples=400, derandomize=True)()
