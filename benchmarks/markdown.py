"""Render benchmarks/results/latest.json as the Markdown tables of docs/performance.md:
`python -m benchmarks.markdown [results.json]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.run import RESULTS, targets


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def render(report: dict[str, Any]) -> str:
    m, ld = report["machine"], report.get("load", {})
    litestar = m["litestar"] if isinstance(m["litestar"], str) else ".".join(map(str, m["litestar"][:3]))
    words = m["wrk"].split()  # `wrk debian/4.1.0-3+b2 [epoll] …`
    wrk = (words[1] if len(words) > 1 and words[0] == "wrk" else words[0]).removeprefix("debian/")
    out = [f"Run of {report['date']} on {m['cpu']}, {m['cpus']} CPUs, {m['memory_gb']} GB, Linux {m['kernel']};"
           f" Python {m['python']}, Litestar {litestar}, uvicorn {m['uvicorn']}, msgspec {m['msgspec']},"
           f" numpy {m['numpy']}, FastAPI {m['fastapi']}, pydantic {m['pydantic']}, wrk {wrk}."
           f" Load average when it started: {', '.join(f'{v:.1f}' for v in m['load_avg_at_start'])}.", ""]
    if "http" in report:
        out += [f"wrk: {ld['connections']} connections, 1 thread, {ld['warmup_s']:g} s warm-up + {ld['seconds']:g} s"
                f" per line; Digital MSE lines are the median of {ld['rounds']} interleaved rounds. Server on CPU"
                f" {ld['server_cpus']}, wrk on CPU {ld['load_cpus']}. Ratios are the appliance line over the peer,"
                " taken within each round; the peers serve only the Digital MSE request, so the other endpoints'"
                " ratios are against that.", "",
                "| server | key | endpoint | req/s | p50 ms | p99 ms | × bare (req/s) | × bare, one write (req/s)"
                " | × FastAPI (req/s) | p99 ÷ bare | CPU µs/answer | answers per CPU-second | CPU × bare"
                " | CPU × FastAPI |",
                "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in report["http"]:
            per_cpu = 1e6 / r["cpu_us"] if r["cpu_us"] else 0
            cpu_bare = 1 / r["cpu_x_bare"] if r.get("cpu_x_bare") else None
            cpu_fast = 1 / r["cpu_x_fastapi"] if r.get("cpu_x_fastapi") else None
            out.append(f"| {r['server']} | {r['key']} | `{r['endpoint']}` | {r['rps']:.0f} | {r['p50_ms']:.1f}"
                       f" | {r['p99_ms']:.1f} | {_x(r['x_bare'])} | {_x(r.get('x_bare_one_write'))}"
                       f" | {_x(r['x_fastapi'])} | {_x(r['p99_x_bare'])}"
                       f" | {r['cpu_us']:.0f} | {per_cpu:.0f} | {_x(cpu_bare)} | {_x(cpu_fast)} |")
        cost = next((r for r in report["http"] if "metering_cost" in r), None)
        if cost:
            out += ["", f"Metering on a live key (Digital MSE, TLS off), against the same request with metering off,"
                        f" median of {cost.get('metering_pairs', 'the')} alternating pairs of short runs:"
                        f" CPU per answer {cost.get('metering_cpu_cost', 0) * 100:+.1f}%,"
                        f" requests/s {-cost['metering_cost'] * 100:+.1f}%."]
        st = report["startup"]
        out += ["", f"Start-up, spawn to the first `200` from `/readyz` (TLS off, {st['rounds']} cold starts):"
                    f" median {st['median_s']:.2f} s, max {st['max_s']:.2f} s; CPU time used by then:"
                    f" median {st['median_cpu_s']:.2f} s.", "",
                "Resident memory per worker after its load: " + ", ".join(
                    f"{k} {v:.0f} MB" for k, v in report["rss_mb_after_load"].items()) + "."]
    if "engines_us" in report:
        out += ["", "| engine | µs per call, engine alone | µs per call, strict decode + engine + encode |",
                "|---|---:|---:|"]
        out += [f"| `{k}` | {v['median_us']:.1f} | {v['decode_engine_encode_us']:.1f} |"
                for k, v in report["engines_us"].items()]
        rv = report["relapse_vectorised"]
        out += ["", f"Relapse scoring of {rv['records']:,} seeded records (seed {rv['seed']}): {rv['summary']}."]
        mt = report["metering_us"]
        out += ["", "Durable counting on the store (SQLCipher, WAL, `synchronous=NORMAL`), µs per counted call: "
                + ", ".join(f"{k.split('_')[1]} call(s) per commit {v:.1f}" for k, v in mt.items()) + "."]
    counted = report.get("instructions") or {}
    if counted:
        out += ["", f"Instructions per request of the appliance's own path, in-process ({counted['engine']},"
                    f" batches of {counted['batch']}, callgrind): " + ", ".join(
                        f"{label.replace('_', ' key, ')} {counted[label]:,}"
                        for label in ("live", "sandbox", "live_unmetered") if label in counted) + "."]
    verdicts = targets(report)
    if verdicts:
        out += ["", "| target | this run | met? |", "|---|---|---|"]
        out += [f"| {goal} | {measured} | {'yes' if ok else '**no**'} |" for goal, measured, ok in verdicts]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS / "latest.json"
    print(render(json.loads(path.read_text())))
