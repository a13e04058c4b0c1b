"""Content-addressed blob storage: each file is stored once, under its sha256."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from assay.errors import InputError, IntegrityError, NotFoundError

__all__ = ["BlobStore", "sha256_bytes", "sha256_file"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """The hex sha256 of ``data``.

    >>> sha256_bytes(b"")
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The hex sha256 of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class BlobStore:
    """Files stored by content under ``root/ab/cdef...`` (two hex digits shard the folder).

    Writing is atomic (a temporary file renamed into place) and idempotent: storing the same bytes
    twice keeps one copy. Blobs are never modified; :meth:`verify` re-hashes one.

    Parameters
    ----------
    root
        The blob folder, usually ``.assay/blobs``; created when missing.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @staticmethod
    def check_digest(digest: str) -> str:
        """Return ``digest`` without an optional ``sha256:`` prefix; refuse anything else."""
        value = digest.removeprefix("sha256:").lower()
        if not _SHA256.match(value):
            raise InputError(
                f"{digest!r} is not a sha256 digest; expected 64 hexadecimal characters, "
                "optionally prefixed with 'sha256:'."
            )
        return value

    def path(self, digest: str) -> Path:
        """Where the blob with this digest lives (whether or not it exists)."""
        value = self.check_digest(digest)
        return self.root / value[:2] / value[2:]

    def has(self, digest: str) -> bool:
        """Whether the blob is present."""
        return self.path(digest).is_file()

    def _install(self, tmp: Path, digest: str) -> None:
        target = self.path(digest)
        if target.exists():
            tmp.unlink()
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)

    def _tempfile(self) -> tuple[BinaryIO, Path]:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        return os.fdopen(fd, "wb"), Path(name)

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; return its hex sha256."""
        digest = sha256_bytes(data)
        if self.has(digest):
            return digest
        fh, tmp = self._tempfile()
        with fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        self._install(tmp, digest)
        return digest

    def put_file(self, path: Path) -> tuple[str, int]:
        """Store a copy of the file at ``path``; return its hex sha256 and size in bytes."""
        path = Path(path)
        if not path.is_file():
            raise NotFoundError(f"The file {str(path)!r} does not exist or is not a regular file.")
        digest = hashlib.sha256()
        size = 0
        fh, tmp = self._tempfile()
        with fh, path.open("rb") as src:
            for chunk in iter(lambda: src.read(_CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        value = digest.hexdigest()
        self._install(tmp, value)
        return value, size

    def read_bytes(self, digest: str) -> bytes:
        """The content of a blob; :class:`NotFoundError` if it is missing."""
        path = self.path(digest)
        if not path.is_file():
            raise NotFoundError(
                f"The blob sha256:{self.check_digest(digest)} is not in {self.root}. "
                "Restore the workspace's blobs folder from a backup (assay restore FILE)."
            )
        return path.read_bytes()

    def verify(self, digest: str) -> None:
        """Re-hash a stored blob; :class:`IntegrityError` if its content changed."""
        path = self.path(digest)
        if not path.is_file():
            raise NotFoundError(f"The blob sha256:{self.check_digest(digest)} is missing.")
        actual = sha256_file(path)
        if actual != self.check_digest(digest):
            raise IntegrityError(
                f"The blob {path} was modified: its content hashes to {actual}, "
                f"not {self.check_digest(digest)}."
            )
