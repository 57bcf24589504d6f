"""The store side of CDS Hooks: registered EHRs (audited), seen JWT ids, issued cards, feedback."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

import jwt
import msgspec
import psycopg
import sqlcipher3

from attunio.clock import Clock, iso_ms
from attunio.refusals import Conflict, InvalidInput, NotFound
from attunio.services.operations import audit
from attunio.store import Store

ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
_INTEGRITY = (sqlite3.IntegrityError, sqlcipher3.IntegrityError, psycopg.IntegrityError)


class EhrClient(msgspec.Struct, frozen=True, kw_only=True):
    iss: str
    name: str
    jwks: str  # the JWK Set, as registered
    jku: list[str]
    created_at: str
    created_by: str
    removed_at: str | None = None


def check_jwks(text: str) -> str:
    """A JWK Set of public signing keys, each with a `kid`; refuse symmetric or private keys."""
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidInput("the JWKS file is not JSON") from None
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not keys:
        raise InvalidInput("the JWKS file must be a JWK Set: an object with a non-empty `keys` array")
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") not in ASYMMETRIC_KEY_TYPES:
            raise InvalidInput("every key must be an asymmetric public key (kty RSA, EC or OKP); "
                             "CDS Hooks forbids shared-secret keys")
        if "d" in key:
            raise InvalidInput(f"key {key.get('kid')!r} holds a private part (`d`); register the public key only")
        if not isinstance(key.get("kid"), str) or not key["kid"]:
            raise InvalidInput("every key needs a `kid`: CDS Hooks JWTs name their key by it")
    try:
        jwt.PyJWKSet(keys)
    except jwt.PyJWTError as exc:
        raise InvalidInput(f"the JWK Set cannot be used: {exc}") from None
    return json.dumps({"keys": keys}, sort_keys=True)


def check_url(url: str, what: str) -> str:
    if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        raise InvalidInput(f"{what} must be an absolute http(s) URL, not {url!r}")
    return url


class CdsRegistry:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # --- EHR clients (admin actions, audited) -------------------------------------------------

    def register(self, iss: str, name: str, jwks_text: str, jku: list[str], *, actor: str) -> EhrClient:
        iss = iss.strip()
        if not iss:
            raise InvalidInput("--iss must name the issuer exactly as the EHR's JWTs carry it")
        jwks = check_jwks(jwks_text)
        jku = [check_url(u, "--jku") for u in jku]
        now = iso_ms(self.clock.now())
        with self.store.write():
            existing = self.store.one("SELECT removed_at FROM cds_clients WHERE iss = ?", (iss,))
            if existing is not None and existing[0] is None:
                raise Conflict(f"issuer {iss} is already registered; remove it first to replace its keys")
            self.store.conn.execute(
                "INSERT INTO cds_clients (iss, name, jwks, jku, created_at, created_by, removed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT(iss) DO UPDATE SET name = excluded.name,"
                " jwks = excluded.jwks, jku = excluded.jku, created_at = excluded.created_at,"
                " created_by = excluded.created_by, removed_at = NULL", (iss, name, jwks, json.dumps(jku), now, actor))
            kids = [k["kid"] for k in json.loads(jwks)["keys"]]
            audit.record(self.store, self.clock, actor=actor, action="ehr.register", object_type="ehr",
                         object_id=iss, detail={"name": name, "kids": kids, "jku": jku})
        return self.get(iss)  # type: ignore[return-value]

    def remove(self, iss: str, *, actor: str, reason: str) -> EhrClient:
        now = iso_ms(self.clock.now())
        with self.store.write():
            changed = self.store.conn.execute(
                "UPDATE cds_clients SET removed_at = ? WHERE iss = ? AND removed_at IS NULL", (now, iss)).rowcount
            if not changed:
                raise NotFound(f"no registered EHR with issuer {iss}")
            audit.record(self.store, self.clock, actor=actor, action="ehr.remove", object_type="ehr",
                         object_id=iss, reason=reason)
        return self.get(iss, include_removed=True)  # type: ignore[return-value]

    def get(self, iss: str, *, include_removed: bool = False) -> EhrClient | None:
        row = self.store.one("SELECT iss, name, jwks, jku, created_at, created_by, removed_at FROM cds_clients"
                             " WHERE iss = ?", (iss,))
        if row is None or (row[6] is not None and not include_removed):
            return None
        return EhrClient(iss=row[0], name=row[1], jwks=row[2], jku=json.loads(row[3]), created_at=row[4],
                         created_by=row[5], removed_at=row[6])

    def clients(self) -> list[EhrClient]:
        rows = self.store.query("SELECT iss FROM cds_clients ORDER BY created_at")
        return [c for (iss,) in rows if (c := self.get(iss, include_removed=True)) is not None]

    # --- the request path ---------------------------------------------------------------------

    def remember_jti(self, iss: str, jti: str, expires_at: int, tenant: str | None, now: int) -> bool:
        """False when this (iss, jti) was already seen by any worker; expired ids are purged here.
        An admitted call is counted per issuer, `tenant` claim (`-` without one) and UTC day."""
        day = time.strftime("%Y-%m-%d", time.gmtime(now))
        try:
            with self.store.write(counters_only=True):
                self.store.conn.execute("DELETE FROM cds_jti WHERE expires_at < ?", (now,))
                self.store.conn.execute(
                    "INSERT INTO cds_jti (iss, jti, expires_at, tenant, seen_at) VALUES (?, ?, ?, ?, ?)",
                    (iss, jti, expires_at, tenant, now))
                self.store.conn.execute(
                    "INSERT INTO cds_calls (iss, tenant, day, count) VALUES (?, ?, ?, 1)"
                    " ON CONFLICT(iss, tenant, day) DO UPDATE SET count = cds_calls.count + 1",
                    (iss, tenant or "-", day))
        except _INTEGRITY:
            return False
        return True

    def record_cards(self, service: str, cards: list[tuple[str, str, str, str]], now: int,
                     keep_seconds: int = 180 * 86400) -> None:
        """(uuid, kind, model key, model version) per card, so feedback can be counted by kind and
        model; nothing about the patient. Rows older than `keep_seconds` are dropped."""
        with self.store.write(counters_only=True):
            self.store.conn.execute("DELETE FROM cds_cards WHERE issued_at < ?", (now - keep_seconds,))
            self.store.conn.executemany(
                "INSERT INTO cds_cards (uuid, service, kind, model_key, model_version, issued_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(uuid) DO NOTHING",
                [(*c[:1], service, *c[1:], now) for c in cards])

    def count_feedback(self, service: str, items: list[tuple[str, str, str]]) -> tuple[int, int]:
        """(card uuid, outcome, reason code) per item; returns (counted, for unknown cards)."""
        unknown = 0
        with self.store.write(counters_only=True):
            for uuid, outcome, reason in items:
                row = self.store.one("SELECT kind, model_key, model_version FROM cds_cards"
                                     " WHERE uuid = ? AND service = ?", (uuid, service))
                if row is None:
                    unknown += 1
                    row = ("unknown", "unknown", "unknown")
                self.store.conn.execute(
                    "INSERT INTO cds_feedback (service, kind, model_key, model_version, outcome, reason, count)"
                    " VALUES (?, ?, ?, ?, ?, ?, 1)"
                    " ON CONFLICT(service, kind, model_key, model_version, outcome, reason)"
                    " DO UPDATE SET count = cds_feedback.count + 1",
                    (service, *row, outcome, reason))
        return len(items), unknown

    def calls(self) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT iss, tenant, day, count FROM cds_calls ORDER BY day, iss, tenant")
        return [dict(zip(("iss", "tenant", "day", "count"), row, strict=True)) for row in rows]

    def feedback_counts(self) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT service, kind, model_key, model_version, outcome, reason, count"
                                " FROM cds_feedback ORDER BY service, kind, model_key, model_version, outcome, reason")
        names = ("service", "kind", "model_key", "model_version", "outcome", "reason", "count")
        return [dict(zip(names, row, strict=True)) for row in rows]
