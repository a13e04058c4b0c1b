"""Benchmark Assay's fairness engine against Fairlearn's MetricFrame and a Polars floor.

Run from the repository root (about 45 minutes on 2 cores for the default sizes, most of it
Fairlearn)::

    .venv/bin/python benchmarks/fairness_vs_fairlearn.py --rows 1000000 10000000 --engine HEAD

It writes synthetic data to ``benchmarks/_data/`` (git-ignored), times every contender in a fresh
subprocess, and rewrites the section "## Fairness engine" of ``docs/benchmarks.md`` (other sections
are left as they are). ``benchmarks/README.md`` explains what is measured and how.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "benchmarks" / "_data"
HEADING = "## Fairness engine"
INTRO = (
    "# Benchmarks\n\n"
    "Every number on this page is written by a script in `benchmarks/` that anyone can rerun; "
    "see `benchmarks/README.md`. Each section names the machine it was measured on.\n\n"
)

FEATURES = ["race", "sex"]
RACES = ["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"]
RACE_SHARES = [0.50, 0.25, 0.13, 0.08, 0.04]
SEXES = ["Male", "Female"]
SEX_SHARES = [0.62, 0.38]
THRESHOLD = 0.5
COLUMNS = {
    "labels": [*FEATURES, "y_true", "y_pred"],
    "scores": [*FEATURES, "y_true", "y_score"],
}
WORKLOADS = {
    "labels": "y_pred: 13 rates and scores + count, CIs, disparities, summaries",
    "scores": "y_score: the same + AUC, AP, Brier, ECE (bootstrap CIs) + threshold sweep",
}
#: Fairlearn's warm-up runs on a slice: a full warm-up would double minutes of runtime for nothing.
FAIRLEARN_WARMUP_ROWS = 10_000
#: Bootstrap replicates Assay draws by default; Fairlearn's cost is extrapolated to this many.
N_BOOTSTRAP = 1000
RESULT_MARK = "BENCH-RESULT "
#: Environment of every worker: this process's, plus PYTHONPATH when --engine pins a snapshot.
WORKER_ENV: dict[str, str] = dict(os.environ)
#: One-minute load average sampled around every worker: how busy the (shared) machine was.
LOADS: list[float] = []


# --------------------------------------------------------------------------------------------
# Data


def data_path(rows: int, seed: int) -> Path:
    return DATA_DIR / f"fairness_{rows}_seed{seed}.parquet"


def generate(rows: int, seed: int, path: Path) -> None:
    """Synthetic predictions for ``rows`` people, deterministic in ``seed``.

    Race has 5 groups and sex 2, with unequal shares (the smallest of the 10 intersectional cells
    holds 1.5 % of the rows). Base rates and score calibration differ by group, so there are real
    disparities to find. ``y_score`` is a logistic score correlated with the label and ``y_pred``
    is ``y_score >= 0.5``.
    """
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    race = rng.choice(len(RACES), size=rows, p=RACE_SHARES)
    sex = rng.choice(len(SEXES), size=rows, p=SEX_SHARES)
    base_rate = 0.15 + 0.05 * race + 0.05 * sex
    y_true = (rng.random(rows) < base_rate).astype(np.int64)
    logit = 1.6 * (2 * y_true - 1) - 1.0 + 0.15 * race - 0.1 * sex + rng.normal(0.0, 1.3, rows)
    y_score = 1.0 / (1.0 + np.exp(-logit))
    frame = pl.DataFrame(
        {
            "race": pl.Series(RACES, dtype=pl.String).gather(race),
            "sex": pl.Series(SEXES, dtype=pl.String).gather(sex),
            "y_true": y_true,
            "y_pred": (y_score >= THRESHOLD).astype(np.int64),
            "y_score": y_score,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    frame.write_parquet(partial)
    partial.replace(path)


# --------------------------------------------------------------------------------------------
# What runs inside a worker subprocess


def _prevalence(y_true: Any, y_pred: Any) -> float:
    import numpy as np

    return float(np.mean(y_true))


def _cells(y_true: Any, y_pred: Any) -> dict[str, int]:
    from sklearn.metrics import confusion_matrix

    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn}


def _divide(num: float, den: float) -> float:
    return num / den if den else float("nan")


def _ppv(y_true: Any, y_pred: Any) -> float:
    from sklearn.metrics import precision_score

    return float(precision_score(y_true, y_pred, zero_division=float("nan")))


def _npv(y_true: Any, y_pred: Any) -> float:
    c = _cells(y_true, y_pred)
    return _divide(c["tn"], c["tn"] + c["fn"])


def _fdr(y_true: Any, y_pred: Any) -> float:
    c = _cells(y_true, y_pred)
    return _divide(c["fp"], c["tp"] + c["fp"])


def _for(y_true: Any, y_pred: Any) -> float:
    c = _cells(y_true, y_pred)
    return _divide(c["fn"], c["tn"] + c["fn"])


def _ece(y_true: Any, y_score: Any) -> float:
    """Expected calibration error over 10 equal-width bins of [0, 1] (Assay's definition)."""
    import numpy as np

    s = np.asarray(y_score, dtype=np.float64)
    y = np.asarray(y_true, dtype=np.float64)
    bins = np.clip(np.floor(s * 10), 0, 9).astype(np.int64)
    gap = np.bincount(bins, weights=s, minlength=10) - np.bincount(bins, weights=y, minlength=10)
    return float(np.abs(gap).sum() / s.size)


def _thresholded(metric: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def at_threshold(y_true: Any, y_score: Any) -> Any:
        return metric(y_true, (y_score >= THRESHOLD).astype("int64"))

    return at_threshold


def fairlearn_metrics(workload: str) -> dict[str, Callable[[Any, Any], Any]]:
    """Assay's metric set, written the way a Fairlearn user would write it."""
    from fairlearn.metrics import (
        count,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_negative_rate,
        true_positive_rate,
    )
    from sklearn.metrics import (
        accuracy_score,
        average_precision_score,
        balanced_accuracy_score,
        brier_score_loss,
        f1_score,
        roc_auc_score,
    )

    labels: dict[str, Callable[[Any, Any], Any]] = {
        "count": count,
        "prevalence": _prevalence,
        "selection_rate": selection_rate,
        "accuracy": accuracy_score,
        "balanced_accuracy": balanced_accuracy_score,
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
        "fnr": false_negative_rate,
        "tnr": true_negative_rate,
        "ppv": _ppv,
        "npv": _npv,
        "fdr": _fdr,
        "for": _for,
        "f1": f1_score,
    }
    if workload == "labels":
        return labels
    scores = {name: _thresholded(fn) for name, fn in labels.items()}
    scores |= {
        "roc_auc": roc_auc_score,
        "average_precision": average_precision_score,
        "brier_score": brier_score_loss,
        "ece": _ece,
    }
    return scores


def _import_everything() -> None:
    """Every worker imports the same libraries, so that baselines subtract them exactly."""
    import fairlearn.metrics
    import narwhals
    import numpy
    import pandas
    import polars
    import pyarrow
    import sklearn.metrics

    import assay.evaluate

    del fairlearn, narwhals, numpy, pandas, polars, pyarrow, sklearn, assay


def _load(source: str, path: Path) -> Any:
    if source == "polars":
        import polars as pl

        return pl.read_parquet(path)
    if source == "pandas":
        import pandas as pd

        return pd.read_parquet(path)
    return path  # "parquet": the contender reads the file itself; "none": nothing is loaded


def _runner(tool: str, source: str, workload: str, data: Any) -> Callable[[Any], Any]:
    """A function of the data that runs one contender once."""
    import polars as pl

    if tool == "assay":
        from assay.evaluate import fairness

        prediction = {"y_pred": "y_pred"} if workload == "labels" else {"y_score": "y_score"}

        def run_assay(frame: Any) -> Any:
            return fairness(frame, y_true="y_true", sensitive_features=FEATURES, **prediction)

        return run_assay
    if tool == "floor":
        predicted = (
            pl.col("y_pred")
            if workload == "labels"
            else (pl.col("y_score") >= THRESHOLD).alias("y_pred")
        )
        keys = [*FEATURES, pl.col("y_true"), predicted]
        if source == "parquet":
            return lambda path: pl.scan_parquet(path).group_by(keys).agg(pl.len()).collect()
        # Lazy, so that Polars picks its default (fastest) engine, as it does for Assay's query;
        # an eager DataFrame.group_by runs the older in-memory engine and would flatter Assay.
        return lambda frame: frame.lazy().group_by(keys).agg(pl.len()).collect()
    if tool in ("fairlearn", "fairlearn-bootstrap"):
        from fairlearn.metrics import MetricFrame

        metrics = fairlearn_metrics(workload)
        prediction_column = "y_pred" if workload == "labels" else "y_score"
        boot: dict[str, Any] = {}
        if tool == "fairlearn-bootstrap":
            boot = {"n_boot": int(os.environ["BENCH_N_BOOT"]), "ci_quantiles": [0.025, 0.975]}

        def run_fairlearn(frame: Any) -> Any:
            mf = MetricFrame(
                metrics=metrics,
                y_true=frame["y_true"],
                y_pred=frame[prediction_column],
                sensitive_features=frame[FEATURES],
                random_state=0,
                **boot,
            )
            return mf.by_group, mf.difference(), mf.ratio()

        return run_fairlearn
    raise ValueError(f"unknown tool {tool!r}")


def worker(case: str, path: Path, repeat: int) -> dict[str, Any]:
    """Load the data, warm up once, time ``repeat`` runs; or profile one run."""
    out = _work(case, path, repeat)
    # The kernel's own high-water mark of this process image: a cross-check of ru_maxrss.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            out["vm_hwm"] = int(line.split()[1]) * 1024
    return out


def _work(case: str, path: Path, repeat: int) -> dict[str, Any]:
    tool, source, workload = case.split(":")
    if tool == "generate":
        generate(int(source), int(workload), path)
        return {}
    _import_everything()
    data = _load(source, path)
    out: dict[str, Any] = {}
    if tool == "baseline":
        import assay

        out["assay"] = str(Path(assay.__file__).resolve().parent)
        if source == "polars":
            out["column_bytes"] = {
                name: int(data.select(cols).estimated_size()) for name, cols in COLUMNS.items()
            }
        if source == "pandas":
            out["pandas_bytes"] = {
                name: int(data[cols].memory_usage(deep=True, index=False).sum())
                for name, cols in COLUMNS.items()
            }
        return out
    profiling = tool.startswith("profile-")
    run = _runner(tool.removeprefix("profile-"), source, workload, data)
    warm = data.iloc[:FAIRLEARN_WARMUP_ROWS] if tool.startswith("fairlearn") else data
    start = time.perf_counter()
    run(warm)
    out["warmup"] = time.perf_counter() - start
    if profiling:
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        run(data)
        profiler.disable()
        out["profiled_total"] = time.perf_counter() - start
        out["breakdown"] = breakdown(profiler)
        return out
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run(data)
        times.append(time.perf_counter() - start)
        # CPU time of the whole process, every thread (Polars' pool, Assay's digest thread)
        cpu.append(time.process_time() - start_cpu)
    out["times"] = times
    out["cpu_times"] = cpu
    return out


# --------------------------------------------------------------------------------------------
# Profile: where does ``fairness()`` spend its time?

Func = tuple[str, int, str]


def _func_name(func: Func) -> str:
    file, _, name = func
    if file == "~":  # a builtin such as "<method 'collect' of 'builtins.PyLazyFrame' objects>"
        return name
    parts = Path(file).parts
    if "site-packages" in parts:
        return f"{parts[parts.index('site-packages') + 1]}: {name}"
    if "assay" in parts:
        module = ".".join(parts[parts.index("assay") :]).removesuffix(".py")
        return f"{module}.{name}"
    return f"{Path(file).name}: {name}"


def _callees(raw: dict[Func, Any], parent: Func) -> dict[Func, tuple[int, float]]:
    """Calls and cumulative time of each function ``parent`` calls (via comprehensions too)."""
    out: dict[Func, tuple[int, float]] = {}
    for func, (*_, callers) in raw.items():
        edge = callers.get(parent)
        if edge is None:
            continue
        if func[2].startswith("<") and func[0] == parent[0]:  # <dictcomp>, <genexpr>, <lambda>
            found = _callees(raw, func)
        else:
            found = {func: (int(edge[1]), float(edge[3]))}
        for sub, (calls, seconds) in found.items():
            before = out.get(sub, (0, 0.0))
            out[sub] = (before[0] + calls, before[1] + seconds)
    return out


def breakdown(profiler: cProfile.Profile) -> dict[str, Any]:
    """Time of each function ``fairness()`` calls (and of the callees of the big ones)."""
    raw: dict[Func, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    # fairness() checks its arguments into a request and hands it to _evaluate(), whose callees
    # are the phases worth reporting
    here = [f for f in raw if f[0].endswith(os.path.join("evaluate", "_fairness.py"))]
    root = next((f for f in here if f[2] == "_evaluate"), None) or next(
        f for f in here if f[2] == "fairness"
    )
    total = raw[root][3]

    def entries(parent: Func, share_min: float, limit: int) -> list[dict[str, Any]]:
        calls = sorted(_callees(raw, parent).items(), key=lambda kv: -kv[1][1])
        return [
            {"name": _func_name(f), "seconds": s, "calls": n, "func": f}
            for f, (n, s) in calls[:limit]
            if s >= share_min * total
        ]

    top = entries(root, 0.01, 40)
    for entry in top:
        children = entries(entry.pop("func"), 0.03, 4) if entry["seconds"] >= 0.1 * total else []
        for child in children:
            child.pop("func")
        entry["children"] = children
    row_queries = [f for f in raw if f[2] == "collect" and "_aggregate" in f[0]]
    queries = {"calls": 0, "seconds": 0.0}
    for f in row_queries:
        queries["calls"] += int(raw[f][1])
        queries["seconds"] += raw[f][3]
    return {"total": total, "top": top, "row_queries": queries}


# --------------------------------------------------------------------------------------------
# The parent: run workers, collect numbers, write the table


@dataclass
class Measurement:
    seconds: float | None  # median wall time
    times: list[float]
    cpu_seconds: float | None  # median CPU time of the process (all threads)
    cpu_times: list[float]
    peak_rss: int  # bytes, whole subprocess
    extra: dict[str, Any]


def run_worker(
    case: str, path: Path, repeat: int, env: dict[str, str] | None = None
) -> Measurement:
    """Run one case in a fresh interpreter and read its peak RSS from the kernel.

    ``os.wait4`` returns the rusage of that one child, which is what ``RUSAGE_CHILDREN`` reports
    after a single child; ``RUSAGE_CHILDREN`` itself keeps the maximum over every child waited for,
    so after a big run every later, smaller one would be invisible.

    A child's ``ru_maxrss`` starts at the parent's peak RSS (the kernel carries the high-water mark
    of the forked address space across ``exec``), so this parent never imports numpy, Polars or
    pandas and never holds data: its peak stays far below any worker's.
    """
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", case]
    cmd += ["--data", str(path), "--repeat", str(repeat)]
    print(f"  {case:<32}", end="", flush=True)
    LOADS.append(os.getloadavg()[0])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=WORKER_ENV | (env or {}))
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    LOADS.append(os.getloadavg()[0])
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"worker {case} failed with exit code {proc.returncode}")
    line = next(x for x in output.splitlines()[::-1] if x.startswith(RESULT_MARK))
    result = json.loads(line.removeprefix(RESULT_MARK))
    times = result.pop("times", [])
    seconds = statistics.median(times) if times else None
    cpu_times = result.pop("cpu_times", [])
    cpu_seconds = statistics.median(cpu_times) if cpu_times else None
    peak = usage.ru_maxrss * 1024  # KiB on Linux
    if peak <= _own_peak():
        raise SystemExit(f"worker {case}: its peak RSS is not above the parent's; cannot measure")
    shown = f"{seconds:9.3f} s" if seconds is not None else " " * 11
    shown += f" (CPU {cpu_seconds:7.3f} s)" if cpu_seconds is not None else " " * 17
    print(f"{shown}   peak RSS {peak / 2**20:8.1f} MiB", flush=True)
    return Measurement(seconds, times, cpu_seconds, cpu_times, peak, result)


def _own_peak() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def machine() -> dict[str, Any]:
    """Where the numbers come from. Reads package metadata instead of importing: see run_worker."""
    from importlib.metadata import version

    cpu = "unknown"
    ram = 0
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            ram = int(line.split()[1]) * 1024
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--", "src/assay/evaluate")
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": ram,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "versions": {
            name: version(dist)
            for name, dist in (
                ("assay", "assay-rai"),
                ("polars", "polars"),
                ("narwhals", "narwhals"),
                ("fairlearn", "fairlearn"),
                ("pandas", "pandas"),
                ("scikit-learn", "scikit-learn"),
                ("numpy", "numpy"),
            )
        },
        "commit": commit + (" (engine modified in the working tree)" if dirty else ""),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": os.getloadavg(),
    }


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def engine_snapshot(ref: str) -> tuple[Path, str]:
    """Export ``src/`` as committed at ``ref`` into ``benchmarks/_data/engine-<sha>/``.

    Workers then import Assay from there (first on ``PYTHONPATH``), so edits other people make to
    the working tree while a long run is going cannot change the engine halfway through.
    """
    import io
    import shutil
    import tarfile

    sha = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    if sha == "unknown":
        raise SystemExit(f"--engine {ref!r} is not a commit of this repository")
    dest = DATA_DIR / f"engine-{sha[:12]}"
    if not (dest / "src" / "assay" / "__init__.py").exists():
        archive = subprocess.run(
            ["git", "archive", sha, "src"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        partial = dest.with_name(dest.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(partial, filter="data")
        partial.replace(dest)
    return dest / "src", sha


def measure(args: argparse.Namespace) -> dict[str, Any]:
    info = machine()
    if args.engine:
        src, sha = engine_snapshot(args.engine)
        WORKER_ENV["PYTHONPATH"] = str(src)
        info["commit"] = f"{sha[:7]}, a clean snapshot of `{args.engine}`"
    expected = (Path(WORKER_ENV["PYTHONPATH"]) if args.engine else ROOT / "src") / "assay"
    sizes: list[dict[str, Any]] = []
    measured_fairlearn: dict[str, tuple[int, float]] = {}
    for index, rows in enumerate(args.rows):
        path = data_path(rows, args.seed)
        if args.regenerate or not path.exists():
            print(f"generating {rows:,} rows -> {path.relative_to(ROOT)}", flush=True)
            run_worker(f"generate:{rows}:{args.seed}", path, 0)
        print(f"{rows:,} rows", flush=True)
        base = {s: run_worker(f"baseline:{s}:-", path, 1) for s in ("none", "polars", "pandas")}
        if Path(base["none"].extra["assay"]) != expected:
            raise SystemExit(f"workers import Assay from {base['none'].extra['assay']}")
        entry: dict[str, Any] = {
            "rows": rows,
            "file_bytes": path.stat().st_size,
            "column_bytes": base["polars"].extra["column_bytes"],
            "pandas_bytes": base["pandas"].extra["pandas_bytes"],
            "workloads": {},
        }
        for workload in ("labels", "scores"):
            result: dict[str, Any] = {}
            for tool, source, baseline in (
                ("floor", "polars", "polars"),
                ("floor", "parquet", "none"),
                ("assay", "polars", "polars"),
                ("assay", "parquet", "none"),
            ):
                m = run_worker(f"{tool}:{source}:{workload}", path, args.repeat)
                result[f"{tool}:{source}"] = {
                    "seconds": m.seconds,
                    "times": m.times,
                    "cpu_seconds": m.cpu_seconds,
                    "cpu_times": m.cpu_times,
                    "peak_above_baseline": m.peak_rss - base[baseline].peak_rss,
                }
            skip = args.skip_fairlearn_above is not None and rows > args.skip_fairlearn_above
            if not skip:
                m = run_worker(f"fairlearn:pandas:{workload}", path, args.fairlearn_repeat)
                assert m.seconds is not None
                result["fairlearn"] = {
                    "seconds": m.seconds,
                    "times": m.times,
                    "peak_above_baseline": m.peak_rss - base["pandas"].peak_rss,
                    "extrapolated_from": None,
                }
                measured_fairlearn[workload] = (rows, m.seconds)
            elif workload in measured_fairlearn:
                from_rows, seconds = measured_fairlearn[workload]
                result["fairlearn"] = {
                    "seconds": seconds * rows / from_rows,
                    "times": [],
                    "peak_above_baseline": None,
                    "extrapolated_from": from_rows,
                }
            if index == 0 and workload == "labels" and args.fairlearn_bootstrap and not skip:
                env = {"BENCH_N_BOOT": str(args.fairlearn_bootstrap)}
                m = run_worker("fairlearn-bootstrap:pandas:labels", path, 1, env)
                assert m.seconds is not None
                per_replicate = (m.seconds - result["fairlearn"]["seconds"]) / (
                    args.fairlearn_bootstrap
                )
                result["fairlearn_bootstrap"] = {
                    "n_boot": args.fairlearn_bootstrap,
                    "seconds": m.seconds,
                    "per_replicate": per_replicate,
                }
            entry["workloads"][workload] = result
        sizes.append(entry)
        # Partial numbers survive a crash (or a Ctrl-C) during the next, longer size.
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps({"partial": True, "machine": info, "sizes": sizes}))
    profiles: dict[str, Any] = {}
    if args.profile:
        rows = max(args.rows)
        print(f"profiling at {rows:,} rows", flush=True)
        for case in ("assay:polars:labels", "assay:parquet:labels", "assay:polars:scores"):
            m = run_worker(f"profile-{case}", data_path(rows, args.seed), 1)
            profiles[case] = {"rows": rows, **m.extra}
    info["load_after"] = os.getloadavg()
    info["load_range"] = [min(LOADS), max(LOADS)]
    info["parent_peak_rss"] = _own_peak()
    return {
        "machine": info,
        "args": _argv(args),
        "repeat": args.repeat,
        "sizes": sizes,
        "profiles": profiles,
    }


def _argv(args: argparse.Namespace) -> str:
    parts = ["--rows", *map(str, args.rows), "--repeat", str(args.repeat)]
    if args.skip_fairlearn_above is not None:
        parts += ["--skip-fairlearn-above", str(args.skip_fairlearn_above)]
    if args.engine:
        parts += ["--engine", args.engine]
    return " ".join(parts)


# --------------------------------------------------------------------------------------------
# Markdown


def _s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 100:
        return f"{seconds:,.0f} s"
    if seconds >= 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.3f} s" if seconds < 1 else f"{seconds:.2f} s"


def _mb(n: float | None) -> str:
    return "—" if n is None else f"{n / 1e6:,.0f} MB"


def _x(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{ratio:,.0f}×" if ratio >= 20 else f"{ratio:.1f}×"


def _ok(flag: bool | None) -> str:
    return {True: "**met**", False: "**not met**", None: "not measured"}[flag]


def render(results: dict[str, Any]) -> str:
    info = results["machine"]
    v = info["versions"]
    load = info.get("load_range") or sorted([info["load_before"][0], info["load_after"][0]])
    lines = [
        HEADING,
        "",
        "Written by `benchmarks/fairness_vs_fairlearn.py "
        f"{results['args']}` on {info['date']}; rerun it to refresh this section.",
        "",
        f"- Machine: {info['nproc']} cores ({info['cpu']}), {info['ram'] / 2**30:.0f} GiB RAM, "
        f"{info['os']}. The machine is shared with other engineers' work: its one-minute load "
        f"average was between {load[0]:.1f} and {load[1]:.1f} during the run, and every wall "
        "time in the table grows with it (a load above 2 means contended cores). So each "
        "contender is run several times and the **CPU time** of the process (all its threads) "
        "is given beside the wall time: it depends much less on what else runs, though shared "
        "caches and memory bandwidth still move it somewhat.",
        f"- Software: Python {info['python']}, Assay {v['assay']} (commit {info['commit']}), "
        f"polars {v['polars']}, narwhals {v['narwhals']}, fairlearn {v['fairlearn']}, "
        f"pandas {v['pandas']}, scikit-learn {v['scikit-learn']}, numpy {v['numpy']}.",
        "- Data: synthetic and seeded; `race` (5 groups, 50/25/13/8/4 %) × `sex` (2 groups, "
        "62/38 %) = 10 intersectional cells, the smallest 1.5 % of the rows; binary `y_true`, "
        "`y_pred` and a `y_score` in [0, 1] correlated with the label; Parquet (zstd) in "
        "`benchmarks/_data/`.",
        "- **Assay** `fairness(frame, y_true=..., y_pred=... | y_score=..., "
        'sensitive_features=["race", "sex"])` with its defaults (95 % intervals, 1,000 bootstrap '
        "replicates): every metric for `race`, `sex` **and** `race × sex` and overall, Wilson "
        "intervals for rates, bootstrap intervals for balanced accuracy and F1 (and AUC, AP, "
        "Brier, ECE), Newcombe / Katz intervals for every difference and ratio, summaries, "
        "four-fifths rule, provenance digest; with `y_score` also calibration bins and the "
        "threshold sweep. *In memory*: a Polars DataFrame; *Parquet*: the file path (lazy scan).",
        "- **Fairlearn** `MetricFrame` on a pandas DataFrame with the same metrics (scikit-learn "
        "and `fairlearn.metrics` functions; npv, fdr and for from `confusion_matrix`; with "
        "`y_score` the label metrics at threshold 0.5 plus `roc_auc_score`, "
        "`average_precision_score`, `brier_score_loss` and a 10-bin ECE), then `.difference()` "
        "and `.ratio()`. With `sensitive_features=[race, sex]` MetricFrame computes the "
        "**intersection only** (10 cells, no `race` or `sex` alone), **no intervals** and no "
        "threshold sweep: it does less work than Assay in every row of the table.",
        "- **Floor**: one Polars query, `frame.lazy().group_by([race, sex, y_true, y_pred])"
        ".agg(pl.len()).collect()` (in memory) or the same on `scan_parquet(path)` (Parquet): "
        "counting the confusion cells and nothing else. For the `y_score` row it groups by "
        "`y_score >= 0.5` instead.",
        f"- Time: median of {results['repeat']} runs after one "
        f"warm-up run (Fairlearn: {_fairlearn_runs(results)}, warm-up on "
        f"{FAIRLEARN_WARMUP_ROWS:,} rows), wall clock and CPU. Every contender runs in a fresh "
        "subprocess.",
        "",
        "### Time",
        "",
        "| rows | workload | Assay, in memory | Assay, Parquet | Fairlearn MetricFrame "
        "(intersection only, no CIs) | speed-up vs Fairlearn | floor, in memory | "
        "Assay ÷ floor | floor, Parquet | Assay ÷ floor (Parquet) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        for workload, w in size["workloads"].items():
            assay_mem = w["assay:polars"]["seconds"]
            assay_pq = w["assay:parquet"]["seconds"]
            floor_mem = w["floor:polars"]["seconds"]
            floor_pq = w["floor:parquet"]["seconds"]
            fl = w.get("fairlearn")
            if fl is None:
                fl_cell, speedup = "not run", "—"
            elif fl["extrapolated_from"]:
                fl_cell = (
                    f"≈ {_s(fl['seconds'])} *(extrapolated linearly from "
                    f"{fl['extrapolated_from']:,} rows, not measured)*"
                )
                speedup = f"≈ {_x(fl['seconds'] / assay_mem)} *(extrapolated)*"
            else:
                fl_cell, speedup = _s(fl["seconds"]), _x(fl["seconds"] / assay_mem)
            lines.append(
                f"| {size['rows']:,} | {WORKLOADS[workload]} | {_s(assay_mem)} | {_s(assay_pq)} | "
                f"{fl_cell} | {speedup} | {_s(floor_mem)} | {_x(assay_mem / floor_mem)} | "
                f"{_s(floor_pq)} | {_x(assay_pq / floor_pq)} |"
            )
    lines += [
        "",
        "### CPU time",
        "",
        "The same runs, median CPU time of the process (user + system, every thread: Polars' "
        "pool and Assay's digest thread included).",
        "",
        "| rows | workload | Assay, in memory | floor, in memory | Assay ÷ floor | Assay, Parquet "
        "| floor, Parquet | Assay ÷ floor (Parquet) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        for workload, w in size["workloads"].items():
            cpu = {k: w[k].get("cpu_seconds") for k in w if k.count(":") == 1}
            mem = _ratio(cpu["assay:polars"], cpu["floor:polars"])
            pq = _ratio(cpu["assay:parquet"], cpu["floor:parquet"])
            lines.append(
                f"| {size['rows']:,} | {workload} | {_s(cpu['assay:polars'])} | "
                f"{_s(cpu['floor:polars'])} | {_x(mem)} | {_s(cpu['assay:parquet'])} | "
                f"{_s(cpu['floor:parquet'])} | {_x(pq)} |"
            )
    lines += [
        "",
        "### Peak memory",
        "",
        "Peak resident memory of the subprocess (`ru_maxrss`) minus that of a baseline subprocess "
        "that imports the same libraries and loads the same data (for Parquet runs: loads "
        "nothing), against the in-memory size of the columns read (Polars `estimated_size` of "
        "the four columns used). Differences of a few tens of MB are run-to-run noise (see the "
        "floor columns: the floor allocates almost nothing).",
        "",
        "| rows | workload | columns read | Assay in memory: peak above the loaded frame | ÷ "
        "columns | Assay from Parquet: peak above imports | ÷ columns | floor in memory | "
        "floor from Parquet | Fairlearn: peak above the pandas frame |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        for workload, w in size["workloads"].items():
            cols = size["column_bytes"][workload]
            mem = w["assay:polars"]["peak_above_baseline"]
            pq = w["assay:parquet"]["peak_above_baseline"]
            fl = w.get("fairlearn") or {}
            lines.append(
                f"| {size['rows']:,} | {workload} | {_mb(cols)} | {_mb(mem)} | {_x(mem / cols)} | "
                f"{_mb(pq)} | {_x(pq / cols)} | {_mb(w['floor:polars']['peak_above_baseline'])} | "
                f"{_mb(w['floor:parquet']['peak_above_baseline'])} | "
                f"{_mb(fl.get('peak_above_baseline'))} |"
            )
    lines += ["", "### Targets (issue #2), judged on the `y_pred` workload", ""]
    lines += _targets(results)
    notes = _notes(results)
    if notes:
        lines += ["", "### Notes", "", *notes]
    if results["profiles"]:
        lines += ["", *_profiles(results)]
    return "\n".join(lines) + "\n"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _fairlearn_runs(results: dict[str, Any]) -> str:
    counts = {
        len(w["fairlearn"]["times"])
        for s in results["sizes"]
        for w in s["workloads"].values()
        if w.get("fairlearn") and w["fairlearn"]["times"]
    }
    if not counts:
        return "not run"
    n = max(counts)
    return "one run" if n == 1 else f"median of {n} runs"


def _targets(results: dict[str, Any]) -> list[str]:
    by_rows = {s["rows"]: s for s in results["sizes"]}
    lines = ["| target | measured | |", "|---|---|---|"]

    # 1. >= 100x Fairlearn at 1M rows, with the intervals
    one_m = by_rows.get(1_000_000)
    fl = one_m["workloads"]["labels"].get("fairlearn") if one_m else None
    if one_m and fl and not fl["extrapolated_from"]:
        speedup = fl["seconds"] / one_m["workloads"]["labels"]["assay:polars"]["seconds"]
        lines.append(
            f"| ≥ 100× faster than Fairlearn's MetricFrame at 1M rows, with CIs | {_x(speedup)} "
            f"(Assay {_s(one_m['workloads']['labels']['assay:polars']['seconds'])}, Fairlearn "
            f"{_s(fl['seconds'])}) | {_ok(speedup >= 100)} |"
        )
    else:
        lines.append("| ≥ 100× faster than Fairlearn at 1M rows | — | not measured |")

    # 2. within 3x of the floor
    ratios = [
        (s["rows"], s["workloads"]["labels"]["assay:polars"]["seconds"] / f["seconds"])
        for s in results["sizes"]
        if (f := s["workloads"]["labels"]["floor:polars"])["seconds"]
    ]
    shown = ", ".join(f"{_x(r)} at {n:,}" for n, r in ratios)
    parquet = ", ".join(
        f"{_x(s['workloads']['labels']['assay:parquet']['seconds'] / f['seconds'])} at "
        f"{s['rows']:,}"
        for s in results["sizes"]
        if (f := s["workloads"]["labels"]["floor:parquet"])["seconds"]
    )
    cpu = ", ".join(
        f"{_x(r)} ({where}, {s['rows']:,})"
        for s in results["sizes"]
        for where, key in (("in memory", "polars"), ("Parquet", "parquet"))
        if (
            r := _ratio(
                s["workloads"]["labels"][f"assay:{key}"].get("cpu_seconds"),
                s["workloads"]["labels"][f"floor:{key}"].get("cpu_seconds"),
            )
        )
        is not None
    )
    wall_ok = all(r <= 3 for _, r in ratios)
    lines.append(
        f"| within 3× of the floor (wall time) | in memory {shown}; from Parquet {parquet}"
        + (f"; CPU time: {cpu}" if cpu else "")
        + f" | {_ok(wall_ok)} |"
    )

    # 3. 10M rows from Parquet under 3 s
    ten_m = by_rows.get(10_000_000)
    if ten_m:
        seconds = ten_m["workloads"]["labels"]["assay:parquet"]["seconds"]
        lines.append(f"| 10M rows from Parquet in under 3 s | {_s(seconds)} | {_ok(seconds < 3)} |")
    else:
        lines.append("| 10M rows from Parquet in under 3 s | — | not measured |")

    # 4. peak memory under 2x the columns read
    worst: list[tuple[float, str]] = []
    for s in results["sizes"]:
        w = s["workloads"]["labels"]
        cols = s["column_bytes"]["labels"]
        worst.append((w["assay:parquet"]["peak_above_baseline"] / cols, f"Parquet, {s['rows']:,}"))
        worst.append((w["assay:polars"]["peak_above_baseline"] / cols, f"in memory, {s['rows']:,}"))
    shown = ", ".join(f"{_x(r)} ({where})" for r, where in worst)
    floor = ", ".join(
        f"{_x(s['workloads']['labels']['floor:parquet']['peak_above_baseline'] / cols)} at "
        f"{s['rows']:,}"
        for s in results["sizes"]
        if (cols := s["column_bytes"]["labels"])
    )
    lines.append(
        f"| peak memory under 2× the columns read | {shown}; the floor alone, from Parquet: "
        f"{floor} | {_ok(all(r < 2 for r, _ in worst))} |"
    )
    return lines


def _notes(results: dict[str, Any]) -> list[str]:
    notes = []
    for size in results["sizes"]:
        boot = size["workloads"]["labels"].get("fairlearn_bootstrap")
        if boot:
            per = boot["per_replicate"]
            total = size["workloads"]["labels"]["fairlearn"]["seconds"] + N_BOOTSTRAP * per
            notes.append(
                f"- Fairlearn {results['machine']['versions']['fairlearn']} can bootstrap "
                "intervals itself (`MetricFrame(..., n_boot=, ci_quantiles=)`), by resampling "
                "the rows and recomputing every metric per replicate. Measured at "
                f"{size['rows']:,} rows with `n_boot={boot['n_boot']}`: {_s(boot['seconds'])}, "
                f"so {_s(per)} per replicate; with Assay's {N_BOOTSTRAP:,} replicates that is "
                f"≈ {total / 3600:.1f} hours *(extrapolated, not measured)*."
            )
    notes += _gaps(results)
    first = results["sizes"][0]
    notes.append(
        f"- Parquet file: {_mb(first['file_bytes'])} at {first['rows']:,} rows. The pandas frame "
        f"Fairlearn reads holds the same four columns in {_mb(first['pandas_bytes']['labels'])} "
        f"(Polars: {_mb(first['column_bytes']['labels'])})."
    )
    return notes


def _gaps(results: dict[str, Any]) -> list[str]:
    """Why a target is missed where it is, from the numbers of this run."""
    notes = []
    for s in results["sizes"]:
        w = s["workloads"]["labels"]
        floor, assay = w["floor:polars"]["seconds"], w["assay:polars"]["seconds"]
        if floor and assay / floor > 3:
            notes.append(
                f"- Floor ratio at {s['rows']:,} rows in memory: the floor takes {_s(floor)}, "
                f"Assay {_s(assay)}. Besides the grouped pass, Assay does work that does not grow "
                "with the rows (intervals, the bootstrap of balanced accuracy and F1, disparities, "
                "summaries and verdicts, on tables of a few dozen cells: a few tens of ms) and "
                "hashes every value it reads for the provenance digest (sha256, on worker "
                "threads beside the engine; a file is hashed as bytes instead). At this size those "
                "weigh more than the pass itself; at 10M rows they are spread over far more work. "
                "Passing `dataset_digest=` skips the hashing."
            )
        cols = s["column_bytes"]["labels"]
        pq, floor_pq = (
            w["assay:parquet"]["peak_above_baseline"],
            w["floor:parquet"]["peak_above_baseline"],
        )
        if pq / cols >= 2 and floor_pq / cols >= 2:
            notes.append(
                f"- Memory from Parquet at {s['rows']:,} rows: the floor alone peaks "
                f"{_mb(floor_pq)} above its imports ({_x(floor_pq / cols)} the columns read): "
                "reading Parquet costs Polars a working set that does not scale down with the "
                f"data, and the columns are only {_mb(cols)} at this size. Assay adds "
                f"{_mb(pq - floor_pq)} to it."
            )
    return notes


def _profiles(results: dict[str, Any]) -> list[str]:
    lines = [
        "### Where Assay's time goes",
        "",
        "One run under `cProfile` after a warm-up, in a fresh subprocess: the functions "
        "`fairness()` calls, by cumulative time, and the largest callees of those above 10 %. "
        "cProfile slows Python-level calls, so the share of the work on small tables is "
        "somewhat overstated. *Row queries* are the Polars queries that read the rows. The "
        "dataset digest runs on a worker thread beside them, so it shows only as the time "
        "`_provenance` still waits for it.",
    ]
    for case, p in results["profiles"].items():
        _, source, workload = case.split(":")
        where = "in memory" if source == "polars" else "from Parquet"
        total = p["breakdown"]["total"]
        q = p["breakdown"]["row_queries"]
        lines += [
            "",
            f"**{workload}, {where}, {p['rows']:,} rows** — {_s(total)} under the profiler; "
            f"{q['calls']} row queries take {_s(q['seconds'])} ({q['seconds'] / total:.0%}). "
            + _besides(p["breakdown"]["top"], total),
            "",
            "| function | calls | time | share |",
            "|---|---:|---:|---:|",
        ]
        accounted = 0.0
        for entry in p["breakdown"]["top"]:
            accounted += entry["seconds"]
            lines.append(
                f"| `{entry['name']}` | {entry['calls']} | {_s(entry['seconds'])} | "
                f"{entry['seconds'] / total:.0%} |"
            )
            for child in entry["children"]:
                lines.append(
                    f"| &nbsp;&nbsp;↳ `{child['name']}` | {child['calls']} | "
                    f"{_s(child['seconds'])} | {child['seconds'] / total:.0%} |"
                )
        rest = total - accounted
        lines.append(f"| everything else | | {_s(rest)} | {rest / total:.0%} |")
    return lines


def _besides(top: list[dict[str, Any]], total: float) -> str:
    """One sentence: what takes the time apart from the grouped pass the floor also makes."""
    main = "assay.evaluate._aggregate.classification_statistics"
    grouped = next((e for e in top if e["name"] == main), None)
    others = [e for e in top if e["name"] != main][:3]
    if grouped is None or not others:
        return ""
    listed = ", ".join(
        f"`{e['name'].rsplit('.', 1)[-1]}` {_s(e['seconds'])} ({e['seconds'] / total:.0%})"
        for e in others
    )
    return (
        f"The grouped pass itself (`classification_statistics`, the floor's equivalent) takes "
        f"{_s(grouped['seconds'])}; the largest other costs are {listed}."
    )


def write_section(path: Path, section: str) -> None:
    """Replace this script's section of ``path`` (or add it); leave every other section alone."""
    text = path.read_text() if path.exists() else INTRO
    lines = text.splitlines(keepends=True)
    start = next((i for i, x in enumerate(lines) if x.rstrip() == HEADING), None)
    if start is None:
        body = text if text.endswith("\n") or not text else text + "\n"
        new = body + ("\n" if body and not body.endswith("\n\n") else "") + section
    else:
        end, fenced = len(lines), False
        for i in range(start + 1, len(lines)):
            if lines[i].startswith("```"):
                fenced = not fenced
            elif not fenced and lines[i].startswith("## "):
                end = i
                break
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(new)
    partial.replace(path)


# --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after one warm-up")
    parser.add_argument(
        "--fairlearn-repeat", type=int, default=1, help="timed Fairlearn runs (they take minutes)"
    )
    parser.add_argument(
        "--skip-fairlearn-above",
        type=int,
        metavar="N",
        help="do not run Fairlearn above N rows; extrapolate linearly (and say so)",
    )
    parser.add_argument(
        "--fairlearn-bootstrap",
        type=int,
        default=2,
        metavar="K",
        help="at the smallest size, also time MetricFrame(n_boot=K) to price its own CIs (0: off)",
    )
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="profile Assay at the largest size and add the breakdown",
    )
    parser.add_argument(
        "--engine",
        metavar="GITREF",
        help="benchmark Assay as committed at GITREF (e.g. HEAD) instead of the working tree",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--regenerate", action="store_true", help="rewrite the Parquet files")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--results",
        type=Path,
        default=DATA_DIR / "fairness_results.json",
        help="raw numbers as JSON (written after the run, read by --render-only)",
    )
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite the Markdown from --results"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        result = worker(args.worker, args.data, args.repeat)
        print(RESULT_MARK + json.dumps(result), flush=True)
        return
    if args.render_only:
        results = json.loads(args.results.read_text())
    else:
        results = measure(args)
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(results, indent=2))
    section = render(results)
    write_section(args.output, section)
    print(f"\nwrote {HEADING!r} in {args.output}\n")
    print(section)


if __name__ == "__main__":
    main()
