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
from assay.evaluate.pii._input import Prepared, prepare, read_leniently
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
    request = _Request(**locals())  # at this point locals() holds just the parameters
    return read_leniently(data, lambda lenient: _redact(request, lenient))


@dataclass(frozen=True)
class _Request:
    """The parameters of :func:`redact`, one for one."""

    data: Any
    destination: str | Path
    policy: Policy
    columns: str | Sequence[str] | None
    min_score: float
    key: bytes | str | None
    batch_rows: int


@dataclass
class _Found:
    """What the first pass found: the distinct values per column and their entities."""

    values: dict[str, dict[str, str]] = field(default_factory=dict)
    """Top-level column -> value -> entity: what the second pass rewrites."""
    counts: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    """Scanned column -> entity -> distinct values: what the report counts."""
    rows: int = 0


def _redact(request: _Request, lenient: bool) -> RedactionReport:
    """Check the request, find the personal data, then stream the rewritten copy."""
    out, writer = _check(request)
    columns = request.columns
    wanted = [columns] if isinstance(columns, str) else (list(columns) if columns else None)
    prepared = prepare(request.data, wanted, lenient=lenient)
    if prepared.n_rows is not None:
        raise InputError(
            f"redact reads files and Polars, pandas or pyarrow frames, not "
            f"{prepared.source.engine}; write the frame to Parquet first."
        )
    base = prepared.base
    assert base is not None
    schema = base.collect_schema()
    found = _find(prepared, list(schema), request)
    secret, keyed = _key(request.policy, request.key)
    exprs = [
        _rewritten(name, dtype, found, request.policy, secret) for name, dtype in schema.items()
    ]
    _write(base.select(exprs), out, writer)
    return RedactionReport(
        str(out),
        request.policy,
        found.rows,
        {
            c: {e: len(v) for e, v in sorted(ents.items())}
            for c, ents in sorted(found.counts.items())
        },
        keyed,
    )


def _check(request: _Request) -> tuple[Path, str]:
    """The output path and its writer, once the options and the destination are checked."""
    check_min_score(request.min_score)
    if request.policy not in POLICIES:
        raise InputError(f"policy must be one of {', '.join(POLICIES)}; got {request.policy!r}.")
    out = Path(request.destination)
    writer = _WRITERS.get(out.suffix.lower())
    if writer is None:
        raise InputError(
            f"Cannot write '{out.name}': the output must end in .parquet, .csv, .tsv or .jsonl."
        )
    if not out.parent.exists():
        raise InputError(f"The folder '{out.parent}' for the output does not exist; create it.")
    data = request.data
    if isinstance(data, str | Path) and Path(data).resolve() == out.resolve():
        raise InputError("The output would overwrite the input; choose another destination.")
    return out, writer


def _find(prepared: Prepared, top_level: list[str], request: _Request) -> _Found:
    """The first pass: personal data found as a scan finds it, batch by batch."""
    names = [c.name for c in prepared.columns]
    jobs = plan(names)
    found = _Found()
    if not names:
        assert prepared.base is not None
        found.rows = int(prepared.base.select(pl.len()).collect().item())
        return found
    batches = prepared.frame.with_row_index(ROW).collect_batches(chunk_size=request.batch_rows)
    for batch in batches:
        found.rows += batch.height
        hits, _ = findings(batch, names, min_score=request.min_score, jobs=jobs)
        for col, entity, value in hits.select("col", "entity", "value").unique().iter_rows():
            name = names[col]
            found.values.setdefault(_top(name, top_level), {}).setdefault(value, entity)
            found.counts.setdefault(name, {}).setdefault(entity, set()).add(value)
    return found


def _rewritten(name: str, dtype: Any, found: _Found, policy: str, secret: bytes) -> pl.Expr:
    """Column ``name`` with the values found in it masked, hashed or dropped."""
    found_here = found.values.get(name)
    if not found_here:
        return pl.col(name)
    # Longest first, so that leftmost-first matching replaces a whole value rather than a
    # shorter value found inside it.
    ordered = sorted(found_here, key=lambda v: (-len(v), v))
    if policy == "mask":
        repl = [mask(found_here[v], v) for v in ordered]
    elif policy == "hash":
        repl = [pseudonym(found_here[v], v, secret) for v in ordered]
    else:
        repl = [""] * len(ordered)
    return _rewrite(pl.col(name), dtype, ordered, repl, policy == "drop").alias(name)


def _write(lazy: pl.LazyFrame, out: Path, writer: str) -> None:
    """Stream ``lazy`` to ``out``: written to ``NAME.part`` first, renamed when complete."""
    part = out.with_name(out.name + ".part")
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
