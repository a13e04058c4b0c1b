"""``assay export|import`` (git-diffable folder) and ``assay backup|restore`` (one archive)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from assay import governance as g
from assay.cli._gov_common import DbOpt, JsonOpt, WorkspaceOpt, emit, opened
from assay.errors import InputError

__all__ = ["backup_command", "export_command", "import_command", "restore_command"]

Into = Annotated[Path, typer.Option("--into", help="Folder of the new workspace.")]
NewDb = Annotated[
    str | None,
    typer.Option("--db", help="Empty database for the new workspace (default: SQLite)."),
]
User = Annotated[str | None, typer.Option("--user", help="Who acts in the new workspace.")]


def _message(verb: str, s: g.ExportSummary) -> str:
    return (
        f"{verb} {s.rows} records, {s.events} audit events and {s.blobs} files "
        f"({s.path}); chain head {s.head_hash}."
    )


def export_command(
    directory: Annotated[Path, typer.Argument(help="Folder to write (git-diffable).")],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export every record, the audit log and the files as YAML/JSON Lines."""
    with opened(workspace, db) as ws:
        summary = g.export_workspace(ws, directory)
    emit(summary, as_json, message=_message("Exported", summary))


def import_command(
    directory: Annotated[Path, typer.Argument(help="An export folder.")],
    into: Into = Path("."),
    db: NewDb = None,
    user: User = None,
    as_json: JsonOpt = False,
) -> None:
    """Import an export into a new, empty workspace (verified before it is committed)."""
    ws, summary = g.import_workspace(directory, into, db_url=db, user=user)
    ws.close()
    emit(summary, as_json, message=_message("Imported", summary))


def backup_command(
    file: Annotated[Path, typer.Argument(help="The archive to write (.zip).")],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Back up the workspace into one archive (restorable on SQLite or PostgreSQL)."""
    with opened(workspace, db) as ws:
        summary = g.backup_workspace(ws, file)
    emit(summary, as_json, message=_message("Backed up", summary))


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from ``500M``, ``20GB``, ``1.5GiB`` or a plain number (powers of 1024).

    >>> parse_size("8G"), parse_size("1024")
    (8589934592, 1024)
    """
    found = _SIZE.fullmatch(text.strip())
    if found is None or float(found.group(1)) <= 0:
        raise InputError(
            f"--max-size {text!r} is not a size; write it as a number of bytes or with a unit, "
            "for example 500M or 20G."
        )
    power = " kmgt".index(found.group(2).lower() or " ")
    return int(float(found.group(1)) * 1024**power)


def restore_command(
    file: Annotated[Path, typer.Argument(help="A backup archive.")],
    into: Into = Path("."),
    db: NewDb = None,
    user: User = None,
    max_size: Annotated[
        str | None,
        typer.Option(
            "--max-size",
            help=f"Refuse a backup that expands to more than this (500M, 20G; default "
            f"{g.MAX_RESTORE_BYTES // 1024**3}G); an entry that expands more than "
            f"{g.MAX_RESTORE_RATIO} to 1 is refused whatever the limit.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into a new, empty workspace (a failed restore leaves nothing behind)."""
    limit = g.MAX_RESTORE_BYTES if max_size is None else parse_size(max_size)
    ws, summary = g.restore_workspace(file, into, db_url=db, user=user, max_bytes=limit)
    ws.close()
    emit(summary, as_json, message=_message("Restored", summary))
