"""The one place that opens the encrypted store and sets every pragma.

SQLCipher 4 through sqlcipher3's DB-API connection. The raw 256-bit key comes from a key
file kept outside the data directory. A wrong or missing key refuses to start and leaves the
file untouched; a missing store is never created silently (only `attunio init` creates one).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlcipher3

from attunio.config import Settings
from attunio.store.errors import StoreError
from attunio.store.migrations import apply_migrations

KEY_HEX_LEN = 64


def read_key(key_file: Path) -> str:
    try:
        text = key_file.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise StoreError(
            f"store key file {key_file} does not exist; run `attunio init` or mount the key secret"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"store key file {key_file} cannot be read: {exc.__class__.__name__}") from None
    if len(text) != KEY_HEX_LEN or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise StoreError(f"store key file {key_file} must hold exactly {KEY_HEX_LEN} hex characters")
    return text.lower()


def key_file_warnings(settings: Settings) -> list[str]:
    """What is unsafe about where the key is kept. Warnings, not refusals: a Kubernetes secret
    volume is mounted 0644 unless told otherwise, and refusing would stop a working appliance."""
    key_file = settings.key_file
    try:
        mode = key_file.stat().st_mode & 0o777
    except OSError:
        return []
    found = []
    if mode & 0o077:
        found.append(f"store key file {key_file} has mode {mode:04o}: other accounts can read it; "
                     "make it 0600 (or mount the secret with defaultMode 0400)")
    if key_file.resolve().is_relative_to(settings.data_dir.resolve()):
        found.append(f"store key file {key_file} is inside data_dir {settings.data_dir}: a copy of the data "
                     "volume would carry the key that opens it; keep the key outside (paths.key_file)")
    return found


def create_key_file(key_file: Path) -> None:
    """Write a fresh random key with mode 0600; never overwrite an existing one."""
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")


def _connect(path: Path, key_hex: str, key_file: Path, busy_timeout_ms: int, *, create: bool) -> Any:
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    # SQLCipher prints its own "ERROR CORE … hmac check failed" lines on stderr for a wrong key;
    # the StoreError below says it once, in words, naming both files.
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
    try:
        # The first read is where SQLCipher discovers a wrong key; nothing is written before it.
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'migrations'").fetchone()[0]
    except sqlcipher3.DatabaseError:
        conn.close()
        raise StoreError(
            f"store {path} cannot be decrypted with the key in {key_file}: wrong key, or not an Attunio "
            "store. The file was left untouched."
        ) from None
    if not tables and not create:
        # Opens with the key but holds none of our schema: an empty SQLCipher file, never ours.
        conn.close()
        raise StoreError(f"store {path} holds no Attunio data (no schema): not an Attunio store. "
                         "The file was left untouched.")
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode survives a killed process (the WAL is in the OS page cache once committed);
    # only an OS crash or power loss can drop the last transactions.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def damaged(path: Path | str, cause: object) -> str:
    return (f"store {path} is damaged ({cause}); nothing was changed. Restore the last backup with "
            "`attunio restore` (docs/operations.md)")


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # no running event loop: a command, not a request
        return None


class Store:
    """One connection per process; writes go through `write()` (BEGIN IMMEDIATE … COMMIT).

    The SQLCipher file; `store.url` selects the PostgreSQL backend instead (store/pg.py), which
    keeps this interface and its guarantees across several replicas."""

    dialect = "sqlite"

    def __init__(self, path: Path, conn: Any) -> None:
        self.path = path
        self.conn = conn
        self._own_commits = 0
        self._turn: tuple[asyncio.AbstractEventLoop, int] | None = None  # data_version read this loop turn
        self.applied: list[int] = []  # migrations this open applied

    @classmethod
    def open(cls, settings: Settings, *, create: bool = False) -> Store:
        if settings.store.url:
            from attunio.store.pg import PgStore

            return PgStore.open_url(settings, create=create)
        path = settings.store_path
        if not path.exists() and not create:
            raise StoreError(f"no store at {path}; run `attunio init` first (it never overwrites one)")
        if path.exists() and path.stat().st_size == 0:
            # SQLite treats an empty file as a new database: opening it would write a fresh schema
            # (and `init` a new instance id) over whatever was meant to be there.
            raise StoreError(f"store {path} is an empty file (0 bytes), not an Attunio store. The file was left "
                             "untouched: restore a backup (`attunio restore`), or move it away to start afresh")
        key_hex = read_key(settings.key_file)
        if create:
            if path.exists():
                raise StoreError(f"a file already exists at {path}; `attunio init` never overwrites a store")
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        conn = _connect(path, key_hex, settings.key_file, settings.store.busy_timeout_ms, create=create)
        if create:
            os.chmod(path, 0o600)
        store = cls(path, conn)
        with store.write():
            store.applied = apply_migrations(conn)
        return store

    @contextmanager
    def write(self, *, counters_only: bool = False) -> Iterator[Any]:
        """A write transaction taken up front, so two workers never deadlock upgrading locks.

        `counters_only` marks the request path's own writes (usage counters, the clock mark,
        last-used times), which no per-worker cache holds: committing one leaves `change_token()`
        as it was, so the caches keep serving while this worker meters its own calls.
        """
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        if not counters_only:
            self._own_commits += 1

    def change_token(self) -> tuple[int, int]:
        """Equal to an earlier value only if nothing a cache may hold has changed in between.

        SQLite's `data_version` moves whenever another connection (another worker, an `attunio`
        command) commits; it does not see this connection's own commits, so those are counted
        here. Per-worker caches of keys, licenses and models compare this before every use: a
        revocation or promotion committed anywhere is seen by the next request, as with a read.

        Under load, other connections' commits are read once per event-loop turn: every request
        checked in that turn shares one `PRAGMA` (about as costly as an indexed read on SQLCipher),
        and a commit made elsewhere is seen from the next turn on, milliseconds later at most.
        """
        loop, turn = _running_loop(), self._turn
        if loop is not None and turn is not None and turn[0] is loop:
            return turn[1], self._own_commits
        version: int = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if loop is not None:  # outside a loop (a command), every call reads
            self._turn = (loop, version)
            loop.call_soon(self._end_turn)
        return version, self._own_commits

    def _end_turn(self) -> None:
        self._turn = None

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[Any]:
        return list(self.conn.execute(sql, params).fetchall())

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        return self.conn.execute(sql, params).fetchone()

    def check_pages(self) -> None:
        """Read every page (SQLCipher checks each one's HMAC) and SQLite's structure; StoreError if
        any is damaged. For start-up checks: it reads the whole file."""
        try:
            result = self.one("PRAGMA quick_check")[0]
        except sqlcipher3.DatabaseError as exc:
            raise StoreError(damaged(self.path, exc)) from None
        if result != "ok":
            raise StoreError(damaged(self.path, result))

    def integrity_ok(self) -> bool:
        return bool(self.one("PRAGMA quick_check")[0] == "ok")

    def serialise(self) -> None:
        """Inside `write()`: no other process writes until this transaction ends. BEGIN IMMEDIATE
        already holds SQLite's one write lock; PostgreSQL takes an advisory lock."""

    def seal(self, name: str, value: str) -> str:
        """A secret setting as stored: as is in the encrypted file, sealed on PostgreSQL."""
        return value

    def unseal(self, name: str, stored: str) -> str:
        return stored

    def ping(self) -> bool:
        return True

    def serving(self) -> None:
        """This process answers requests from now on (PostgreSQL: start listening for changes)."""

    def for_update(self, select: str) -> str:
        """A SELECT whose rows stay locked until the transaction ends (BEGIN IMMEDIATE already
        locks the whole file here)."""
        return select

    def close(self) -> None:
        self.conn.close()
