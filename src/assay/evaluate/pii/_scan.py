"""``assay.evaluate.pii.scan``: a column inventory of personal data, with risk and minimisation."""

from __future__ import annotations

import contextlib
import hashlib
import math
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from assay import __version__
from assay.errors import InputError
from assay.evaluate._frame import COLUMNS_DIGEST_OF, columns_digest, file_digest
from assay.evaluate._stats import wilson, z_value
from assay.evaluate.pii._detect import ROW, check_min_score, findings, plan
from assay.evaluate.pii._input import Prepared, prepare, read_leniently
from assay.evaluate.pii._mask import mask
from assay.evaluate.pii._minimise import minimisation
from assay.evaluate.pii._ner import NerBackend, ner_findings
from assay.evaluate.pii._recognizers import CHECKSUM_ENTITIES, RECOGNIZERS
from assay.evaluate.pii._result import SCHEMA, PiiPayload, PiiScanResult, PiiTotals
from assay.evaluate.pii._risk import reidentification_risk

#: Cells longer than this are scanned up to this many characters (and counted).
MAX_CELL_CHARS = 100_000
#: Rows per batch: bounds memory on large files; Polars parallelises within a batch.
BATCH_ROWS = 250_000
#: Masked examples kept per (column, entity).
EXAMPLES = 3
_HASH_SPACE = 1 << 32

_CATEGORY = {r.entity: r.category for r in RECOGNIZERS}


@dataclass
class _Tally:
    """Running totals over batches."""

    non_null: dict[str, int] = field(default_factory=dict)
    truncated: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    chars: dict[str, int] = field(default_factory=dict)
    spaced: dict[str, int] = field(default_factory=dict)
    scanned: int = 0
    rows_with_pii: int = 0
    groups: list[pl.DataFrame] = field(default_factory=list)
    entity_rows: list[pl.DataFrame] = field(default_factory=list)
    candidates: list[pl.DataFrame] = field(default_factory=list)
    examples: list[pl.DataFrame] = field(default_factory=list)

    def add(self, name: str, key: str, value: int) -> None:
        table: dict[str, int] = getattr(self, key)
        table[name] = table.get(name, 0) + value


def _split(value: str | Sequence[str] | None, parameter: str) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(v, str) and v for v in items):
        raise InputError(f"{parameter} must be column names (strings); got {items!r}.")
    return items


def _sample_fraction(sample: float | int | None, total: int | None) -> float | None:
    if sample is None:
        return None
    if isinstance(sample, bool) or not isinstance(sample, int | float):
        raise InputError(
            f"sample must be a fraction in (0, 1] or a number of rows; got {sample!r}."
        )
    if isinstance(sample, float) and 0 < sample <= 1:
        return float(sample)
    if isinstance(sample, int) and sample >= 1:
        assert total is not None
        return min(1.0, sample / total) if total else 1.0
    raise InputError(
        f"sample must be a fraction in (0, 1] (e.g. 0.1) or a whole number of rows (e.g. 100000); "
        f"got {sample!r}."
    )


def _batch_stats(batch: pl.DataFrame, names: list[str], max_chars: int, tally: _Tally) -> None:
    exprs = []
    for i, name in enumerate(names):
        c = pl.col(name)
        exprs += [
            c.count().alias(f"n{i}"),
            (c.str.len_chars() > max_chars).sum().alias(f"t{i}"),
            c.str.contains("\ufffd", literal=True).sum().alias(f"r{i}"),
            c.str.len_chars().sum().alias(f"c{i}"),
            c.str.contains(r"\s\S+\s").sum().alias(f"s{i}"),
        ]
    if not exprs:
        return
    row = batch.select(exprs).row(0)
    for i, name in enumerate(names):
        n, t, r, ch, sp = row[5 * i : 5 * i + 5]
        tally.add(name, "non_null", int(n or 0))
        tally.add(name, "truncated", int(t or 0))
        tally.add(name, "replaced", int(r or 0))
        tally.add(name, "chars", int(ch or 0))
        tally.add(name, "spaced", int(sp or 0))


def _tally_findings(found: pl.DataFrame, counts: pl.DataFrame, tally: _Tally) -> None:
    tally.candidates.append(counts)
    if found.height == 0:
        return
    tally.rows_with_pii += found.select(pl.struct(ROW).n_unique()).item()
    tally.groups.append(
        found.group_by("col", "entity").agg(
            pl.col(ROW).n_unique().cast(pl.Int64).alias("rows"),
            pl.len().cast(pl.Int64).alias("matches"),
            pl.col("score").sum().alias("score_sum"),
            pl.col("context").sum().cast(pl.Int64).alias("with_context"),
        )
    )
    tally.entity_rows.append(
        found.group_by("entity").agg(pl.col(ROW).n_unique().cast(pl.Int64).alias("rows"))
    )
    # Keep a few distinct values per (column, entity), chosen by hash so the choice does not
    # depend on row order; only their masks leave this function.
    tally.examples.append(
        found.select("col", "entity", "value")
        .unique()
        .with_columns(pl.col("value").hash(7).alias("__h"))
        .sort("__h")
        .group_by("col", "entity", maintain_order=True)
        .head(EXAMPLES)
    )


def _concat(frames: list[pl.DataFrame], schema: dict[str, Any]) -> pl.DataFrame:
    frames = [f for f in frames if f.height]
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def _column_entries(
    prepared: Prepared, tally: _Tally, n_total: int, sampled: bool, ci_level: float
) -> list[dict[str, Any]]:
    groups = _concat(
        tally.groups,
        {"col": pl.UInt32, "entity": pl.String, "rows": pl.Int64, "matches": pl.Int64,
         "score_sum": pl.Float64, "with_context": pl.Int64},
    )  # fmt: skip
    if groups.height:
        groups = groups.group_by("col", "entity").agg(pl.all().sum())
    cands = _concat(
        tally.candidates, {"col": pl.UInt32, "entity": pl.String, "candidates": pl.Int64}
    )
    if cands.height:
        cands = cands.group_by("col", "entity").agg(pl.col("candidates").sum())
    examples = _concat(
        tally.examples,
        {"col": pl.UInt32, "entity": pl.String, "value": pl.String, "__h": pl.UInt64},
    )
    by_key: dict[tuple[int, str], list[str]] = {}
    if examples.height:
        picked = examples.unique(["col", "entity", "value"]).sort("__h")
        for col, entity, value in picked.select("col", "entity", "value").iter_rows():
            shown = by_key.setdefault((col, entity), [])
            if len(shown) < EXAMPLES:
                shown.append(mask(entity, value))
    cand_of = {(c, e): n for c, e, n in cands.iter_rows()}
    z = z_value(ci_level)
    entries = []
    for ci, col in enumerate(prepared.columns):
        non_null = (
            prepared.non_null.get(col.name, 0)
            if prepared.non_null is not None
            else tally.non_null.get(col.name, 0)
        )
        stats_rows = max(tally.non_null.get(col.name, 0), 1)
        mean_chars = tally.chars.get(col.name, 0) / stats_rows
        spaced = tally.spaced.get(col.name, 0) / stats_rows
        ents = []
        mine = groups.filter(pl.col("col") == ci).sort(["rows", "entity"], descending=[True, False])
        for row in mine.iter_rows(named=True):
            prevalence = row["rows"] / non_null if non_null else 0.0
            interval = None
            if sampled and non_null:
                lo, hi = wilson(np.array([row["rows"]]), np.array([non_null]), z)
                interval = [round(float(lo[0]), 6), round(float(hi[0]), 6)]
            ents.append(
                {
                    "entity": row["entity"],
                    "category": _CATEGORY.get(row["entity"], "named_entity"),
                    "rows": int(row["rows"]),
                    "matches": int(row["matches"]),
                    "candidates": int(cand_of.get((ci, row["entity"]), row["matches"])),
                    "prevalence": round(prevalence, 6),
                    "prevalence_ci": interval,
                    "estimated_rows": (
                        round(prevalence * n_total) if sampled else int(row["rows"])
                    ),
                    "confidence": round(row["score_sum"] / row["matches"], 4),
                    "context_share": round(row["with_context"] / row["matches"], 4),
                    "checksum": row["entity"] in CHECKSUM_ENTITIES,
                    "examples": by_key.get((ci, row["entity"]), []),
                }
            )
        entries.append(
            {
                "column": col.name,
                "dtype": col.dtype,
                "kind": "free_text" if mean_chars >= 40 and spaced >= 0.5 else "structured",
                "non_null": int(non_null),
                "cells_truncated": tally.truncated.get(col.name, 0),
                "cells_with_replacement_chars": tally.replaced.get(col.name, 0),
                "entities": ents,
            }
        )
    return entries


def _totals(entries: list[dict[str, Any]], tally: _Tally) -> PiiTotals:
    rows_by_entity: dict[str, int] = {}
    entity_rows = _concat(tally.entity_rows, {"entity": pl.String, "rows": pl.Int64})
    if entity_rows.height:
        for entity, rows in entity_rows.group_by("entity").agg(pl.col("rows").sum()).iter_rows():
            rows_by_entity[entity] = int(rows)
    entities: dict[str, dict[str, Any]] = {}
    for col in entries:
        for ent in col["entities"]:
            t = entities.setdefault(
                ent["entity"],
                {"matches": 0, "rows": rows_by_entity.get(ent["entity"], 0), "columns": []},
            )
            t["matches"] += ent["matches"]
            t["columns"].append(col["column"])
    return {
        "matches": sum(t["matches"] for t in entities.values()),
        "rows_with_pii": tally.rows_with_pii,
        "pii_columns": [c["column"] for c in entries if c["entities"]],
        "entities": dict(sorted(entities.items())),
    }


def _provenance(prepared: Prepared, digest: str | None, entries: list[dict[str, Any]],
                random_state: int) -> dict[str, Any]:  # fmt: skip
    source = prepared.source
    dataset: dict[str, Any] = {
        "engine": source.engine,
        "columns": [c.name for c in prepared.columns],
    }
    if digest is not None:
        dataset |= {"digest": digest, "digest_of": "given by the caller"}
    elif source.path is not None:
        dataset |= {
            "digest": file_digest(source.path),
            "digest_of": "file bytes",
            "path": str(source.path),
        }
    elif (
        source.eager_native is not None
        and prepared.columns
        and "." not in "".join(c.name for c in prepared.columns)
    ):
        with contextlib.suppress(Exception):
            dataset |= {
                "digest": columns_digest(source.eager_native, [c.name for c in prepared.columns]),
                "digest_of": COLUMNS_DIGEST_OF,
            }
    if "digest" not in dataset:
        summary = repr([(c["column"], c["non_null"], c["entities"]) for c in entries])
        dataset |= {
            "digest": "sha256:" + hashlib.sha256(summary.encode("utf-8")).hexdigest(),
            "digest_of": "the column inventory (lazy source; rows were not materialised)",
        }
    return {
        "assay_version": __version__,
        "python": platform.python_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "random_state": random_state,
        "dataset": dataset,
    }


def scan(
    data: Any,
    *,
    columns: str | Sequence[str] | None = None,
    sample: float | int | None = None,
    quasi_identifiers: str | Sequence[str] | None = None,
    sensitive: str | None = None,
    features: str | Sequence[str] | None = None,
    min_score: float = 0.5,
    max_cell_chars: int = MAX_CELL_CHARS,
    ci_level: float = 0.95,
    random_state: int = 0,
    ner: NerBackend | None = None,
    ner_columns: str | Sequence[str] | None = None,
    ner_max_cells: int = 10_000,
    dataset_digest: str | None = None,
    batch_rows: int = BATCH_ROWS,
) -> PiiScanResult:
    """Find personal data in a table or log, column by column, without revealing it.

    Every recognizer's candidate pattern runs on every text column in the engine (Polars string
    functions, in parallel); only the distinct candidates are validated (Luhn, mod-97, ranges,
    check digits, ...); the findings are counted per column. Nested fields are scanned as
    ``parent.child`` columns.

    Parameters
    ----------
    data
        A path (``.parquet``, ``.csv``, ``.tsv``, ``.jsonl``) or any frame narwhals accepts
        (pandas, Polars, pyarrow, DuckDB, PySpark). On DuckDB and PySpark the engine counts rows
        and keeps the rows with a candidate; only those are validated in Polars.
    columns
        Columns to scan (top-level or nested names); default: every column that can hold text.
    sample
        A fraction in (0, 1] or a number of rows to scan, drawn at random (Bernoulli, seeded by
        ``random_state``); prevalences then carry Wilson intervals and the result states the
        smallest prevalence sure to have been seen.
    quasi_identifiers, sensitive
        Columns for :func:`reidentification_risk`, reported under ``risk``.
    features
        The model's input features, for :func:`minimisation`, reported under ``minimisation``.
    min_score
        Findings with a lower confidence are not counted.
    max_cell_chars
        Longer cells are scanned up to this length (and counted as truncated).
    ci_level
        Confidence level of prevalence intervals for a sample.
    random_state
        Seed of the sample.
    ner, ner_columns, ner_max_cells
        An optional named-entity backend (:func:`load_ner`) for names and places, run on up to
        ``ner_max_cells`` cells of each of ``ner_columns`` (default: the free-text columns).
    dataset_digest
        Record this digest instead of computing one.
    batch_rows
        Rows per batch.

    Returns
    -------
    PiiScanResult
        The inventory in the ``assay.pii/v1`` schema, with masked examples only.

    Examples
    --------
    >>> import polars as pl
    >>> from assay.evaluate.pii import scan
    >>> df = pl.DataFrame({"note": ["mail jane.doe@example.com", "nothing here"]})
    >>> result = scan(df)
    >>> result.inventory().select("column", "entity", "rows", "examples").row(0)
    ('note', 'EMAIL_ADDRESS', 1, 'j***@e***.com')
    """
    request = _Request(**locals())  # at this point locals() holds just the parameters
    return read_leniently(data, lambda lenient: _scan(request, lenient))


@dataclass(frozen=True)
class _Request:
    """The parameters of :func:`scan`, one for one."""

    data: Any
    columns: str | Sequence[str] | None
    sample: float | int | None
    quasi_identifiers: str | Sequence[str] | None
    sensitive: str | None
    features: str | Sequence[str] | None
    min_score: float
    max_cell_chars: int
    ci_level: float
    random_state: int
    ner: NerBackend | None
    ner_columns: str | Sequence[str] | None
    ner_max_cells: int
    dataset_digest: str | None
    batch_rows: int


@dataclass(frozen=True)
class _Rows:
    """What is scanned: the prepared input, its rows (a sample when asked) and their count."""

    prepared: Prepared
    names: list[str]
    indexed: pl.LazyFrame
    total: int | None
    """Rows in the input, when known before the scan."""
    fraction: float | None


def _scan(request: _Request, lenient: bool) -> PiiScanResult:
    """Check the options, choose the rows, scan them in batches, then build the inventory."""
    wanted = _checked_columns(request)
    rows = _rows(request, prepare(request.data, wanted, lenient=lenient))
    tally = _scan_batches(request, rows)
    total = rows.total if rows.total is not None else tally.scanned
    sampled = rows.fraction is not None and rows.fraction < 1.0
    entries = _column_entries(rows.prepared, tally, total, sampled, request.ci_level)
    payload = _payload(request, wanted, rows, tally, total, entries)
    qis = payload["params"]["quasi_identifiers"]
    if qis:
        payload["risk"] = reidentification_risk(
            request.data, quasi_identifiers=qis, sensitive=request.sensitive
        ).to_dict()
    if payload["params"]["features"] is not None:
        payload["minimisation"] = minimisation(payload, payload["params"]["features"])
    payload["provenance"] = _provenance(
        rows.prepared, request.dataset_digest, entries, request.random_state
    )
    return PiiScanResult(payload)


def _checked_columns(request: _Request) -> list[str] | None:
    """The columns asked for, once the options that need no data are checked."""
    check_min_score(request.min_score)
    wanted = _split(request.columns, "columns")
    if not 0 < request.ci_level < 1:
        raise InputError(f"ci_level must be between 0 and 1, e.g. 0.95; got {request.ci_level!r}.")
    if request.max_cell_chars < 1 or request.batch_rows < 1:
        raise InputError("max_cell_chars and batch_rows must be positive whole numbers.")
    return wanted


def _rows(request: _Request, prepared: Prepared) -> _Rows:
    """The rows to scan: all of them, or a Bernoulli sample seeded by ``random_state``."""
    names = [c.name for c in prepared.columns]
    sample = request.sample
    if sample is not None and prepared.n_rows is not None:
        raise InputError(
            f"sample is supported for files and Polars, pandas or pyarrow frames; on "
            f"{prepared.source.engine} draw the sample in the engine (for example "
            "TABLESAMPLE) and scan that."
        )
    indexed = prepared.frame.with_row_index(ROW)
    total = prepared.n_rows
    if total is None and (sample is not None or not names):
        # Rows are counted up front only when the sample size or an empty scan needs it;
        # otherwise the batches count them.
        assert prepared.base is not None
        total = int(prepared.base.select(pl.len()).collect().item())
    fraction = _sample_fraction(sample, total)
    if fraction is not None and fraction < 1.0:
        threshold = int(fraction * _HASH_SPACE)
        indexed = indexed.filter(pl.col(ROW).hash(request.random_state) % _HASH_SPACE < threshold)
    return _Rows(prepared, names, indexed, total, fraction)


def _scan_batches(request: _Request, rows: _Rows) -> _Tally:
    """Scan the rows batch by batch: cell statistics, findings, and named entities if asked."""
    names = rows.names
    jobs = plan(names)
    ner, ner_targets = request.ner, _split(request.ner_columns, "ner_columns")
    tally = _Tally()
    ner_budget: dict[str, int] = {}
    if not names:
        return tally
    for batch in rows.indexed.collect_batches(chunk_size=request.batch_rows):
        tally.scanned += batch.height
        _batch_stats(batch, names, request.max_cell_chars, tally)
        cut = batch.with_columns([pl.col(n).str.slice(0, request.max_cell_chars) for n in names])
        found, counts = findings(cut, names, min_score=request.min_score, jobs=jobs)
        if ner is not None:
            extra = ner_findings(ner, cut, names, ner_targets, ner_budget, request.ner_max_cells)
            found = pl.concat([found, extra]) if extra.height else found
        _tally_findings(found, counts, tally)
    return tally


def _payload(
    request: _Request,
    wanted: list[str] | None,
    rows: _Rows,
    tally: _Tally,
    total: int,
    entries: list[dict[str, Any]],
) -> PiiPayload:
    """The inventory's payload; risk, minimisation and provenance are filled in after it."""
    prepared, fraction = rows.prepared, rows.fraction
    sampled = fraction is not None and fraction < 1.0
    ner = request.ner
    return {
        "schema": SCHEMA,
        "n_rows": total,
        "n_scanned": tally.scanned if prepared.n_rows is None else total,
        "sample": _sample_section(fraction, tally.scanned, request.random_state, request.ci_level)
        if sampled
        else None,
        "columns": entries,
        "totals": _totals(entries, tally),
        "skipped": prepared.skipped,
        "input": {
            "malformed_lines": prepared.malformed_lines,
            "cells_truncated": sum(tally.truncated.values()),
            "cells_with_replacement_chars": sum(tally.replaced.values()),
            "notes": prepared.notes,
        },
        "risk": None,
        "minimisation": None,
        "params": {
            "columns": wanted,
            "sample": request.sample,
            "quasi_identifiers": _split(request.quasi_identifiers, "quasi_identifiers"),
            "sensitive": request.sensitive,
            "features": _split(request.features, "features"),
            "min_score": request.min_score,
            "max_cell_chars": request.max_cell_chars,
            "ci_level": request.ci_level,
            "recognizers": [r.name for r in RECOGNIZERS],
            "ner": None if ner is None else ner.describe(),
        },
        "provenance": {},
    }


def _sample_section(fraction: float | None, n: int, seed: int, ci_level: float) -> dict[str, Any]:
    alpha = 1.0 - ci_level
    # An entity type present in at least this share of rows appears in a Bernoulli sample of n
    # rows with probability ≥ ci_level: 1 − (1 − p)^n ≥ ci_level.
    bound = 1.0 - alpha ** (1.0 / n) if n else 1.0
    return {
        "method": "bernoulli",
        "fraction": fraction,
        "seed": seed,
        "n": n,
        "ci_level": ci_level,
        "detection_bound": round(bound, 8),
        "statement": (
            f"An entity type in at least {bound:.4%} of rows would be found with probability "
            f"{ci_level:.0%}; prevalences carry {ci_level:.0%} Wilson intervals."
        ),
        "rule_of_three": round(min(1.0, -math.log(alpha) / n), 8) if n else 1.0,
    }
