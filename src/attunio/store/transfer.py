"""Rows between the PostgreSQL store and a SQLCipher file of the same schema, for backup and restore.

A PostgreSQL store's backup is the same archive the file's is (services/operations/backup.py): a
SQLCipher copy under the backup key, made here row by row from one repeatable-read snapshot, so a
backup from either backend restores into either. Sealed settings are opened on the way out (the
copy is encrypted whole) and sealed again on the way in.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import sqlcipher3

from attunio.store.migrations import apply_migrations
from attunio.store.pg import PgStore


def new_copy(path: Path, key_hex: str) -> Any:
    """An empty SQLCipher file at `path` under `key_hex`, with this release's schema and no rows."""
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
    conn.execute("BEGIN IMMEDIATE")
    apply_migrations(conn)
    for table in tables(conn):
        conn.execute(f'DELETE FROM "{table}"')
    conn.execute("COMMIT")
    return conn


def tables(conn: Any) -> list[str]:
    """The copy's tables, each after the tables it references (so inserts satisfy foreign keys)."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for ref in conn.execute(f'PRAGMA foreign_key_list("{name}")'):
            if ref[2] != name:
                visit(ref[2])
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def _columns(conn: Any, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def copy_out(store: PgStore, target: Any, secret_settings: Collection[str]) -> None:
    """Every row of the store into `target` (from `new_copy`). The caller holds the snapshot
    (`BEGIN ISOLATION LEVEL REPEATABLE READ`) so every table is read as of one instant."""
    target.execute("BEGIN IMMEDIATE")
    for table in tables(target):
        columns = _columns(target, table)
        names = ", ".join(f'"{c}"' for c in columns)
        rows = store.query(f'SELECT {names} FROM "{table}"')
        if table == "settings":
            rows = [(k, store.unseal(k, v) if k in secret_settings else v) for k, v in rows]
        marks = ", ".join("?" for _ in columns)
        target.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', [tuple(r) for r in rows])
    target.execute("COMMIT")


def copy_in(source: Any, store: PgStore, secret_settings: Collection[str]) -> None:
    """Replace every row of the store with the rows of `source`; the caller holds the write."""
    order = tables(source)
    store.conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in order))
    for table in order:
        columns = _columns(source, table)
        names = ", ".join(f'"{c}"' for c in columns)
        rows = [tuple(r) for r in source.execute(f'SELECT {names} FROM "{table}"')]
        if table == "settings":
            rows = [(k, store.seal(k, v) if k in secret_settings else v) for k, v in rows]
        if rows:
            marks = ", ".join("?" for _ in columns)
            store.conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
    # Identity columns continue after the restored rows, as SQLite's rowids do.
    for table, column in store.query(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND is_identity = 'YES'"):
        store.conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'),"
                           f' coalesce((SELECT max("{column}") FROM "{table}"), 0) + 1, false)')
