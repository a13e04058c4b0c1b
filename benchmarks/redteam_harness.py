"""Red-team harness overhead: 1,000 probes at concurrency 16 against the local chat server.

Run it with ``.venv/bin/python benchmarks/redteam_harness.py``; it prints the Markdown section
"## Red-team harness" of docs/benchmarks.md.

The chat server (:mod:`assay.demo.chat_server`, ``guarded`` behaviour) runs in a **separate
process**, as a real model server would, so its work does not compete with the harness for the
interpreter lock. The 1,000 cases are the built-in suite expanded with the base64, ROT13,
leetspeak and payload-splitting strategies (single-turn, one call each).

What is measured, per probe:

- **harness CPU** — CPU time of the harness process (client HTTP, JSON, detectors, records,
  summary, reports excluded) divided by the number of probes. The server is in another process,
  so this is the harness's own cost, much less sensitive to how busy the machine is;
- **harness wall overhead** — ``(wall × concurrency − Σ time waiting on the target) / n``: the
  share of each worker slot not spent waiting for the server (includes queueing for the
  interpreter lock and the machine's other load);
- **in-worker overhead** — the records' ``overhead_ms``: time inside a worker outside target
  calls (detectors and building the record);
- for reference, a serial run against a Python callable that answers instantly (no network).

The target is < 5 ms of harness overhead per probe.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from assay.genai import CallableTarget, HttpTarget, load_suite, run_redteam

N = 1000
CONCURRENCY = 16
STRATEGIES = ["base64", "rot13", "leetspeak", "payload_split"]
SERVER = """
import sys, time
from assay.demo.chat_server import ChatServer
server = ChatServer(behaviour="guarded", latency=float(sys.argv[1])).start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""


def start_server(latency: float) -> tuple[str, subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    return url, proc


def measure(target: Any, concurrency: int, folder: Path) -> dict[str, float]:
    suite = load_suite("builtin")
    cpu0, wall0 = time.process_time(), time.perf_counter()
    run = run_redteam(
        suite,
        target,
        output=folder,
        strategies=STRATEGIES,
        limit=N,
        concurrency=concurrency,
        timeout=30,
    )
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    n = len(run.records)
    assert n == N, n
    assert run.result.counts["error"] == 0, run.result.counts
    waited = sum(r["latency_ms"] for r in run.records) / 1000
    inner = sorted(r["overhead_ms"] for r in run.records)
    return {
        "n": n,
        "wall_s": wall,
        "throughput": n / wall,
        "cpu_ms": cpu / n * 1000,
        "cpu_share": cpu / wall,
        "wall_overhead_ms": max(wall * concurrency - waited, 0.0) / n * 1000,
        "latency_ms": waited / n * 1000,
        "inner_mean_ms": statistics.mean(inner),
        "inner_p50_ms": inner[(n - 1) // 2],
        "inner_p95_ms": inner[int(0.95 * (n - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, nargs="*", default=[0.0, 0.05],
                        help="Server latencies in seconds (default 0 and 0.05).")  # fmt: skip
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for latency in args.latency:
            url, proc = start_server(latency)
            try:
                target = HttpTarget(url, model="guarded")
                name = f"HTTP, server latency {latency * 1000:.0f} ms"
                result = measure(target, CONCURRENCY, Path(tmp) / f"http-{latency}")
                rows.append((name, CONCURRENCY, result))
            finally:
                assert proc.stdin is not None
                proc.stdin.close()
                proc.wait(timeout=30)
        instant = CallableTarget(lambda messages: "I'm sorry, but I can't help with that.",
                                 name="benchmark:instant")  # fmt: skip
        rows.append(("Python callable, instant reply", 1,
                     measure(instant, 1, Path(tmp) / "callable")))  # fmt: skip
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    http = [m for name, _, m in rows if name.startswith("HTTP")]
    worst_cpu = max(m["cpu_ms"] for m in http)
    worst_wall = max(m["wall_overhead_ms"] for m in http)
    print("## Red-team harness\n")
    print(
        f"`benchmarks/redteam_harness.py`: {N:,} probes (the built-in suite with base64, ROT13, "
        "leetspeak and payload-splitting strategies) against Assay's local OpenAI-compatible "
        "chat server, run in its own process. Target: harness overhead under 5 ms per probe.\n"
    )
    print(
        "| target | concurrency | wall (s) | probes/s | harness CPU per probe (ms) | "
        "harness wall overhead per probe (ms) | in-worker overhead median / p95 (ms) | "
        "harness CPU share |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, conc, m in rows:
        print(
            f"| {name} | {conc} | {m['wall_s']:.2f} | {m['throughput']:.0f} | {m['cpu_ms']:.2f} "
            f"| {m['wall_overhead_ms']:.2f} | {m['inner_p50_ms']:.2f} / {m['inner_p95_ms']:.2f} "
            f"| {m['cpu_share']:.0%} |"
        )
    print(
        f"\nMachine: {os.cpu_count()} CPUs, load average {load:.1f} at the end of the run, Python "
        f"{platform.python_version()} on {platform.system()}. *Harness CPU* is the harness "
        "process's CPU time per probe (the server is another process), so it depends much less on "
        "the machine's load; *wall overhead* is `(wall × concurrency − time waiting on the "
        "target) / probes` and grows with the load; *in-worker* is the records' `overhead_ms` "
        "(detectors and record building inside a worker); *CPU share* is the harness's CPU time "
        "over the wall time. The serial callable run needs no more than one core, so its CPU "
        "share shows how much of a core this machine gave the process."
    )
    cpu_verdict = "met" if worst_cpu < 5 else "NOT met"
    wall_verdict = "met" if worst_wall < 5 else "not met"
    contention = (
        ""
        if worst_wall < 5
        else "; the harness and the server each got a fraction of a CPU, so rerun on a quiet "
        "machine to see the wall figure without that contention"
    )
    print(
        f"\nAgainst the target of 5 ms: harness CPU per probe at most {worst_cpu:.2f} ms "
        f"({cpu_verdict}); wall overhead per probe at most {worst_wall:.2f} ms ({wall_verdict} "
        f"on this machine at load average {load:.1f} on {os.cpu_count()} CPUs{contention})."
    )


if __name__ == "__main__":
    main()
