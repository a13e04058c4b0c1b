"""Content-addressed blob storage: each file is stored once, under its sha256."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from assay.errors import InputError, IntegrityError, NotFoundError

__all__ = ["BlobStore", "sha256_bytes", "sha256_file"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20
INCOMING_PREFIX = ".incoming-"
"""Name prefix of a blob being written (renamed into place when complete)."""
STALE_INCOMING_S = 3600.0
"""A file being written that has not changed for this long was left by a killed write."""
_DIR_MODE = 0o700  # blobs are the workspace's evidence: readable by its owner only


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

    Writing is atomic (a temporary file ``.incoming-*`` renamed into place) and idempotent: storing
    the same bytes twice keeps one copy. Blobs are never modified; :meth:`verify` re-hashes one.
    Files are created with mode 0600 and folders 0700. A write killed before its rename leaves its
    temporary file: :meth:`remove_stale_incoming` deletes those (a workspace does when opened) and
    :meth:`incoming` lists what is left.

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
        target.parent.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        os.replace(tmp, target)

    def _tempfile(self) -> tuple[BinaryIO, Path]:
        self.root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=INCOMING_PREFIX, dir=self.root)  # mode 0600
        return os.fdopen(fd, "wb"), Path(name)

    def incoming(self) -> list[Path]:
        """The temporary files of writes not (yet) renamed into place, oldest first."""
        if not self.root.is_dir():
            return []
        found = [p for p in self.root.glob(INCOMING_PREFIX + "*") if p.is_file()]
        return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))

    def remove_stale_incoming(self, *, older_than: float = STALE_INCOMING_S) -> list[Path]:
        """Delete the temporary files of killed writes: those unchanged for ``older_than``
        seconds (a write in progress keeps changing its file). Returns what was deleted."""
        cutoff = time.time() - older_than
        removed = []
        for path in self.incoming():
            try:
                if path.stat().st_mtime <= cutoff:
                    path.unlink()
                    removed.append(path)
            except OSError:  # gone already (another process cleaned it), or not ours to delete
                continue
        return removed

    def discard(self, digest: str) -> None:
        """Delete a blob this process just stored for an import that failed (blobs are otherwise
        never deleted); its shard folder too when that leaves it empty."""
        path = self.path(digest)
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty: other blobs share the shard
            path.parent.rmdir()

    def size(self, digest: str) -> int | None:
        """The size in bytes of a stored blob, or None when it is missing."""
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; return its hex sha256."""
        digest = sha256_bytes(data)
        if self.has(digest):
            return digest
        fh, tmp = self._tempfile()
        try:
            with fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            self._install(tmp, digest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return digest

    def put_file(self, path: Path) -> tuple[str, int]:
        """Store a copy of the file at ``path``; return its hex sha256 and size in bytes."""
        path = Path(path)
        if not path.is_file():
            raise NotFoundError(f"The file {str(path)!r} does not exist or is not a regular file.")
        digest = hashlib.sha256()
        size = 0
        fh, tmp = self._tempfile()
        try:
            with fh, path.open("rb") as src:
                for chunk in iter(lambda: src.read(_CHUNK), b""):
                    digest.update(chunk)
                    size += len(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            value = digest.hexdigest()
            self._install(tmp, value)
        except BaseException:  # a full disk, an unreadable file: leave no temporary file
            tmp.unlink(missing_ok=True)
            raise
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
