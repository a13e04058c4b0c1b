"""Reading a backup archive without trusting it: the entries a backup has, within a size budget.

A zip archive says how large each entry is, but nothing makes it true: a 4 MB archive can expand
to 4 GiB (a zip bomb), or declare 1 KB for an entry that inflates without end. So an archive is
refused before anything is expanded when it holds an entry ``assay backup`` never writes, declares
more than the budget in all, or declares an entry absurdly more compressible than real records;
and while expanding, every byte is counted against the budget, the entry's declared size and its
compression ratio, so an archive that lies is stopped at the limit, never after.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from assay.errors import InputError

__all__ = ["MAX_RESTORE_BYTES", "MAX_RESTORE_RATIO", "extract_backup"]

MAX_RESTORE_BYTES = 8 * 1024**3
"""The most a backup may expand to, by default (``assay restore --max-size`` changes it)."""

MAX_RESTORE_RATIO = 200
"""The most an entry may expand, uncompressed to compressed. Records and evaluation results
compress about 5 to 20 times; only crafted content (a run of one byte) compresses a thousand."""

RATIO_FLOOR = 1024**2
"""Entries smaller than this are not held to :data:`MAX_RESTORE_RATIO` (a tiny file may compress
well, and the budget bounds them anyway)."""

_CHUNK = 1024**2
_ENTRY = re.compile(
    r"(assay-export\.yaml|audit\.jsonl|tables/[a-z][a-z0-9_]{0,62}\.yaml|blobs/[0-9a-f]{64})"
)


def _mib(size: int) -> str:
    """A size in words: ``64.0 MiB``, ``12.5 KiB``, ``8.0 GiB``."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} bytes"


def _compressed_sizes(zf: zipfile.ZipFile, archive: Path) -> dict[str, int]:
    """Each entry's compressed size, never more than the bytes between its header and the next
    one (or the end of the file): a header that claims more compressed data than the archive
    holds would hide a zip bomb's ratio."""
    infos = sorted(zf.infolist(), key=lambda i: i.header_offset)
    ends = [i.header_offset for i in infos[1:]] + [archive.stat().st_size]
    return {
        info.filename: max(0, min(info.compress_size, end - info.header_offset))
        for info, end in zip(infos, ends, strict=True)
    }


def _too_compressed(size: int, compressed: int) -> bool:
    return size > RATIO_FLOOR and size > MAX_RESTORE_RATIO * compressed


def _checked_entries(
    zf: zipfile.ZipFile, archive: Path, max_bytes: int
) -> list[tuple[zipfile.ZipInfo, int]]:
    """The archive's entries with their compressed sizes, refused before anything is expanded
    if any looks wrong."""
    seen: set[str] = set()
    declared = 0
    compressed = _compressed_sizes(zf, archive)
    for info in zf.infolist():
        if not _ENTRY.fullmatch(info.filename) or info.filename in seen:
            raise InputError(
                f"{archive} holds the entry {info.filename[:200]!r}, which an Assay backup never "
                "holds (or holds once); it is not an Assay backup, or it was edited."
            )
        seen.add(info.filename)
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zlib.DEFLATED):
            raise InputError(
                f"{archive}: the entry {info.filename!r} is encrypted or compressed in a way "
                "Assay's backups never use; it is not an Assay backup."
            )
        if _too_compressed(info.file_size, compressed[info.filename]):
            raise InputError(
                f"{archive}: the entry {info.filename!r} declares {_mib(info.file_size)} from "
                f"{_mib(compressed[info.filename])} compressed, more than {MAX_RESTORE_RATIO} to "
                "1; no backup compresses that well (a zip bomb?). Nothing was restored."
            )
        declared += info.file_size
    if declared > max_bytes:
        raise InputError(
            f"{archive} declares {_mib(declared)} uncompressed, more than the limit of "
            f"{_mib(max_bytes)}. Nothing was restored; if the backup is genuine, raise the limit "
            "with --max-size."
        )
    return [(info, compressed[info.filename]) for info in zf.infolist()]


def _expand(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, compressed: int, target: Path, budget: int
) -> int:
    """Write one entry under ``target``, counting every byte; return how many were written."""
    path = target / info.filename
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = 0
    with zf.open(info) as src, path.open("wb") as out:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise InputError(
                    f"The entry {info.filename!r} expands past the {info.file_size} bytes its "
                    "header declares; the archive lies about its content. Nothing was restored."
                )
            if written > budget:
                raise InputError(
                    f"The backup expands past the limit of its budget ({_mib(budget)} left at "
                    f"{info.filename!r}). Nothing was restored; raise the limit with --max-size "
                    "if the backup is genuine."
                )
            if _too_compressed(written, compressed):
                raise InputError(
                    f"The entry {info.filename!r} expands more than {MAX_RESTORE_RATIO} to 1; no "
                    "backup compresses that well (a zip bomb?). Nothing was restored."
                )
            out.write(chunk)
    return written


def extract_backup(archive: Path, target: Path, *, max_bytes: int = MAX_RESTORE_BYTES) -> int:
    """Expand the backup ``archive`` into the folder ``target`` (which the caller removes if
    this fails); return the bytes written.

    Raises
    ------
    InputError
        The file is not a zip archive, holds entries a backup never has, or declares or expands
        to more than ``max_bytes`` or more than :data:`MAX_RESTORE_RATIO` to 1.
    """
    if max_bytes <= 0:
        raise InputError(f"The restore size limit must be positive; got {max_bytes}.")
    try:
        with zipfile.ZipFile(archive) as zf:
            budget = max_bytes
            for info, compressed in _checked_entries(zf, archive, max_bytes):
                budget -= _expand(zf, info, compressed, target, budget)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise InputError(
            f"{archive} is not a readable backup archive ({exc or type(exc).__name__}); "
            "nothing was restored."
        ) from None
    return max_bytes - budget
