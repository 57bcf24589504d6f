"""Encrypted, self-describing backups of the store, and a restore that verifies before it replaces.

A backup file is a tar archive of three members:

- `attunio.db`: a `sqlcipher_export()` of the store under the backup key, taken inside one read
  transaction, so it is a consistent snapshot even while workers keep writing (WAL readers see a
  fixed snapshot);
- `manifest.json`: format, backup id, creation time, instance id, schema version, row counts per
  table, the audit head, the key id (a fingerprint, never the key) and the SHA-256 of `attunio.db`;
- `manifest.hmac`: HMAC-SHA256 of the manifest under a key derived from the backup key, so an edited
  manifest (say, a lowered schema version) is caught before anything is opened.

Restore checks all of it, opens the copy with the key, runs `PRAGMA integrity_check`, refuses a newer
schema, re-keys it to this instance's store key, and only then swaps it in with one rename.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import secrets
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import sqlcipher3

from attunio import __version__
from attunio.clock import Clock, iso_ms
from attunio.refusals import Refused
from attunio.services.operations import audit
from attunio.services.operations.instance import SECRET_SETTINGS, instance_id
from attunio.store import Store, StoreError
from attunio.store.migrations import latest_version, schema_version

FORMAT = "attunio-backup/1"
DB_MEMBER, MANIFEST_MEMBER, MAC_MEMBER = "attunio.db", "manifest.json", "manifest.hmac"
MAX_MANIFEST_BYTES = 1024 * 1024
_MAC_CONTEXT = b"attunio-backup-manifest/v1\n"
_KEY_ID_CONTEXT = b"attunio-backup-key-id/v1\n"


class BackupError(Refused):
    """The backup cannot be made, or a backup file is refused; the message says why."""


class Manifest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    format: str
    backup_id: str
    created_at: str
    instance_id: str
    app_version: str
    schema_version: int
    tables: dict[str, int]
    audit_seq: int
    audit_hash: str
    key_id: str
    db_sha256: str
    db_bytes: int


def last_backup(store: Store) -> tuple[str, str] | None:
    """(when, file name) of the newest backup the audit trail records, or None."""
    row = store.one("SELECT at, detail FROM audit WHERE action = 'backup.create' ORDER BY seq DESC LIMIT 1")
    if row is None:
        return None
    return str(row[0]), str(json.loads(row[1]).get("file", ""))


def key_id(key_hex: str) -> str:
    """A short public fingerprint of a key: lets restore say which key a backup needs."""
    return hashlib.sha256(_KEY_ID_CONTEXT + bytes.fromhex(key_hex)).hexdigest()[:16]


def _mac(key_hex: str, manifest: bytes) -> str:
    mac_key = hashlib.sha256(_MAC_CONTEXT + bytes.fromhex(key_hex)).digest()
    return hmac.new(mac_key, manifest, hashlib.sha256).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_counts(conn: Any, schema: str = "main") -> dict[str, int]:
    names = [row[0] for row in conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: int(conn.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0]) for name in names}


def _export(conn: Any) -> None:
    """Copy the connection's main database into the attached target (under the target's key). The
    caller decides which transaction, and so which snapshot, the copy sees."""
    conn.execute("SELECT sqlcipher_export('backup_target')")


def _attach(conn: Any, target: Path, key_hex: str) -> None:
    conn.execute("ATTACH DATABASE ? AS backup_target KEY ?", (str(target), f"x'{key_hex}'"))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quiet(_step: str) -> None:
    """The default progress report: none."""


def create_backup(store: Store, clock: Clock, output: Path, *, backup_key_hex: str, actor: str,
                  reason: str = "", progress: Callable[[str], None] = _quiet) -> Manifest:
    """Write a backup to `output` and record it in the audit trail; if the audit event cannot be
    written, the file is removed and the backup fails. `progress` hears each step as it starts."""
    output = output.resolve()
    if output.exists():
        raise BackupError(f"{output} exists; backups never overwrite a file")
    work = output.parent / f".{output.name}.{secrets.token_hex(4)}.partial"
    db_copy = work.with_suffix(".db")
    try:
        progress("snapshot: copying the store, re-encrypted under the backup key")
        if store.dialect == "postgres":
            counts, head, version = _snapshot_rows(store, db_copy, backup_key_hex)
        else:
            counts, head, version = _snapshot_file(store, db_copy, backup_key_hex)
        progress(f"checksum of the copy ({db_copy.stat().st_size} bytes)")
        manifest = Manifest(
            format=FORMAT, backup_id="bak_" + secrets.token_hex(8), created_at=iso_ms(clock.now()),
            instance_id=instance_id(store), app_version=__version__, schema_version=version, tables=counts,
            audit_seq=int(head[0]), audit_hash=str(head[1]), key_id=key_id(backup_key_hex),
            db_sha256=_sha256_file(db_copy), db_bytes=db_copy.stat().st_size,
        )
        manifest_bytes = msgspec.json.encode(manifest)
        progress(f"archive: writing {output}")
        fd = os.open(work, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            _add_bytes(tar, MANIFEST_MEMBER, manifest_bytes)
            _add_bytes(tar, MAC_MEMBER, _mac(backup_key_hex, manifest_bytes).encode())
            tar.add(db_copy, arcname=DB_MEMBER)
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.link(work, output)  # fails instead of overwriting a file that appeared meanwhile
        _fsync_dir(output.parent)
    except (sqlcipher3.Error, OSError) as exc:
        raise BackupError(f"backup failed: {exc.__class__.__name__}: {exc}") from None
    finally:
        work.unlink(missing_ok=True)
        db_copy.unlink(missing_ok=True)
    progress("audit: recording the backup")
    try:
        with store.write():
            audit.record(store, clock, actor=actor, action="backup.create", object_type="backup",
                         object_id=manifest.backup_id, reason=reason,
                         detail={"file": output.name, "sha256": manifest.db_sha256, "key_id": manifest.key_id,
                                 "schema_version": version, "tables": counts, "audit_seq": manifest.audit_seq})
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    return manifest


def _snapshot_file(store: Store, db_copy: Path, backup_key_hex: str) -> tuple[dict[str, int], Any, int]:
    _attach(store.conn, db_copy, backup_key_hex)
    try:
        store.conn.execute("BEGIN")  # one read snapshot for counts, audit head and the copy
        try:
            counts = table_counts(store.conn)
            head = store.one("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1") or (0, audit.GENESIS)
            version = schema_version(store.conn)
            _export(store.conn)
        finally:
            store.conn.execute("COMMIT")
    finally:
        store.conn.execute("DETACH DATABASE backup_target")
    return counts, head, version


def _snapshot_rows(store: Store, db_copy: Path, backup_key_hex: str) -> tuple[dict[str, int], Any, int]:
    """The PostgreSQL store, row by row from one repeatable-read snapshot, into a SQLCipher copy of
    the same schema: the archive is the same as the file's, and restores into either backend."""
    from attunio.store.pg import PgStore
    from attunio.store.transfer import copy_out, new_copy

    assert isinstance(store, PgStore)
    target = new_copy(db_copy, backup_key_hex)
    try:
        store.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            copy_out(store, target, SECRET_SETTINGS)
            head = store.one("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1") or (0, audit.GENESIS)
        finally:
            store.conn.execute("COMMIT")
        return table_counts(target), head, schema_version(target)
    except StoreError as exc:
        raise BackupError(f"backup failed: {exc}") from None
    finally:
        target.close()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


@dataclass
class Verified:
    """A backup that passed every check, re-keyed to the target store key, ready to swap in."""

    manifest: Manifest
    path: Path


def read_backup(archive: Path, backup_key_hex: str, workdir: Path,
                progress: Callable[[str], None] = _quiet) -> tuple[Manifest, Path]:
    """Check the archive's shape, manifest MAC and checksum; extract the database into `workdir`.
    A truncated or damaged archive is a BackupError naming what is wrong, never a traceback."""
    target = workdir / f".restore-{secrets.token_hex(4)}.db"
    try:
        return _read_backup(archive, backup_key_hex, target, progress)
    except (OSError, EOFError, tarfile.TarError) as exc:
        target.unlink(missing_ok=True)
        raise BackupError(f"{archive} is damaged or truncated ({exc.__class__.__name__}: {exc}); "
                          "nothing was changed. Use another copy of the backup.") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _read_backup(archive: Path, backup_key_hex: str, target: Path,
                 progress: Callable[[str], None]) -> tuple[Manifest, Path]:
    progress(f"archive: reading {archive}")
    try:
        tar = tarfile.open(archive, mode="r:")  # noqa: SIM115 - closed by the `with tar` below
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive} is not an Attunio backup ({exc.__class__.__name__})") from None
    with tar:
        members = {m.name: m for m in tar.getmembers()}
        if set(members) != {DB_MEMBER, MANIFEST_MEMBER, MAC_MEMBER} or not all(m.isfile() for m in members.values()):
            raise BackupError(f"{archive} is not an Attunio backup (unexpected contents)")
        if members[MANIFEST_MEMBER].size > MAX_MANIFEST_BYTES or members[MAC_MEMBER].size > 256:
            raise BackupError(f"{archive}: manifest too large")
        manifest_bytes = _read_member(tar, members[MANIFEST_MEMBER])
        mac = _read_member(tar, members[MAC_MEMBER]).decode("ascii", "replace").strip()
        progress(f"manifest: checking its HMAC under key id {key_id(backup_key_hex)}")
        if not hmac.compare_digest(mac, _mac(backup_key_hex, manifest_bytes)):
            raise BackupError(
                f"{archive}: manifest does not match the key (key id {key_id(backup_key_hex)}): the wrong backup "
                "key was given, or the manifest was altered. Nothing was changed.")
        try:
            manifest = msgspec.json.decode(manifest_bytes, type=Manifest)
        except msgspec.DecodeError as exc:
            raise BackupError(f"{archive}: manifest unreadable: {exc}") from None
        if manifest.format != FORMAT:
            raise BackupError(f"{archive}: backup format {manifest.format!r} is not {FORMAT!r}")
        progress(f"database: extracting {members[DB_MEMBER].size} bytes and checking its SHA-256")
        source = tar.extractfile(members[DB_MEMBER])
        assert source is not None  # isfile() checked above
        digest = hashlib.sha256()
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
    if digest.hexdigest() != manifest.db_sha256:
        target.unlink()
        raise BackupError(f"{archive}: database checksum does not match the manifest (corrupted or altered)")
    return manifest, target


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    assert handle is not None
    return handle.read()


def verify_backup(archive: Path, backup_key_hex: str, store_key_hex: str, workdir: Path,
                  progress: Callable[[str], None] = _quiet) -> Verified:
    """Everything restore checks before it touches the store. Returns a copy under the store key."""
    manifest, extracted = read_backup(archive, backup_key_hex, workdir, progress)
    rekeyed = extracted.with_name(extracted.stem + "-rekeyed.db")
    try:
        conn = sqlcipher3.connect(str(extracted), isolation_level=None)
        try:
            conn.execute(f"PRAGMA key = \"x'{backup_key_hex}'\"")
            progress("database: integrity check")
            check = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if check != ["ok"]:
                raise BackupError(f"{archive}: integrity check failed: {'; '.join(check[:3])}")
            version = schema_version(conn)
            if version > latest_version():
                raise BackupError(
                    f"{archive} holds schema {version}, newer than this release understands ({latest_version()}); "
                    "restore it on an appliance of the release that made it")
            if version != manifest.schema_version or table_counts(conn) != manifest.tables:
                raise BackupError(f"{archive}: database contents do not match the manifest")
            progress("database: re-encrypting under this appliance's store key")
            _attach(conn, rekeyed, store_key_hex)
            _export(conn)
            conn.execute("DETACH DATABASE backup_target")
        finally:
            conn.close()
    except sqlcipher3.DatabaseError as exc:
        rekeyed.unlink(missing_ok=True)
        raise BackupError(f"{archive}: the database cannot be read with the backup key ({exc})") from None
    except BaseException:
        rekeyed.unlink(missing_ok=True)
        raise
    finally:
        extracted.unlink(missing_ok=True)
    os.chmod(rekeyed, 0o600)
    return Verified(manifest=manifest, path=rekeyed)


def store_files(store_path: Path) -> list[Path]:
    return [store_path, store_path.with_name(store_path.name + "-wal"), store_path.with_name(store_path.name + "-shm")]


def swap_in(verified: Verified, store_path: Path, stamp: str) -> Path | None:
    """Move the current store (and its WAL) aside, then rename the verified copy into place.
    Returns where the previous store went, so the caller can put it back if the next step fails."""
    aside: Path | None = None
    if store_path.exists():
        aside = store_path.with_name(f"{store_path.name}.pre-restore-{stamp}")
        for path in store_files(store_path):
            if path.exists():
                os.replace(path, aside.with_name(aside.name + path.name[len(store_path.name):]))
    os.replace(verified.path, store_path)
    _fsync_dir(store_path.parent)
    return aside


def put_back(store_path: Path, aside: Path | None) -> None:
    for path in store_files(store_path):
        path.unlink(missing_ok=True)
    if aside is not None:
        for path in store_files(aside):
            if path.exists():
                os.replace(path, store_path.with_name(store_path.name + path.name[len(aside.name):]))


def checkpoint(store: Store) -> None:
    """Fold the WAL into the main file so the file moved aside is complete on its own."""
    try:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlcipher3.Error as exc:
        raise StoreError(f"cannot checkpoint the current store: {exc}") from None
