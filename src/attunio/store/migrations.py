"""Schema migrations, applied in order and recorded in the database itself.

Each concern keeps its tables in its own `schema_*.py` module (core 1–9, billing 10–19, model
registry 20–29, operations 30–39, CDS Hooks 40–49, admin console 50–59). Append new entries;
never edit one that has shipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from attunio.store import schema_admin, schema_billing, schema_cds, schema_models, schema_ops
from attunio.store.errors import StoreError

CORE: list[tuple[int, str, str]] = [
    (
        1,
        "core: settings, apps, api keys, admins, audit",
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE apps (
            id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL
        );
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            app_id TEXT NOT NULL REFERENCES apps(id),
            hash BLOB NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            last4 TEXT NOT NULL,
            key_type TEXT NOT NULL CHECK (key_type IN ('secret', 'publishable')),
            mode TEXT NOT NULL CHECK (mode IN ('test', 'live')),
            allowed_origins TEXT NOT NULL DEFAULT '[]',
            label TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        );
        CREATE INDEX api_keys_app ON api_keys(app_id);
        CREATE TABLE admins (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer')),
            licence_number TEXT,
            token_hash BLOB NOT NULL UNIQUE,
            last4 TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            object_type TEXT NOT NULL,
            object_id TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        """,
    ),
]


MIGRATIONS = sorted(CORE + schema_billing.MIGRATIONS + schema_models.MIGRATIONS + schema_ops.MIGRATIONS
                    + schema_cds.MIGRATIONS + schema_admin.MIGRATIONS)


def applied_versions(conn: Any) -> set[int]:
    return {int(row[0]) for row in conn.execute("SELECT id FROM migrations")}


def schema_version(conn: Any, dialect: str = "sqlite") -> int:
    if dialect == "postgres":
        row = conn.execute("SELECT to_regclass('migrations')").fetchone()
        row = None if row is None or row[0] is None else row
    else:
        row = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").fetchone()
    if row is None:
        return 0
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM migrations").fetchone()[0])


def latest_version() -> int:
    return MIGRATIONS[-1][0]


def _as_is(statement: str) -> str:
    return statement


def apply_migrations(conn: Any, *, ddl: Callable[[str], str] = _as_is, dialect: str = "sqlite") -> list[int]:
    """Apply what is missing inside the caller's transaction; refuse a store from a newer release.
    `ddl` turns each statement into the backend's dialect (store/dialect.py for PostgreSQL)."""
    conn.execute(ddl(
        "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL)"
    ))
    current = schema_version(conn, dialect)
    done = applied_versions(conn)
    if current > latest_version():
        raise StoreError(
            f"store schema {current} is newer than this release understands ({latest_version()}); "
            "upgrade the appliance instead"
        )
    applied = []
    for number, name, sql in MIGRATIONS:
        if number in done:
            continue
        for statement in filter(str.strip, sql.split(";")):
            conn.execute(ddl(statement))
        conn.execute("INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)", (number, name, time.time()))
        applied.append(number)
    return applied
