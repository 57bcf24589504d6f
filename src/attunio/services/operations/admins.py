"""Admin identities: `admin` (keys, licences, bundles) and `reviewer` (a licensed clinician who
promotes calibrations). Each gets a token shown once and stored only as a keyed hash."""

from __future__ import annotations

import uuid
from typing import Literal

import msgspec

from attunio.clock import Clock, iso_ms
from attunio.crypto import tokens
from attunio.refusals import Conflict, Forbidden, InvalidInput, NotFound
from attunio.services.operations import audit
from attunio.services.operations.instance import hmac_secret
from attunio.store import Store

Role = Literal["admin", "reviewer"]
COLUMNS = "id, name, role, licence_number, last4, created_at, revoked_at"


class Admin(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    role: Role
    licence_number: str | None
    last4: str
    created_at: str
    revoked_at: str | None

    @property
    def actor(self) -> str:
        """How the audit trail names this identity."""
        licence = f", licence {self.licence_number}" if self.licence_number else ""
        return f"{self.role}:{self.id} ({self.name}{licence})"


def admin_from_row(row: tuple[object, ...]) -> Admin:
    return msgspec.convert(dict(zip(COLUMNS.split(", "), row, strict=True)), Admin)


class AdminService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._secret = hmac_secret(store)

    def create(self, name: str, role: Role, *, actor: str, licence_number: str | None = None) -> tuple[Admin, str]:
        name = name.strip()
        if not name or len(name) > 160:
            raise InvalidInput("a full name needs 1 to 160 characters")
        if role == "reviewer" and not (licence_number or "").strip():
            raise InvalidInput("a reviewer must have a clinical licence number (--licence-number)")
        token = tokens.mint_admin_token()
        admin = Admin(id="adm_" + uuid.uuid4().hex[:16], name=name, role=role,
                      licence_number=(licence_number or "").strip() or None, last4=token[-4:],
                      created_at=iso_ms(self.clock.now()), revoked_at=None)
        with self.store.write():
            self.store.conn.execute(
                "INSERT INTO admins (id, name, role, licence_number, token_hash, last4, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (admin.id, name, role, admin.licence_number, tokens.keyed_hash(self._secret, token),
                 admin.last4, admin.created_at),
            )
            audit.record(self.store, self.clock, actor=actor, action="admin.create", object_type="admin",
                         object_id=admin.id, detail={"name": name, "role": role,
                                                     "licence_number": admin.licence_number})
        return admin, token

    def list(self) -> list[Admin]:
        return [admin_from_row(row) for row in self.store.query(f"SELECT {COLUMNS} FROM admins ORDER BY created_at")]

    def get(self, admin_id: str) -> Admin:
        row = self.store.one(f"SELECT {COLUMNS} FROM admins WHERE id = ?", (admin_id,))
        if row is None:
            raise NotFound(f"no admin {admin_id!r}; `attunio admins list` shows them")
        return admin_from_row(row)

    def revoke(self, admin_id: str, *, actor: str, reason: str = "") -> Admin:
        with self.store.write():
            admin = self.get(admin_id)
            if admin.revoked_at:
                raise Conflict(f"admin {admin_id} was already revoked")
            self.store.conn.execute("UPDATE admins SET revoked_at = ? WHERE id = ?",
                                    (iso_ms(self.clock.now()), admin_id))
            audit.record(self.store, self.clock, actor=actor, action="admin.revoke", object_type="admin",
                         object_id=admin_id, reason=reason)
        return self.get(admin_id)

    def authenticate(self, token: str, role: Role | None = None) -> Admin:
        """The active identity holding this token, in the given role; Forbidden otherwise."""
        if not tokens.well_formed(token, tokens.ADMIN_PREFIX):
            raise Forbidden("that is not an admin token (they start att_admin_)")
        row = self.store.one(f"SELECT {COLUMNS} FROM admins WHERE token_hash = ? AND revoked_at IS NULL",
                             (tokens.keyed_hash(self._secret, token),))
        if row is None:
            raise Forbidden("admin token is unknown or revoked")
        return self._in_role(admin_from_row(row), role)

    def require(self, admin_id: str, role: Role | None = None) -> Admin:
        """The identity as the store has it now, still active and in `role`: for a caller that
        authenticated earlier (a console session), so a revocation or a wrong role still refuses."""
        admin = self.get(admin_id)
        if admin.revoked_at is not None:
            raise Forbidden(f"admin {admin_id} was revoked at {admin.revoked_at}")
        return self._in_role(admin, role)

    @staticmethod
    def _in_role(admin: Admin, role: Role | None) -> Admin:
        if role is not None and admin.role != role:
            raise Forbidden(f"this action needs a {role} identity; {admin.id} is an {admin.role}")
        return admin
