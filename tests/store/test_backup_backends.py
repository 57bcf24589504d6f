"""The appliance's own verified backup on both backends: the same archive, restored into either.

A PostgreSQL store is exported row by row from one snapshot into the SQLCipher archive the file
store makes; its restore replaces every table in one transaction and is refused while a replica
serves. (tests/services/test_backup.py covers the archive's own checks on the file.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.conftest import init_store, make_settings

from attunio.clock import SystemClock
from attunio.config import Settings
from attunio.services.operations import audit
from attunio.services.operations.admins import AdminService
from attunio.services.operations.backup import BackupError, create_backup
from attunio.services.operations.instance import get_setting
from attunio.services.operations.restore import restore
from attunio.services.request_path.access import AccessService
from attunio.store import Store, read_key

CLOCK = SystemClock()
TABLES = ("apps", "api_keys", "admins", "migrations", "model_generation")


def populate(store: Store) -> str:
    access = AccessService(store, CLOCK)
    access.create_app("EHR", actor="test")
    _, key = access.create_key("EHR", "secret", "live", actor="test")
    record, _ = access.create_key("EHR", "secret", "test", actor="test")
    access.revoke_key(record.id, actor="test", reason="leaked")
    AdminService(store, CLOCK).create("Dr Ada Reviewer", "reviewer", actor="test", licence_number="GMC-1")
    return key


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    rows = {t: [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
                for r in store.query(f"SELECT * FROM {t} ORDER BY 1")] for t in TABLES}
    rows["settings"] = [(k, get_setting(store, k)) for (k,) in store.query(
        "SELECT key FROM settings WHERE key <> 'audit_head' ORDER BY key")]  # secrets opened: sealing is per write
    return rows


def test_a_backup_restores_the_snapshot_over_later_changes(settings: Settings, store: Store, tmp_path: Path) -> None:
    key = populate(store)
    before = dump(store)
    events = audit.verify(store)[0]
    archive = tmp_path / "nightly.attbak"
    manifest = create_backup(store, CLOCK, archive, backup_key_hex=read_key(settings.key_file), actor="test")
    assert manifest.tables["api_keys"] == 2 and manifest.audit_seq == events
    AccessService(store, CLOCK).create_app("Later", actor="test")  # after the snapshot: undone by the restore
    store.close()

    result = restore(settings, CLOCK, archive, backup_key_hex=None, actor="test", reason="drill")

    assert result.restored
    restored = Store.open(settings)
    try:
        assert dump(restored) == before
        assert audit.verify(restored) == (events + 1, None)  # the snapshot's events, then the restore
        assert AccessService(restored, CLOCK).authenticate(key) is not None  # the key-hashing secret came back
    finally:
        restored.close()


@pytest.mark.postgres_only
def test_a_postgresql_backup_restores_into_a_sqlcipher_file(settings: Settings, store: Store, tmp_path: Path) -> None:
    key = populate(store)
    before = dump(store)
    archive = tmp_path / "move.attbak"
    create_backup(store, CLOCK, archive, backup_key_hex=read_key(settings.key_file), actor="test")
    single = make_settings(tmp_path / "single")
    init_store(single).close()

    restore(single, CLOCK, archive, backup_key_hex=read_key(settings.key_file), actor="test")

    moved = Store.open(single)
    try:
        assert moved.dialect == "sqlite" and dump(moved) == before
        assert AccessService(moved, CLOCK).authenticate(key) is not None
        assert audit.verify(moved)[1] is None
    finally:
        moved.close()


@pytest.mark.postgres_only
def test_a_restore_is_refused_while_a_replica_serves(settings: Settings, store: Store, tmp_path: Path) -> None:
    populate(store)
    archive = tmp_path / "b.attbak"
    create_backup(store, CLOCK, archive, backup_key_hex=read_key(settings.key_file), actor="test")
    AccessService(store, CLOCK).create_app("Kept", actor="test")
    before = dump(store)
    with pytest.raises(BackupError, match="a replica is serving from this database"):
        restore(settings, CLOCK, archive, backup_key_hex=None, actor="test")
    assert dump(store) == before  # `store` is serving (the fixture's), and nothing changed under it
