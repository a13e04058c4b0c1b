"""Where the data lives: local files, object storage, SQL databases and Spark.

A :class:`SourceSpec` names the data the way the command line does (a path, or ``--source-db``
with ``--table`` or ``--query``, and ``--engine``); :func:`open_source` opens it as something
:func:`assay.evaluate.fairness`, :func:`~assay.evaluate.quality`, :func:`~assay.evaluate.drift`
and :func:`assay.evaluate.pii.scan` read, so that their grouped passes run where the data is:
SQL in the database (through Ibis), Spark jobs on the cluster, Polars' cloud reader on a bucket.
:func:`stamp_source` records the source, without credentials, in a result's provenance.

>>> from assay.sources import SourceSpec
>>> SourceSpec(database="postgresql://ana@db/risk", query="SELECT 1").checked().engine
'polars'
"""

from __future__ import annotations

from assay.sources._open import open_source, opened_source
from assay.sources._opened import OpenedSource
from assay.sources._provenance import (
    SOURCE_DIGEST_OF,
    source_digest,
    stamp_source,
    statistics_digest,
)
from assay.sources._redact import redact_url
from assay.sources._spec import ENGINES, SourceSpec, is_remote
from assay.sources._stream import BATCH_ROWS, rows_to_scan, spool_rows

__all__ = [
    "BATCH_ROWS",
    "ENGINES",
    "SOURCE_DIGEST_OF",
    "OpenedSource",
    "SourceSpec",
    "is_remote",
    "open_source",
    "opened_source",
    "redact_url",
    "rows_to_scan",
    "source_digest",
    "spool_rows",
    "stamp_source",
    "statistics_digest",
]
