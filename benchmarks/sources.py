"""Benchmark fairness where the data lives: a PostgreSQL table (pushed down, against the bare
GROUP BY in psql and against pulling the rows into Polars) and Spark local mode (against Spark's
own group-by).

Run from the repository root, with ``ASSAY_TEST_POSTGRES_URL`` pointing at a server you may
write a table to::

    .venv/bin/python benchmarks/sources.py --rows 1000000 10000000 --repeat 3

It loads synthetic rows into a table ``assay_bench_<rows>`` (COPY in chunks; dropped afterwards),
writes them to ``benchmarks/_data/`` for Spark (removed afterwards), times every contender in a
fresh subprocess (best of ``--repeat``, the contenders taking turns so that a burst of load on a
shared machine does not fall on one of them), with the CPU time of the client and of the
database server and the client's peak resident memory, and rewrites the section "## Sources
(databases and Spark)" of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "benchmarks" / "_data"
HEADING = "## Sources (databases and Spark)"
RESULT_MARK = "BENCH-RESULT "
GROUP_BY = (
    "SELECT race, sex, y_true, y_pred, count(*) FROM {table} GROUP BY race, sex, y_true, y_pred"
)


def make_rows(n: int) -> Any:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(7)
    races = np.array(["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"])
    race = races[rng.choice(5, n, p=[0.5, 0.25, 0.13, 0.08, 0.04])]
    sex = np.array(["Male", "Female"])[rng.choice(2, n, p=[0.62, 0.38])]
    y_true = (rng.random(n) < 0.3).astype(np.int64)
    score = np.clip(0.3 * y_true + rng.random(n) * 0.7, 0, 1)
    return pl.DataFrame(
        {"race": race, "sex": sex, "y_true": y_true, "y_pred": (score >= 0.5).astype(np.int64)}
    )


LOAD_CHUNK = 1_000_000


def load_table(url: str, name: str, rows: Any) -> None:
    """COPY the rows into a fresh table (the fast path a warehouse load would use), a chunk of
    CSV in memory at a time; then VACUUM ANALYZE, so that no contender pays for setting the
    rows' hint bits, and one untimed GROUP BY, so that every contender finds the table cached."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        conn.exec_driver_sql(
            f"CREATE TABLE {name} (race text, sex text, y_true bigint, y_pred bigint)"
        )
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {name} FROM STDIN WITH (FORMAT csv)") as copy:
            for start in range(0, rows.height, LOAD_CHUNK):
                buffer = io.BytesIO()
                rows.slice(start, LOAD_CHUNK).write_csv(buffer, include_header=False)
                copy.write(buffer.getbuffer())
        conn.exec_driver_sql(f"VACUUM ANALYZE {name}")
        conn.exec_driver_sql(GROUP_BY.format(table=name)).fetchall()
    engine.dispose()


def drop_table(url: str, name: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    engine.dispose()


def _cpu_of_tree(root: int) -> float | None:
    """CPU seconds (user + system) of a process and all its descendants, those still running
    and those already reaped (their time is in their parent's ``cutime``), from ``/proc``."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # the process ended while we looked
            continue
        # after the name: state ppid ... utime(12) stime(13) cutime(14) cstime(15)
        stats[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / tick)
    if root not in stats:
        return None
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo += [child for child, (ppid, _) in stats.items() if ppid == pid]
    return total


def describe_server(url: str) -> str:
    """``PostgreSQL 15.18 (on this machine)``, and the client's libpq."""
    import psycopg
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar_one().split()[0]
    engine.dispose()
    where = "on this machine" if server_pid(url) is not None else "on another machine"
    return f"PostgreSQL {version} {where} (client libpq {psycopg.pq.version()})"


def server_pid(url: str) -> int | None:
    """The PostgreSQL postmaster's process id, when the server runs on this machine."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            stat = (Path("/proc") / str(backend) / "stat").read_text()
        return int(stat.rpartition(")")[2].split()[1])
    except OSError:  # a server on another machine (or one we may not look at)
        return None
    finally:
        engine.dispose()


WORKER = r"""
import json, os, sys, time
kind, url, table, parquet, here, server = sys.argv[1:7]
sys.path.insert(0, here)
from sources import _cpu_of_tree


def server_cpu():  # the database server's CPU seconds so far (all its sessions)
    return _cpu_of_tree(int(server)) if server else None


def peak_mb():
    # VmHWM: this address space's peak resident set. Unlike ru_maxrss it starts afresh at exec,
    # so the benchmark parent's own memory (it holds the rows) is not counted.
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


import polars as pl
from assay.evaluate import fairness
ARGS = dict(y_true="y_true", y_pred="y_pred", sensitive_features=["race", "sex"])
me = os.getpid()
base = peak_mb()
cpu, server_start = _cpu_of_tree(me), server_cpu()
start = time.perf_counter()
opened_at = start
end = end_cpu = end_server = None
extra = {}
if kind == "pushed_down":
    from assay.sources import SourceSpec, opened_source
    with opened_source(SourceSpec(database=url, table=table)) as opened:
        opened_at = time.perf_counter()  # Ibis imported, connected, schema read
        r = fairness(opened.data, **ARGS)
        end, end_cpu, end_server = time.perf_counter(), _cpu_of_tree(me), server_cpu()
        again = fairness(opened.data, **ARGS)  # the same report again: nothing left to import
        extra = {"warm_s": time.perf_counter() - end, "warm_cpu_s": _cpu_of_tree(me) - end_cpu}
        if server:
            extra["warm_server_cpu_s"] = server_cpu() - end_server
        assert again.to_dict()["groups"] == r.to_dict()["groups"]
elif kind == "pulled":
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    frame = pl.read_database(f"SELECT * FROM {table}", engine)
    r = fairness(frame, **ARGS)
else:
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    df = spark.read.parquet(parquet)
    df.count()  # the session and the file's footers are warm for both contenders
    cpu = _cpu_of_tree(me)  # the JVM is a child of this process: its CPU is counted
    start = opened_at = time.perf_counter()
    if kind == "spark_assay":
        r = fairness(df, **ARGS)
    else:
        r = df.groupBy("race", "sex", "y_true", "y_pred").count().collect()
seconds = (end or time.perf_counter()) - start
cpu_s = (end_cpu or _cpu_of_tree(me)) - cpu
if server and not kind.startswith("spark"):
    extra["server_cpu_s"] = (end_server or server_cpu()) - server_start
print("BENCH-RESULT " + json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "import_mb": base,
                                    "open_s": opened_at - start, "cpu_s": cpu_s, **extra}))
"""


def run_worker(
    kind: str, url: str, table: str, parquet: Path, server: int | None
) -> dict[str, float]:
    here, pid = str(ROOT / "benchmarks"), "" if server is None else str(server)
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, kind, url, table, str(parquet), here, pid],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith(RESULT_MARK))
    result: dict[str, float] = json.loads(line[len(RESULT_MARK) :])
    return result


def run_psql(url: str, table: str) -> dict[str, float]:
    """The floor: the same GROUP BY, sent by psql, rows printed to /dev/null."""
    import sqlalchemy as sa

    psql = shutil.which("psql") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/psql")))
    )
    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(psql), plain, "-qAt", "-c", GROUP_BY.format(table=table)],
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, "psql")
    # psql's ru_maxrss would count this process's pages from before the exec: not shown
    return {"seconds": seconds, "peak_mb": float("nan"), "import_mb": float("nan"),
            "open_s": 0.0, "cpu_s": usage.ru_utime + usage.ru_stime}  # fmt: skip


def run_timed(
    kind: str, url: str, table: str, parquet: Path, server: int | None
) -> dict[str, float]:
    """One run of one contender. The database server's CPU time (every session's: on a shared
    server, other sessions' work is counted too) is taken by the worker around what it times,
    and here around psql."""
    if kind != "psql":
        return {"server_cpu_s": float("nan")} | run_worker(kind, url, table, parquet, server)
    before = _cpu_of_tree(server) if server is not None else None
    result = run_psql(url, table)
    after = _cpu_of_tree(server) if server is not None else None
    use = before is not None and after is not None
    return result | {"server_cpu_s": after - before if use else float("nan")}  # type: ignore[operator]


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    return min(runs, key=lambda r: r["seconds"])


def measure(n: int, url: str, repeat: int, spark: bool) -> dict[str, dict[str, float]]:
    rows = make_rows(n)
    table = f"assay_bench_{n}"
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    parquet = DATA_DIR / f"sources_{n}.parquet"
    kinds = ["psql", "pushed_down", "pulled"] + (["spark_assay", "spark_groupby"] if spark else [])
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    try:
        if spark:
            rows.write_parquet(parquet)
        started = time.perf_counter()
        load_table(url, table, rows)
        print(f"{n:,} rows loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        del rows
        server = server_pid(url)
        for _ in range(repeat):  # the contenders take turns
            for kind in kinds:
                runs[kind].append(run_timed(kind, url, table, parquet, server))
                print(n, kind, runs[kind][-1], file=sys.stderr)
    finally:
        drop_table(url, table)
        parquet.unlink(missing_ok=True)
    out = {kind: best(found) for kind, found in runs.items()}
    warm = min(runs["pushed_down"], key=lambda r: r["warm_s"])  # the second report's own best
    out["pushed_down"] |= {k: v for k, v in warm.items() if k.startswith("warm_")}
    return out


NAMES = {
    "psql": "GROUP BY in psql (the floor)",
    "pushed_down": "Assay, `--source-db` (pushed down)",
    "pushed_down_warm": "… the same report again, same process",
    "pulled": "rows pulled into Polars, then Assay",
    "spark_groupby": "Spark's own groupBy().count() (the floor)",
    "spark_assay": "Assay on Spark (`--engine spark`, local[2])",
}


def _number(value: float, digits: int = 2) -> str:
    return "—" if value != value else f"{value:.{digits}f}"


def _row(n: int, kind: str, r: dict[str, float], floor: float) -> str:
    peak = r["peak_mb"]
    grown = peak - r["import_mb"]
    memory = "—" if peak != peak else f"{peak:.0f}" + ("" if grown != grown else f" ({grown:+.0f})")
    after = r["seconds"] - r["open_s"]
    return (
        f"| {n:,} | {NAMES[kind]} | {r['seconds']:.2f} | {r['open_s']:.2f} | {after:.2f} "
        f"| **{after / floor:.2f}×** | {r['seconds'] / floor:.2f}× | {_number(r['cpu_s'])} "
        f"| {_number(r['server_cpu_s'])} | {memory} |"
    )


def section(results: dict[int, dict[str, dict[str, float]]], repeat: int, server: str) -> str:
    lines = [
        HEADING,
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other jobs, {server}; best of {repeat} runs, each in "
        "a fresh process. Workload: `fairness(y_true, y_pred, sensitive_features=[race, sex])`, "
        "the `y_pred` report (13 rates, CIs, disparities, verdict-ready summaries). Rerun: "
        "`python benchmarks/sources.py --rows N ... --repeat R`.",
        "",
        "| rows | contender | wall s | of which opening | after opening | after opening ÷ floor "
        "| wall ÷ floor | client CPU s | server CPU s | peak client MB (growth after imports) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, found in results.items():
        for kind, r in found.items():
            floor = found["spark_groupby" if kind.startswith("spark") else "psql"]["seconds"]
            lines.append(_row(n, kind, r, floor))
            if kind == "pushed_down" and "warm_s" in r:
                warm = r | {"seconds": r["warm_s"], "open_s": 0.0, "cpu_s": r["warm_cpu_s"]}
                warm |= {"server_cpu_s": r.get("warm_server_cpu_s", float("nan"))}
                warm |= {"peak_mb": float("nan")}
                lines.append(_row(n, "pushed_down_warm", warm, floor))
    return "\n".join([*lines, "", NOTES]) + "\n"


NOTES = """\
How to read it:

- **The machine.** Two cores shared with another engineer's test runs (load average 2 to 8
  during these runs) and with the PostgreSQL server itself: a wall time can double from one run
  to the next (Spark at 1M rows came out at 0.78× and 1.35× of its floor in two runs of the same
  code). Each figure is the best of the runs, the contenders taking turns; the CPU columns move
  less with the load than the wall times. Loading 10M rows (COPY, a chunk of 1M rows of CSV in
  memory at a time, then VACUUM ANALYZE) takes about 8 s.
- **Opening** is importing Ibis (about 0.45 s) and SQLAlchemy (0.25 s, which parses the URL),
  connecting and reading the table's schema: a fixed cost, the same at 1M and 10M rows. Spark's
  opening is zero: the session and the file are warmed up before the clock starts for both Spark
  contenders.
- **After opening** is the first report: one `SELECT … GROUP BY`, sent as it is, in one round
  trip (`tests/sources` reads libpq's protocol trace to check it), Assay's work on the grouped
  rows (tens), and a one-off ~0.3 s: pyarrow imports pandas the first time it converts rows,
  however few. At 1M rows that one-off is most of the distance to the floor; at 10M the GROUP BY
  is, and the first report is within the issue's 1.5×. The row below it is the same report
  again in the same process, nothing left to import: the GROUP BY and tens of rows of
  arithmetic, level with psql (below 1× because psql's time includes starting psql and
  connecting).
- **What this run changed.** Ibis fetched every result through `DECLARE … CURSOR` and `FETCH` in
  a transaction (five round trips), and PostgreSQL never plans a cursor's query in parallel: the
  pushed-down GROUP BY ran on one process while psql's ran on three (a leader and two parallel
  workers). Measured side by side on 10M rows, taking turns, the old code's report took 2.46 s
  warm and the new 1.49 s, psql 1.67 s; first report after opening 2.34 s → 2.02 s (the old
  code paid the pandas import while opening). Opening a table sends six statements instead of
  twelve (Ibis' own statements are no longer each wrapped in `BEGIN`/`COMMIT`), and `import
  assay.sources` no longer imports SQLAlchemy (only opening a database or streaming its rows
  does), which every data-reading command paid, local files included.
- **Floors.** psql runs the same GROUP BY and prints the grouped rows; Spark's floor is
  `groupBy(...).count().collect()` on the same DataFrame. The issue's targets are the
  pushed-down time within 1.5× of psql and Spark within 2× of its own group-by, both judged on
  the time after opening.
- **CPU.** Client CPU is the benchmark process and its children (Spark's JVM included) over the
  timed part. Server CPU is every PostgreSQL process's (the postmaster's children, parallel
  workers included) over the same time, so on this shared server it also counts any other
  session that ran then; psql and the pushed-down report send the same statement and cost the
  server the same. Pulling the rows costs the server about as much (it reads and sends every
  row) and the client twenty times what the pushed-down report costs it.
- **Memory** is the client's peak resident set (`VmHWM`) and, in brackets, its growth after
  the imports (psql's is not measured). Pushed down, the growth is the same at 1M and 10M rows
  (only grouped rows come back); pulled into Polars it grows with the rows (4.2 GB at 10M);
  Spark's is the Python driver's only (the JVM is another process).
"""


def write_section(text: str) -> None:
    """Replace this script's section of docs/benchmarks.md (or append it), leaving the rest."""
    doc = ROOT / "docs" / "benchmarks.md"
    current = doc.read_text(encoding="utf-8")
    if HEADING in current:
        head, _, rest = current.partition(HEADING)
        after = rest.find("\n## ")
        current = head + text + ("\n" + rest[after + 1 :] if after >= 0 else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    doc.write_text(current, encoding="utf-8")


RAW = DATA_DIR / "sources_results.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--render-only", action="store_true", help=f"rewrite the section from {RAW.name}"
    )
    args = parser.parse_args()
    if args.render_only:
        raw = json.loads(RAW.read_text(encoding="utf-8"))
        results = {int(n): found for n, found in raw["results"].items()}
        text = section(results, raw["repeat"], raw["server"])
    else:
        url = os.environ.get("ASSAY_TEST_POSTGRES_URL")
        if not url:
            sys.exit("Set ASSAY_TEST_POSTGRES_URL to a PostgreSQL server you may write a table to.")
        server = describe_server(url)
        results = {}
        for n in args.rows:  # the raw numbers are kept after each size
            results[n] = measure(n, url, args.repeat, not args.no_spark)
            raw = {"repeat": args.repeat, "server": server, "results": results}
            RAW.write_text(json.dumps(raw, indent=1), encoding="utf-8")
        text = section(results, args.repeat, server)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
