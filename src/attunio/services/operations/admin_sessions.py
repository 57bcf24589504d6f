"""Admin console sessions: an admin token exchanged for a server-side session, and sign-in throttling.

The cookie value is random and shown only to the browser; the store keeps its HMAC under the
instance's key-hashing secret (as for API keys and admin tokens). The CSRF token is a second HMAC
of the cookie value, so it is recomputed rather than stored and is useless without the cookie.
"""

from __future__ import annotations

import hmac
import math
import secrets
from datetime import datetime, timedelta

import msgspec

from attunio.clock import Clock, iso_ms
from attunio.crypto import tokens
from attunio.refusals import Forbidden
from attunio.services.operations import audit
from attunio.services.operations.admins import COLUMNS, Admin, AdminService, admin_from_row
from attunio.services.operations.instance import hmac_secret
from attunio.store import Store

COOKIE_PREFIX = "att_sess_"
_CSRF_CONTEXT = b"attunio admin console csrf\x00"
# A session seen again within this long is not re-written: the idle clock is minute-grained, and
# every console page load would otherwise be a store write.
TOUCH_EVERY = timedelta(seconds=30)


class SessionPolicy(msgspec.Struct, frozen=True, kw_only=True):
    idle: timedelta
    absolute: timedelta
    max_failures: int
    window: timedelta


class Session(msgspec.Struct, frozen=True, kw_only=True):
    admin: Admin
    created_at: datetime
    idle_expires_at: datetime
    absolute_expires_at: datetime
    csrf_token: str


class Throttled(Exception):
    """Too many failed sign-ins from one client address; `retry_after` whole seconds to wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins from this address; try again in {retry_after} s")
        self.retry_after = retry_after


class SessionService:
    def __init__(self, store: Store, clock: Clock, policy: SessionPolicy) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self._secret = hmac_secret(store)

    def csrf_token(self, cookie: str) -> str:
        return hmac.new(self._secret, _CSRF_CONTEXT + cookie.encode("ascii"), "sha256").hexdigest()

    def csrf_ok(self, cookie: str, presented: str | None) -> bool:
        if not presented or not presented.isascii():
            return False
        return hmac.compare_digest(self.csrf_token(cookie), presented)

    # -- sign-in ------------------------------------------------------------------------------
    def _check_throttle(self, client: str, now: datetime) -> None:
        since = iso_ms(now - self.policy.window)
        rows = self.store.query("SELECT at FROM admin_signin_failures WHERE client = ? AND at > ? ORDER BY at",
                                (client, since))
        if len(rows) >= self.policy.max_failures:
            # The caller may try again once enough of the counted failures have left the window.
            oldest = datetime.fromisoformat(str(rows[len(rows) - self.policy.max_failures][0]))
            wait = (oldest + self.policy.window - now).total_seconds()
            raise Throttled(max(1, math.ceil(wait)))

    def sign_in(self, token: str, client: str) -> tuple[Session, str]:
        """A new session for the admin holding `token` and its cookie value (never stored).
        Throttled when this client has failed too often; Forbidden for a wrong token."""
        now = self.clock.now()
        self._check_throttle(client, now)
        try:
            admin = AdminService(self.store, self.clock).authenticate(token)
        except Forbidden:
            with self.store.write(counters_only=True):  # no per-worker cache holds these rows
                self.store.conn.execute("INSERT INTO admin_signin_failures (client, at) VALUES (?, ?)",
                                        (client, iso_ms(now)))
                self.store.conn.execute("DELETE FROM admin_signin_failures WHERE at <= ?",
                                        (iso_ms(now - self.policy.window),))
            raise
        cookie = COOKIE_PREFIX + secrets.token_hex(32)
        absolute = now + self.policy.absolute
        with self.store.write():
            self.store.conn.execute("DELETE FROM admin_sessions WHERE absolute_expires_at <= ? OR last_seen_at <= ?",
                                    (iso_ms(now), iso_ms(now - self.policy.idle)))
            self.store.conn.execute("DELETE FROM admin_signin_failures WHERE client = ?", (client,))
            self.store.conn.execute(
                "INSERT INTO admin_sessions (id_hash, admin_id, created_at, last_seen_at, absolute_expires_at, client)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (tokens.keyed_hash(self._secret, cookie), admin.id, iso_ms(now), iso_ms(now), iso_ms(absolute),
                 client))
            audit.record(self.store, self.clock, actor=admin.actor, action="session.sign_in", object_type="admin",
                         object_id=admin.id, detail={"client": client})
        return self._session(admin, cookie, now, now, absolute), cookie

    # -- a signed-in request ------------------------------------------------------------------
    def resume(self, cookie: str) -> Session | None:
        """The live session this cookie names, its idle clock restarted; None when there is none
        (unknown, from another instance, expired, or its admin revoked). An expired row is deleted."""
        if not cookie.startswith(COOKIE_PREFIX) or not cookie.isascii() or len(cookie) > 128:
            return None
        digest = tokens.keyed_hash(self._secret, cookie)
        row = self.store.one(
            "SELECT s.created_at, s.last_seen_at, s.absolute_expires_at, "
            + ", ".join(f"a.{c}" for c in COLUMNS.split(", "))
            + " FROM admin_sessions s JOIN admins a ON a.id = s.admin_id WHERE s.id_hash = ?", (digest,))
        if row is None:
            return None
        now = self.clock.now()
        created, seen, absolute = (datetime.fromisoformat(str(v)) for v in row[:3])
        admin = admin_from_row(row[3:])
        if admin.revoked_at is not None or now >= absolute or now >= seen + self.policy.idle:
            with self.store.write(counters_only=True):
                self.store.conn.execute("DELETE FROM admin_sessions WHERE id_hash = ?", (digest,))
            return None
        if now - seen >= TOUCH_EVERY:
            with self.store.write(counters_only=True):
                self.store.conn.execute("UPDATE admin_sessions SET last_seen_at = ? WHERE id_hash = ?",
                                        (iso_ms(now), digest))
            seen = now
        return self._session(admin, cookie, created, seen, absolute)

    def sign_out(self, cookie: str, admin: Admin) -> None:
        with self.store.write():
            self.store.conn.execute("DELETE FROM admin_sessions WHERE id_hash = ?",
                                    (tokens.keyed_hash(self._secret, cookie),))
            audit.record(self.store, self.clock, actor=admin.actor, action="session.sign_out", object_type="admin",
                         object_id=admin.id)

    def _session(self, admin: Admin, cookie: str, created: datetime, seen: datetime, absolute: datetime) -> Session:
        return Session(admin=admin, created_at=created, idle_expires_at=min(seen + self.policy.idle, absolute),
                       absolute_expires_at=absolute, csrf_token=self.csrf_token(cookie))
