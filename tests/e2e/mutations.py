"""Hypothesis strategies that turn a valid request body into a hostile one.

Each strategy returns a `Mutation`: the raw bytes to send (so invalid JSON, duplicate keys and raw
escapes survive), the Content-Type, a label for the figures, and what the appliance must answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from tests.logscan import SENTINEL

from attunio.config import ServerSettings

JSON = "application/json"
MAX_BODY = ServerSettings().max_body_bytes  # the default cap: larger bodies are 413 whatever they hold


@dataclass(frozen=True)
class Mutation:
    kind: str
    body: bytes
    content_type: str | None = JSON
    allowed: frozenset[int] = frozenset({200, 400})

    def __post_init__(self) -> None:
        if len(self.body) > MAX_BODY:
            object.__setattr__(self, "allowed", frozenset({413}))


scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=20))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)

RAW_NUMBERS = ["1e308", "-1e308", "1e309", "1e400", "-1e400", "-0", "4.9e-324", "1e-400", str(2**63), str(2**64),
               str(-(2**63) - 1), "1" + "0" * 400, "0." + "0" * 400 + "1", "123456789012345678901234567890.5"]
NOT_JSON_NUMBERS = ["NaN", "Infinity", "-Infinity", "0x10", "1_000", "01", "+1", ".5", "5.", "1e", "--1"]
ODD_STRINGS = ["\\ud800", "\\udfff\\ud800", "\\u0000", "\\u202e" + SENTINEL, "\\ufeff", "\\u200b\\u200d",
               "e\\u0301\\u0301\\u0301", "\\uffff", "\\ud83d\\ude00", "\\\\", "\\\"", "\\/"]
INVALID_BYTES = [b"\xc0\xaf", b"\xff", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00"]


def _paths(body: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the body a value sits, so a mutation can land at any depth."""
    found = [prefix] if prefix else []
    if isinstance(body, dict):
        for key, value in body.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            found += _paths(value, (*prefix, index))
    return found


MARK = "\u0001MUTATION\u0001"


def _place(body: Any, path: tuple[Any, ...], raw: str) -> bytes:
    """Put `raw` (JSON text, valid or not) at `path` in `body` and serialise the rest normally."""
    if not path:
        return raw.encode("utf-8", "surrogatepass")
    copy = json.loads(json.dumps(body))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = MARK
    return json.dumps(copy, ensure_ascii=False).replace(json.dumps(MARK, ensure_ascii=False), raw).encode(
        "utf-8", "surrogatepass")


@st.composite
def mutations(draw: st.DrawFn, body: dict[str, Any]) -> Mutation:
    paths = [(), *_paths(body)]
    path = draw(st.sampled_from(paths))
    kind = draw(st.sampled_from(["wrong_type", "huge_number", "bad_number", "deep_nesting", "long_string",
                                 "odd_unicode", "duplicate_keys", "unknown_field", "junk", "content_type"]))
    if kind == "wrong_type":
        value = draw(json_values)
        return Mutation(kind, _place(body, path, json.dumps(value)))
    if kind == "huge_number":
        return Mutation(kind, _place(body, path, draw(st.sampled_from(RAW_NUMBERS))))
    if kind == "bad_number":
        return Mutation(kind, _place(body, path, draw(st.sampled_from(NOT_JSON_NUMBERS))), allowed=frozenset({400}))
    if kind == "deep_nesting":
        depth = draw(st.sampled_from([2, 64, 500, 5_000, 100_000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return Mutation(kind, _place(body, path, opener * depth + "1" + closer * depth), allowed=frozenset({400}))
    if kind == "long_string":
        size = draw(st.sampled_from([129, 1_000, 100_000, 1_500_000, 2_500_000]))
        raw = json.dumps(draw(st.text(min_size=1, max_size=3)) * size)
        # Some fields hold free text without a length cap of their own (the body cap bounds them).
        return Mutation(kind, _place(body, path, raw))
    if kind == "odd_unicode":
        pieces = draw(st.lists(st.sampled_from(ODD_STRINGS) | st.text(max_size=5).map(
            lambda s: json.dumps(s, ensure_ascii=False)[1:-1]), min_size=1, max_size=6))
        raw = '"' + "".join(pieces) + '"'
        if draw(st.booleans()):
            raw = raw[:1] + draw(st.sampled_from(INVALID_BYTES)).decode("latin-1") + raw[1:]
            data = _place(body, path, "\u0002").replace("\u0002".encode(), raw.encode("latin-1", "replace"))
            return Mutation(kind, data)
        return Mutation(kind, _place(body, path, raw))
    if kind == "duplicate_keys":
        key = draw(st.sampled_from(sorted(body) or ["sessionRef"]))
        first = json.dumps(draw(json_values))
        text = json.dumps(body)
        dup = text.replace("{", "{" + json.dumps(key) + ": " + first + ", ", 1)
        return Mutation(kind, dup.encode())
    if kind == "unknown_field":
        name = draw(st.text(min_size=1, max_size=30))
        extra = {**body, name: draw(json_values)} if name not in body else body
        allowed = frozenset({400}) if name not in body else frozenset({200, 400})
        return Mutation(kind, json.dumps(extra).encode(), allowed=allowed)
    if kind == "junk":
        text = json.dumps(body).encode()
        choice = draw(st.sampled_from(["truncate", "bytes", "empty", "top_level"]))
        if choice == "truncate":
            return Mutation(kind, text[: draw(st.integers(0, max(0, len(text) - 1)))], allowed=frozenset({400}))
        if choice == "bytes":
            return Mutation(kind, draw(st.binary(max_size=200)), allowed=frozenset({400}))
        if choice == "empty":
            return Mutation(kind, b"", allowed=frozenset({400}))
        top = draw(st.sampled_from(["null", "[]", "1", '"x"', "true", "[{}]"]))
        return Mutation(kind, top.encode(), allowed=frozenset({400}))
    media = draw(st.sampled_from(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                 "application/xml", "application/problem+json", "", "application/json; charset=utf-8"]))
    allowed = frozenset({200, 400}) if "json" in media else frozenset({415})
    return Mutation(kind, json.dumps(body).encode(), content_type=media, allowed=allowed)
