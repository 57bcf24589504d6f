"""The runtime a request runs against: settings, store, clock and the request-path runtime, built
once per worker process and kept on app.state."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from attunio.clock import Clock, iso_ms
from attunio.config import Settings
from attunio.services.calibration.models import ModelRegistry
from attunio.services.operations.admin_sessions import SessionPolicy, SessionService
from attunio.services.request_path.access import AccessService
from attunio.services.request_path.billing import Billing
from attunio.store import GroupCommit, Store

LAST_USED_FLUSH_SECONDS = 60.0


@dataclass
class Runtime:
    settings: Settings
    store: Store
    clock: Clock
    access: AccessService
    billing: Billing
    models: ModelRegistry
    commits: GroupCommit
    sessions: SessionService
    last_used: dict[str, datetime] = field(default_factory=dict)
    last_flush: float = 0.0

    @classmethod
    def build(cls, settings: Settings, store: Store, clock: Clock) -> Runtime:
        commits = GroupCommit(store, counters_only=True)  # the counters' shared transactions
        return cls(
            settings=settings,
            store=store,
            clock=clock,
            access=AccessService(store, clock),
            billing=Billing(store, settings, clock, commits),
            commits=commits,
            models=ModelRegistry(store),
            sessions=SessionService(store, clock, session_policy(settings)),
        )

    def mark_used(self, key_id: str, now: datetime) -> None:
        """Keep last-used times in memory and write them at most once a minute per worker, so the
        hot path does not pay a write for a display-only field."""
        self.last_used[key_id] = now  # formatted when flushed, not per request
        if time.monotonic() - self.last_flush >= LAST_USED_FLUSH_SECONDS:
            self.flush_last_used()

    def flush_last_used(self) -> None:
        pending, self.last_used = self.last_used, {}
        self.last_flush = time.monotonic()
        self.access.touch({key_id: iso_ms(moment) for key_id, moment in pending.items()})


def session_policy(settings: Settings) -> SessionPolicy:
    admin = settings.admin
    return SessionPolicy(idle=timedelta(minutes=admin.idle_timeout_minutes),
                         absolute=timedelta(hours=admin.absolute_timeout_hours),
                         max_failures=admin.signin_max_failures,
                         window=timedelta(seconds=admin.signin_window_seconds))
