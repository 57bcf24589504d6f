"""Calibration use cases: import a signed bundle as a candidate, review, promote, roll back, reset.

Every change of an active version happens in one write transaction together with its audit event,
its activation-history row and a bump of the registry generation, so every worker switches on its
next request and the trail can never disagree with what was served.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import msgspec

from attunio.clock import Clock, iso_ms
from attunio.crypto.ed25519 import Ed25519PublicKey
from attunio.engines import ENGINES, ParamsBase
from attunio.engines.common import ModelRef
from attunio.refusals import Conflict, Forbidden, InvalidInput, NotFound
from attunio.services.calibration.bundles import BundleRefused, VerifiedBundle, read_bundle
from attunio.services.calibration.models import decode_params, default_pair
from attunio.services.licensing.clock_mark import read_mark
from attunio.services.operations import audit
from attunio.services.operations.admins import Admin, AdminService
from attunio.store import Store

State = Literal["candidate", "active", "retired"]
COLUMNS = (
    "engine, version, state, params, metrics, notes, created_at, expires_at, signer, bundle_sha256,"
    " imported_at, imported_by, promoted_at, promoted_by"
)


class ModelVersion(msgspec.Struct, frozen=True, kw_only=True):
    engine: str
    version: int
    state: State
    params: dict[str, Any]
    metrics: dict[str, Any]
    notes: str
    created_at: str
    expires_at: str
    signer: str
    bundle_sha256: str
    imported_at: str
    imported_by: str
    promoted_at: str | None
    promoted_by: str | None


class Activation(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    engine: str
    version: int | None
    action: str
    at: str
    actor: str
    reason: str


def _version(row: tuple[Any, ...]) -> ModelVersion:
    values = dict(zip(COLUMNS.split(", "), row, strict=True))
    values["params"] = json.loads(values["params"])
    values["metrics"] = json.loads(values["metrics"])
    return msgspec.convert(values, ModelVersion)


def _known_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise NotFound(f"no engine {engine!r}; known: {', '.join(ENGINES)}")


class Calibration:
    def __init__(
        self, store: Store, clock: Clock, trusted_keys: Mapping[str, Ed25519PublicKey], max_bundle_bytes: int
    ) -> None:
        self.store = store
        self.clock = clock
        self.trusted_keys = trusted_keys
        self.max_bundle_bytes = max_bundle_bytes

    def now(self) -> datetime:
        """The later of the wall clock and the store's high-water mark: winding the clock back never
        revives an expired bundle."""
        now, mark = self.clock.now(), read_mark(self.store)
        return now if mark is None or now >= mark else mark

    # -- reading ------------------------------------------------------------------------------
    def newest_versions(self) -> dict[str, int]:
        rows = self.store.query("SELECT engine, max(version) FROM model_versions GROUP BY engine")
        return {str(engine): int(version) for engine, version in rows}

    def versions(self, engine: str | None = None) -> list[ModelVersion]:
        sql, args = f"SELECT {COLUMNS} FROM model_versions", tuple[str, ...]()
        if engine:
            _known_engine(engine)
            sql, args = sql + " WHERE engine = ?", (engine,)
        return [_version(row) for row in self.store.query(sql + " ORDER BY engine, version", args)]

    def get(self, engine: str, version: int) -> ModelVersion:
        _known_engine(engine)
        row = self.store.one(f"SELECT {COLUMNS} FROM model_versions WHERE engine = ? AND version = ?",
                             (engine, version))
        if row is None:
            raise NotFound(f"no {engine} version {version}; `attunio models list` shows them")
        return _version(row)

    def active_version(self, engine: str) -> int | None:
        row = self.store.one("SELECT version FROM model_versions WHERE engine = ? AND state = 'active'", (engine,))
        return None if row is None else int(row[0])

    def pair(self, engine: str, version: int | None) -> tuple[ModelRef, ParamsBase]:
        """The model block and params a version answers with (None: the shipped defaults)."""
        _known_engine(engine)
        if version is None:
            return default_pair(engine)
        row = self.store.one("SELECT params FROM model_versions WHERE engine = ? AND version = ?", (engine, version))
        if row is None:
            raise NotFound(f"no {engine} version {version}; `attunio models list` shows them")
        return ModelRef(key=engine, version=version, source="calibrated"), decode_params(engine, row[0])

    def history(self, engine: str) -> list[Activation]:
        _known_engine(engine)
        rows = self.store.query(
            "SELECT seq, engine, version, action, at, actor, reason FROM model_activations"
            " WHERE engine = ? ORDER BY seq", (engine,))
        return [Activation(seq=r[0], engine=r[1], version=r[2], action=r[3], at=r[4], actor=r[5], reason=r[6])
                for r in rows]

    # -- import -------------------------------------------------------------------------------
    def verify(self, data: bytes) -> VerifiedBundle:
        """Every import check without writing anything (`attunio models import --dry-run`)."""
        return read_bundle(data, self.trusted_keys, max_bytes=self.max_bundle_bytes, now=self.now(),
                           newest_version=self.newest_versions())

    def import_bundle(self, data: bytes, *, actor: str, reason: str = "") -> ModelVersion:
        # A bad bundle is refused before the write lock is taken, so it never makes the serving
        # workers wait on this transaction.
        self.verify(data)
        with self.store.write():
            # Checked again under the write lock: a concurrent import of the same version loses here.
            bundle = self.verify(data)
            payload = bundle.payload
            now = iso_ms(self.clock.now())
            self.store.conn.execute(
                "INSERT INTO model_versions (engine, version, state, params, metrics, notes, created_at,"
                " expires_at, signer, bundle, bundle_sha256, imported_at, imported_by)"
                " VALUES (?, ?, 'candidate', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (payload.engine, payload.version, msgspec.json.encode(bundle.params).decode(),
                 msgspec.json.encode(payload.metrics).decode(), payload.notes, iso_ms(payload.created),
                 iso_ms(payload.expires), bundle.signer, bundle.raw, bundle.sha256, now, actor),
            )
            audit.record(self.store, self.clock, actor=actor, action="model.import", object_type="model_version",
                         object_id=f"{payload.engine}@{payload.version}", reason=reason.strip(),
                         detail={"engine": payload.engine, "version": payload.version, "signer": bundle.signer,
                                 "sha256": bundle.sha256, "expires": iso_ms(payload.expires),
                                 "metrics": msgspec.to_builtins(payload.metrics), "notes": payload.notes})
        return self.get(payload.engine, payload.version)

    # -- activation ---------------------------------------------------------------------------
    def _reviewer(self, token: str | None, reviewer_id: str | None, reason: str, licence_number: str | None) -> Admin:
        """The reviewer acting: by token (the CLI) or by the id of an identity that signed in
        earlier (the admin console), re-read inside the write so a revocation still refuses."""
        admins = AdminService(self.store, self.clock)
        if token is not None:
            reviewer = admins.authenticate(token, role="reviewer")
        elif reviewer_id is not None:
            reviewer = admins.require(reviewer_id, role="reviewer")
        else:
            raise Forbidden("this action needs a reviewer identity")
        if not reason.strip():
            raise InvalidInput("give a reason (--reason); it goes into the audit trail")
        if licence_number is not None and licence_number.strip() != (reviewer.licence_number or ""):
            raise InvalidInput(f"that licence number is not the one registered for {reviewer.id}; "
                               "give your own clinical licence number")
        return reviewer

    def _activate(self, engine: str, version: int | None, action: str, reviewer: Admin, reason: str) -> None:
        """Caller holds the write transaction and has checked `version` may become active."""
        previous = self.active_version(engine)
        now = iso_ms(self.clock.now())
        self.store.conn.execute("UPDATE model_versions SET state = 'retired' WHERE engine = ? AND state = 'active'",
                                (engine,))
        if version is not None:
            self.store.conn.execute(
                "UPDATE model_versions SET state = 'active', promoted_at = ?, promoted_by = ?"
                " WHERE engine = ? AND version = ?", (now, reviewer.actor, engine, version))
        self.store.conn.execute(
            "INSERT INTO model_activations (engine, version, action, at, actor, reason) VALUES (?, ?, ?, ?, ?, ?)",
            (engine, version, action, now, reviewer.actor, reason.strip()))
        self.store.conn.execute("UPDATE model_generation SET generation = generation + 1 WHERE id = 1")
        audit.record(self.store, self.clock, actor=reviewer.actor, action=f"model.{action}",
                     object_type="model_version", object_id=f"{engine}@{version if version else 'default'}",
                     reason=reason.strip(),
                     detail={"engine": engine, "from_version": previous, "to_version": version,
                             "reviewer": reviewer.name, "licence_number": reviewer.licence_number})

    def _check_activatable(self, version: ModelVersion, verb: str) -> None:
        if version.state == "active":
            raise Conflict(f"{version.engine} version {version.version} is already active")
        if self.now() >= datetime.fromisoformat(version.expires_at):
            raise Conflict(f"{version.engine} version {version.version} expired at {version.expires_at}; "
                             f"it cannot be {verb}")

    def promote(self, engine: str, version: int, *, reason: str, token: str | None = None,
                reviewer_id: str | None = None, licence_number: str | None = None) -> ModelVersion:
        with self.store.write():
            reviewer = self._reviewer(token, reviewer_id, reason, licence_number)
            target = self.get(engine, version)
            if target.state == "retired":
                raise Conflict(f"{engine} version {version} was active before; use `attunio models rollback "
                                 f"{engine} --to {version}` to re-activate it")
            self._check_activatable(target, "promoted")
            self._activate(engine, version, "promote", reviewer, reason)
        return self.get(engine, version)

    def previous_version(self, engine: str) -> int | None:
        """The calibrated version that was active before the current one, if any."""
        current = self.active_version(engine)
        for entry in reversed(self.history(engine)):
            if entry.version is not None and entry.version != current:
                return int(entry.version)
        return None

    def rollback(self, engine: str, version: int | None, *, reason: str, token: str | None = None,
                 reviewer_id: str | None = None, licence_number: str | None = None) -> ModelVersion:
        with self.store.write():
            reviewer = self._reviewer(token, reviewer_id, reason, licence_number)
            if version is None:
                version = self.previous_version(engine)
                if version is None:
                    raise Conflict(f"{engine} has no earlier calibrated version; "
                                     "`attunio models reset` returns it to the shipped defaults")
            target = self.get(engine, version)
            if target.state == "candidate":
                raise Conflict(f"{engine} version {version} was never active; promote it instead")
            self._check_activatable(target, "re-activated")
            self._activate(engine, version, "rollback", reviewer, reason)
        return self.get(engine, version)

    def reset(self, engine: str, *, reason: str, token: str | None = None, reviewer_id: str | None = None,
              licence_number: str | None = None) -> None:
        _known_engine(engine)
        with self.store.write():
            reviewer = self._reviewer(token, reviewer_id, reason, licence_number)
            if self.active_version(engine) is None:
                raise Conflict(f"{engine} already runs its shipped defaults")
            self._activate(engine, None, "reset", reviewer, reason)


__all__ = ["Activation", "BundleRefused", "Calibration", "ModelVersion"]
