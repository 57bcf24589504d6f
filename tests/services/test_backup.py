"""Backups are consistent, encrypted and self-checking; restore verifies everything before it replaces."""

from __future__ import annotations

import io
import secrets
import tarfile
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import init_store, make_settings

from attunio.clock import SystemClock
from attunio.config import Settings
from attunio.services.operations import audit
from attunio.services.operations import backup as backup_service
from attunio.services.operations.admins import AdminService
from attunio.services.operations.backup import BackupError, create_backup, key_id, table_counts
from attunio.services.operations.restore import exclusive, restore
from attunio.services.request_path.access import AccessService
from attunio.store import Store, read_key
from attunio.store.migrations import latest_version

CLOCK = SystemClock()
SNAPSHOT_TABLES = ("settings", "apps", "api_keys", "admins", "audit", "migrations")


def populate(store: Store) -> None:
    access = AccessService(store, CLOCK)
    access.create_app("EHR", actor="test")
    for mode in ("test", "live"):
        access.create_key("EHR", "secret", mode, actor="test")
    access.create_key("EHR", "publishable", "test", actor="test", origins=["https://tele.example"])
    record, _ = access.create_key("EHR", "secret", "test", actor="test")
    access.revoke_key(record.id, actor="test", reason="leaked")
    AdminService(store, CLOCK).create("Dr Ada Reviewer", "reviewer", actor="test", licence_number="GMC-1")


def dump(store: Store, table: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in store.query(f"SELECT * FROM {table} ORDER BY rowid")]


def take(store: Store, path: Path, key_hex: str) -> backup_service.Manifest:
    return create_backup(store, CLOCK, path, backup_key_hex=key_hex, actor="test", reason="nightly")


@pytest.fixture
def source(tmp_path: Path) -> tuple[Settings, Store]:
    settings = make_settings(tmp_path / "source")
    store = init_store(settings)
    populate(store)
    return settings, store


@pytest.fixture
def target(tmp_path: Path) -> Settings:
    """A second appliance with its own store key, as after a disk loss."""
    settings = make_settings(tmp_path / "target")
    init_store(settings).close()
    return settings


def test_restore_reproduces_keys_admins_audit_and_settings_under_another_store_key(
    source: tuple[Settings, Store], target: Settings, tmp_path: Path
) -> None:
    settings, store = source
    before = {t: dump(store, t) for t in SNAPSHOT_TABLES}
    manifest = take(store, tmp_path / "nightly.attbak", read_key(settings.key_file))
    assert manifest.tables["api_keys"] == 4 and manifest.schema_version == latest_version()
    assert read_key(target.key_file) != read_key(settings.key_file)

    result = restore(target, CLOCK, tmp_path / "nightly.attbak", backup_key_hex=read_key(settings.key_file),
                     actor="test")

    assert result.restored and result.previous is not None and result.previous.exists()
    restored = Store.open(target)
    try:
        for table in SNAPSHOT_TABLES:
            rows = dump(restored, table)
            if table == "audit":  # the snapshot's events, then the restore event
                assert rows[: len(before["audit"])] == before["audit"]
                assert [r[3] for r in rows[len(before["audit"]):]] == ["backup.restore"]
            elif table == "settings":  # the audit head moved on by the restore event, nothing else
                moved = [r for r in rows if r[0] != "audit_head"]
                assert moved == [r for r in before[table] if r[0] != "audit_head"]
            else:
                assert rows == before[table], table
        assert audit.verify(restored) == (len(before["audit"]) + 1, None)
        assert restored.integrity_ok()
    finally:
        restored.close()
    # The original store recorded the backup itself, after the snapshot.
    assert dump(store, "audit")[-1][3] == "backup.create"


def test_backup_is_encrypted_and_never_overwrites(source: tuple[Settings, Store], tmp_path: Path) -> None:
    settings, store = source
    path = tmp_path / "b.attbak"
    take(store, path, read_key(settings.key_file))
    raw = path.read_bytes()
    assert b"SQLite format 3" not in raw and b"Dr Ada Reviewer" not in raw and b"GMC-1" not in raw
    assert oct(path.stat().st_mode)[-3:] == "600"
    with pytest.raises(BackupError, match="never overwrite"):
        take(store, path, read_key(settings.key_file))


def rewrite(path: Path, change: dict[str, bytes]) -> None:
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    members.update(change)
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def member(path: Path, name: str) -> bytes:
    with tarfile.open(path) as tar:
        return tar.extractfile(name).read()  # type: ignore[union-attr]


def flip_db_byte(path: Path) -> None:
    db = bytearray(member(path, "attunio.db"))
    db[len(db) // 2] ^= 0x01
    rewrite(path, {"attunio.db": bytes(db)})


def edit_manifest(path: Path) -> None:
    manifest = member(path, "manifest.json").replace(b'"schema_version":', b'"schema_version":1')
    rewrite(path, {"manifest.json": manifest})


def add_member(path: Path) -> None:
    rewrite(path, {"../../etc/evil": b"x"})


@pytest.mark.parametrize(("tamper", "message"), [
    (flip_db_byte, "checksum does not match"),
    (edit_manifest, "manifest does not match the key"),
    (add_member, "unexpected contents"),
    (lambda p: p.write_bytes(b"not a tar at all" * 100), "not an Attunio backup"),
])
def test_a_tampered_backup_is_refused_and_the_store_is_untouched(
    source: tuple[Settings, Store], target: Settings, tmp_path: Path, tamper: Any, message: str
) -> None:
    settings, store = source
    path = tmp_path / "b.attbak"
    take(store, path, read_key(settings.key_file))
    tamper(path)
    before = target.store_path.read_bytes()
    with pytest.raises(BackupError, match=message):
        restore(target, CLOCK, path, backup_key_hex=read_key(settings.key_file), actor="test")
    assert target.store_path.read_bytes() == before
    assert not list(target.data_dir.glob(".restore-*")) and not list(target.data_dir.glob("*.pre-restore-*"))


def test_a_separate_backup_key_is_needed_to_restore(source: tuple[Settings, Store], target: Settings,
                                                     tmp_path: Path) -> None:
    settings, store = source
    backup_key = secrets.token_hex(32)
    path = tmp_path / "b.attbak"
    manifest = take(store, path, backup_key)
    assert manifest.key_id == key_id(backup_key) != key_id(read_key(settings.key_file))
    with pytest.raises(BackupError, match=f"key id {key_id(read_key(target.key_file))}"):
        restore(target, CLOCK, path, backup_key_hex=None, actor="test")
    assert restore(target, CLOCK, path, backup_key_hex=backup_key, actor="test").restored


def test_a_backup_from_a_newer_schema_is_refused(source: tuple[Settings, Store], target: Settings,
                                                 tmp_path: Path) -> None:
    settings, store = source
    with store.write():
        store.conn.execute("INSERT INTO migrations (id, name) VALUES (?, 'from the future')", (latest_version() + 1,))
    path = tmp_path / "b.attbak"
    take(store, path, read_key(settings.key_file))
    with pytest.raises(BackupError, match="newer than this release"):
        restore(target, CLOCK, path, backup_key_hex=read_key(settings.key_file), actor="test")


def test_check_only_changes_nothing_and_restore_waits_for_the_server_to_stop(
    source: tuple[Settings, Store], target: Settings, tmp_path: Path
) -> None:
    settings, store = source
    path = tmp_path / "b.attbak"
    take(store, path, read_key(settings.key_file))
    before = target.store_path.read_bytes()
    result = restore(target, CLOCK, path, backup_key_hex=read_key(settings.key_file), actor="test", check_only=True)
    assert not result.restored and target.store_path.read_bytes() == before
    with exclusive(target), pytest.raises(BackupError, match="stop it before restoring"):
        restore(target, CLOCK, path, backup_key_hex=read_key(settings.key_file), actor="test")
    assert target.store_path.read_bytes() == before


def test_an_unreadable_store_is_replaced_and_kept_aside(source: tuple[Settings, Store], target: Settings,
                                                        tmp_path: Path) -> None:
    settings, store = source
    path = tmp_path / "b.attbak"
    take(store, path, read_key(settings.key_file))
    target.store_path.write_bytes(b"\0" * 8192)  # a corrupted disk
    result = restore(target, CLOCK, path, backup_key_hex=read_key(settings.key_file), actor="test")
    assert result.previous is not None and result.previous.read_bytes() == b"\0" * 8192
    restored = Store.open(target)
    assert table_counts(restored.conn)["api_keys"] == 4
    restored.close()


def test_when_the_audit_event_cannot_be_written_the_backup_fails(
    source: tuple[Settings, Store], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, store = source

    def refuse(*_: object, **__: object) -> int:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(audit, "record", refuse)
    with pytest.raises(RuntimeError, match="audit unavailable"):
        take(store, tmp_path / "b.attbak", read_key(settings.key_file))
    assert list(tmp_path.glob("*.attbak*")) == []


def test_when_the_restore_cannot_be_audited_the_previous_store_is_put_back(
    source: tuple[Settings, Store], target: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, store = source
    path = tmp_path / "b.attbak"
    take(store, path, read_key(settings.key_file))
    before = Store.open(target)
    expected = dump(before, "settings")
    before.close()

    def refuse(*_: object, **__: object) -> int:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(audit, "record", refuse)
    with pytest.raises(RuntimeError):
        restore(target, CLOCK, path, backup_key_hex=read_key(settings.key_file), actor="test")
    after = Store.open(target)
    assert dump(after, "settings") == expected
    after.close()
    assert not list(target.data_dir.glob("*.pre-restore-*"))


def test_a_changed_byte_in_the_store_is_detected(source: tuple[Settings, Store]) -> None:
    """A stolen disk cannot be edited unnoticed: SQLCipher authenticates every page."""
    settings, store = source
    store.close()  # the last connection to close folds the WAL into the file
    data = bytearray(settings.store_path.read_bytes())
    data[4096 + 100] ^= 0x01  # inside the second page, past the salt
    settings.store_path.write_bytes(bytes(data))
    reopened = None
    try:
        reopened = Store.open(settings)
        assert not reopened.integrity_ok()
    except Exception as exc:  # refusing to open at all is the other acceptable outcome
        assert "database" in str(exc).lower() or "decrypt" in str(exc).lower()
    finally:
        if reopened is not None:
            reopened.close()
