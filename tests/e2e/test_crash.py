"""Crash rounds: `kill -9` the whole appliance (supervisor, workers and an admin command in flight)
during mixed load, restart, and check the store after every round.

Load per round: live scoring from several threads, sandbox scoring, key creation through the CLI,
and a backup through the CLI. After each kill: SQLCipher's full `integrity_check` passes, the audit
chain verifies, every key row has its audit event (and the reverse), at most one model version is
active per engine, and the live-usage meter equals the answers the clients received, give or take
the calls that were in flight when the power went (counted, answer lost; never the other way).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.billing_helpers import license_bytes, write_public_key
from tests.conftest import REPO, Served, start_served, wait_ready
from tests.logscan import ISSUED_SECRETS, SERVED_LOGS

from attunio.config import load_settings
from attunio.crypto.ed25519 import Ed25519PrivateKey
from attunio.services import audit
from attunio.store import Store

pytestmark = pytest.mark.e2e
VENDOR = Ed25519PrivateKey.generate()
PATH = "/v1/dmse/analyze"
BODY = {"responseLatencySeconds": 2.6, "sessionRef": "crash-round"}
THREADS = 6


@dataclass
class Ledger:
    """What the clients saw, across all rounds."""

    live_answered: int = 0
    in_flight_bound: int = 0
    keys_reported: list[str] = field(default_factory=list)
    backups_reported: list[Path] = field(default_factory=list)
    admin_failures: list[str] = field(default_factory=list)
    rounds: int = 0


def descendants(pid: int) -> list[int]:
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return [grand for child in children for grand in (child, *descendants(child))]


def kill_tree(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    for pid in [process.pid, *descendants(process.pid)]:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


def restart(served: Served, round_number: int) -> Served:
    """Start `attunio serve` again on the same store, logging to a new file the log scan reads."""
    log_path = served.root / f"server-round{round_number}.log"
    SERVED_LOGS.append(log_path)
    env = {**os.environ, **served.env, "PYTHONPATH": str(REPO / "src")}
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "attunio", "serve"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, cwd=REPO)
    again = Served(root=served.root, env=served.env, base_url=served.base_url, process=process, log_path=log_path)
    wait_ready(again.base_url, process, log_path)
    return again


def score(served: Served, key: str, stop: threading.Event, answered: list[int], attempted: list[int]) -> None:
    headers = {"Authorization": f"Bearer {key}", "Connection": "close"}
    with httpx.Client(base_url=served.base_url, timeout=10) as http:
        while not stop.is_set():
            attempted.append(1)
            try:
                if http.post(PATH, json=BODY, headers=headers).status_code == 200:
                    answered.append(1)
            except httpx.HTTPError:
                return  # killed: this call may have been counted without its answer arriving


def admin_commands(served: Served, stop: threading.Event, done: threading.Event, ledger: Ledger,
                   running: list[subprocess.Popen[str]], round_number: int) -> None:
    """Key creations and a backup, one CLI process at a time; the kill may land in any of them."""
    env = {**os.environ, **served.env, "PYTHONPATH": str(REPO / "src")}
    step = 0
    while not stop.is_set():
        step += 1
        if (step + round_number) % 3 == 2:  # rounds take turns opening with a backup or a key
            target = served.root / f"backup-{round_number}-{step}.attbak"
            args = ["backup", "-o", str(target), "--reason", "crash round"]
        else:
            args = ["keys", "create", "--app", "Crash", "--create-app", "--label", f"r{round_number}"]
        process = subprocess.Popen([sys.executable, "-m", "attunio", *args], env=env, cwd=REPO, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        running[:] = [process]
        out, err = process.communicate()
        if process.returncode == 0 and args[0] == "keys":
            ledger.keys_reported.append(out.strip().splitlines()[-1])
            ISSUED_SECRETS.add(ledger.keys_reported[-1])
            done.set()
        elif process.returncode == 0:
            ledger.backups_reported.append(target)
            done.set()
        elif process.returncode > 0:
            ledger.admin_failures.append(err.strip().splitlines()[-1] if err.strip() else str(process.returncode))


def check_store(served: Served, ledger: Ledger) -> None:
    settings = load_settings(REPO / "config" / "attunio.toml", served.env)
    store = Store.open(settings)
    try:
        assert [row[0] for row in store.query("PRAGMA integrity_check")] == ["ok"]
        _, problem = audit.verify(store)
        assert problem is None, problem
        key_ids = {row[0] for row in store.query("SELECT id FROM api_keys")}
        audited = {row[0] for row in store.query("SELECT object_id FROM audit WHERE action = 'key.create'")}
        assert key_ids == audited  # a key and its audit event commit together or not at all
        assert len(key_ids) >= len(ledger.keys_reported) + 2  # every key the CLI printed exists
        tables = {row[0] for row in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "model_versions" in tables:
            active = store.query("SELECT engine, count(*) FROM model_versions WHERE state = 'active'"
                                 " GROUP BY engine HAVING count(*) > 1")
            assert active == []
        used = int(store.one("SELECT coalesce(sum(count), 0) FROM usage_daily")[0])
        assert ledger.live_answered <= used <= ledger.live_answered + ledger.in_flight_bound, (
            used, ledger.live_answered, ledger.in_flight_bound)
        backups = {row[0] for row in store.query("SELECT object_id FROM audit WHERE action = 'backup.create'")}
        assert len(backups) >= len(ledger.backups_reported)
    finally:
        store.close()
    for backup in served.root.glob("backup-*.attbak"):
        assert backup in ledger.backups_reported or backup.stat().st_size > 0  # never a half-written name
    for leftover in served.root.glob(".backup-*"):
        leftover.unlink()  # a backup killed mid-write leaves only its dot-named work files


@pytest.fixture
def crash_target(tmp_path: Path) -> Iterator[tuple[Served, str, str]]:
    pub = write_public_key(VENDOR, tmp_path / "vendor.pub")
    served = start_served(tmp_path / "crash", workers=2, ATTUNIO_TRUST_EXTRA_VENDOR_KEYS=json.dumps([str(pub)]))
    now = datetime.now(UTC)
    (tmp_path / "license.txt").write_bytes(license_bytes(VENDOR, valid_from=now - timedelta(days=1),
                                                         expires_at=now + timedelta(days=30)))
    served.cli("license", "install", str(tmp_path / "license.txt"))
    live, test = served.new_key(mode="live", app="Scoring"), served.new_key(mode="test", app="Scoring")
    yield served, live, test
    served.stop()


def test_kill_9_during_mixed_load_loses_nothing(crash_target: tuple[Served, str, str], long_run: bool,
                                               figures: dict[str, object]) -> None:
    served, live, test = crash_target
    ledger, rounds, rng = Ledger(), 25 if long_run else 4, random.Random(0)
    try:
        served = crash_rounds(served, live, test, ledger, rounds, rng)
    finally:
        served.stop()
    figures["crash_rounds"] = ledger.rounds
    figures["crash_live_answers"] = ledger.live_answered
    figures["crash_keys_created"] = len(ledger.keys_reported)
    figures["crash_backups_completed"] = len(ledger.backups_reported)
    assert ledger.rounds == rounds and ledger.live_answered > 0 and ledger.keys_reported, ledger.admin_failures
    assert ledger.admin_failures == []  # commands either finished or were killed; none refused


def crash_rounds(served: Served, live: str, test: str, ledger: Ledger, rounds: int, rng: random.Random) -> Served:
    for number in range(1, rounds + 1):
        stop, done, answered, attempted, running = threading.Event(), threading.Event(), [], [], []  # type: ignore[var-annotated]
        threads = [threading.Thread(target=score, args=(served, live, stop, answered, attempted))
                   for _ in range(THREADS)]
        threads.append(threading.Thread(target=score, args=(served, test, stop, [], [])))
        threads.append(threading.Thread(target=admin_commands, args=(served, stop, done, ledger, running, number)))
        for thread in threads:
            thread.start()
        # Kill at a random moment after an admin command has completed, so the next one is often
        # caught in flight; a command starts in a fresh process, which can take seconds on a busy CI.
        done.wait(timeout=60)
        time.sleep(rng.uniform(0.3, 3.0))
        kill_tree(served.process)
        stop.set()  # before the admin command is killed, so no new one starts after the "power cut"
        for process in list(running):
            if process.poll() is None:
                kill_tree(process)
        for thread in threads:
            thread.join(timeout=60)
        ledger.live_answered += len(answered)
        ledger.in_flight_bound += THREADS  # at most one unanswered call per scoring thread
        ledger.rounds = number
        check_store(served, ledger)
        served = restart(served, number)
    return served
