"""Crash rounds: `kill -9` the whole appliance (supervisor, workers and an admin command in flight)
during mixed load, restart, and check the store after every round.

Load per round: live scoring from several threads, sandbox scoring, and one CLI admin command at a
time taking turns: a key creation, a signed calibration bundle import, a promotion by a reviewer,
a backup. Rounds open on different commands, so the kill lands in each kind across the rounds.

After each kill: SQLCipher's full `integrity_check` passes, the audit chain verifies, every key row
has its audit event (and the reverse), every imported version has its import event (and the
reverse), every engine answers with exactly one version (the one its activation history ends on,
or the shipped defaults if it has none) and every promotion the CLI reported is in that history,
and the live-usage meter equals the answers the clients received, give or take the calls that were
in flight when the power went (counted, answer lost; never the other way). After each restart the
calibrated engines answer with the version the store says is active.
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
from tests.calibration.helpers import Vendor, default_params, make_vendor, payload, sign
from tests.conftest import REPO, Served, start_served, wait_ready
from tests.logscan import ISSUED_SECRETS, SERVED_LOGS

from attunio.config import load_settings
from attunio.crypto.ed25519 import Ed25519PrivateKey
from attunio.engines import ENGINES
from attunio.services.operations import audit
from attunio.services.operations.backup import read_backup
from attunio.store import Store, read_key

pytestmark = pytest.mark.e2e
VENDOR = Ed25519PrivateKey.generate()
PATH = "/v1/dmse/analyze"
BODY = {"responseLatencySeconds": 2.6, "sessionRef": "crash-round"}
THREADS = 6
# The scored engine (its version switches under the load) and one the load does not touch.
CALIBRATED = {"dmse_signals": (PATH, BODY), "relapse_risk": ("/v1/relapse/predict", {"avgSleepHours": 6.2,
                                                                                     "dmseLatencyPctChange": 18})}
STEPS = ("key", "import", "promote", "backup")
COMMAND_DEADLINE = 180  # seconds for the round's opening admin command(s); generous for a busy CI


@dataclass
class Ledger:
    """What the clients saw, across all rounds."""

    live_answered: int = 0
    in_flight_bound: int = 0
    keys_reported: list[str] = field(default_factory=list)
    backups_reported: list[Path] = field(default_factory=list)
    imports_reported: list[tuple[str, int]] = field(default_factory=list)
    promotions_reported: list[tuple[str, int]] = field(default_factory=list)
    killed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STEPS, 0))
    backups_verified: set[Path] = field(default_factory=set)
    admin_failures: list[str] = field(default_factory=list)
    counted_unanswered: int = 0
    rounds: int = 0
    bundles_signed: int = 0
    # The last version number signed per engine: a killed import may or may not have committed,
    # and versions need only be higher than any imported, so every bundle takes the next number.
    last_version: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CALIBRATED, 0))
    # Imports the CLI reported and no promotion has been tried for yet, oldest first.
    to_promote: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Calibrating:
    vendor: Vendor
    token_file: Path


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


def next_command(served: Served, ledger: Ledger, calibrating: Calibrating, step: str,
                 tag: str) -> tuple[str, list[str], object]:
    """The CLI arguments for `step` and what to record if it reports success."""
    if step == "promote" and ledger.to_promote:
        engine, version = ledger.to_promote.pop(0)  # tried once: killed or not, never promoted twice
        return step, ["models", "promote", engine, str(version), "--reason", "crash round",
                      "--token-file", str(calibrating.token_file)], (engine, version)
    if step in ("import", "promote"):  # nothing imported to promote yet: import one
        engine = list(CALIBRATED)[ledger.bundles_signed % len(CALIBRATED)]
        ledger.bundles_signed += 1
        ledger.last_version[engine] += 1
        version = ledger.last_version[engine]
        bundle = served.root / f"bundle-{engine}-{version}.json"
        bundle.write_bytes(sign(calibrating.vendor, payload(engine, version, params=default_params(engine))))
        return "import", ["models", "import", str(bundle), "--reason", "crash round"], (engine, version)
    if step == "backup":
        target = served.root / f"backup-{tag}.attbak"
        return step, ["backup", "-o", str(target), "--reason", "crash round"], target
    return "key", ["keys", "create", "--app", "Crash", "--create-app", "--label", tag], None


def admin_commands(served: Served, stop: threading.Event, done: threading.Event, ledger: Ledger,
                   running: list[subprocess.Popen[str]], round_number: int, calibrating: Calibrating) -> None:
    """Key creations, bundle imports, promotions and backups, one CLI process at a time, taking
    turns; the kill may land in any of them."""
    env = {**os.environ, **served.env, "PYTHONPATH": str(REPO / "src")}
    step = round_number  # rounds take turns opening with each kind of command
    opener = STEPS[step % len(STEPS)]
    while not stop.is_set():
        wanted = STEPS[step % len(STEPS)]
        kind, args, outcome = next_command(served, ledger, calibrating, wanted, f"{round_number}-{step}")
        if kind == wanted:  # a promotion with nothing to promote imports first, then promotes that
            step += 1
        process = subprocess.Popen([sys.executable, "-m", "attunio", *args], env=env, cwd=REPO, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        running[:] = [process]
        out, err = process.communicate()
        if process.returncode < 0:
            ledger.killed[kind] += 1  # the power cut: it may or may not have committed
            continue
        if process.returncode > 0:
            ledger.admin_failures.append(f"{' '.join(args[:2])}: "
                                         + (err.strip().splitlines()[-1] if err.strip() else str(process.returncode)))
            continue
        if kind == "key":
            ledger.keys_reported.append(out.strip().splitlines()[-1])
            ISSUED_SECRETS.add(ledger.keys_reported[-1])
        elif kind == "import" and isinstance(outcome, tuple):
            if f"imported {outcome[0]} version {outcome[1]} as a candidate" not in out:
                ledger.admin_failures.append(f"import of {outcome} printed: {out!r}")
                continue
            ledger.imports_reported.append(outcome)
            ledger.to_promote.append(outcome)
        elif kind == "promote" and isinstance(outcome, tuple):
            if f"promoted {outcome[0]} version {outcome[1]} by" not in out:
                ledger.admin_failures.append(f"promotion of {outcome} printed: {out!r}")
                continue
            ledger.promotions_reported.append(outcome)
        elif isinstance(outcome, Path):
            ledger.backups_reported.append(outcome)
        if kind == opener:
            done.set()  # the round's opening kind of command has completed: the kill may come


def check_models(store: Store, ledger: Ledger) -> dict[str, int | None]:
    """Versions, activations and their audit events agree; returns each engine's answering version."""
    rows = store.query("SELECT engine, version, state, promoted_at FROM model_versions")
    stored = {(engine, version) for engine, version, _, _ in rows}
    imported = {row[0] for row in store.query("SELECT object_id FROM audit WHERE action = 'model.import'")}
    assert {f"{e}@{v}" for e, v in stored} == imported  # a version and its import event commit together
    missing = set(ledger.imports_reported) - stored
    assert not missing, f"imports the CLI reported are not in the store: {sorted(missing)}"
    assert len(stored) - len(ledger.imports_reported) <= ledger.killed["import"]  # the rest were killed in flight

    history: dict[str, list[int | None]] = {engine: [] for engine in ENGINES}
    for engine, version, action in store.query("SELECT engine, version, action FROM model_activations ORDER BY seq"):
        assert action == "promote", action  # nothing here rolls back or resets
        history[engine].append(version)
    promoted_events: dict[str, list[int | None]] = {engine: [] for engine in ENGINES}
    for (detail,) in store.query("SELECT detail FROM audit WHERE action LIKE 'model.%' AND action != 'model.import'"
                                 " ORDER BY seq"):
        event = json.loads(detail)
        promoted_events[event["engine"]].append(event["to_version"])
    assert history == promoted_events  # an activation and its audit event commit together
    unreported = sum(len(versions) for versions in history.values()) - len(ledger.promotions_reported)
    assert 0 <= unreported <= ledger.killed["promote"], (history, ledger.promotions_reported)

    active: dict[str, int | None] = {}
    for engine in ENGINES:
        states = {version: (state, promoted_at) for e, version, state, promoted_at in rows if e == engine}
        answering = [version for version, (state, _) in states.items() if state == "active"]
        assert len(answering) <= 1, (engine, answering)  # one version, or the shipped defaults
        # The engine answers with the version its history ends on, or the defaults if it has none.
        assert answering == history[engine][-1:], (engine, answering, history[engine])
        reported = [v for e, v in ledger.promotions_reported if e == engine]
        remaining = iter(history[engine])
        assert all(v in remaining for v in reported), (engine, reported, history[engine])  # in order
        for version, (state, promoted_at) in states.items():
            # Only promoted versions are ever active or retired, and each carries who promoted it.
            assert (state == "candidate") == (version not in history[engine]), (engine, version, state)
            assert (promoted_at is None) == (state == "candidate"), (engine, version, state)
        active[engine] = answering[0] if answering else None
    return active


def check_store(served: Served, ledger: Ledger) -> dict[str, int | None]:
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
        active = check_models(store, ledger)
        used = int(store.one("SELECT coalesce(sum(count), 0) FROM usage_daily")[0])
        assert ledger.live_answered <= used <= ledger.live_answered + ledger.in_flight_bound, (
            used, ledger.live_answered, ledger.in_flight_bound)
        ledger.counted_unanswered = used - ledger.live_answered  # in flight at a kill: counted, answer lost
        backups = {row[0] for row in store.query("SELECT object_id FROM audit WHERE action = 'backup.create'")}
        assert len(backups) >= len(ledger.backups_reported)
    finally:
        store.close()
    for backup in sorted(set(served.root.glob("backup-*.attbak")) - ledger.backups_verified):
        # Never a half-written file under the name asked for: every one (reported or caught between
        # its rename and its audit event) passes the manifest MAC and the database checksum.
        _, extracted = read_backup(backup, read_key(settings.key_file), served.root)
        extracted.unlink()
        ledger.backups_verified.add(backup)
    assert set(ledger.backups_reported) <= ledger.backups_verified
    for leftover in served.root.glob(".backup-*"):
        leftover.unlink()  # a backup killed mid-write leaves only its dot-named work files
    return active


def check_answers(served: Served, live: str, active: dict[str, int | None], ledger: Ledger) -> None:
    """Each calibrated engine answers with the version the store holds active (two requests each, on
    fresh connections); each answer is a live call, counted like the load's."""
    headers = {"Authorization": f"Bearer {live}", "Connection": "close"}
    with httpx.Client(base_url=served.base_url, timeout=30) as http:
        for engine, (path, body) in CALIBRATED.items():
            expected = {"key": engine, "version": active[engine],
                        "source": "default" if active[engine] is None else "calibrated"}
            for _ in range(2):
                answer = http.post(path, json=body, headers=headers)
                assert answer.status_code == 200, answer.text
                ledger.live_answered += 1
                assert answer.json()["data"]["model"] == expected, (engine, answer.json()["data"]["model"])


@pytest.fixture
def crash_target(tmp_path: Path) -> Iterator[tuple[Served, str, str, Calibrating]]:
    pub = write_public_key(VENDOR, tmp_path / "vendor.pub")
    calibration_vendor = make_vendor(tmp_path / "calibration-vendor")
    trust = json.dumps([str(pub), str(calibration_vendor.pub_path)])
    served = start_served(tmp_path / "crash", workers=2, ATTUNIO_TRUST_EXTRA_VENDOR_KEYS=trust)
    now = datetime.now(UTC)
    (tmp_path / "license.txt").write_bytes(license_bytes(VENDOR, valid_from=now - timedelta(days=1),
                                                         expires_at=now + timedelta(days=30)))
    served.cli("license", "install", str(tmp_path / "license.txt"))
    token = served.cli("admins", "create", "--name", "Dr Ada Okafor", "--role", "reviewer",
                       "--licence-number", "GMC-7654321").stdout.strip().splitlines()[-1]
    ISSUED_SECRETS.add(token)
    token_file = tmp_path / "reviewer.token"
    token_file.write_text(token + "\n")
    live, test = served.new_key(mode="live", app="Scoring"), served.new_key(mode="test", app="Scoring")
    yield served, live, test, Calibrating(calibration_vendor, token_file)
    served.stop()


def test_kill_9_during_mixed_load_loses_nothing(crash_target: tuple[Served, str, str, Calibrating],
                                               long_run: bool, figures: dict[str, object]) -> None:
    served, live, test, calibrating = crash_target
    ledger, rounds, rng = Ledger(), 25 if long_run else 4, random.Random(0)
    try:
        served = crash_rounds(served, live, test, calibrating, ledger, rounds, rng)
    finally:
        served.stop()
    check_store(served, ledger)  # and once more after a clean stop
    figures["crash_rounds"] = ledger.rounds
    figures["crash_live_answers"] = ledger.live_answered
    figures["crash_live_counted_unanswered"] = ledger.counted_unanswered
    figures["crash_keys_created"] = len(ledger.keys_reported)
    figures["crash_backups_completed"] = len(ledger.backups_reported)
    figures["crash_backup_files_verified"] = len(ledger.backups_verified)
    figures["crash_bundles_imported"] = len(ledger.imports_reported)
    figures["crash_promotions"] = len(ledger.promotions_reported)
    figures["crash_commands_killed"] = dict(ledger.killed)
    assert ledger.rounds == rounds and ledger.live_answered > 0, ledger.admin_failures
    assert ledger.admin_failures == []  # commands either finished or were killed; none refused
    # Every kind of command completed at least once across the kills.
    assert ledger.keys_reported and ledger.imports_reported and ledger.promotions_reported, ledger
    assert ledger.backups_reported, ledger


def crash_rounds(served: Served, live: str, test: str, calibrating: Calibrating, ledger: Ledger, rounds: int,
                 rng: random.Random) -> Served:
    for number in range(1, rounds + 1):
        stop, done, answered, attempted, running = threading.Event(), threading.Event(), [], [], []  # type: ignore[var-annotated]
        threads = [threading.Thread(target=score, args=(served, live, stop, answered, attempted))
                   for _ in range(THREADS)]
        threads.append(threading.Thread(target=score, args=(served, test, stop, [], [])))
        threads.append(threading.Thread(target=admin_commands,
                                        args=(served, stop, done, ledger, running, number, calibrating)))
        for thread in threads:
            thread.start()
        # Kill at a random moment after the round's opening command has completed, so the next one
        # is often caught in flight; a command starts in a fresh process, which can take seconds on
        # a busy CI. Rounds open with each kind in turn, so even 4 rounds complete every kind.
        deadline = time.monotonic() + COMMAND_DEADLINE
        while not done.is_set() and threads[-1].is_alive() and time.monotonic() < deadline:
            done.wait(0.1)
        completed = done.is_set()
        if completed:
            time.sleep(rng.uniform(0.3, 3.0))
        kill_tree(served.process)
        stop.set()  # before the admin command is killed, so no new one starts after the "power cut"
        for process in list(running):
            if process.poll() is None:
                kill_tree(process)
        for thread in threads:
            thread.join(timeout=60)
        stuck = [thread.name for thread in threads if thread.is_alive()]
        assert not stuck, f"round {number}: threads still running 60 s after the kill: {stuck}"
        assert completed, (f"round {number}: its opening admin command did not complete within {COMMAND_DEADLINE} s "
                           f"(failures: {ledger.admin_failures[-3:]})")
        ledger.live_answered += len(answered)
        ledger.in_flight_bound += THREADS  # at most one unanswered call per scoring thread
        ledger.rounds = number
        active = check_store(served, ledger)
        served = restart(served, number)
        check_answers(served, live, active, ledger)
    return served
