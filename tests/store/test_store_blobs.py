"""Blobs are stored once under their sha256, atomically, and tampering is detected."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assay.errors import InputError, IntegrityError, NotFoundError
from assay.store import BlobStore


def test_put_bytes_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    digest = blobs.put_bytes(b"hello")
    assert digest == hashlib.sha256(b"hello").hexdigest()
    assert blobs.path(digest) == tmp_path / "blobs" / digest[:2] / digest[2:]
    assert blobs.put_bytes(b"hello") == digest
    assert blobs.read_bytes("sha256:" + digest) == b"hello"
    assert [p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == [digest[2:]]


def test_put_file_streams_and_reports_size(tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    data = bytes(range(256)) * 10_000
    src.write_bytes(data)
    blobs = BlobStore(tmp_path / "blobs")
    digest, size = blobs.put_file(src)
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    blobs.verify(digest)


def test_tampered_blob_is_detected(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    digest = blobs.put_bytes(b"approved packet")
    blobs.path(digest).write_bytes(b"edited packet")
    with pytest.raises(IntegrityError, match="modified"):
        blobs.verify(digest)


def test_missing_blob_and_bad_digest(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    with pytest.raises(NotFoundError, match="restore"):
        blobs.read_bytes("0" * 64)
    with pytest.raises(InputError, match="64 hexadecimal"):
        blobs.path("abc")
    with pytest.raises(NotFoundError):
        blobs.put_file(tmp_path / "nope.txt")
