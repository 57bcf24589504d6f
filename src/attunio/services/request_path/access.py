"""Apps, API keys and their authentication."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import msgspec

from attunio.clock import Clock, iso_ms
from attunio.crypto import tokens
from attunio.refusals import Conflict, InvalidInput, NotFound
from attunio.services.operations import audit
from attunio.services.operations.instance import hmac_secret
from attunio.store import ChangeWatch, Store


class App(msgspec.Struct, frozen=True):
    id: str
    name: str
    created_at: str


class KeyRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    app_id: str
    prefix: str
    last4: str
    key_type: tokens.KeyType
    mode: tokens.KeyMode
    allowed_origins: list[str]
    label: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None
    expires_at: str | None = None
    """When a key rotated with an overlap stops working (None: until revoked)."""


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling: enough for authorisation, quota, metering and the access log."""

    key_id: str
    app_id: str
    key_type: tokens.KeyType
    mode: tokens.KeyMode
    prefix: str
    allowed_origins: tuple[str, ...]
    expires_at: datetime | None = None


def normalise_origin(origin: str) -> str:
    """`https://host[:port]` in lower case; anything else (paths, wildcards, userinfo) is refused."""
    try:
        parts = urlsplit(origin.strip())
        port_number = parts.port  # urllib refuses a bad IPv6 host or port with a plain ValueError
    except ValueError:
        raise InvalidInput(f"{origin!r} is not an origin like https://telehealth.example.org") from None
    if parts.scheme not in ("https", "http") or not parts.hostname or "*" in origin:
        raise InvalidInput(f"{origin!r} is not an origin like https://telehealth.example.org")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidInput(f"{origin!r} is not an origin: give scheme, host and optional port only")
    port = f":{port_number}" if port_number else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def normalise_origins(origins: list[str]) -> list[str]:
    """A key's allow-list: each origin normalised, duplicates dropped, sorted, at most MAX_ORIGINS."""
    allowed = sorted({normalise_origin(o) for o in origins})
    if len(allowed) > MAX_ORIGINS:
        raise InvalidInput(f"a key allows at most {MAX_ORIGINS} origins; {len(allowed)} were given")
    return allowed


_origins = msgspec.json.Decoder(tuple[str, ...]).decode  # built once: the request path reads it per call
# Bounds the memory of the key cache; a full cache is simply dropped and refilled.
PRINCIPAL_CACHE_SIZE = 4096
MAX_ORIGINS = 50
MAX_OVERLAP = timedelta(hours=720)

KEY_COLUMNS = (
    "id, app_id, prefix, last4, key_type, mode, allowed_origins, label, created_at, last_used_at, revoked_at,"
    " expires_at"
)


def _key_from_row(row: tuple[object, ...]) -> KeyRecord:
    values = dict(zip([c.strip() for c in KEY_COLUMNS.split(",")], row, strict=True))
    values["allowed_origins"] = json.loads(str(values["allowed_origins"]))
    return msgspec.convert(values, KeyRecord)


class AccessService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._secret = hmac_secret(store)
        self._watch = ChangeWatch(store)
        # Keys found, by a keyed BLAKE2b digest under a key of this process's own: the cache never
        # holds a key, and a hit skips the checksum and the HMAC (a third of the key check).
        self._principals: dict[bytes, Principal] = {}
        self._cache_key = secrets.token_bytes(32)

    # -- apps -------------------------------------------------------------------------------
    def create_app(self, name: str, *, actor: str) -> App:
        name = name.strip()
        if not name or len(name) > 120:
            raise InvalidInput("an app name needs 1 to 120 characters")
        app = App(id="app_" + uuid.uuid4().hex[:16], name=name, created_at=iso_ms(self.clock.now()))
        with self.store.write():
            if self.store.one("SELECT 1 FROM apps WHERE name = ?", (name,)):
                raise Conflict(f"an app named {name!r} already exists")
            self.store.conn.execute("INSERT INTO apps VALUES (?, ?, ?)", (app.id, app.name, app.created_at))
            audit.record(self.store, self.clock, actor=actor, action="app.create", object_type="app",
                         object_id=app.id, detail={"name": name})
        return app

    def list_apps(self) -> list[App]:
        return [App(*row) for row in self.store.query("SELECT id, name, created_at FROM apps ORDER BY created_at")]

    def find_app(self, ref: str) -> App:
        row = self.store.one("SELECT id, name, created_at FROM apps WHERE id = ? OR name = ?", (ref, ref))
        if row is None:
            raise NotFound(f"no app {ref!r}; `attunio apps list` shows them")
        return App(*row)

    # -- keys -------------------------------------------------------------------------------
    def create_key(
        self,
        app_ref: str,
        key_type: tokens.KeyType,
        mode: tokens.KeyMode,
        *,
        actor: str,
        origins: list[str] | None = None,
        label: str = "",
    ) -> tuple[KeyRecord, str]:
        """Returns the record and the key itself: the only moment the key exists outside the caller."""
        allowed = normalise_origins(origins or [])
        if key_type == "publishable" and not allowed:
            raise InvalidInput("a publishable key needs at least one allowed origin (--origin https://…)")
        if key_type == "secret" and allowed:
            raise InvalidInput("allowed origins apply to publishable keys only; secret keys stay server-side")
        with self.store.write():
            app = self.find_app(app_ref)
            key = tokens.mint_api_key(key_type, mode)
            record = KeyRecord(
                id="key_" + uuid.uuid4().hex[:16], app_id=app.id, prefix=tokens.display_prefix(key),
                last4=key[-4:], key_type=key_type, mode=mode, allowed_origins=allowed, label=label,
                created_at=iso_ms(self.clock.now()), last_used_at=None, revoked_at=None,
            )
            self.store.conn.execute(
                "INSERT INTO api_keys (id, app_id, hash, prefix, last4, key_type, mode, allowed_origins, label,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.id, app.id, tokens.keyed_hash(self._secret, key), record.prefix, record.last4,
                 key_type, mode, json.dumps(allowed), label, record.created_at),
            )
            audit.record(self.store, self.clock, actor=actor, action="key.create", object_type="api_key",
                         object_id=record.id, detail={"app": app.id, "type": key_type, "mode": mode,
                                                      "origins": allowed, "last4": record.last4})
        return record, key

    def list_keys(self, app_ref: str | None = None) -> list[KeyRecord]:
        sql = f"SELECT {KEY_COLUMNS} FROM api_keys"
        params: tuple[str, ...] = ()
        if app_ref:
            sql += " WHERE app_id = ?"
            params = (self.find_app(app_ref).id,)
        return [_key_from_row(row) for row in self.store.query(sql + " ORDER BY created_at", params)]

    def get_key(self, key_id: str) -> KeyRecord:
        row = self.store.one(f"SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?", (key_id,))
        if row is None:
            raise NotFound(f"no key {key_id!r}; `attunio keys list` shows them")
        return _key_from_row(row)

    def revoke_key(self, key_id: str, *, actor: str, reason: str = "") -> KeyRecord:
        with self.store.write():
            record = self.get_key(key_id)
            if record.revoked_at:
                raise Conflict(f"key {key_id} was already revoked at {record.revoked_at}")
            self.store.conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?",
                                    (iso_ms(self.clock.now()), key_id))
            audit.record(self.store, self.clock, actor=actor, action="key.revoke", object_type="api_key",
                         object_id=key_id, reason=reason, detail={"last4": record.last4})
        return self.get_key(key_id)

    def rotate_key(self, key_id: str, *, actor: str, reason: str = "",
                   overlap: timedelta = timedelta(0)) -> tuple[KeyRecord, str, KeyRecord]:
        """A new key with the same app, type, mode and origins, the key itself, and the old key as
        it now is: revoked at once, or (with an overlap) still working until `expires_at`, so the
        systems holding it can be moved to the new key without an outage."""
        if not timedelta(0) <= overlap <= MAX_OVERLAP:
            raise InvalidInput(f"the overlap must be 0 to {MAX_OVERLAP.days * 24} hours")
        old = self.get_key(key_id)
        if old.revoked_at:
            raise Conflict(f"key {key_id} is revoked; create a new one instead")
        if old.expires_at:
            raise Conflict(f"key {key_id} was already rotated; it stops working at {old.expires_at}")
        new, key = self.create_key(old.app_id, old.key_type, old.mode, actor=actor,
                                   origins=old.allowed_origins or None, label=old.label)
        if not overlap:
            return new, key, self.revoke_key(key_id, actor=actor, reason=reason or f"rotated to {new.id}")
        with self.store.write():
            expires = iso_ms(self.clock.now() + overlap)
            self.store.conn.execute("UPDATE api_keys SET expires_at = ? WHERE id = ?", (expires, key_id))
            audit.record(self.store, self.clock, actor=actor, action="key.rotate", object_type="api_key",
                         object_id=key_id, reason=reason or f"rotated to {new.id}",
                         detail={"last4": old.last4, "replaced_by": new.id, "expires_at": expires,
                                 "overlap_hours": overlap.total_seconds() / 3600})
        return new, key, self.get_key(key_id)

    def set_origins(self, key_id: str, origins: list[str], *, actor: str, reason: str = "") -> KeyRecord:
        """Replace a publishable key's allowed origins (an empty list: no browser origin may use it).
        Every worker answers with the new list from its next request (`ChangeWatch`)."""
        allowed = normalise_origins(origins)
        with self.store.write():
            record = self.get_key(key_id)
            if record.key_type != "publishable":
                raise InvalidInput(f"key {key_id} is a secret key; allowed origins apply to publishable keys only")
            if record.revoked_at:
                raise Conflict(f"key {key_id} was revoked at {record.revoked_at}; its origins cannot change")
            self.store.conn.execute("UPDATE api_keys SET allowed_origins = ? WHERE id = ?",
                                    (json.dumps(allowed), key_id))
            audit.record(self.store, self.clock, actor=actor, action="key.origins", object_type="api_key",
                         object_id=key_id, reason=reason,
                         detail={"last4": record.last4, "from": record.allowed_origins, "to": allowed})
        return self.get_key(key_id)

    # -- request path -----------------------------------------------------------------------
    def authenticate(self, token: str) -> Principal | None:
        """As current as an indexed lookup per request: keys found are kept in memory only while
        the store is unchanged (`ChangeWatch`), so a revocation committed by any process is seen
        by every worker's next request. Unknown keys are never cached.

        A cache hit is a key that passed the checksum and matched a stored hash before, so it is
        answered from the cache without either; only a miss pays them and the indexed read."""
        if len(token) != tokens.API_KEY_LENGTH or not token.isascii():
            return None
        raw = token.encode("ascii")
        entry = hashlib.blake2b(raw, key=self._cache_key, digest_size=32).digest()
        if not self._watch.unchanged() or len(self._principals) >= PRINCIPAL_CACHE_SIZE:
            self._principals.clear()
        elif (known := self._principals.get(entry)) is not None:
            if known.expires_at is not None and self.clock.now() >= known.expires_at:
                return None  # a rotated key past its overlap; the row is never read again
            return known
        if tokens.parse_api_key(token) is None:
            return None
        digest = tokens.keyed_hash(self._secret, token)
        row = self.store.one(
            "SELECT id, app_id, key_type, mode, prefix, allowed_origins, expires_at FROM api_keys"
            " WHERE hash = ? AND revoked_at IS NULL",
            (digest,),
        )
        if row is None:
            return None
        expires = None if row[6] is None else datetime.fromisoformat(row[6])
        if expires is not None and self.clock.now() >= expires:
            return None
        principal = Principal(key_id=row[0], app_id=row[1], key_type=row[2], mode=row[3], prefix=row[4],
                              allowed_origins=_origins(row[5]), expires_at=expires)
        self._principals[entry] = principal
        return principal

    def origin_allowed_anywhere(self, origin: str) -> bool:
        """For CORS preflight, which carries no key: is the origin on any active publishable key?"""
        try:
            origin = normalise_origin(origin)
        except InvalidInput:
            return False
        rows = self.store.query(
            "SELECT allowed_origins FROM api_keys WHERE key_type = 'publishable' AND revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > ?)", (iso_ms(self.clock.now()),))
        return any(origin in json.loads(row[0]) for row in rows)

    def touch(self, last_used: dict[str, str]) -> None:
        """Flush batched last-used times (kept in memory on the hot path, written at most once a minute)."""
        if not last_used:
            return
        with self.store.write(counters_only=True):
            self.store.conn.executemany(
                "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                [(at, key_id, at) for key_id, at in last_used.items()],
            )
