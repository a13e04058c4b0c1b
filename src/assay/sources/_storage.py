"""Object storage: ``s3://``, ``gs://`` and ``az://`` paths, scanned lazily by Polars' native
cloud reader.

Credentials come from where each cloud's own tools look (environment variables, profiles,
instance metadata): Polars finds them itself. Only the S3 endpoint, for an S3-compatible server
(MinIO, Ceph, a test server), is read from ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` here,
and plain HTTP is allowed for it when the endpoint says ``http://``. Nothing is printed.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath

import polars as pl

from assay.errors import InputError
from assay.sources._opened import OpenedSource, source_error
from assay.sources._spec import SourceSpec

__all__ = ["open_object", "storage_options"]

_READERS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl",
            ".ndjson": "jsonl"}  # fmt: skip


def storage_options(path: str) -> dict[str, str]:
    """The options Polars needs beyond what it reads from the environment itself."""
    if not path.lower().startswith(("s3://", "s3a://")):
        return {}
    options: dict[str, str] = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["aws_endpoint_url"] = endpoint
        if endpoint.startswith("http://"):
            options["aws_allow_http"] = "true"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options["aws_region"] = region
    return options


def open_object(spec: SourceSpec) -> OpenedSource:
    """A lazy Polars scan of the object, checked by reading its schema.

    Raises
    ------
    InputError
        The suffix is not one Assay reads, or the bucket or object cannot be read.
    """
    assert spec.path is not None
    path = spec.path
    kind = _READERS.get(PurePosixPath(path).suffix.lower())
    if kind is None:
        raise InputError(
            f"Cannot read '{path}': Assay reads .parquet, .csv and .jsonl objects. Convert the "
            "object or give its full key with the suffix."
        )
    options = storage_options(path)
    opened = OpenedSource(spec, None, "polars", {"kind": "object", "path": path})
    try:
        if kind == "parquet":
            lazy = pl.scan_parquet(path, storage_options=options)
        elif kind == "csv":
            lazy = pl.scan_csv(path, storage_options=options, infer_schema_length=10_000)
        else:
            lazy = pl.scan_ndjson(path, storage_options=options, infer_schema_length=10_000)
        lazy.collect_schema()
    except Exception as exc:
        raise source_error(opened.label, exc, []) from None
    opened.data = lazy
    return opened
