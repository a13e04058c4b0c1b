"""``assay.evaluate.pii.redact``: a copy of a table or log with its personal data masked, hashed
or removed, streamed, with the same schema.

Two passes. The first finds the personal data exactly as a scan does (same recognizers, same
validation) and keeps the distinct values found per top-level column. The second streams the
input to the output (Polars ``sink_*``), rewriting every text leaf of those columns with one
Aho–Corasick ``replace_many`` (or ``contains_any`` for ``drop``); no Python runs per row.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from assay.errors import InputError
from assay.evaluate.pii._detect import ROW, check_min_score, findings, plan
from assay.evaluate.pii._input import is_jsonl, prepare, read_failed
from assay.evaluate.pii._mask import mask, pseudonym

POLICIES = ("mask", "hash", "drop")
Policy = Literal["mask", "hash", "drop"]
_WRITERS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "tsv",
            ".jsonl": "jsonl", ".ndjson": "jsonl"}  # fmt: skip
KEY_ENV = "ASSAY_PII_HASH_KEY"


@dataclass(frozen=True)
class RedactionReport:
    """What :func:`redact` changed: distinct values per column and entity, never the values."""

    destination: str
    policy: str
    rows: int
    columns: dict[str, dict[str, int]] = field(default_factory=dict)
    keyed: bool = False

    @property
    def values_redacted(self) -> int:
        """Distinct values redacted, over all columns."""
        return sum(n for col in self.columns.values() for n in col.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "schema": "assay.pii.redaction/v1",
            "destination": self.destination,
            "policy": self.policy,
            "rows": self.rows,
            "columns": self.columns,
            "values_redacted": self.values_redacted,
            "hash_key": "given"
            if self.keyed
            else ("random (not kept)" if self.policy == "hash" else None),
        }


def _top(name: str, top_level: list[str]) -> str:
    # "customer.email" belongs to the top-level column "customer" (unless a top-level column is
    # literally named "customer.email").
    if name in top_level:
        return name
    head = name.split(".")[0]
    return head if head in top_level else name


def _rewrite(expr: pl.Expr, dtype: Any, patterns: list[str], replacements: list[str],
             drop: bool) -> pl.Expr:  # fmt: skip
    """``expr`` with every text leaf rewritten; the result has ``dtype``."""
    if dtype == pl.String:
        if drop:
            return pl.when(expr.str.contains_any(patterns)).then(None).otherwise(expr)
        return expr.str.replace_many(patterns, replacements, leftmost=True)
    if isinstance(dtype, pl.Struct):
        changed = [
            _rewrite(pl.field(f.name), f.dtype, patterns, replacements, drop).alias(f.name)
            for f in dtype.fields
            if _has_text(f.dtype) or f.dtype.is_integer()
        ]
        return expr.struct.with_fields(changed) if changed else expr
    if isinstance(dtype, pl.List) and dtype.inner is not None:
        inner = _rewrite(pl.element(), dtype.inner, patterns, replacements, drop)
        return expr.list.eval(inner)
    if dtype.is_integer() or dtype.is_temporal():
        # A number or date cannot hold a mask: a value holding personal data becomes null.
        hit = expr.cast(pl.String).str.contains_any(patterns)
        return pl.when(hit).then(None).otherwise(expr)
    return expr


def _has_text(dtype: Any) -> bool:
    if dtype == pl.String:
        return True
    if isinstance(dtype, pl.Struct):
        return any(_has_text(f.dtype) or f.dtype.is_integer() for f in dtype.fields)
    if isinstance(dtype, pl.List) and dtype.inner is not None:
        return _has_text(dtype.inner)
    return False


def _key(policy: str, key: bytes | str | None) -> tuple[bytes, bool]:
    if key is None:
        key = os.environ.get(KEY_ENV)
    if key is None or key == "":
        # Without a key, hashes are pseudonyms consistent within this output only: a random key
        # that is never stored stops anyone hashing guesses to find the originals.
        return secrets.token_bytes(32), False
    return (key.encode("utf-8") if isinstance(key, str) else bytes(key)), True


def redact(
    data: Any,
    destination: str | Path,
    *,
    policy: Policy = "mask",
    columns: str | Sequence[str] | None = None,
    min_score: float = 0.5,
    key: bytes | str | None = None,
    batch_rows: int = 250_000,
) -> RedactionReport:
    """Write a copy of ``data`` with personal data masked, hashed or dropped.

    Parameters
    ----------
    data
        A path (``.parquet``, ``.csv``, ``.tsv``, ``.jsonl``) or a Polars, pandas or pyarrow frame.
    destination
        The output file; its suffix picks the format (``.parquet``, ``.csv``, ``.tsv``,
        ``.jsonl``). Written to ``NAME.part`` first and renamed when complete.
    policy
        ``mask``: each value becomes its masked form (``j***@e***.com``); ``hash``: a keyed
        token ``<EMAIL_ADDRESS:3f9a…>`` (equal values, equal tokens); ``drop``: a cell holding
        personal data becomes null. Numbers and dates holding personal data become null under
        every policy, since they cannot hold a mask. The schema does not change.
    columns
        Only these columns (default: all).
    min_score
        As in :func:`scan`.
    key
        HMAC key for ``hash`` (default: the ``ASSAY_PII_HASH_KEY`` environment variable, else a
        random key that is not kept).
    batch_rows
        Rows per batch of the first pass.

    Returns
    -------
    RedactionReport
        Distinct values redacted per column and entity type.
    """
    options = {k: v for k, v in locals().items() if k != "data"}
    try:
        return _redact(data, lenient=False, **options)
    except pl.exceptions.PolarsError as exc:
        if not is_jsonl(data):
            raise read_failed(data, exc) from None
    try:
        return _redact(data, lenient=True, **options)
    except pl.exceptions.PolarsError as exc:
        raise read_failed(data, exc) from None


def _redact(
    data: Any,
    *,
    lenient: bool,
    destination: str | Path,
    policy: Policy,
    columns: str | Sequence[str] | None,
    min_score: float,
    key: bytes | str | None,
    batch_rows: int,
) -> RedactionReport:
    check_min_score(min_score)
    if policy not in POLICIES:
        raise InputError(f"policy must be one of {', '.join(POLICIES)}; got {policy!r}.")
    out = Path(destination)
    writer = _WRITERS.get(out.suffix.lower())
    if writer is None:
        raise InputError(
            f"Cannot write '{out.name}': the output must end in .parquet, .csv, .tsv or .jsonl."
        )
    if not out.parent.exists():
        raise InputError(f"The folder '{out.parent}' for the output does not exist; create it.")
    if isinstance(data, str | Path) and Path(data).resolve() == out.resolve():
        raise InputError("The output would overwrite the input; choose another destination.")
    wanted = [columns] if isinstance(columns, str) else (list(columns) if columns else None)
    prepared = prepare(data, wanted, lenient=lenient)
    if prepared.n_rows is not None:
        raise InputError(
            f"redact reads files and Polars, pandas or pyarrow frames, not "
            f"{prepared.source.engine}; write the frame to Parquet first."
        )
    base = prepared.base
    assert base is not None
    schema = base.collect_schema()
    top_level = list(schema)
    names = [c.name for c in prepared.columns]
    jobs = plan(names)
    values: dict[str, dict[str, str]] = {}  # top-level column -> value -> entity
    counts: dict[str, dict[str, set[str]]] = {}
    rows = 0
    if names:
        for batch in prepared.frame.with_row_index(ROW).collect_batches(chunk_size=batch_rows):
            rows += batch.height
            found, _ = findings(batch, names, min_score=min_score, jobs=jobs)
            for col, entity, value in found.select("col", "entity", "value").unique().iter_rows():
                name = names[col]
                values.setdefault(_top(name, top_level), {}).setdefault(value, entity)
                counts.setdefault(name, {}).setdefault(entity, set()).add(value)
    else:
        rows = int(base.select(pl.len()).collect().item())
    secret, keyed = _key(policy, key)
    exprs = []
    for name, dtype in schema.items():
        found_here = values.get(name)
        if not found_here:
            exprs.append(pl.col(name))
            continue
        # Longest first, so that leftmost-first matching replaces a whole value rather than a
        # shorter value found inside it.
        ordered = sorted(found_here, key=lambda v: (-len(v), v))
        if policy == "mask":
            repl = [mask(found_here[v], v) for v in ordered]
        elif policy == "hash":
            repl = [pseudonym(found_here[v], v, secret) for v in ordered]
        else:
            repl = [""] * len(ordered)
        exprs.append(_rewrite(pl.col(name), dtype, ordered, repl, policy == "drop").alias(name))
    part = out.with_name(out.name + ".part")
    lazy = base.select(exprs)
    try:
        if writer == "parquet":
            lazy.sink_parquet(part)
        elif writer in ("csv", "tsv"):
            lazy.sink_csv(part, separator="\t" if writer == "tsv" else ",")
        else:
            lazy.sink_ndjson(part)
    except pl.exceptions.PolarsError as exc:
        part.unlink(missing_ok=True)
        raise InputError(
            f"Could not write '{out.name}' ({type(exc).__name__}); nested data can only be "
            "written to .parquet or .jsonl."
        ) from None
    part.replace(out)
    return RedactionReport(
        str(out),
        policy,
        rows,
        {c: {e: len(v) for e, v in sorted(ents.items())} for c, ents in sorted(counts.items())},
        keyed,
    )
