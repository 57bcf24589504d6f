"""Declaring engine parameters with their shipped default, safety cap, rationale and source.

Each parameter is a field of a frozen params Struct annotated with `capped(...)`:

    latency_clinical_s: Annotated[float, capped(1.0, 6.0, "why", "source")] = 2.5

The cap is an inclusive `ge`/`le` constraint, so decoding a calibration bundle's parameter set with
msgspec already refuses values outside it; `check_caps` reports the same for an already built
object, together with the ordering rules a params class declares in `ORDERED`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec


class ParamsBase(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every engine's params Struct.

    `ORDERED` lists pairs `(lower, higher)` of field names whose values must satisfy
    `lower < higher` (band edges that would otherwise cross). `SUM_TO` lists groups of field
    names whose values must add up to a fixed total (e.g. factor maxima summing to 100).
    """

    ORDERED: ClassVar[tuple[tuple[str, str], ...]] = ()
    SUM_TO: ClassVar[tuple[tuple[tuple[str, ...], float], ...]] = ()


def capped(low: float, high: float, rationale: str, source: str, unit: str = "") -> msgspec.Meta:
    """Metadata for one tunable parameter: its safety cap and why it has the value it has."""
    return msgspec.Meta(
        ge=low,
        le=high,
        description=rationale,
        extra={"source": source, "unit": unit},
    )


class ParamDoc(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    default: float
    low: float
    high: float
    rationale: str
    source: str
    unit: str


class CapViolation(msgspec.Struct, frozen=True, kw_only=True):
    param: str
    value: float
    message: str


def describe_params(params_type: type[ParamsBase]) -> list[ParamDoc]:
    """Every parameter of a params class with its default, cap, rationale and source."""
    info = msgspec.inspect.type_info(params_type)
    assert isinstance(info, msgspec.inspect.StructType)
    docs: list[ParamDoc] = []
    for field in info.fields:
        meta = _numeric(field.type)
        if meta is None:
            raise TypeError(f"{params_type.__name__}.{field.name} is not a capped number")
        extra: dict[str, Any] = meta.extra or {}
        docs.append(
            ParamDoc(
                name=field.name,
                default=field.default,
                low=meta.ge,
                high=meta.le,
                rationale=meta.description or "",
                source=str(extra.get("source", "")),
                unit=str(extra.get("unit", "")),
            )
        )
    return docs


class _Numeric(msgspec.Struct, frozen=True):
    ge: float
    le: float
    description: str | None
    extra: dict[str, Any] | None


def _numeric(kind: msgspec.inspect.Type) -> _Numeric | None:
    if isinstance(kind, msgspec.inspect.Metadata):
        inner = kind.type
        if isinstance(inner, msgspec.inspect.FloatType | msgspec.inspect.IntType):
            if inner.ge is None or inner.le is None:
                return None
            return _Numeric(inner.ge, inner.le, (kind.extra_json_schema or {}).get("description"), kind.extra)
        return None
    if isinstance(kind, msgspec.inspect.FloatType | msgspec.inspect.IntType):
        if kind.ge is None or kind.le is None:
            return None
        return _Numeric(kind.ge, kind.le, None, None)
    return None


def check_caps(params: ParamsBase) -> list[CapViolation]:
    """Every way `params` leaves its safety caps or breaks a declared ordering; empty when valid."""
    violations: list[CapViolation] = []
    values: dict[str, float] = {}
    for doc in describe_params(type(params)):
        value = getattr(params, doc.name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            violations.append(CapViolation(param=doc.name, value=float("nan"), message="Expected number"))
            continue
        values[doc.name] = float(value)
        if not doc.low <= value <= doc.high:
            violations.append(
                CapViolation(
                    param=doc.name,
                    value=float(value),
                    message=f"{doc.name}={value} is outside its safety cap [{doc.low}, {doc.high}]",
                )
            )
    for lower, higher in type(params).ORDERED:
        if lower in values and higher in values and not values[lower] < values[higher]:
            violations.append(
                CapViolation(
                    param=lower,
                    value=values[lower],
                    message=f"{lower}={values[lower]} must be below {higher}={values[higher]}",
                )
            )
    for names, total in type(params).SUM_TO:
        got = sum(values.get(name, 0.0) for name in names)
        if abs(got - total) > 1e-9:
            violations.append(
                CapViolation(
                    param=names[0],
                    value=got,
                    message=f"{' + '.join(names)} = {got} must equal {total}",
                )
            )
    return violations


def params_from_dict(params_type: type[ParamsBase], data: dict[str, Any]) -> ParamsBase:
    """Build a params object from a (partial) mapping; unknown names and out-of-cap values raise
    `msgspec.ValidationError`, unset names keep their shipped defaults."""
    return msgspec.convert(data, params_type, strict=True)
