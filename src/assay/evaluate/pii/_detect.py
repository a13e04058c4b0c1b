"""Finding personal data in a frame of text columns: candidates in the engine, validation on the
distinct candidates only, overlaps resolved, scores from context.

This is the one detection routine behind scanning, redaction and the accuracy benchmark. Rows
are never walked in Python: Polars extracts every recognizer's candidates from every column (in
parallel), the distinct candidate strings go through the validators, and the verdicts are joined
back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from assay.errors import InputError
from assay.evaluate.pii._recognizers import EXCLUDED, RECOGNIZERS, Recognizer, column_entities

ROW = "__row"

FINDINGS_SCHEMA = {
    ROW: pl.UInt64,
    "col": pl.UInt32,
    "rec": pl.UInt32,
    "entity": pl.String,
    "value": pl.String,
    "score": pl.Float64,
    "context": pl.Boolean,
}
CANDIDATE_SCHEMA = {ROW: pl.UInt64, "col": pl.UInt32, "rec": pl.UInt32, "ctx": pl.Boolean,
                    "match": pl.String}  # fmt: skip

#: Cells with more findings than this skip overlap resolution (it compares findings pairwise).
MAX_FINDINGS_PER_CELL_FOR_OVERLAP = 200


@dataclass(frozen=True)
class Job:
    """One recognizer over one column, and whether the column's name is context for it."""

    col: int
    rec: int
    column_context: bool


def plan(columns: Sequence[str], recognizers: Sequence[Recognizer] = RECOGNIZERS) -> list[Job]:
    """Which recognizer runs on which column (column-only recognizers need a telling name)."""
    jobs = []
    for ci, name in enumerate(columns):
        hinted = column_entities(name)
        for ri, r in enumerate(recognizers):
            if r.needs == "column" and r.entity not in hinted:
                continue
            jobs.append(Job(ci, ri, r.entity in hinted))
    return jobs


def candidates(
    frame: pl.DataFrame,
    columns: Sequence[str],
    jobs: Sequence[Job],
    recognizers: Sequence[Recognizer] = RECOGNIZERS,
) -> pl.DataFrame:
    """Every regex candidate: one row per (row, column, recognizer, match).

    ``frame`` holds the text columns and the ``__row`` index. Each job filters the rows its
    pattern occurs in, extracts all matches there, and tests the context words only on those
    rows; Polars runs the jobs in parallel.
    """
    if not jobs or frame.height == 0:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    base = frame.lazy()
    parts = []
    for job in jobs:
        r = recognizers[job.rec]
        text = pl.col("__text")
        ctx_pattern = r.context_pattern
        ctx = text.str.contains(ctx_pattern) if ctx_pattern else pl.lit(False)
        parts.append(
            base.select(ROW, pl.col(columns[job.col]).alias("__text"))
            .filter(pl.col("__text").str.contains(r.engine_pattern))
            .select(
                pl.col(ROW).cast(pl.UInt64),
                pl.lit(job.col, dtype=pl.UInt32).alias("col"),
                pl.lit(job.rec, dtype=pl.UInt32).alias("rec"),
                ctx.fill_null(False).alias("ctx") if ctx_pattern else ctx.alias("ctx"),
                text.str.extract_all(r.engine_pattern).alias("match"),
            )
            .explode("match")
            .drop_nulls("match")
        )
    return pl.concat(parts).collect()


def _safe(r: Recognizer, candidate: str) -> str | None:
    try:
        value = r.validator(candidate)
    except Exception:
        return None
    return value if value else None


def _run(r: Recognizer, matches: list[str]) -> list[str | None]:
    try:
        return [r.validator(m) or None for m in matches]
    except Exception:
        return [_safe(r, m) for m in matches]


def validate(cands: pl.DataFrame, recognizers: Sequence[Recognizer] = RECOGNIZERS) -> pl.DataFrame:
    """The validator's verdict for each distinct (recognizer, candidate): ``value`` or null."""
    distinct = cands.select("rec", "match").unique().sort("rec")
    values: list[str | None] = []
    for (rec,), group in distinct.group_by("rec", maintain_order=True):
        values += _run(recognizers[int(rec)], group.get_column("match").to_list())
    return distinct.with_columns(pl.Series("value", values, dtype=pl.String))


def check_min_score(min_score: float) -> float:
    """``min_score`` when it is a confidence in [0, 1]; an :class:`InputError` otherwise.

    Every finding's confidence lies in [0, 1], so a cut-off above 1 would silently report "none
    found" in every column.
    """
    if isinstance(min_score, bool) or not 0.0 <= float(min_score) <= 1.0:
        raise InputError(
            f"min_score (--min-score) is a confidence in [0, 1]; got {min_score!r}. "
            "Findings score between 0 and 1; the default is 0.5."
        )
    return float(min_score)


def findings(
    frame: pl.DataFrame,
    columns: Sequence[str],
    *,
    recognizers: Sequence[Recognizer] = RECOGNIZERS,
    min_score: float = 0.5,
    jobs: Sequence[Job] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validated, scored, de-overlapped findings, and candidate counts per (column, entity).

    Returns
    -------
    findings
        ``__row, col, rec, entity, value, score, context`` (``value`` is the raw personal data:
        callers mask or hash it before it leaves the library).
    candidate_counts
        ``col, entity, candidates``: regex candidates before validation.
    """
    jobs = plan(columns, recognizers) if jobs is None else jobs
    cands = candidates(frame, columns, jobs, recognizers)
    entity_of = pl.DataFrame(
        {
            "rec": pl.Series(range(len(recognizers)), dtype=pl.UInt32),
            "entity": [r.entity for r in recognizers],
            "base": [r.score for r in recognizers],
            "boost": [r.context_score for r in recognizers],
            "needs_ctx": [r.needs == "context" for r in recognizers],
        }
    )
    col_ctx = pl.DataFrame(
        {
            "col": pl.Series([j.col for j in jobs], dtype=pl.UInt32),
            "rec": pl.Series([j.rec for j in jobs], dtype=pl.UInt32),
            "col_ctx": [j.column_context for j in jobs],
        }
    ).unique()
    counts = (
        cands.join(entity_of.select("rec", "entity"), on="rec")
        .group_by("col", "entity")
        .agg(pl.len().cast(pl.Int64).alias("candidates"))
    )
    if cands.height == 0:
        return pl.DataFrame(schema=FINDINGS_SCHEMA), counts
    # Score before validating, so that candidates which could not count anyway (no context
    # where it is needed, or too low a confidence) are never validated.
    scored = (
        cands.join(entity_of, on="rec")
        .join(col_ctx, on=["col", "rec"], how="left")
        .with_columns((pl.col("ctx") | pl.col("col_ctx").fill_null(False)).alias("context"))
        .filter(~pl.col("needs_ctx") | pl.col("context"))
        .with_columns(
            pl.when(pl.col("context"))
            .then(pl.col("boost"))
            .otherwise(pl.col("base"))
            .alias("score")
        )
        .filter(pl.col("score") >= min_score)
    )
    verdicts = validate(scored, recognizers)
    found = (
        scored.join(verdicts, on=["rec", "match"])
        .filter(pl.col("value").is_not_null())
        .select(list(FINDINGS_SCHEMA))
    )
    kept = _resolve_overlaps(found).filter(pl.col("entity") != EXCLUDED)
    return kept, counts.filter(pl.col("entity") != EXCLUDED)


def _resolve_overlaps(found: pl.DataFrame) -> pl.DataFrame:
    """Drop a finding whose text lies inside another finding of the same cell that is longer,
    or as long and from an earlier (more specific) recognizer."""
    if found.height < 2:
        return found
    indexed = found.with_row_index("__id")
    per_cell = indexed.group_by(ROW, "col").agg(pl.len().alias("__n"))
    crowded = per_cell.filter(
        (pl.col("__n") > 1) & (pl.col("__n") <= MAX_FINDINGS_PER_CELL_FOR_OVERLAP)
    )
    if crowded.height == 0:
        return found
    shared = indexed.join(crowded.select(ROW, "col"), on=[ROW, "col"])
    pairs = shared.join(shared, on=[ROW, "col"], suffix="_o").filter(
        (pl.col("__id") != pl.col("__id_o"))
        & pl.col("value_o").str.contains(pl.col("value"), literal=True)
        & (
            (pl.col("value_o").str.len_chars() > pl.col("value").str.len_chars())
            | (
                (pl.col("value_o").str.len_chars() == pl.col("value").str.len_chars())
                & (pl.col("rec_o") < pl.col("rec"))
            )
        )
    )
    dropped = pairs.select("__id").unique()
    return indexed.join(dropped, on="__id", how="anti").drop("__id")
