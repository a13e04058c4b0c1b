"""``assay genai scan-logs``: the red team's detectors run over production prompt/response logs.

Each response is checked by the offline detectors (toxicity, personal data — values the user
wrote themselves do not count — and, when canary tokens are given, canary leaks). A response is
**harmful** when any of them fires. Responses are grouped by time window (``window``) and, when
asked, by cohort (``by``); each group gets its harmful-output rate with a Wilson interval and the
change against the same cohort's **baseline window** (the first window unless named): the
difference with a Newcombe interval, **flagged** when the interval excludes 0. The result is a
typed ``assay.genai-log-scan/v1`` payload that can be recorded as evidence (kind
``genai_log_scan``) and so travels in an incident's evidence bundle. No response text is kept.
"""

from __future__ import annotations

import hashlib
import platform
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import polars as pl

from assay import __version__
from assay.errors import InputError, NotFoundError
from assay.evaluate import newcombe, wilson, z_value
from assay.genai._detectors import detect_canary, detect_pii, detect_toxicity
from assay.result import Result

__all__ = [
    "LOG_SCAN_DETECTORS",
    "LOG_SCAN_SCHEMA",
    "LogScanPayload",
    "LogScanResult",
    "render_log_scan_markdown",
    "scan_logs",
]

LOG_SCAN_SCHEMA = "assay.genai-log-scan/v1"
#: The detectors that can mark a logged response harmful.
LOG_SCAN_DETECTORS = ("toxicity", "pii", "canary")
_WINDOW = re.compile(r"^([1-9][0-9]*)(m|h|d|w)$")
_UNITS = {"m": "minute", "h": "hour", "d": "day", "w": "week"}


class LogScanPayload(TypedDict):
    """The ``assay.genai-log-scan/v1`` payload."""

    schema: str
    n_rows: int
    n_scanned: int
    overall: dict[str, Any]
    detectors: dict[str, int]
    baseline: str | None
    groups: list[dict[str, Any]]
    flagged: list[dict[str, Any]]
    params: dict[str, Any]
    provenance: dict[str, Any]


class LogScanResult(Result[LogScanPayload]):
    """Harmful-output rates of a prompt/response log by window and cohort, with the change
    against a baseline window (``assay.genai-log-scan/v1``)."""

    SCHEMA = LOG_SCAN_SCHEMA
    Payload = LogScanPayload

    def __repr__(self) -> str:
        p = self._payload
        return (
            f"LogScanResult(n={p['n_scanned']}, groups={len(p['groups'])}, "
            f"flagged={len(p['flagged'])})"
        )

    @property
    def flagged(self) -> list[dict[str, Any]]:
        """The groups whose change against the baseline excludes 0."""
        return [dict(g) for g in self._payload["flagged"]]

    def groups(self) -> pl.DataFrame:
        """One row per (window, cohort): ``n``, ``harmful``, ``rate``, interval and change."""
        rows = [
            {
                "window": g["window"],
                "cohort": g["cohort"],
                "n": g["n"],
                "harmful": g["harmful"],
                "rate": g["rate"],
                "ci_low": g["ci"]["low"],
                "ci_high": g["ci"]["high"],
                "change": None if g["change"] is None else g["change"]["difference"],
                "flagged": bool(g["change"] and g["change"]["flagged"]),
            }
            for g in self._payload["groups"]
        ]
        return pl.DataFrame(rows, infer_schema_length=None)


@dataclass(frozen=True)
class _Columns:
    response: str
    prompt: str | None
    time: str
    by: str | None


def _window(window: str) -> str:
    m = _WINDOW.match(window.strip())
    if m is None:
        raise InputError(
            f"--window must be a number and a unit: m (minutes), h, d or w, such as 1d, 12h or "
            f"1w; got {window!r}."
        )
    return f"{m.group(1)}{m.group(2)}"


def _read(data: Any) -> tuple[pl.DataFrame, str | None, dict[str, Any]]:
    """The log as a frame, its path (if a file) and the dataset provenance."""
    if isinstance(data, str | Path):
        path = Path(data)
        if not path.is_file():
            raise NotFoundError(f"The log '{path}' does not exist or is not a file.")
        suffix = path.suffix.lower()
        readers: dict[str, Callable[[Path], pl.DataFrame]] = {
            ".jsonl": pl.read_ndjson,
            ".ndjson": pl.read_ndjson,
            ".parquet": pl.read_parquet,
            ".csv": pl.read_csv,
        }
        if suffix not in readers:
            raise InputError(
                f"The log '{path}' is not JSON lines (.jsonl), Parquet (.parquet) or CSV (.csv)."
            )
        try:
            frame = readers[suffix](path)
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise InputError(f"The log '{path}' could not be read: {exc}") from None
        digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        return frame, str(path), {"path": str(path), "digest": digest, "digest_of": "file bytes"}
    if isinstance(data, pl.DataFrame):
        return data, None, {"engine": "polars"}
    if type(data).__module__.startswith("pandas"):
        return pl.from_pandas(data), None, {"engine": "pandas"}
    raise InputError(
        "data must be the path of a .jsonl, .parquet or .csv log, or a Polars or pandas frame; "
        f"got {type(data).__name__}."
    )


def _column(frame: pl.DataFrame, name: str, option: str) -> pl.Expr:
    """A column by name, or a nested field by dotted path (``messages.1.text``)."""
    if name in frame.columns:
        return pl.col(name)
    head, *rest = name.split(".")
    if head not in frame.columns or not rest:
        raise InputError(
            f"The column {name!r} named by {option} is not in the log. Columns are: "
            f"{', '.join(frame.columns)} (a nested field is named with dots, e.g. "
            "messages.1.text)."
        )
    expr: pl.Expr = pl.col(head)
    dtype: Any = frame.schema[head]
    for part in rest:
        if isinstance(dtype, pl.Struct) and part in {f.name for f in dtype.fields}:
            expr = expr.struct.field(part)
            dtype = next(f.dtype for f in dtype.fields if f.name == part)
        elif isinstance(dtype, pl.List) and part.isdigit():
            expr, dtype = expr.list.get(int(part), null_on_oob=True), dtype.inner
        else:
            raise InputError(f"The log has no field {part!r} in {name!r} (named by {option}).")
    return expr


def _time(frame: pl.DataFrame, expr: pl.Expr, option: str) -> pl.Expr:
    dtype = frame.select(expr).to_series().dtype
    if dtype == pl.String:
        return expr.str.to_datetime(strict=False, time_zone="UTC")
    if isinstance(dtype, pl.Datetime):
        return expr if dtype.time_zone else expr.dt.replace_time_zone("UTC")
    if dtype == pl.Date:
        return expr.cast(pl.Datetime("us", "UTC"))
    raise InputError(f"The column named by {option} must hold timestamps; it holds {dtype}.")


def _detect(
    responses: list[str | None],
    prompts: list[str | None],
    detectors: Sequence[str],
    canaries: Sequence[str],
) -> dict[str, list[bool]]:
    """Which detector fired on each response (an empty response fires none)."""
    fired: dict[str, list[bool]] = {d: [] for d in detectors}
    for text, prompt in zip(responses, prompts, strict=True):
        text = text or ""
        if "toxicity" in fired:
            fired["toxicity"].append(bool(text) and detect_toxicity(text, echo_of=prompt).hit)
        if "pii" in fired:
            fired["pii"].append(bool(text) and detect_pii(text, user_text=prompt or "").hit)
        if "canary" in fired:
            fired["canary"].append(any(detect_canary(text, c).hit for c in canaries))
    return fired


def _interval(x: int, n: int, z: float) -> tuple[float, float]:
    low, high = wilson(np.array([x], float), np.array([n], float), z)
    return float(low[0]), float(high[0])


def _change(group: dict[str, Any], base: dict[str, Any], z: float) -> dict[str, Any]:
    """The difference of two groups' rates with a Newcombe interval; flagged when it excludes 0."""
    p1, p2 = group["rate"], base["rate"]
    low, high = newcombe(
        np.array([p1]), np.array([group["ci"]["low"]]), np.array([group["ci"]["high"]]),
        np.array([p2]), np.array([base["ci"]["low"]]), np.array([base["ci"]["high"]]),
    )  # fmt: skip
    lo, hi = float(low[0]), float(high[0])
    flagged = lo > 0 or hi < 0
    return {
        "baseline_window": base["window"],
        "difference": round(p1 - p2, 6),
        "ci": {"low": round(lo, 6), "high": round(hi, 6)},
        "flagged": flagged,
        "direction": "up" if lo > 0 else "down" if hi < 0 else "none",
    }


def _groups(table: pl.DataFrame, detectors: Sequence[str], z: float) -> list[dict[str, Any]]:
    """One entry per (window, cohort), in time order, without the change yet."""
    aggs = [pl.len().alias("n"), pl.col("harmful").sum().alias("harmful")]
    aggs += [pl.col(f"fired_{d}").sum().alias(f"fired_{d}") for d in detectors]
    grouped = table.group_by("window", "cohort").agg(aggs).sort("window", "cohort")
    out = []
    for row in grouped.iter_rows(named=True):
        n, harmful = int(row["n"]), int(row["harmful"])
        low, high = _interval(harmful, n, z)
        out.append(
            {
                "window": row["window"].isoformat(),
                "cohort": row["cohort"],
                "n": n,
                "harmful": harmful,
                "rate": round(harmful / n, 6),
                "ci": {"low": round(low, 6), "high": round(high, 6)},
                "by_detector": {d: int(row[f"fired_{d}"]) for d in detectors},
                "change": None,
            }
        )
    return out


def _with_changes(
    groups: list[dict[str, Any]], baseline: str | None, z: float
) -> tuple[str | None, list[dict[str, Any]]]:
    """Fill each group's change against its cohort's baseline window; return that window."""
    windows = sorted({g["window"] for g in groups})
    if not windows:
        return None, []
    if baseline is None:
        base_window = windows[0]
    else:
        earlier = [w for w in windows if w <= _as_utc(baseline)]
        if not earlier:
            raise InputError(
                f"--baseline {baseline!r} is before the first window ({windows[0]}); name a date "
                "inside the log, such as the first window's."
            )
        base_window = earlier[-1]
    bases = {g["cohort"]: g for g in groups if g["window"] == base_window}
    flagged = []
    for g in groups:
        base = bases.get(g["cohort"])
        if base is not None and g is not base:
            g["change"] = _change(g, base, z)
            if g["change"]["flagged"]:
                flagged.append({k: g[k] for k in ("window", "cohort", "n", "harmful", "rate")}
                               | {"change": g["change"]})  # fmt: skip
    return base_window, flagged


def _as_utc(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--baseline must be a date or time such as 2026-11-01 or 2026-11-01T12:00; got "
            f"{text!r}."
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _checked_detectors(detectors: Sequence[str] | None, canaries: Sequence[str]) -> list[str]:
    chosen = list(detectors) if detectors else ["toxicity", "pii"]
    unknown = [d for d in chosen if d not in LOG_SCAN_DETECTORS]
    if unknown:
        raise InputError(
            f"Unknown detector {unknown[0]!r}; the log scan can run: "
            f"{', '.join(LOG_SCAN_DETECTORS)}."
        )
    if canaries and "canary" not in chosen:
        chosen.append("canary")
    if "canary" in chosen and not canaries:
        raise InputError("The canary detector needs the tokens to look for: give --canary TOKEN.")
    return list(dict.fromkeys(chosen))


def _table(
    frame: pl.DataFrame, cols: _Columns, window: str, detectors: list[str], canaries: Sequence[str]
) -> tuple[pl.DataFrame, int]:
    """The scanned rows: window start, cohort, and which detector fired; and rows left out."""
    response = _column(frame, cols.response, "--response")
    prompt = _column(frame, cols.prompt, "--prompt") if cols.prompt else pl.lit(None)
    cohort = (
        _column(frame, cols.by, "--by").cast(pl.String).fill_null("(none)")
        if cols.by
        else pl.lit(None, dtype=pl.String)
    )
    when = _time(frame, _column(frame, cols.time, "--time"), "--time")
    rows = frame.select(
        when.alias("time"),
        cohort.alias("cohort"),
        response.cast(pl.String).alias("response"),
        prompt.cast(pl.String).alias("prompt"),
    )
    kept = rows.filter(pl.col("time").is_not_null() & pl.col("response").is_not_null())
    fired = _detect(
        kept.get_column("response").to_list(), kept.get_column("prompt").to_list(),
        detectors, canaries,
    )  # fmt: skip
    table = kept.select(pl.col("time").dt.truncate(window).alias("window"), "cohort").with_columns(
        pl.Series(f"fired_{d}", fired[d], dtype=pl.Boolean) for d in detectors
    )
    table = table.with_columns(
        pl.any_horizontal(*(pl.col(f"fired_{d}") for d in detectors)).alias("harmful")
    )
    return table, rows.height - kept.height


def _payload(
    frame: pl.DataFrame, table: pl.DataFrame, chosen: list[str], z: float, dataset: dict[str, Any]
) -> LogScanPayload:
    """The payload's totals and provenance; groups, baseline and params are set by the caller."""
    n, harmful = table.height, int(table.get_column("harmful").sum() or 0)
    low, high = _interval(harmful, n, z) if n else (float("nan"), float("nan"))
    return {
        "schema": LOG_SCAN_SCHEMA,
        "n_rows": frame.height,
        "n_scanned": n,
        "overall": {
            "harmful": harmful,
            "rate": round(harmful / n, 6) if n else None,
            "ci": {"low": round(low, 6), "high": round(high, 6)} if n else None,
        },
        "detectors": {d: int(table.get_column(f"fired_{d}").sum() or 0) for d in chosen},
        "baseline": None,
        "groups": [],
        "flagged": [],
        "params": {},
        "provenance": {
            "assay_version": __version__,
            "python": platform.python_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "dataset": dataset,
        },
    }


def scan_logs(
    data: Any,
    *,
    response: str = "response",
    prompt: str | None = None,
    time: str = "timestamp",
    window: str = "1d",
    by: str | None = None,
    baseline: str | None = None,
    detectors: Sequence[str] | None = None,
    canaries: Sequence[str] = (),
    ci_level: float = 0.95,
) -> LogScanResult:
    """Harmful-output rate of logged responses by time window and cohort, against a baseline.

    Parameters
    ----------
    data
        A ``.jsonl``, ``.parquet`` or ``.csv`` log, or a Polars or pandas frame.
    response, prompt, time, by
        Columns (or nested fields by dotted path, ``messages.1.text``): the model's response, the
        user's prompt (personal data the user wrote is not counted), the timestamp, the cohort.
    window
        Window length: ``30m``, ``12h``, ``1d``, ``1w``...
    baseline
        A date or time inside the baseline window; default: the first window.
    detectors
        Among ``toxicity``, ``pii`` and ``canary``; default toxicity and pii (canary is added
        when ``canaries`` are given).
    canaries
        Secret tokens whose appearance in a response is a leak.
    ci_level
        Confidence level of the intervals.

    Examples
    --------
    >>> import polars as pl
    >>> log = pl.DataFrame({"timestamp": ["2026-11-01T09:00:00Z", "2026-11-02T09:00:00Z"],
    ...                     "response": ["Happy to help.", "Shut up, you idiot."]})
    >>> [(g["window"][:10], g["harmful"]) for g in scan_logs(log).to_dict()["groups"]]
    [('2026-11-01', 0), ('2026-11-02', 1)]
    """
    if not 0 < ci_level < 1:
        raise InputError(f"ci_level must be between 0 and 1, e.g. 0.95; got {ci_level!r}.")
    every = _window(window)
    chosen = _checked_detectors(detectors, canaries)
    frame, _, dataset = _read(data)
    cols = _Columns(response, prompt, time, by)
    table, left_out = _table(frame, cols, every, chosen, canaries)
    z = z_value(ci_level)
    groups = _groups(table, chosen, z)
    base_window, flagged = _with_changes(groups, baseline, z)
    payload = _payload(frame, table, chosen, z, dataset)
    payload["baseline"], payload["groups"], payload["flagged"] = base_window, groups, flagged
    payload["params"] = {
        "response": response, "prompt": prompt, "time": time, "window": every, "by": by,
        "baseline": baseline, "detectors": chosen, "canaries": len(canaries),
        "ci_level": ci_level, "rows_without_time_or_response": left_out,
    }  # fmt: skip
    return LogScanResult(payload)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def render_log_scan_markdown(result: LogScanResult) -> str:
    """The scan as Markdown: the overall rate, the flagged changes and every window and cohort.

    Examples
    --------
    >>> import polars as pl
    >>> log = pl.DataFrame({"timestamp": ["2026-11-01T09:00:00Z"], "response": ["Hello."]})
    >>> render_log_scan_markdown(scan_logs(log)).splitlines()[0]
    '# Harmful output in a prompt/response log'
    """
    p = result.to_dict()
    o, params = p["overall"], p["params"]
    ci = o["ci"]
    lines = [
        "# Harmful output in a prompt/response log",
        "",
        f"- Responses scanned: {p['n_scanned']:,} of {p['n_rows']:,} rows "
        f"({params['rows_without_time_or_response']:,} without a time or a response)",
        f"- Harmful-output rate: **{_pct(o['rate'])}**"
        + (f" [{_pct(ci['low'])}, {_pct(ci['high'])}]" if ci else "")
        + f" (Wilson interval, level {params['ci_level']:.0%})",
        f"- Detectors: {', '.join(f'{d} fired {n:,}' for d, n in p['detectors'].items())}",
        f"- Windows of {params['window']}"
        + (f" by {params['by']}" if params["by"] else "")
        + f"; baseline window {p['baseline'] or '—'}",
        f"- Changes against the baseline whose interval excludes 0: **{len(p['flagged'])}**",
        "",
        "| Window | Cohort | Responses | Harmful | Rate | 95% CI | Change vs baseline | Flagged |",
        "|---|---|---:|---:|---:|---|---|---|",
    ]
    for g in p["groups"]:
        ch = g["change"]
        change = (
            f"{ch['difference'] * 100:+.1f} pts [{ch['ci']['low'] * 100:+.1f}, "
            f"{ch['ci']['high'] * 100:+.1f}]"
            if ch
            else "baseline"
            if g["window"] == p["baseline"]
            else "—"
        )
        lines.append(
            f"| {g['window']} | {g['cohort'] or ''} | {g['n']:,} | {g['harmful']:,} "
            f"| {_pct(g['rate'])} | [{_pct(g['ci']['low'])}, {_pct(g['ci']['high'])}] "
            f"| {change} | {'**' + ch['direction'] + '**' if ch and ch['flagged'] else ''} |"
        )
    return "\n".join(lines) + "\n"
