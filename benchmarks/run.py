"""The whole benchmark, one command (`scripts/bench`): HTTP throughput and latency of the appliance
and its two peers, engine micro-benchmarks, vectorised relapse scoring, start-up time and memory.

Prints the table and writes benchmarks/results/latest.json. A run in which any answer was not a
`200` (or any socket error occurred) is refused: nothing is reported from it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from benchmarks import (
    cds_bench,
    engines_bench,
    harness,
    instance,
    instructions,
    metering_bench,
    relapse_vectorised,
    replicas_bench,
)
from benchmarks.bodies import BODIES, body_bytes
from benchmarks.harness import Load, Result, Server, free_port, pinned, python, python_env

RESULTS = harness.REPO / "benchmarks" / "results"
UVICORN_PEER = ["-m", "uvicorn", "--host", "127.0.0.1", "--workers", "1", "--no-access-log",
                "--log-level", "warning", "--no-server-header"]


def start_peer(name: str, app: str, workdir: Path, cpus: str | None, env: dict[str, str],
               http: str = "httptools") -> Server:
    port = free_port()
    cmd = pinned(cpus, [python(), *UVICORN_PEER, "--http", http, "--port", str(port), app])
    return harness.start(name, cmd, python_env(env), f"http://127.0.0.1:{port}", workdir / f"{name}.log",
                         ready_path="/v1/dmse/analyze", ready_status=405)


def start_appliance(name: str, inst: instance.Instance, cpus: str | None, *, tls: bool,
                    metered: bool = True, own_copy: bool = False) -> Server:
    if own_copy:
        inst = instance.copy(inst, inst.root.parent / f"instance-{name}")
    port = free_port()
    env = {**inst.env, "ATTUNIO_SERVER_PORT": str(port), "ATTUNIO_TLS_ENABLED": str(tls).lower()}
    entry = ["-m", "attunio", "serve"] if metered else ["-m", "benchmarks.unmetered"]
    cmd = pinned(cpus, [harness.appliance_python(), *entry])
    scheme = "https" if tls else "http"
    return harness.start(name, cmd, python_env(env), f"{scheme}://127.0.0.1:{port}", inst.root / f"{name}.log",
                         ready_path="/readyz")


@dataclass
class Target:
    """One measured line: a server, a key and an endpoint."""

    server: str
    key_label: str
    key: str | None
    engine: str
    every_round: bool
    results: list[tuple[Result, Result]] = field(default_factory=list)


# (label, app, uvicorn's HTTP protocol). The appliance sends each answer's head and body in one
# write (api/transport.py); the second bare Litestar line runs the bare endpoint on that same
# protocol, so the framework's ceiling is also shown with that saving, like for like.
ONE_WRITE = "attunio.api.transport:CoalescingHttpToolsProtocol"
PEERS = (("uvicorn, no framework", "benchmarks.peers.raw_asgi:app", "httptools"),
         ("bare Litestar", "benchmarks.peers.bare_litestar:app", "httptools"),
         ("bare Litestar, one write", "benchmarks.peers.bare_litestar:app", ONE_WRITE),
         ("FastAPI + pydantic", "benchmarks.peers.fastapi_peer:app", "httptools"))


def http_rows(inst: instance.Instance, work: Path, load: Load, server_cpus: str | None,
              engines: list[str], rounds: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """All servers stay up; the Digital MSE lines are measured in interleaved rounds (bare, FastAPI,
    appliance, … then again), so a slow patch on a shared machine hits every server alike, and the
    ratios are taken within each round. The other endpoints are measured once."""
    bodies = {}
    for engine in engines:
        bodies[engine] = work / f"{engine}.json"
        bodies[engine].write_bytes(body_bytes(engine))
    servers: dict[str, Server] = {}
    targets: list[Target] = []
    try:
        for label, app, http in PEERS:
            name = label.replace(",", "").replace(" ", "-").lower()
            servers[label] = start_peer(name, app, work, server_cpus, {"BENCH_PEER_KEY": inst.sandbox_key}, http)
            targets.append(Target(label, "bearer" if "FastAPI" in label else "none", inst.sandbox_key,
                                  "dmse_signals", True))
        variants = [("appliance", False)] + ([("appliance TLS", True)] if instance.has_tls() else [])
        for label, tls in variants:
            servers[label] = start_appliance(label.replace(" ", "-").lower(), inst, server_cpus, tls=tls,
                                             own_copy=True)
            keys = [("sandbox", inst.sandbox_key)] + ([("live", inst.live_key)] if inst.live_key else [])
            for engine in engines:
                for key_label, key in keys:
                    targets.append(Target(label, key_label, key, engine, engine == "dmse_signals"))
        if inst.live_key:
            # Measured right after the metered live line it is compared with, in every round.
            label = "appliance, metering off"
            servers[label] = start_appliance("appliance-unmetered", inst, server_cpus, tls=False, metered=False,
                                             own_copy=True)
            metered = next(i for i, t in enumerate(targets)
                           if (t.server, t.key_label, t.engine) == ("appliance", "live", "dmse_signals"))
            targets.insert(metered + 1, Target(label, "live", inst.live_key, "dmse_signals", True))
        for index in range(rounds):
            print(f"  round {index + 1} of {rounds}", file=sys.stderr, flush=True)
            for target in targets:
                if index and not target.every_round:
                    continue
                url = servers[target.server].base_url + BODIES[target.engine][0]
                warm, res = harness.measure(servers[target.server], url, bodies[target.engine], target.key, load)
                target.results.append((warm, res))
                flag = "" if res.clean and warm.clean else (
                    f"  NON-200: {res.non200 + warm.non200} (first {res.first_bad_status or warm.first_bad_status})")
                print(f"    {target.server:<24} {target.key_label:<8} {BODIES[target.engine][0]:<22}"
                      f" {res.rps:8.0f} req/s  p50 {res.p50_ms:6.2f} ms  p99 {res.p99_ms:6.2f} ms"
                      f"  {res.cpu_us_per_request:6.0f} µs CPU/req{flag}",
                      file=sys.stderr, flush=True)
        metering = None
        if "appliance, metering off" in servers and inst.live_key:
            print("  metering: metered and unmetered live calls in alternating short runs", file=sys.stderr,
                  flush=True)
            metering = metering_pairs(servers["appliance"], servers["appliance, metering off"], bodies["dmse_signals"],
                                      inst.live_key, load)
        memory = {label: server.rss_mb() for label, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    rows = [summarise(t, targets) for t in targets]
    if metering is not None:
        live = next(r for r in rows if (r["server"], r["key"], r["engine"]) == ("appliance", "live", "dmse_signals"))
        live.update(metering)
    return rows, memory


METERING_PAIRS = 12


def metering_pairs(metered: Server, unmetered: Server, body: Path, key: str, load: Load) -> dict[str, Any]:
    """The cost of live metering from many short runs of the two servers in turn (ABBA order, so a
    drift in the machine's load hits both alike), each pair's ratio taken at once: on a shared
    machine, two 10 s runs a minute apart differ by more than the cost being measured."""
    short = Load(seconds=3, warmup=1, connections=load.connections, threads=load.threads, cpus=load.cpus)
    path = BODIES["dmse_signals"][0]
    rps, cpu = [], []
    for index in range(METERING_PAIRS):
        order = (metered, unmetered) if index % 2 == 0 else (unmetered, metered)
        measured: dict[str, Result] = {}
        for server in order:
            warm, res = harness.measure(server, server.base_url + path, body, key, short)
            if not (warm.clean and res.clean):
                raise SystemExit(f"metering pairs: {server.name} answered other than 200; no figures reported")
            measured[server.name] = res
        on, off = measured[metered.name], measured[unmetered.name]
        rps.append(on.rps / off.rps)
        cpu.append(on.cpu_us_per_request / off.cpu_us_per_request)
    return {"metering_cost": 1 - statistics.median(rps), "metering_cpu_cost": statistics.median(cpu) - 1,
            "metering_pairs": METERING_PAIRS, "metering_cost_pairs": [round(1 - r, 3) for r in rps]}


def summarise(target: Target, targets: list[Target]) -> dict[str, Any]:
    results = [res for _, res in target.results]
    everything = [r for pair in target.results for r in pair]
    out: dict[str, Any] = {
        "server": target.server, "key": target.key_label, "endpoint": BODIES[target.engine][0],
        "engine": target.engine, "rounds": len(results),
        "rps": statistics.median(r.rps for r in results),
        "p50_ms": statistics.median(r.p50_ms for r in results),
        "p99_ms": statistics.median(r.p99_ms for r in results),
        "cpu_us": statistics.median(r.cpu_us_per_request for r in results),
        "rps_rounds": [round(r.rps, 1) for r in results],
        "requests": sum(r.requests for r in everything), "non200": sum(r.non200 for r in everything),
        "first_bad_status": next((r.first_bad_status for r in everything if r.first_bad_status), 0),
        "socket_errors": sum(r.socket_errors for r in everything), "clean": all(r.clean for r in everything),
    }
    by_name = {(t.server, t.key_label, t.engine): t for t in targets}

    def ratio(peer: tuple[str, str, str], attr: str) -> float | None:
        other = by_name.get(peer)
        if other is None or not other.results:
            return None
        pairs = zip(results, (res for _, res in other.results), strict=False)
        return statistics.median(getattr(a, attr) / getattr(b, attr) for a, b in pairs)

    out["x_bare"] = ratio(("bare Litestar", "none", "dmse_signals"), "rps")
    out["x_bare_one_write"] = ratio(("bare Litestar, one write", "none", "dmse_signals"), "rps")
    out["cpu_x_bare"] = ratio(("bare Litestar", "none", "dmse_signals"), "cpu_us_per_request")
    out["cpu_x_fastapi"] = ratio(("FastAPI + pydantic", "bearer", "dmse_signals"), "cpu_us_per_request")
    out["p99_x_bare"] = ratio(("bare Litestar", "none", "dmse_signals"), "p99_ms")
    out["x_fastapi"] = ratio(("FastAPI + pydantic", "bearer", "dmse_signals"), "rps")
    return out  # the metering cost is measured apart, in alternating pairs (`metering_pairs`)


def startup(inst: instance.Instance, cpus: str | None, rounds: int) -> dict[str, Any]:
    """Spawn to the first `200` from /readyz, TLS off, cold process each round."""
    times, cpu = [], []
    for index in range(rounds):
        server = start_appliance(f"startup-{index}", inst, cpus, tls=False)
        times.append(server.ready_s)
        cpu.append(server.ready_cpu_s)
        server.stop()
    return {"rounds": rounds, "median_s": statistics.median(times), "max_s": max(times), "all_s": times,
            "median_cpu_s": statistics.median(cpu), "all_cpu_s": cpu}


def table(rows: list[dict[str, Any]]) -> str:
    head = (f"{'server':<24} {'key':<8} {'endpoint':<24} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
            f" {'x bare':>7} {'x FastAPI':>9} {'p99/bare':>8} {'CPU µs/req':>10} {'req/CPU-s':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['server']:<24} {r['key']:<8} {r['endpoint']:<24} {r['rps']:8.0f} {r['p50_ms']:7.2f}"
                     f" {r['p99_ms']:7.2f} {_x(r['x_bare'])} {_x(r['x_fastapi'], 9)} {_x(r['p99_x_bare'], 8)}"
                     f" {r['cpu_us']:10.0f} {1e6 / r['cpu_us'] if r['cpu_us'] else 0:9.0f}")
    return "\n".join(lines)


def _x(value: float | None, width: int = 7) -> str:
    return f"{value:{width}.2f}" if value is not None else " " * (width - 1) + "-"


def machine() -> dict[str, Any]:
    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                  if ln.startswith("model name")), platform.processor())
    import fastapi
    import numpy
    import pydantic
    import uvicorn

    return {
        "cpu": model, "cpus": os.cpu_count(), "kernel": platform.release(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(), "litestar": _dist("litestar"), "uvicorn": uvicorn.__version__,
        "msgspec": msgspec.__version__,
        "numpy": numpy.__version__, "fastapi": fastapi.__version__, "pydantic": pydantic.VERSION,
        "wrk": version(["wrk", "-v"]), "load_avg_at_start": os.getloadavg(),
    }


def _dist(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the Digital MSE lines")
    parser.add_argument("--endpoints", choices=["all", "dmse"], default="all")
    parser.add_argument("--skip-http", action="store_true", help="micro-benchmarks only")
    parser.add_argument("--skip-micro", action="store_true", help="HTTP, start-up and memory only")
    parser.add_argument("--skip-cds", action="store_true", help="leave out the CDS Hooks patient-view line")
    parser.add_argument("--skip-instructions", action="store_true",
                        help="skip the callgrind count of instructions per request (about two minutes)")
    parser.add_argument("--appliance-python", default=sys.executable,
                        help="interpreter with the runtime pins only, for the appliance")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--replicas", action="store_true",
                        help="only the store lines: SQLCipher, and one and two replicas on PostgreSQL")
    parser.add_argument("--skip-replicas", action="store_true", help="leave out the store lines")
    return parser


def replicas_only(output: Path) -> int:
    lines = replicas_bench.add_to({}, skip=False)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(lines, indent=2) + "\n")
    print(replicas_bench.render(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.replicas:
        return replicas_only(args.output.with_name("replicas.json"))
    harness.APPLIANCE_PYTHON[0] = args.appliance_python

    server_cpus, load_cpus = harness.cpu_split()
    load = Load(seconds=args.seconds, warmup=args.warmup, connections=args.connections, threads=1, cpus=load_cpus)
    engines = list(BODIES) if args.endpoints == "all" else ["dmse_signals"]
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
        "load": {"tool": "wrk", "connections": load.connections, "threads": load.threads,
                 "warmup_s": load.warmup, "seconds": load.seconds, "rounds": args.rounds,
                 "server_cpus": server_cpus,
                 "load_cpus": load_cpus},
    }
    with tempfile.TemporaryDirectory(prefix="attunio-bench-") as tmp:
        work = Path(tmp)
        print("==> setting up a throw-away instance", file=sys.stderr, flush=True)
        inst = instance.create(work / "instance")
        report["live"] = inst.live_note or "development license, live key"
        if not args.skip_http:
            print("==> HTTP (wrk)", file=sys.stderr, flush=True)
            rows, memory = http_rows(inst, work, load, server_cpus, engines, args.rounds)
            bad = [r for r in rows if not r["clean"]]
            if bad:
                for r in bad:
                    print(f"REFUSED: {r['server']} {r['key']} {r['endpoint']}: {r['non200']} non-200 answers"
                          f" (first {r['first_bad_status']}), {r['socket_errors']} socket errors", file=sys.stderr)
                print("The run had answers other than 200; no figures are reported.", file=sys.stderr)
                return 1
            report["http"] = rows
            report["rss_mb_after_load"] = memory
            print("==> start-up", file=sys.stderr, flush=True)
            report["startup"] = startup(inst, server_cpus, rounds=5)
    cds_bench.add_to(report, server_cpus, skip=args.skip_cds)
    replicas_bench.add_to(report, skip=args.skip_replicas)
    if server_cpus:
        os.sched_setaffinity(0, {int(c) for c in server_cpus.split(",")})
    if not args.skip_micro:
        print("==> engines", file=sys.stderr, flush=True)
        report["engines_us"] = engines_bench.run()
        print("==> relapse, vectorised vs per-request", file=sys.stderr, flush=True)
        report["relapse_vectorised"] = relapse_vectorised.run()
        print("==> metering: commit per call vs group commit", file=sys.stderr, flush=True)
        report["metering_us"] = metering_bench.run()
    if not args.skip_instructions:
        print("==> instructions per request (callgrind)", file=sys.stderr, flush=True)
        report["instructions"] = instructions.run()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(render(report))
    if report.get("replicas"):
        print("\n" + replicas_bench.render(report["replicas"]))
    return 0


def targets(report: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Each target of docs/performance.md: what it asks, what this run measured, and whether it holds."""
    out: list[tuple[str, str, bool]] = []
    rows = {(r["server"], r["key"], r["engine"]): r for r in report.get("http", [])}
    full = [rows.get(("appliance", key, "dmse_signals")) for key in ("live", "sandbox")]
    full = [r for r in full if r and r.get("x_bare") is not None]
    if full:
        out.append(("full path ≥ 0.8× bare Litestar (req/s)", ", ".join(f"{r['key']} {r['x_bare']:.2f}×" for r in full),
                    all(r["x_bare"] >= 0.8 for r in full)))
        # cpu_x_bare is appliance µs ÷ bare µs per answer; the target reads as bare ÷ appliance.
        cpu = [r for r in full if r.get("cpu_x_bare")]
        if cpu:
            out.append(("full path ≥ 0.85× bare Litestar (server CPU per answer)",
                        ", ".join(f"{r['key']} {1 / r['cpu_x_bare']:.2f}×" for r in cpu),
                        all(1 / r["cpu_x_bare"] >= 0.85 for r in cpu)))
        out.append(("full path ≥ 1.5× FastAPI + pydantic (req/s)",
                    ", ".join(f"{r['key']} {r['x_fastapi']:.2f}×" for r in full),
                    all(r["x_fastapi"] >= 1.5 for r in full)))
        out.append(("p99 ≤ 1.5× bare Litestar's", ", ".join(f"{r['key']} {r['p99_x_bare']:.2f}×" for r in full),
                    all(r["p99_x_bare"] <= 1.5 for r in full)))
        live = rows.get(("appliance", "live", "dmse_signals"), {})
        if "metering_cost" in live:
            measured = (f"{live['metering_cost'] * 100:.1f}% of req/s, {live['metering_cpu_cost'] * 100:+.1f}% CPU per"
                        f" answer (median of {live.get('metering_pairs', report['load']['rounds'])} pairs)")
            counted = report.get("instructions") or {}
            if "live_unmetered" in counted:
                measured += f"; {counted['live'] / counted['live_unmetered'] * 100 - 100:+.1f}% instructions in-process"
            out.append(("live metering costs ≤ 10% of throughput", measured, live["metering_cost"] <= 0.10))
    if "startup" in report:
        st = report["startup"]
        out.append(("ready within 1.5 s", f"median {st['median_s']:.2f} s, max {st['max_s']:.2f} s",
                    st["median_s"] <= 1.5))
        worst = max(report["rss_mb_after_load"].items(), key=lambda kv: kv[1] if "appliance" in kv[0] else 0)
        out.append(("under 120 MB resident per worker", f"largest appliance worker {worst[1]:.0f} MB ({worst[0]})",
                    worst[1] < 120))
    if "cds" in report:
        pv = report["cds"]["patient_view"]
        out.append(("CDS Hooks patient-view, 200-resource prefetch, p99 ≤ 50 ms",
                    f"p99 {pv['p99_ms']:.1f} ms (p50 {pv['p50_ms']:.1f} ms)", pv["p99_ms"] <= 50))
    rv = report.get("relapse_vectorised", {})
    if "scores_only_speedup" in rv:
        out.append(("vectorised relapse scoring ≥ 50× a per-request loop, identical",
                    f"{rv['scores_only_speedup']:.0f}× per parameter set, {rv['speedup']:.0f}× with feature"
                    f" extraction; identical: {rv['identical']}", rv["scores_only_speedup"] >= 50 and rv["identical"]))
    return out


def render(report: dict[str, Any]) -> str:
    out = [f"Attunio benchmark {report['date']} on {report['machine']['cpu']} ({report['machine']['cpus']} CPUs),"
           f" Python {report['machine']['python']}"]
    if "http" in report:
        ld = report["load"]
        out += ["", f"HTTP: wrk, {ld['connections']} connections, {ld['warmup_s']:g} s warm-up + {ld['seconds']:g} s"
                    f" per run, Digital MSE lines: median of {ld['rounds']} interleaved rounds (ratios taken within"
                    f" each round), server on CPU {ld['server_cpus']}, wrk on CPU {ld['load_cpus']}",
                table(report["http"])]
        cost = next((r["metering_cost"] for r in report["http"] if "metering_cost" in r), None)
        if cost is not None:
            out.append(f"metering cost (live, DMSE, TLS off): {cost * 100:.1f}% of throughput"
                       " (median of alternating short runs with and without the meter write)")
        out.append(f"live keys: {report['live']}")
        st = report["startup"]
        out += ["", f"start-up to ready /readyz: median {st['median_s']:.2f} s, max {st['max_s']:.2f} s"
                    f" over {st['rounds']} cold starts; CPU time used by then: median {st['median_cpu_s']:.2f} s",
                "resident memory after load (MB): " + ", ".join(
                    f"{k} {v:.0f}" for k, v in report["rss_mb_after_load"].items())]
    if "engines_us" in report:
        out += ["", f"engines, µs per call (median of {engines_bench.ROUNDS} rounds): engine alone | strict decode +"
                    " engine + encode"]
        out += [f"  {k:<26} {v['median_us']:8.1f} | {v['decode_engine_encode_us']:8.1f}"
                for k, v in report["engines_us"].items()]
        rv = report["relapse_vectorised"]
        out += ["", f"relapse scoring, {rv['records']:,} seeded records: " + rv["summary"]]
        mt = report["metering_us"]
        out += ["", "durable metering on the store, µs per counted call: " + ", ".join(
            f"{k.split('_')[1]} per commit {v:.1f}" for k, v in mt.items())]
    if "cds" in report:
        out += ["", *cds_bench.render(report["cds"])]
    counted = report.get("instructions") or {}
    if counted:
        out += ["", f"instructions per request, in-process ({counted['engine']}, callgrind): " + ", ".join(
            f"{label} {counted[label]:,}" for label in ("live", "sandbox", "live_unmetered") if label in counted)]
    verdicts = targets(report)
    if verdicts:
        out += ["", "targets:"]
        out += [f"  {'met    ' if ok else 'NOT MET'}  {goal}: {measured}" for goal, measured, ok in verdicts]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
