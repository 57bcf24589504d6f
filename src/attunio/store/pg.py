"""The PostgreSQL backend: the same `Store` the services use, for several replicas on one database.

Selected by `store.url = "postgresql://…"`. psycopg 3 through its connection pool; TLS with
`sslmode=verify-full` unless the URL says otherwise. Statements are the services' own (SQLite's
`?` placeholders, turned into `%s` here); the schema is the same migrations through
`dialect.postgres_ddl`. What SQLite's single-writer lock gave for free is made explicit:

- every write that is not a counter (`write()`), and every audit append or clock-mark change
  (`serialise()`), holds one transaction-level advisory lock, so the audit chain stays one linear
  chain and admin changes apply one at a time across replicas;
- counters are single UPSERTs (row locks), so they stay concurrent and exact;
- such a write ends with `NOTIFY`, and a listener thread per process counts the notifications:
  `change_token()` moves when any replica committed a change a cache may hold. While the listener
  is disconnected the token moves on every call, so no cache serves from memory unchecked.

A lost database is `StoreUnavailable` (answered 503); the pool reconnects in the background.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import pq
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from attunio.config import Settings
from attunio.store.db import Store, read_key
from attunio.store.dialect import postgres_ddl, postgres_sql
from attunio.store.errors import StoreError, StoreUnavailable
from attunio.store.migrations import apply_migrations
from attunio.store.sealing import Sealer

log = logging.getLogger("attunio.store")
CHANNEL = "attunio_change"
ADMIN_LOCK = 0x617474756E696F  # "attunio": one advisory lock key for every serialised write
SERVING_LOCK = ADMIN_LOCK + 1  # held shared by every serving replica; a restore takes it exclusively
_tokens = itertools.count(1)


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def conninfo(url: str) -> str:
    """`sslmode=verify-full` unless the URL names a mode: the database's certificate is checked
    against `sslrootcert` (or ~/.postgresql/root.crt) and its name against the host."""
    if "sslmode=" in url:
        return url
    return url + ("&" if "?" in url else "?") + "sslmode=verify-full"


# libpq's own dead-peer detection for the listener: keepalives and a cap on unacknowledged data.
_DEAD_PEER = {"keepalives": 1, "keepalives_idle": 2, "keepalives_interval": 1, "keepalives_count": 2,
              "tcp_user_timeout": 3000}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PgConnection:
    """What the services call `store.conn`: sqlite3's `execute`/`executemany` on the store's
    current pooled connection (placeholders converted), and `in_transaction`."""

    def __init__(self, store: PgStore) -> None:
        self._store = store
        self._trace: Callable[[str], None] | None = None

    def set_trace_callback(self, callback: Callable[[str], None] | None) -> None:
        self._trace = callback

    @property
    def in_transaction(self) -> bool:
        conn = self._store._current
        return conn is not None and conn.info.transaction_status != pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> psycopg.Cursor[Any]:
        if self._trace is not None:
            self._trace(sql)
        cursor: psycopg.Cursor[Any] = self._store._run(
            lambda conn: conn.execute(postgres_sql(sql) if params else sql, params if params else None))
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        if self._trace is not None:
            self._trace(sql)

        def run(conn: psycopg.Connection[Any]) -> psycopg.Cursor[Any]:
            cursor = conn.cursor()
            cursor.executemany(postgres_sql(sql), list(rows))
            return cursor

        cursor: psycopg.Cursor[Any] = self._store._run(run)
        return cursor

    def close(self) -> None:
        self._store.close()


class _Listener(threading.Thread):
    """Counts NOTIFYs on the change channel from its own connection; `connected` is False until it
    listens, and again from any error until it listens anew."""

    def __init__(self, conninfo_text: str, *, serving: bool) -> None:
        super().__init__(name="attunio-store-listener", daemon=True)
        self._serving = serving
        self._conninfo = make_conninfo(conninfo_text, connect_timeout=5, **_DEAD_PEER)
        self.seen = 0
        self.connected = False
        self.ready = threading.Event()
        self._halt = threading.Event()
        self._conn: psycopg.Connection[Any] | None = None

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    self._conn = conn
                    conn.execute(f"LISTEN {CHANNEL}")
                    if self._serving:  # for this connection's life: fences off a restore
                        conn.execute(f"SELECT pg_advisory_lock_shared({SERVING_LOCK})")
                    self.seen += 1  # anything committed while not listening counts as a change
                    self.connected = True
                    self.ready.set()
                    while not self._halt.is_set():
                        for _ in conn.notifies(timeout=0.5):
                            self.seen += 1
                        # A network that drops packets silently never errors a wait: ask, so a
                        # lost peer is noticed within seconds (and every check misses meanwhile).
                        conn.execute("SELECT 1")
            except psycopg.Error:
                pass
            self.connected = False
            self._conn = None
            self.ready.set()
            self._halt.wait(0.5)

    def stop(self) -> None:
        self._halt.set()


class PgStore(Store):
    dialect = "postgres"

    def __init__(self, settings: Settings, url: str, key_hex: str) -> None:
        self.url = url
        self.path = redacted(url)  # type: ignore[assignment]  # what messages name the store by
        self.sealer = Sealer(key_hex)
        self._conninfo = conninfo(url)
        self._pool = ConnectionPool(self._conninfo, min_size=1, max_size=settings.store.pool_size, open=False,
                                    kwargs={"autocommit": True, "connect_timeout": 5},
                                    reconnect_timeout=0, name="attunio")
        self._current: psycopg.Connection[Any] | None = None
        self.conn = PgConnection(self)
        self._own_commits = 0
        self._turn = None
        self._serialised = False
        self._down = False
        self._listener = _Listener(self._conninfo, serving=False)
        self.round_trips = 0
        self.applied = []

    @classmethod
    def open_url(cls, settings: Settings, *, create: bool = False) -> PgStore:
        key_hex = read_key(settings.key_file)
        if create:  # the replica's own files (TLS certificate, serve lock) still live in data_dir
            settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        store = cls(settings, settings.store.url, key_hex)
        try:  # one direct attempt first: a wrong name, password or certificate is said at once, precisely
            psycopg.connect(store._conninfo, connect_timeout=5).close()
        except psycopg.Error as exc:
            raise StoreError(f"the database at {store.path} cannot be reached or refuses the connection "
                             f"({_first_line(exc)}); check store.url, the server's certificate and "
                             "pg_hba.conf") from None
        try:
            store._pool.open(wait=True, timeout=10)
        except PoolTimeout:
            store._pool.close()
            raise StoreError(f"the database at {store.path} stopped answering while connecting") from None
        try:
            with store.write():
                exists = store.one("SELECT to_regclass('migrations') IS NOT NULL")[0]
                if not exists and not create:
                    raise StoreError(f"the database at {store.path} holds no Attunio schema; run `attunio init` "
                                     "first (it never overwrites one)")
                store.applied = apply_migrations(store.conn, ddl=postgres_ddl, dialect="postgres")
            store.check_key()
        except BaseException:
            store.close()
            raise
        return store

    def serving(self) -> None:
        """Listen for the other replicas' changes (until now every cache check misses) and hold
        the shared serving lock that keeps a restore away."""
        if not self._listener.is_alive():
            self._listener = _Listener(self._conninfo, serving=True)
            self._listener.start()
            self._listener.ready.wait(10)

    def fence_off_replicas(self) -> bool:
        """Inside `write()`: False if any replica is serving (holds the shared serving lock)."""
        return bool(self.one(f"SELECT pg_try_advisory_xact_lock({SERVING_LOCK})")[0])

    def check_key(self) -> None:
        """The key file opens this database's sealed secrets (else: another instance's key)."""
        for name, value in self.query("SELECT key, value FROM settings WHERE value LIKE 'sealed:v1:%' ORDER BY key"):
            self.sealer.open(str(name), str(value))

    # -- connections ------------------------------------------------------------------------
    def _connection(self) -> psycopg.Connection[Any]:
        if self._current is None:
            # Once the database is known to be down, fail fast: a wait here stalls the worker's
            # whole event loop, and the pool reconnects in the background anyway.
            try:
                self._current = self._pool.getconn(timeout=0.05 if self._down else 2)
            except PoolTimeout:
                self._down = True
                raise StoreUnavailable(f"the database at {self.path} is not reachable") from None
            self._down = False
        return self._current

    def _drop(self) -> None:
        conn, self._current = self._current, None
        if conn is not None:
            try:
                self._pool.putconn(conn)  # a broken one is discarded and replaced by the pool
            except Exception:  # the pool is closing: nothing left to return it to
                conn.close()

    def _run(self, call: Callable[[psycopg.Connection[Any]], Any]) -> Any:
        conn = self._connection()
        self.round_trips += 1
        try:
            return call(conn)
        except psycopg.OperationalError as exc:
            if conn.closed or conn.broken:
                self._drop()
                self._down = True
                raise StoreUnavailable(f"the database at {self.path} went away mid-statement") from exc
            raise

    # -- the Store interface ------------------------------------------------------------------
    @contextmanager
    def write(self, *, counters_only: bool = False) -> Iterator[Any]:
        self._run(lambda conn: conn.execute("BEGIN" if counters_only
                                            else f"BEGIN; SELECT pg_advisory_xact_lock({ADMIN_LOCK})"))
        self._serialised = not counters_only
        try:
            yield self.conn
        except BaseException:
            self._end("ROLLBACK")
            raise
        self._end("COMMIT" if counters_only else f"NOTIFY {CHANNEL}; COMMIT")
        if not counters_only:
            self._own_commits += 1

    def _end(self, sql: str) -> None:
        self._serialised = False
        conn = self._current
        if conn is None:
            raise StoreUnavailable(f"the database at {self.path} went away mid-transaction")
        self._run(lambda c: c.execute(sql))
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:  # COMMIT of an aborted transaction
            self._drop()

    def serialise(self) -> None:
        if not self._serialised:
            self.conn.execute(f"SELECT pg_advisory_xact_lock({ADMIN_LOCK})")
            self._serialised = True

    def for_update(self, select: str) -> str:
        return select + " FOR UPDATE"

    def change_token(self) -> tuple[int, int]:
        listener = self._listener
        if not listener.connected:
            return -next(_tokens), self._own_commits  # blind: every check is a miss
        return listener.seen, self._own_commits

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[Any]:
        return list(self.conn.execute(sql, params).fetchall())

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        return self.conn.execute(sql, params).fetchone()

    def check_pages(self) -> None:
        self.ping()

    def integrity_ok(self) -> bool:
        return self.ping()

    def ping(self) -> bool:
        """The database answers (readiness); a broken connection is replaced on the next use."""
        try:
            return bool(self.one("SELECT 1")[0] == 1)
        except (StoreUnavailable, psycopg.Error):
            return False

    def seal(self, name: str, value: str) -> str:
        return self.sealer.seal(name, value)

    def unseal(self, name: str, stored: str) -> str:
        return self.sealer.open(name, stored)

    def describe(self) -> dict[str, Any]:
        """What `attunio doctor` and `/readyz` say about the database (never the password)."""
        row = self.one("SELECT current_setting('server_version'), ssl, version FROM pg_stat_ssl"
                       " WHERE pid = pg_backend_pid()")
        mode = self._current.info.get_parameters().get("sslmode", "") if self._current is not None else ""
        return {"url": self.path, "server_version": row[0], "tls": bool(row[1]), "tls_version": row[2],
                "sslmode": mode, "listening": self._listener.connected}

    def close(self) -> None:
        self._listener.stop()
        self._drop()
        self._pool.close(timeout=2)
        if self._listener.is_alive():
            self._listener.join(timeout=2)

