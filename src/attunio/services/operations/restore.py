"""Restoring a backup: verify everything first, then swap the store in one rename, then audit.

A running `attunio serve` holds an exclusive lock on `data_dir/serve.lock` for its whole life;
restore takes the same lock, so it never replaces a store under live workers.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from attunio.clock import Clock
from attunio.config import Settings
from attunio.services.licensing import clock_mark
from attunio.services.operations import audit
from attunio.services.operations.backup import (
    BackupError,
    Manifest,
    Verified,
    checkpoint,
    put_back,
    swap_in,
    verify_backup,
)
from attunio.services.operations.instance import SECRET_SETTINGS
from attunio.store import Store, StoreError, read_key

LOCK_NAME = "serve.lock"
_held: list[IO[str]] = []  # the serving process keeps its lock file open until it exits


def _lock_path(settings: Settings) -> Path:
    return settings.data_dir / LOCK_NAME


def _try_lock(path: Path) -> IO[str] | None:
    handle = path.open("a", encoding="ascii")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def hold_serve_lock(settings: Settings) -> None:
    """Refuse a second server on the same data directory, and fence off restore."""
    handle = _try_lock(_lock_path(settings))
    if handle is None:
        raise StoreError(f"another `attunio serve` (or a restore) is using {settings.data_dir}")
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    _held.append(handle)


@contextmanager
def exclusive(settings: Settings) -> Iterator[None]:
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = _try_lock(_lock_path(settings))
    if handle is None:
        raise BackupError("the appliance is serving from this data directory; stop it before restoring "
                          "(a backup can be taken while it serves, a restore cannot)")
    try:
        yield
    finally:
        handle.close()


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    previous: Path | None  # where the replaced store was kept; None for a check or an empty data dir
    restored: bool


def restore(settings: Settings, clock: Clock, archive: Path, *, backup_key_hex: str | None, actor: str,
            reason: str = "", check_only: bool = False,
            progress: Callable[[str], None] | None = None) -> RestoreResult:
    """Verify `archive`, then (unless `check_only`) swap it in; `progress` hears each step."""
    step = progress or (lambda _step: None)
    store_key = read_key(settings.key_file)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    verified = verify_backup(archive, backup_key_hex or store_key, store_key, settings.data_dir, step)
    if check_only:
        verified.path.unlink(missing_ok=True)
        return RestoreResult(verified.manifest, None, restored=False)
    if settings.store.url:
        try:
            _restore_rows(settings, clock, verified, archive, actor, reason, step)
        finally:
            verified.path.unlink(missing_ok=True)
        return RestoreResult(verified.manifest, None, restored=True)
    try:
        with exclusive(settings):
            current_mark = _checkpoint_current(settings)
            stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
            step("store: moving the current store aside and the verified copy into place")
            aside = swap_in(verified, settings.store_path, stamp)
            try:
                store = Store.open(settings)  # also migrates a backup from an older release
                try:
                    with store.write():
                        # An older backup must not wind the clock mark back (docs/licensing.md).
                        kept = clock_mark.keep_later(store, current_mark)
                        audit.record(store, clock, actor=actor, action="backup.restore", object_type="backup",
                                     object_id=verified.manifest.backup_id, reason=reason,
                                     detail={"file": archive.name, "sha256": verified.manifest.db_sha256,
                                             "created_at": verified.manifest.created_at,
                                             "source_instance": verified.manifest.instance_id,
                                             "schema_version": verified.manifest.schema_version,
                                             "previous_store": aside.name if aside else None,
                                             "clock_mark_kept_from_replaced_store": kept})
                finally:
                    store.close()
            except BaseException:
                put_back(settings.store_path, aside)
                raise
    finally:
        verified.path.unlink(missing_ok=True)
    return RestoreResult(verified.manifest, aside, restored=True)


def _restore_rows(settings: Settings, clock: Clock, verified: Verified, archive: Path, actor: str, reason: str,
                  step: Callable[[str], None]) -> None:
    """Into the PostgreSQL store: every table replaced in one transaction, refused while any replica
    serves (each holds a shared advisory lock for its life; this takes it exclusively)."""
    import sqlcipher3

    from attunio.store.pg import PgStore
    from attunio.store.transfer import copy_in

    store = Store.open(settings)
    assert isinstance(store, PgStore)
    source = sqlcipher3.connect(str(verified.path), isolation_level=None)
    try:
        source.execute(f"PRAGMA key = \"x'{read_key(settings.key_file)}'\"")
        current_mark = clock_mark.read_mark(store)
        with store.write():
            if not store.fence_off_replicas():
                raise BackupError("a replica is serving from this database; stop every replica before restoring "
                                  "(a backup can be taken while they serve, a restore cannot)")
            step("database: replacing every table with the backup's rows, in one transaction")
            copy_in(source, store, SECRET_SETTINGS)
        source.close()
        store.close()
        store = Store.open(settings)  # also migrates a backup from an older release
        with store.write():
            kept = clock_mark.keep_later(store, current_mark)
            audit.record(store, clock, actor=actor, action="backup.restore", object_type="backup",
                         object_id=verified.manifest.backup_id, reason=reason,
                         detail={"file": archive.name, "sha256": verified.manifest.db_sha256,
                                 "created_at": verified.manifest.created_at,
                                 "source_instance": verified.manifest.instance_id,
                                 "schema_version": verified.manifest.schema_version,
                                 "previous_store": None, "clock_mark_kept_from_replaced_store": kept})
    finally:
        source.close()
        store.close()


def _checkpoint_current(settings: Settings) -> datetime | None:
    """A readable current store is checkpointed so the copy kept aside stands alone, and its clock
    mark returned; an unreadable one (the usual reason to restore) is moved aside as it is."""
    if not settings.store_path.exists():
        return None
    try:
        store = Store.open(settings)
    except StoreError:
        return None
    try:
        checkpoint(store)
        return clock_mark.read_mark(store)
    finally:
        store.close()
