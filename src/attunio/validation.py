"""Strict request decoding with every failing field reported.

The fast path is one msgspec decoder per request type, built once. Only when it refuses a body does
the slow path walk the raw JSON against the same type description and list every failing field,
with dotted paths (`assessments.1.score`) and zod-style messages, so a client can fix all of them at
once instead of one per round trip.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import inspect as mi

from attunio.engines.inputs import Instant, dec_hook, parse_instant

if TYPE_CHECKING:
    from attunio.engines import EngineSpec


class Issue(msgspec.Struct, frozen=True):
    path: str
    message: str


class RequestInvalid(Exception):
    """A request the engines must not see; `issues` is empty when the body is not JSON at all."""

    def __init__(self, message: str, issues: list[Issue]) -> None:
        super().__init__(message)
        self.message = message
        self.issues = issues


_decoders: dict[type, msgspec.json.Decoder[Any]] = {}
_has_rules: dict[type, bool] = {}


def decoder_for(request_type: type) -> msgspec.json.Decoder[Any]:
    decoder = _decoders.get(request_type)
    if decoder is None:
        decoder = _decoders[request_type] = msgspec.json.Decoder(request_type, strict=True, dec_hook=dec_hook)
        _has_rules[request_type] = _needs_rules(mi.type_info(request_type))
    return decoder


NOT_UTF8 = "Request body is not valid JSON: it is not valid UTF-8 text."
TOO_DEEP = "Request body nests too deeply to be a request."


def decode_request(body: bytes, spec: EngineSpec, now: datetime | None = None) -> Any:
    """Decode `body` into `spec.request_type` or raise `RequestInvalid` naming every problem.

    With `now`, the engine's rules against the clock run too (an administration dated more than a
    day after `now` is refused with its path)."""
    decoder = decoder_for(spec.request_type)
    try:
        request = decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise RequestInvalid(spec.invalid_message, _slow_issues(body, spec.request_type, exc)) from None
    except msgspec.DecodeError as exc:
        raise RequestInvalid(f"Request body is not valid JSON: {exc}", []) from None
    except UnicodeDecodeError:
        # msgspec reports invalid UTF-8 inside a string this way rather than as a DecodeError.
        raise RequestInvalid(NOT_UTF8, []) from None
    except RecursionError:
        # A date field (decoded by a hook, so msgspec builds its raw value first) can hold
        # thousands of nested arrays; that is a 400, never a 500.
        raise RequestInvalid(TOO_DEEP, []) from None
    if _has_rules[spec.request_type] and _breaks_rules(request):
        raise RequestInvalid(spec.invalid_message, list(_typed_rule_issues(request, "")))
    if spec.missing_evidence is not None and (needed := spec.missing_evidence(request)):
        raise RequestInvalid(needed, [Issue("", needed)])
    if spec.time_issues is not None and (late := spec.time_issues(request, now)):
        raise RequestInvalid(spec.invalid_message, [Issue(path, message) for path, message in late])
    return request


# --- slow path --------------------------------------------------------------------------------


def _slow_issues(body: bytes, request_type: type, exc: msgspec.ValidationError) -> list[Issue]:
    # The typed decoder can refuse a body before reading all of it (an unknown field, then trailing
    # garbage or thousands of nested arrays), and the untyped one refuses numbers beyond a double:
    # all of these must stay a 400, never a 500.
    try:
        raw = msgspec.json.decode(body)
    except msgspec.ValidationError:
        return [_from_msgspec(str(exc))]
    except msgspec.DecodeError as not_json:
        raise RequestInvalid(f"Request body is not valid JSON: {not_json}", []) from None
    except RecursionError:
        raise RequestInvalid(TOO_DEEP, []) from None
    except UnicodeDecodeError:
        raise RequestInvalid(NOT_UTF8, []) from None
    issues = list(_walk(raw, mi.type_info(request_type), ""))
    # The walk mirrors msgspec's rules; should it ever miss one, msgspec's own words still reach
    # the client rather than an empty list.
    return issues or [_from_msgspec(str(exc))]


_MSGSPEC_PATH = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$")


def _from_msgspec(text: str) -> Issue:
    match = _MSGSPEC_PATH.match(text)
    assert match is not None
    path = (match.group("path") or "").replace("[", ".").replace("]", "").lstrip(".")
    return Issue(path, match.group("msg").replace("`", ""))


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def _kind(raw: object) -> str:
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "boolean"
    if isinstance(raw, int | float):
        return "number"
    if isinstance(raw, str):
        return "string"
    if isinstance(raw, list):
        return "array"
    return "object"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _expected(kind: mi.Type) -> str:
    names = {
        mi.FloatType: "number",
        mi.IntType: "integer",
        mi.StrType: "string",
        mi.BoolType: "boolean",
        mi.NoneType: "null",
        mi.ListType: "array",
        mi.StructType: "object",
        mi.DateTimeType: "string",
        mi.LiteralType: "string",
        mi.CustomType: "string",
    }
    if isinstance(kind, mi.Metadata):
        return _expected(kind.type)
    if isinstance(kind, mi.UnionType):
        # An optional field reads as its one real type, as zod words `z.number().optional()`.
        members = [t for t in kind.types if not isinstance(t, mi.NoneType)]
        shown = members if len(members) == 1 else kind.types
        return " | ".join(_expected(t) for t in shown)
    return names.get(type(kind), "value")


def _matches_kind(raw: object, kind: mi.Type) -> bool:
    """Whether `raw` is of the JSON kind `kind` takes (constraints aside); picks a union member."""
    if isinstance(kind, mi.Metadata):
        return _matches_kind(raw, kind.type)
    checks: dict[type, bool] = {
        mi.FloatType: _kind(raw) == "number",
        mi.IntType: _kind(raw) == "number",
        mi.StrType: isinstance(raw, str),
        mi.DateTimeType: isinstance(raw, str),
        mi.CustomType: isinstance(raw, str),
        mi.LiteralType: isinstance(raw, str | int) and not isinstance(raw, bool),
        mi.BoolType: isinstance(raw, bool),
        mi.NoneType: raw is None,
        mi.ListType: isinstance(raw, list),
        mi.StructType: isinstance(raw, dict),
    }
    return checks.get(type(kind), False)


def _bounds(raw: float, kind: mi.FloatType | mi.IntType, path: str) -> Iterator[Issue]:
    if kind.ge is not None and raw < kind.ge:
        yield Issue(path, f"Number must be ≥ {_num(kind.ge)}")
    if kind.gt is not None and raw <= kind.gt:
        yield Issue(path, f"Number must be > {_num(kind.gt)}")
    if kind.le is not None and raw > kind.le:
        yield Issue(path, f"Number must be ≤ {_num(kind.le)}")
    if kind.lt is not None and raw >= kind.lt:
        yield Issue(path, f"Number must be < {_num(kind.lt)}")


def _walk(raw: object, kind: mi.Type, path: str) -> Iterator[Issue]:
    if isinstance(kind, mi.Metadata):
        yield from _walk(raw, kind.type, path)
    elif isinstance(kind, mi.UnionType):
        member = next((t for t in kind.types if _matches_kind(raw, t)), None)
        if member is None:
            yield Issue(path, f"Expected {_expected(kind)}, received {_kind(raw)}")
        else:
            yield from _walk(raw, member, path)
    elif not _matches_kind(raw, kind):
        yield Issue(path, f"Expected {_expected(kind)}, received {_kind(raw)}")
    elif isinstance(kind, mi.FloatType):
        assert isinstance(raw, int | float)
        yield from _bounds(raw, kind, path)
    elif isinstance(kind, mi.IntType):
        if isinstance(raw, float):
            yield Issue(path, "Expected integer, received float")
        else:
            assert isinstance(raw, int)
            yield from _bounds(raw, kind, path)
    elif isinstance(kind, mi.StrType):
        assert isinstance(raw, str)
        yield from _lengths(len(raw), kind.min_length, kind.max_length, "String", "character(s)", path)
    elif isinstance(kind, mi.LiteralType):
        if raw not in kind.values:
            allowed = " | ".join(f"'{v}'" for v in kind.values)
            yield Issue(path, f"Invalid enum value. Expected {allowed}, received '{raw}'")
    elif isinstance(kind, mi.DateTimeType):
        try:
            msgspec.convert(raw, datetime, strict=True)
        except msgspec.ValidationError:
            yield Issue(path, "Invalid datetime")
    elif isinstance(kind, mi.CustomType) and kind.cls is Instant:
        try:
            parse_instant(raw)
        except msgspec.ValidationError:
            yield Issue(path, "Invalid datetime")
    elif isinstance(kind, mi.ListType):
        assert isinstance(raw, list)
        yield from _lengths(len(raw), kind.min_length, kind.max_length, "Array", "element(s)", path)
        for index, item in enumerate(raw):
            yield from _walk(item, kind.item_type, _join(path, index))
    elif isinstance(kind, mi.StructType):
        assert isinstance(raw, dict)
        yield from _walk_struct(raw, kind, path)


def _lengths(
    size: int, low: int | None, high: int | None, what: str, unit: str, path: str
) -> Iterator[Issue]:
    if low is not None and size < low:
        yield Issue(path, f"{what} must contain at least {low} {unit}")
    if high is not None and size > high:
        yield Issue(path, f"{what} must contain at most {high} {unit}")


def _walk_struct(raw: dict[str, object], kind: mi.StructType, path: str) -> Iterator[Issue]:
    known = {field.encode_name: field for field in kind.fields}
    failed: set[str] = set()
    for name, field in known.items():
        if name not in raw:
            if field.required:
                failed.add(name)
                yield Issue(_join(path, name), "Required")
            continue
        found = list(_walk(raw[name], field.type, _join(path, name)))
        if found:
            failed.add(name)
            yield from found
    if kind.forbid_unknown_fields:
        for name in raw:
            if name not in known:
                yield Issue(_join(path, name), f"Unrecognized key: '{name}'")
    for field_name, limit_name, message in getattr(kind.cls, "NOT_ABOVE", ()):
        if field_name in failed or limit_name in failed:
            continue
        value, limit = raw.get(field_name), raw.get(limit_name)
        if _kind(value) == "number" and _kind(limit) == "number" and value > limit:  # type: ignore[operator]
            yield Issue(_join(path, field_name), message)


# --- cross-field rules on an already decoded request -------------------------------------------


def _needs_rules(kind: mi.Type, seen: set[type] | None = None) -> bool:
    """Whether a type can hold a Struct with `NOT_ABOVE` rules; records, per Struct class, the
    fields worth descending into so the fast path visits nothing else."""
    seen = set() if seen is None else seen
    if isinstance(kind, mi.Metadata):
        return _needs_rules(kind.type, seen)
    if isinstance(kind, mi.UnionType):
        # A list, not a generator: every member must be visited to record its rule fields.
        return any([_needs_rules(t, seen) for t in kind.types])  # noqa: C419
    if isinstance(kind, mi.ListType):
        return _needs_rules(kind.item_type, seen)
    if isinstance(kind, mi.StructType):
        if kind.cls in seen:
            return kind.cls in _rule_fields
        seen.add(kind.cls)
        fields = tuple(f.name for f in kind.fields if _needs_rules(f.type, seen))
        if getattr(kind.cls, "NOT_ABOVE", ()) or fields:
            _rule_fields[kind.cls] = fields
            return True
    return False


_rule_fields: dict[type, tuple[str, ...]] = {}


def _breaks_rules(value: object) -> bool:
    """Fast check without building paths; most requests pass and never need them."""
    if isinstance(value, list):
        return any(_breaks_rules(item) for item in value)
    if isinstance(value, msgspec.Struct):
        for field_name, limit_name, _ in getattr(value, "NOT_ABOVE", ()):
            if getattr(value, field_name) > getattr(value, limit_name):
                return True
        return any(_breaks_rules(getattr(value, name)) for name in _rule_fields.get(type(value), ()))
    return False


def _typed_rule_issues(value: object, path: str) -> Iterator[Issue]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _typed_rule_issues(item, _join(path, index))
    elif isinstance(value, msgspec.Struct):
        for field_name, limit_name, message in getattr(value, "NOT_ABOVE", ()):
            if getattr(value, field_name) > getattr(value, limit_name):
                yield Issue(_join(path, field_name), message)
        for name in _rule_fields.get(type(value), ()):
            # Request Structs use their JSON names as field names (no renames).
            yield from _typed_rule_issues(getattr(value, name), _join(path, name))
