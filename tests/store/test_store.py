from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from pathlib import Path

import pytest
from tests.conftest import make_settings
from tests.pg_cluster import PgCluster

from attunio.clock import SystemClock
from attunio.config import Settings
from attunio.crypto.ed25519 import private_pem
from attunio.services.licensing.instance_key import ensure_signing_key, signing_key
from attunio.services.operations.instance import hmac_secret
from attunio.services.request_path.access import AccessService
from attunio.store import Store, StoreError
from attunio.store.migrations import MIGRATIONS, latest_version


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.sqlite_only
def test_store_file_holds_no_plaintext(settings: Settings, store: Store) -> None:
    AccessService(store, SystemClock()).create_app("Riverside EHR Bridge", actor="test")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = settings.store_path.read_bytes()
    assert b"Riverside EHR Bridge" not in raw
    assert b"SQLite format 3" not in raw
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(settings.store_path).execute("SELECT * FROM apps").fetchall()


@pytest.mark.sqlite_only
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


@pytest.mark.sqlite_only
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


@pytest.mark.sqlite_only
def test_store_runs_in_wal_mode(store: Store) -> None:
    assert store.one("PRAGMA journal_mode")[0] == "wal"
    assert store.one("PRAGMA cipher_version")[0].startswith("4.")


# -- PostgreSQL: what SQLCipher's page encryption gave, the backend gives by other means ------------


@pytest.mark.postgres_only
def test_a_dump_of_the_database_reveals_no_secret(settings: Settings, store: Store, postgres: PgCluster) -> None:
    access = AccessService(store, SystemClock())
    access.create_app("Ward", actor="test")
    _, key = access.create_key("Ward", "secret", "live", actor="test")
    ensure_signing_key(store)
    secret, signing = hmac_secret(store).hex(), signing_key(store)
    pem_body = private_pem(signing).decode().splitlines()[1]  # the base64 of the private key itself
    dump = subprocess.run(["pg_dump", "--data-only", "-d", settings.store.url], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    assert "hmac_secret" in dump and "instance_signing_key" in dump and "sealed:v1:" in dump
    for clear in (secret, pem_body, key, key[-20:]):
        assert clear not in dump
    # Key hashes stay HMACs: the stored digest is not the key, and is not a plain hash of it.
    assert hashlib.sha256(key.encode()).hexdigest() not in dump


@pytest.mark.postgres_only
def test_the_wrong_key_file_does_not_open_the_sealed_secrets(settings: Settings, store: Store) -> None:
    store.close()
    settings.key_file.write_text("ab" * 32 + "\n")
    with pytest.raises(StoreError, match="does not open with the key in the store key file"):
        Store.open(settings)


@pytest.mark.postgres_only
def test_an_empty_database_is_never_given_a_schema_silently(settings: Settings, postgres: PgCluster) -> None:
    from tests.conftest import init_store

    init_store(settings).close()  # makes the key file
    name = postgres.create_database()
    empty = postgres.url(name)
    other = make_settings(Path(str(settings.data_dir)).parent, ATTUNIO_STORE_URL=empty)
    with pytest.raises(StoreError, match="holds no Attunio schema; run `attunio init`"):
        Store.open(other)
    with postgres.admin(name) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


@pytest.mark.postgres_only
def test_the_database_certificate_is_verified_by_default(settings: Settings, store: Store) -> None:
    """No sslmode in the URL means verify-full: a name the certificate does not carry is refused."""
    url = settings.store.url.replace("@localhost:", "@127.0.0.1:")
    other = make_settings(Path(str(settings.data_dir)).parent, ATTUNIO_STORE_URL=url)
    with pytest.raises(StoreError, match="does not match host name"):
        Store.open(other)


@pytest.mark.postgres_only
def test_text_sorts_byte_wise_as_on_the_file(store: Store) -> None:
    with store.write():
        for name in ("b", "B", "a-1", "a1", "é"):
            store.conn.execute("INSERT INTO apps (id, name, created_at) VALUES (?, ?, '')", (name, name))
    assert [r[0] for r in store.query("SELECT id FROM apps ORDER BY id")] == ["B", "a-1", "a1", "b", "é"]
