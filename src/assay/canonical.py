"""One canonical JSON form and one digest format for everything Assay hashes.

Every identity Assay computes over structured content (a result's data digest, a monitoring
spec's version, an evidence row's content hash, the audit chain, a packet, a cache key) is the
SHA-256 of :func:`canonical_json`: keys sorted, no insignificant whitespace, UTF-8 kept as is,
NaN and infinities refused. Two processes, two machines or two releases given the same content
compute the same identity.

A digest is written one way: ``sha256:<64 hex digits>`` (:func:`digest`, :func:`content_digest`,
:func:`file_digest`). A stored column whose *name* carries the algorithm (``blob_sha256``,
``spec_sha256``, the audit chain's ``hash``) holds the bare hex of the same hash
(:func:`sha256_hex`): the name already says what it is, and the audit chain of existing
workspaces is computed over those values.

This module sits at the bottom of the layers (next to :mod:`assay.errors`) so that every package,
the store and the evaluation functions alike, uses the same function.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "PREFIX",
    "canonical_json",
    "canonical_jsonl",
    "content_digest",
    "digest",
    "file_digest",
    "hex_of",
    "sha256_hex",
]

#: How every digest starts.
PREFIX = "sha256:"

# Built once: json.dumps would construct an encoder per call, a large share of verification time.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(value: Any) -> str:
    """Serialise ``value`` the one way every hash in Assay is computed over.

    Keys sorted, no insignificant whitespace, UTF-8 text kept as is, NaN refused.

    >>> canonical_json({"b": 1, "a": [True, None, "é"]})
    '{"a":[true,null,"é"],"b":1}'
    >>> canonical_json(float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: Out of range float values are not JSON compliant
    """
    return _CANONICAL.encode(value)


def canonical_jsonl(rows: Iterable[Any]) -> bytes:
    """One :func:`canonical_json` line per row, UTF-8 encoded (the form hashed for row logs).

    >>> canonical_jsonl([{"b": 2, "a": 1}, {"c": None}])
    b'{"a":1,"b":2}\\n{"c":null}\\n'
    """
    return b"".join((canonical_json(row) + "\n").encode("utf-8") for row in rows)


def sha256_hex(data: bytes | str) -> str:
    """The bare hex SHA-256 of ``data`` (text is hashed as UTF-8).

    >>> sha256_hex("abc")[:16]
    'ba7816bf8f01cfea'
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def digest(data: bytes | str) -> str:
    """``sha256:<hex>`` of ``data`` (text is hashed as UTF-8).

    >>> digest(b"abc")[:23]
    'sha256:ba7816bf8f01cfea'
    """
    return PREFIX + sha256_hex(data)


def content_digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value``: its identity, whatever the key order.

    >>> content_digest({"a": 1, "b": 2}) == content_digest({"b": 2, "a": 1})
    True
    """
    return digest(canonical_json(value))


def file_digest(path: Path | str, *, chunk: int = 1 << 20) -> str:
    """``sha256:<hex>`` of a file's bytes, read in chunks (any size, bounded memory)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return PREFIX + h.hexdigest()


def hex_of(value: str) -> str:
    """The hex part of a digest (``sha256:`` removed if present).

    >>> hex_of("sha256:abc"), hex_of("abc")
    ('abc', 'abc')
    """
    return value[len(PREFIX) :] if value.startswith(PREFIX) else value
