from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from attunio.clock import SystemClock
from attunio.config import Settings
from attunio.services.request_path.access import AccessService
from attunio.store import Store, StoreError
from attunio.store.migrations import MIGRATIONS, latest_version


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_store_file_holds_no_plaintext(settings: Settings, store: Store) -> None:
    AccessService(store, SystemClock()).create_app("Riverside EHR Bridge", actor="test")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = settings.store_path.read_bytes()
    assert b"Riverside EHR Bridge" not in raw
    assert b"SQLite format 3" not in raw
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(settings.store_path).execute("SELECT * FROM apps").fetchall()


def test_wrong_key_refuses_and_leaves_file_identical(settings: Settings, store: Store) -> None:
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    before = digest(settings.store_path)
    settings.key_file.write_text("ab" * 32 + "\n")
    with pytest.raises(StoreError, match=r"cannot be decrypted.*left untouched"):
        Store.open(settings)
    assert digest(settings.store_path) == before


def test_missing_key_file_is_a_clear_refusal(settings: Settings, store: Store) -> None:
    store.close()
    settings.key_file.unlink()
    with pytest.raises(StoreError, match="does not exist; run `attunio init`"):
        Store.open(settings)


@pytest.mark.parametrize("content", ["", "xyz", "ab" * 31, "zz" * 32])
def test_malformed_key_file_is_refused(settings: Settings, store: Store, content: str) -> None:
    store.close()
    settings.key_file.write_text(content)
    with pytest.raises(StoreError, match="64 hex characters"):
        Store.open(settings)


def test_a_missing_store_is_never_created_silently(settings: Settings, store: Store) -> None:
    store.close()
    settings.store_path.unlink()
    with pytest.raises(StoreError, match="no store at"):
        Store.open(settings)
    assert not settings.store_path.exists()


def test_migrations_are_recorded_and_a_newer_schema_is_refused(settings: Settings, store: Store) -> None:
    rows = store.query("SELECT id FROM migrations ORDER BY id")
    # Ids are ranged per concern (store/schema_*.py), so they need not be contiguous.
    assert [r[0] for r in rows] == [number for number, _, _ in MIGRATIONS]
    with store.write():
        store.conn.execute("INSERT INTO migrations VALUES (?, 'from the future', 0)", (latest_version() + 1,))
    store.close()
    with pytest.raises(StoreError, match="newer than this release"):
        Store.open(settings)


def test_store_runs_in_wal_mode(store: Store) -> None:
    assert store.one("PRAGMA journal_mode")[0] == "wal"
    assert store.one("PRAGMA cipher_version")[0].startswith("4.")
