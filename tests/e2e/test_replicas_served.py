"""Two `attunio serve` replicas on one PostgreSQL (the tests' own cluster): an exact sandbox quota, a
revocation, a license install and a promotion seen by the other replica within a second, one
linear audit chain, and a replica killed with kill -9 mid-load losing no answered call."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from tests.billing_helpers import license_bytes
from tests.calibration.helpers import RELAPSE_V1, Vendor, make_vendor, payload, sign
from tests.conftest import Served, start_served
from tests.e2e.test_billing_served import _server_pids
from tests.pg_cluster import PgCluster

pytestmark = pytest.mark.e2e
PATH = "/v1/dmse/analyze"
BODY = {"responseLatencySeconds": 2.6}
STALE_AT_MOST = 1.0  # seconds: the guarantee for a change made through one replica to reach the other


@dataclass
class Replicas:
    a: Served
    b: Served
    vendor: Vendor
    root: Path
    url: str

    def both(self) -> tuple[Served, Served]:
        return self.a, self.b


def start_replicas(root: Path, pg_url: str, **extra: str) -> tuple[Served, Served, Vendor]:
    vendor = make_vendor(root / "vendor")
    env = {"ATTUNIO_STORE_URL": pg_url, "ATTUNIO_TRUST_EXTRA_VENDOR_KEYS": json.dumps([str(vendor.pub_path)]),
           **extra}
    a = start_served(root / "a", **env)
    # The second replica shares the database and the key file (the same secret mounted on both).
    (root / "b" / "secrets").mkdir(parents=True)
    shutil.copy2(root / "a" / "secrets" / "store.key", root / "b" / "secrets" / "store.key")
    b = start_served(root / "b", **env)
    return a, b, vendor


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory, postgres: PgCluster) -> Iterator[Replicas]:
    """One pair for the module (starting two replicas costs seconds each): the tests run in file
    order, each on its own app or model, and the one that kills a replica comes last."""
    root = tmp_path_factory.mktemp("replicas")
    url = postgres.url(postgres.create_database())
    a, b, vendor = start_replicas(root, url)
    yield Replicas(a, b, vendor, root, url)
    a.stop()
    b.stop()


def install_license(replicas: Replicas) -> None:
    now = datetime.now(UTC)
    path = replicas.root / "license.txt"
    path.write_bytes(license_bytes(replicas.vendor.private, valid_from=now - timedelta(days=1),
                                   expires_at=now + timedelta(days=30)))
    replicas.a.cli("license", "install", str(path))


def live_calls_counted(replicas: Replicas) -> int:
    """The shared meter, read from the database itself (a CLI run per poll would cost seconds)."""
    with psycopg.connect(replicas.url + "&sslmode=verify-full") as conn:
        row = conn.execute("SELECT coalesce(sum(count), 0) FROM usage_daily").fetchone()
    return int(row[0]) if row else 0


def within(check: Callable[[], bool], seconds: float = STALE_AT_MOST) -> bool:
    """Poll `check` until it holds or `seconds` have passed since the change returned."""
    deadline = time.monotonic() + seconds
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def post(served: Served, key: str, path: str = PATH, body: object = BODY) -> httpx.Response:
    return httpx.post(served.base_url + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def hammer_both(replicas: tuple[Served, ...], key: str, threads: int, per_thread: int,
                stop: threading.Event | None = None) -> list[tuple[int, int, dict[str, str]]]:
    """(replica index, status, headers) of every answer; threads alternate between the replicas."""
    answers: list[tuple[int, int, dict[str, str]]] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        which = n % len(replicas)
        headers = {"Authorization": f"Bearer {key}", "Connection": "close"}
        with httpx.Client(base_url=replicas[which].base_url, timeout=10) as http:
            for _ in range(per_thread):
                if stop is not None and stop.is_set():
                    return
                try:
                    answer = http.post(PATH, json=BODY, headers=headers)
                except httpx.HTTPError:
                    if stop is not None:
                        continue  # that replica was killed: this call got no answer
                    raise
                with lock:
                    answers.append((which, answer.status_code, dict(answer.headers)))

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return answers


def test_every_sandbox_number_is_served_exactly_once_across_two_replicas(replicas: Replicas) -> None:
    key = replicas.a.new_key(mode="test", app="Quota")
    answers = hammer_both(replicas.both(), key, threads=8, per_thread=70)
    served = sorted(500 - int(h["x-ratelimit-remaining"]) for _, status, h in answers if status == 200)
    assert served == list(range(1, 501))
    assert sum(status == 429 for _, status, _ in answers) == 8 * 70 - 500
    assert {which for which, status, _ in answers if status == 200} == {0, 1}  # both replicas counted
    shown = json.loads(replicas.b.cli("audit", "verify", "--json").stdout)
    assert shown["ok"] is True


def test_a_key_revoked_on_one_replica_is_refused_by_the_other_within_a_second(replicas: Replicas) -> None:
    a, b = replicas.both()
    key = a.new_key(mode="test", app="Revoked")
    assert post(b, key).status_code == 200  # cached by b from here on
    assert post(b, key).status_code == 200
    listed = json.loads(a.cli("keys", "list", "--app", "Revoked", "--json").stdout)
    a.cli("keys", "revoke", listed[0]["id"], "--reason", "leaked")
    assert within(lambda: post(b, key).status_code == 401)


def test_a_license_installed_through_one_replica_serves_live_calls_on_the_other_within_a_second(
    replicas: Replicas,
) -> None:
    a, b = replicas.both()
    key = a.new_key(mode="live", app="Licensed")
    assert post(b, key).status_code == 402
    install_license(replicas)
    assert within(lambda: post(b, key).status_code == 200)


def test_a_promotion_is_seen_by_the_other_replica_and_racing_promotions_leave_one_active_version(
    replicas: Replicas,
) -> None:
    a, b = replicas.both()
    key = a.new_key(mode="test", app="Models")
    body = {"avgSleepHours": 5.5, "daysSinceLastVisit": 70}

    def version() -> object:
        return post(b, key, "/v1/relapse/predict", body).json()["data"]["model"]["version"]

    assert version() is None
    token = a.cli("admins", "create", "--name", "Dr Ada Okafor", "--role", "reviewer",
                  "--licence-number", "GMC-7654321").stdout.strip().splitlines()[-1]
    token_file = replicas.root / "reviewer.token"
    token_file.write_text(token + "\n")
    for number in (1, 2):
        bundle = replicas.root / f"relapse-v{number}.bundle.json"
        bundle.write_bytes(sign(replicas.vendor, payload(version=number, params=RELAPSE_V1)))
        a.cli("models", "import", str(bundle))
    assert version() is None  # imported, not active
    a.cli("models", "promote", "relapse_risk", "1", "--reason", "review", "--token-file", str(token_file))
    assert within(lambda: version() == 1)

    results: list[int] = []

    def promote(served: Served, number: int) -> None:
        done = served.cli("models", "promote", "relapse_risk", str(number), "--reason", "race",
                          "--token-file", str(token_file), check=False)
        results.append(done.returncode)

    racers = [threading.Thread(target=promote, args=(s, v)) for s, v in ((a, 2), (b, 1))]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert 0 in results  # serialised: each promotion applies whole, one after the other
    models = json.loads(b.cli("models", "list", "--json").stdout)
    active = [m for m in models if m["engine"] == "relapse_risk" and m["state"] == "active"]
    assert len(active) == 1
    assert within(lambda: version() == active[0]["version"])
    assert json.loads(a.cli("audit", "verify", "--json").stdout)["ok"] is True


def test_a_database_restart_mid_load_answers_503_then_reconnects_counting_nothing_twice(
    replicas: Replicas, postgres: PgCluster
) -> None:
    a, b = replicas.both()
    key = a.new_key(mode="live", app="Restart")
    if post(b, key).status_code == 402:  # run alone: no license yet
        install_license(replicas)
    assert within(lambda: post(b, key).status_code == 200, 5)
    before = live_calls_counted(replicas)
    stop = threading.Event()
    answers: list[tuple[int, int, dict[str, str]]] = []
    bodies: list[dict[str, object]] = []
    lock = threading.Lock()

    def load(served: Served) -> None:
        headers = {"Authorization": f"Bearer {key}", "Connection": "close"}
        with httpx.Client(base_url=served.base_url, timeout=10) as http:
            while not stop.is_set():
                answer = http.post(PATH, json=BODY, headers=headers)
                with lock:
                    answers.append((0, answer.status_code, dict(answer.headers)))
                    if answer.status_code != 200:
                        bodies.append(answer.json())
                time.sleep(0.005)

    threads = [threading.Thread(target=load, args=(s,)) for s in (a, b, a, b)]
    for thread in threads:
        thread.start()
    try:
        assert within(lambda: len(answers) >= 50, 30)
        postgres.stop("fast")
        try:
            assert within(lambda: sum(s == 503 for _, s, _ in answers) >= 20, 30), "no 503 while the database was down"
            readyz = httpx.get(b.base_url + "/readyz", timeout=10)
            assert readyz.status_code == 503, readyz.text
            assert readyz.json()["data"]["checks"] == {"database": "unreachable"}, readyz.text
        finally:
            postgres.start()
        mark = len(answers)
        assert within(lambda: sum(s == 200 for _, s, _ in answers[mark:]) >= 50, 30), "no reconnect"
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    statuses = {s for _, s, _ in answers}
    assert statuses == {200, 503}, statuses
    assert all(body == {"ok": False, "error": {"code": "service_unavailable",
                                                "message": "The database is not reachable right now; try again "
                                                           "shortly."}} for body in bodies), bodies[:3]
    answered = sum(s == 200 for _, s, _ in answers)
    counted = live_calls_counted(replicas) - before
    # Every answered call is counted once; a commit cut by the shutdown may count a call answered 503.
    assert answered <= counted <= answered + len(threads)
    assert httpx.get(b.base_url + "/readyz", timeout=10).json()["data"]["checks"] == {"database": "ok"}


def test_a_replica_killed_mid_load_loses_no_answered_call_and_the_other_keeps_serving(
    replicas: Replicas,
) -> None:
    a, b = replicas.both()
    key = a.new_key(mode="live", app="Killed")
    if post(b, key).status_code == 402:  # run alone: no license yet
        install_license(replicas)
    assert within(lambda: post(b, key).status_code == 200, 5)
    before = live_calls_counted(replicas)
    stop = threading.Event()
    answers: list[tuple[int, int, dict[str, str]]] = []
    loader = threading.Thread(target=lambda: answers.extend(hammer_both((a, b), key, 8, 10_000, stop)))
    # hammer_both returns its answers at the end; count progress through the usage meter instead.
    loader.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and live_calls_counted(replicas) - before < 200 and loader.is_alive():
        time.sleep(0.05)
    under_load = live_calls_counted(replicas) - before >= 200 and loader.is_alive()
    for pid in _server_pids(a.process.pid):
        os.kill(pid, signal.SIGKILL)
    a.process.wait(timeout=10)
    time.sleep(1.0)  # b goes on serving the threads that target it
    stop.set()
    loader.join(timeout=60)
    assert not loader.is_alive()
    assert under_load, "the kill came before the load got going"
    from_b = [status for which, status, _ in answers if which == 1]
    assert from_b and set(from_b) == {200}, f"replica b answered {set(from_b)}"
    answered = sum(status == 200 for _, status, _ in answers)
    counted = live_calls_counted(replicas) - before
    # Counted calls whose answer never left a may exceed the answers; an answered call is never missing.
    assert answered <= counted <= answered + 4
    assert post(b, key).status_code == 200
    assert json.loads(b.cli("audit", "verify", "--json").stdout)["ok"] is True
