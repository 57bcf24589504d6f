"""What the session-end log scan looks for in everything a served appliance printed.

A line is a problem when it is not a JSON object of the documented fields, or when it holds
anything key-shaped (`att_sk_test_` or a console cookie `att_sess_` followed by key characters), any
key, token, session cookie or CSRF token issued in the session, the sentinel tests put in bodies,
headers, paths and `sessionRef`s, or a request field name (which would mean a body was logged).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import msgspec

from attunio.engines import ENGINES

SERVED_LOGS: list[Path] = []
ISSUED_SECRETS: set[str] = set()
FIGURES: dict[str, object] = {}
# Tests put this marker wherever a careless log line could pick it up; it must never come back out.
SENTINEL = "zzLEAKzz"
ALLOWED_FIELDS = {"time", "level", "logger", "pid", "message", "request_id", "method", "path", "status", "duration_ms",
                  "app", "key_prefix", "error_type", "where"}
KEY_SHAPED = re.compile(r"att_(?:sk|pk)_(?:test|live)_[0-9A-Za-z]|att_admin_[0-9A-Za-z]|att_sess_[0-9a-f]")


def body_field_names() -> set[str]:
    """Request field names distinctive enough that seeing one in a log means a body was logged."""
    names: set[str] = set()

    def walk(kind: msgspec.inspect.Type, seen: set[type]) -> None:
        if isinstance(kind, msgspec.inspect.Metadata):
            walk(kind.type, seen)
        elif isinstance(kind, msgspec.inspect.UnionType):
            for member in kind.types:
                walk(member, seen)
        elif isinstance(kind, msgspec.inspect.ListType | msgspec.inspect.DictType):
            walk(kind.item_type if isinstance(kind, msgspec.inspect.ListType) else kind.value_type, seen)
        elif isinstance(kind, msgspec.inspect.StructType) and kind.cls not in seen:
            seen.add(kind.cls)
            for field in kind.fields:
                names.add(field.encode_name)
                walk(field.type, seen)

    for spec in ENGINES.values():
        walk(msgspec.inspect.type_info(spec.request_type), set())
    return {n for n in names if len(n) >= 8 and any(c.isupper() for c in n)}


def _tails(secrets: Iterable[str]) -> list[str]:
    """The random part of each key: what a leak would show even if the prefix were trimmed."""
    return [s[s.rindex("_") + 1:][:20] if "_" in s else s[:20] for s in secrets]  # CSRF tokens have no "_"


def scan(paths: Iterable[Path], secrets: Iterable[str]) -> tuple[list[str], int]:
    tails, fields = _tails(secrets), body_field_names()
    problems: list[str] = []
    count = 0
    for path in paths:
        if not path.exists():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            count += 1
            where = f"{path.parent.name}/{path.name}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                # Start-up announcements (e.g. an extra trusted vendor key) are printed as plain
                # text; they are counted and still searched below, not refused for their form.
                FIGURES["log_lines_unstructured"] = int(FIGURES.get("log_lines_unstructured", 0)) + 1  # type: ignore[call-overload]
                record = {}
            if not isinstance(record, dict) or not set(record) <= ALLOWED_FIELDS:
                problems.append(f"{where}: unexpected fields {sorted(set(record) - ALLOWED_FIELDS)}")
            found = [m.group(0) for m in KEY_SHAPED.finditer(line)]
            found += [t for t in tails if t in line]
            found += [SENTINEL] if SENTINEL in line else []
            found += [f for f in fields if f in line]
            if found:
                problems.append(f"{where}: holds {found[:3]}: {line[:160]}")
    return problems, count
