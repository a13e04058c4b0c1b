"""The evidence store: the only package with SQL.

A :class:`Store` is one database (SQLite by default, PostgreSQL for a team) plus a folder of
content-addressed blobs. Every write is one transaction that ends with one hash-chained audit event
(:meth:`Store.write`); :meth:`Store.verify` recomputes the chain and checks every governed row
against it. The schema lives in Alembic migrations (:meth:`Store.upgrade`).
"""

from __future__ import annotations

from assay.store import _schema as tables
from assay.store._audit import (
    GENESIS_HASH,
    AuditEvent,
    AuditProblem,
    AuditReport,
    event_hash,
    read_events,
    row_digest,
    row_image,
    row_keys_text,
    verify_chain,
)
from assay.store._blobs import BlobStore, sha256_bytes, sha256_file
from assay.store._engine import (
    connection_scope,
    create_engine,
    mask_url,
    normalize_url,
    sqlite_url,
)
from assay.store._exchange import dump_events, dump_table
from assay.store._exchange import load as load_records
from assay.store._limits import (
    EARLIEST_DATE,
    JSON_MAX_DEPTH,
    JSON_MAX_INT_DIGITS,
    JSON_MAX_NODES,
    LATEST_DATE,
    NAME_MAX_CHARS,
    TEXT_MAX_CHARS,
    check_date_range,
    check_json_shape,
    check_json_value,
    check_row,
    check_text_value,
    parse_json,
)
from assay.store._migrate import SCHEMA_REVISION, head_revision
from assay.store._roles import (
    PERSON_GRANTS,
    ConnectedRole,
    check_role_name,
    connected_as,
    grant_person_role,
    password_verifier,
    revoke_person_role,
)
from assay.store._store import Guard, Store, WriteTx
from assay.store._types import to_jsonable, utc

__all__ = [  # noqa: RUF022 (plain sorted(), as tests/test_public_api.py checks)
    "AuditEvent",
    "AuditProblem",
    "AuditReport",
    "BlobStore",
    "ConnectedRole",
    "EARLIEST_DATE",
    "GENESIS_HASH",
    "Guard",
    "JSON_MAX_DEPTH",
    "JSON_MAX_INT_DIGITS",
    "JSON_MAX_NODES",
    "LATEST_DATE",
    "NAME_MAX_CHARS",
    "PERSON_GRANTS",
    "SCHEMA_REVISION",
    "Store",
    "TEXT_MAX_CHARS",
    "WriteTx",
    "check_date_range",
    "check_json_shape",
    "check_json_value",
    "check_role_name",
    "check_row",
    "check_text_value",
    "connected_as",
    "connection_scope",
    "create_engine",
    "dump_events",
    "dump_table",
    "event_hash",
    "grant_person_role",
    "head_revision",
    "load_records",
    "mask_url",
    "normalize_url",
    "parse_json",
    "password_verifier",
    "read_events",
    "revoke_person_role",
    "row_digest",
    "row_image",
    "row_keys_text",
    "sha256_bytes",
    "sha256_file",
    "sqlite_url",
    "tables",
    "to_jsonable",
    "utc",
    "verify_chain",
]
