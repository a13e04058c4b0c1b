"""Benchmark fairness where the data lives: a PostgreSQL table (pushed down, against the bare
GROUP BY in psql and against pulling the rows into Polars) and Spark local mode (against Spark's
own group-by).

Run from the repository root, with ``ASSAY_TEST_POSTGRES_URL`` pointing at a server you may
write a table to::

    .venv/bin/python benchmarks/sources.py --rows 1000000

It loads synthetic rows into a table ``assay_bench_<rows>`` (dropped afterwards), writes them to
``benchmarks/_data/`` for Spark, times every contender in a fresh subprocess (best of
``--repeat``) with its peak resident memory, and rewrites the section "## Sources (databases and
Spark)" of ``docs/benchmarks.md``.
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


def load_table(url: str, name: str, rows: Any) -> None:
    """COPY the rows into a fresh table (the fast path a warehouse load would use)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        conn.exec_driver_sql(
            f"CREATE TABLE {name} (race text, sex text, y_true bigint, y_pred bigint)"
        )
        raw: Any = conn.connection.driver_connection
        buffer = io.BytesIO()
        rows.write_csv(buffer, include_header=False)
        with raw.cursor() as cur, cur.copy(f"COPY {name} FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        conn.exec_driver_sql(f"ANALYZE {name}")
    engine.dispose()


WORKER = r"""
import json, sys, time
kind, url, table, parquet = sys.argv[1:5]


def peak_mb():
    # VmHWM: this address space's peak resident set. Unlike ru_maxrss it starts afresh at exec,
    # so the benchmark parent's own memory (it holds the rows) is not counted.
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


import polars as pl
from assay.evaluate import fairness
ARGS = dict(y_true="y_true", y_pred="y_pred", sensitive_features=["race", "sex"])
base = peak_mb()
start = time.perf_counter()
opened_at = start
if kind == "pushed_down":
    from assay.sources import SourceSpec, opened_source
    with opened_source(SourceSpec(database=url, table=table)) as opened:
        opened_at = time.perf_counter()  # Ibis imported, connected, schema read
        r = fairness(opened.data, **ARGS)
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
    start = opened_at = time.perf_counter()
    if kind == "spark_assay":
        r = fairness(df, **ARGS)
    else:
        r = df.groupBy("race", "sex", "y_true", "y_pred").count().collect()
seconds = time.perf_counter() - start
print("BENCH-RESULT " + json.dumps({"seconds": seconds, "peak_mb": peak_mb(),
                                    "import_mb": base, "open_s": opened_at - start}))
"""


def run_worker(kind: str, url: str, table: str, parquet: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, kind, url, table, str(parquet)],
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
    subprocess.run(
        [str(psql), plain, "-qAt", "-c", GROUP_BY.format(table=table)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": float("nan"), "import_mb": 0.0, "open_s": 0.0}


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    return min(runs, key=lambda r: r["seconds"])


def measure(n: int, url: str, repeat: int, spark: bool) -> dict[str, dict[str, float]]:
    rows = make_rows(n)
    table = f"assay_bench_{n}"
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    parquet = DATA_DIR / f"sources_{n}.parquet"
    rows.write_parquet(parquet)
    load_table(url, table, rows)
    kinds = ["pushed_down", "pulled"] + (["spark_assay", "spark_groupby"] if spark else [])
    out: dict[str, dict[str, float]] = {}
    try:
        out["psql"] = best([run_psql(url, table) for _ in range(repeat)])
        for kind in kinds:
            out[kind] = best([run_worker(kind, url, table, parquet) for _ in range(repeat)])
            print(n, kind, out[kind], file=sys.stderr)
    finally:
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        engine.dispose()
    return out


def section(results: dict[int, dict[str, dict[str, float]]], repeat: int) -> str:
    lines = [
        HEADING,
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other jobs, PostgreSQL on loopback; best of "
        f"{repeat} runs, each in a fresh process. Workload: `fairness(y_true, y_pred, "
        "sensitive_features=[race, sex])`, the `y_pred` report (13 rates, CIs, disparities, "
        "verdict-ready summaries). Rerun: `python benchmarks/sources.py --rows N ...`.",
        "",
        "| rows | contender | seconds | of which opening | vs floor | after opening, vs floor "
        "| peak client MB (growth after imports) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    names = {
        "psql": "GROUP BY in psql (the floor)",
        "pushed_down": "Assay, `--source-db` (pushed down)",
        "pulled": "rows pulled into Polars, then Assay",
        "spark_groupby": "Spark's own groupBy().count() (the floor)",
        "spark_assay": "Assay on Spark (`--engine spark`, local[2])",
    }
    for n, found in results.items():
        for kind, r in found.items():
            floor = found["spark_groupby" if kind.startswith("spark") else "psql"]["seconds"]
            peak = r["peak_mb"]
            memory = "—" if peak != peak else f"{peak:.0f} ({peak - r['import_mb']:+.0f})"
            lines.append(
                f"| {n:,} | {names[kind]} | {r['seconds']:.3f} | {r['open_s']:.3f} "
                f"| {r['seconds'] / floor:.2f}× | {(r['seconds'] - r['open_s']) / floor:.2f}× "
                f"| {memory} |"
            )
    return "\n".join([*lines, "", NOTES]) + "\n"


NOTES = """\
How to read it:

- **Rows.** Issue 18 asks for 10M rows; on this shared 2-core machine (eight jobs at once, load
  average above 15) the default is 1M rows. Rerun with `--rows 10000000` on a quiet machine.
- **Opening** is importing Ibis, connecting and reading the table's schema (or, for Spark, zero:
  the session and the file are warmed up before the clock starts for both Spark contenders). It
  is a fixed cost, independent of the row count; the rest of the pushed-down time is one
  `SELECT … GROUP BY` in the database plus Assay's work on the grouped table (tens of rows).
- **Floors.** psql runs the same GROUP BY the pushed-down pass sends and prints the grouped rows;
  Spark's floor is `groupBy(...).count().collect()` on the same DataFrame. The issue's targets
  are the pushed-down time within 1.5× of psql and Spark within 2× of its own group-by, both
  judged on the time after opening.
- **Memory** is the client's peak resident set (`VmHWM`) and, in brackets, its growth after
  the imports. Pushed down, the growth does not depend on the row count (only grouped rows come
  back); pulled into Polars it grows with the rows; Spark's is the Python driver's only (the JVM
  is another process).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("ASSAY_TEST_POSTGRES_URL")
    if not url:
        sys.exit("Set ASSAY_TEST_POSTGRES_URL to a PostgreSQL server you may write a table to.")
    results = {n: measure(n, url, args.repeat, not args.no_spark) for n in args.rows}
    text = section(results, args.repeat)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
