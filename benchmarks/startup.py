"""How fast Assay starts: ``assay --help``, and a whole fairness run against the Polars floor.

Two numbers, each the median of ``--repeat`` runs, wall-clock time and CPU time (user + system
of the child process, from ``getrusage``; the CPU time is the steadier one on a shared machine):

1. ``assay --help`` as a new process. Target: under 0.3 s of CPU.
2. ``assay evaluate fairness DATA.parquet`` on 1,000,000 rows, the whole process (start-up,
   imports, the scan, the statistics, writing the JSON result), against a Python process that
   imports Polars and runs the floor's group-by (the one query any fairness tool must run: counts
   by group, label and prediction) on the same file. Target: within 1.5× of the floor.

Usage::

    python benchmarks/startup.py                 # measure and print the Markdown section
    python benchmarks/startup.py --write-docs    # rewrite "## Start-up" in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "benchmarks" / "_data"
DOCS = REPO / "docs" / "benchmarks.md"
SECTION = "## Start-up"
FEATURES = ("race", "sex")
FLOOR = """
import sys
import polars as pl
keys = ["race", "sex", "y_true", "y_pred"]
pl.scan_parquet(sys.argv[1]).group_by(keys).agg(pl.len()).collect()
"""


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(argv: list[str], repeat: int) -> tuple[float, float]:
    timed(argv)  # warm the file cache and the bytecode
    runs = [timed(argv) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def data(rows: int) -> Path:
    """The fairness benchmark's synthetic predictions (generated once, reused)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from fairness_vs_fairlearn import data_path, generate

    path = data_path(rows, 0)
    if not path.exists():
        generate(rows, 0, path)
    return path


def measure(rows: int, repeat: int) -> dict[str, float]:
    python = sys.executable
    help_wall, help_cpu = median_of([python, "-m", "assay", "--help"], repeat)
    parquet = data(rows)
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "fairness.json")
        assay = [
            *(python, "-m", "assay", "evaluate", "fairness", str(parquet)),
            *("--y-true", "y_true", "--y-pred", "y_pred", "--sensitive", ",".join(FEATURES)),
            *("-o", out),
        ]
        fair_wall, fair_cpu = median_of(assay, repeat)
    floor_wall, floor_cpu = median_of([python, "-c", FLOOR, str(parquet)], repeat)
    _, imports_cpu = median_of([python, "-c", "import assay.cli._app, assay.cli._evaluate"], repeat)
    _, polars_cpu = median_of([python, "-c", "import polars"], repeat)
    return {
        "imports_cpu": imports_cpu,
        "polars_cpu": polars_cpu,
        "rows": rows,
        "help_wall": help_wall,
        "help_cpu": help_cpu,
        "fairness_wall": fair_wall,
        "fairness_cpu": fair_cpu,
        "floor_wall": floor_wall,
        "floor_cpu": floor_cpu,
    }


def render(r: dict[str, float], repeat: int) -> str:
    import polars as pl

    load = os.getloadavg()[0]
    ratio_wall = r["fairness_wall"] / r["floor_wall"]
    ratio_cpu = r["fairness_cpu"] / r["floor_cpu"]
    return "\n".join(
        [
            SECTION,
            "",
            "Reproduce with `python benchmarks/startup.py --write-docs`.",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other work (load "
            f"average {load:.1f} at the end of the run), Python {platform.python_version()}, "
            f"Polars {pl.__version__}. Each figure is the median of {repeat} runs after one "
            "warm-up; CPU is user + system time of the process.",
            "",
            "| what | wall (s) | CPU (s) | target |",
            "|---|---:|---:|---|",
            f"| `assay --help` | {r['help_wall']:.3f} | {r['help_cpu']:.3f} | < 0.3 s of CPU |",
            f"| `assay evaluate fairness` on {int(r['rows']):,} rows of Parquet, whole process "
            f"| {r['fairness_wall']:.3f} | {r['fairness_cpu']:.3f} | |",
            f"| Python + Polars floor group-by on the same file, whole process "
            f"| {r['floor_wall']:.3f} | {r['floor_cpu']:.3f} | |",
            f"| **Assay ÷ floor** | **{ratio_wall:.2f}×** | **{ratio_cpu:.2f}×** | within 1.5× |",
            "",
            "The fairness run writes the full `assay.fairness/v1` result (every group's rates with "
            "Wilson intervals, the disparities with Newcombe and Katz intervals, the verdict "
            "engine) to a JSON file; the floor only counts rows by group, label and prediction. "
            "`assay --help` lists every command from a table and imports none of them; a command "
            "imports only what it uses (a fairness run no longer loads SciPy, drift or quality).",
            "",
            f"Where the fairness run's CPU goes: importing the command (Typer and Rich, NumPy, "
            f"Narwhals, Polars and Assay's modules) takes {r['imports_cpu']:.3f} s, of which "
            f"importing Polars alone takes {r['polars_cpu']:.3f} s; the scan and the statistics "
            f"take the remaining {r['fairness_cpu'] - r['imports_cpu']:.3f} s, the floor's query "
            f"{r['floor_cpu'] - r['polars_cpu']:.3f} s.",
            "",
            "Why the 1.5× target is not met: Typer (0.25 and later) coerces every parameter "
            "through pydantic, imported on the first parse (about 0.10 s of CPU), NumPy about "
            "0.06 s and Narwhals — the engine layer every data source goes through — about 0.035 "
            "s; together they exceed the 0.135 s that 1.5× leaves above the floor before Assay "
            "has computed anything. Meeting it would need a command line without Typer and "
            "statistics without NumPy on the fairness path.",
            "",
        ]
    )


def write_docs(section: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    section = render(measure(args.rows, args.repeat), args.repeat)
    print(section)
    if args.write_docs:
        write_docs(section)


if __name__ == "__main__":
    main()
