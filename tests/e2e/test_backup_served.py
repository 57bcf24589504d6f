"""A backup taken from a served appliance under load restores to the same keys, license, models,
usage and audit trail, as they stood at the snapshot.

The store keeps changing after the snapshot, so "the same" is judged through the audit trail, which
is append-only: the restored trail must be exactly the live trail's first N events (N from the
manifest), every key created by those events must be identical, and usage counters can only have
grown since.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.billing_helpers import license_bytes, write_public_key
from tests.conftest import REPO, run_cli, settings_env, start_served

from attunio.config import load_settings
from attunio.crypto.ed25519 import Ed25519PrivateKey
from attunio.services.operations import audit
from attunio.store import Store

pytestmark = pytest.mark.e2e
VENDOR = Ed25519PrivateKey.generate()


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in store.query(sql)]


def test_backup_under_load_restores_identical_state(tmp_path: Path) -> None:
    pub = write_public_key(VENDOR, tmp_path / "vendor.pub")
    trust = json.dumps([str(pub)])
    served = start_served(tmp_path / "source", workers=2, ATTUNIO_TRUST_EXTRA_VENDOR_KEYS=trust)
    now = datetime.now(UTC)
    (tmp_path / "license.txt").write_bytes(license_bytes(VENDOR, valid_from=now - timedelta(days=1),
                                                         expires_at=now + timedelta(days=30)))
    served.cli("license", "install", str(tmp_path / "license.txt"))
    live = served.new_key(mode="live", app="Load")
    stop, answered, created_under_load = threading.Event(), [], []

    def score() -> None:
        with httpx.Client(base_url=served.base_url, timeout=10) as http:
            while not stop.is_set():
                if http.post("/v1/dmse/analyze", json={"responseLatencySeconds": 2.6},
                             headers={"Authorization": f"Bearer {live}"}).status_code == 200:
                    answered.append(1)

    failures: list[BaseException] = []

    def create_keys() -> None:
        try:
            while not stop.is_set():
                created_under_load.append(served.new_key(app="Load"))
        except BaseException as exc:  # reported by the main thread, not lost with this one
            failures.append(exc)

    threads = [threading.Thread(target=score) for _ in range(4)] + [threading.Thread(target=create_keys)]
    for thread in threads:
        thread.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=120)
        # The snapshot must fall while both kinds of write are under way: scored calls metering usage
        # and a key creation in flight, with at least one already committed.
        while (len(answered) < 50 or not created_under_load) and datetime.now(UTC) < deadline and not failures:
            stop.wait(0.05)
        assert not failures, f"key creation under load failed: {failures[0]!r}"
        assert len(answered) >= 50 and created_under_load, (
            f"load never got going: {len(answered)} answers, {len(created_under_load)} keys")
        before_backup = len(answered)
        backup = tmp_path / "under-load.attbak"
        served.cli("backup", "-o", str(backup), "--reason", "under load")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    served.stop()

    target = start_served(tmp_path / "target", workers=1, ATTUNIO_TRUST_EXTRA_VENDOR_KEYS=trust)
    target.stop()
    restored_cli = run_cli(target.env, "restore", str(backup), "--key-file",
                           str(served.root / "secrets" / "store.key"), "--reason", "test")
    assert "verified" in restored_cli.stdout

    source = Store.open(load_settings(REPO / "config" / "attunio.toml", settings_env(served.root)))
    restored = Store.open(load_settings(REPO / "config" / "attunio.toml", settings_env(target.root)))
    try:
        assert audit.verify(restored)[1] is None and audit.verify(source)[1] is None
        snapshot = rows(restored, "SELECT * FROM audit WHERE action != 'backup.restore' ORDER BY seq")
        assert snapshot == rows(source, f"SELECT * FROM audit WHERE seq <= {len(snapshot)} ORDER BY seq")
        keys_in_snapshot = "SELECT id, app_id, hash, prefix, last4, key_type, mode, allowed_origins, label," \
                           " created_at, revoked_at FROM api_keys WHERE id IN ({}) ORDER BY id"
        created = [r[0] for r in restored.query("SELECT object_id FROM audit WHERE action = 'key.create'")]
        ids = ", ".join(f"'{i}'" for i in created)
        assert rows(restored, keys_in_snapshot.format(ids)) == rows(source, keys_in_snapshot.format(ids))
        assert len(created) == restored.one("SELECT count(*) FROM api_keys")[0] >= 2
        for table in ("licenses", "settings WHERE key NOT IN ('audit_head')", "apps"):
            query = f"SELECT * FROM {table} ORDER BY 1"
            assert rows(restored, query) == rows(source, query), table
        tables = {r[0] for r in source.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "model_versions" in tables:
            assert rows(restored, "SELECT * FROM model_versions ORDER BY 1") == rows(
                source, "SELECT * FROM model_versions ORDER BY 1")
        usage_then = int(restored.one("SELECT coalesce(sum(count), 0) FROM usage_daily")[0])
        usage_now = int(source.one("SELECT coalesce(sum(count), 0) FROM usage_daily")[0])
        assert before_backup <= usage_then <= usage_now
        assert restored.integrity_ok()
    finally:
        source.close()
        restored.close()
