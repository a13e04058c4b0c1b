"""Export and import (a git-diffable folder of YAML and JSON Lines), backup and restore (the same
content as one zip archive). Both round-trip exactly: ids, timestamps and the audit chain."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import yaml

from assay import __version__
from assay.errors import (
    ConflictError,
    InputError,
    IntegrityError,
    NotFoundError,
    PermissionDeniedError,
)
from assay.governance._archive import MAX_RESTORE_BYTES, MAX_RESTORE_RATIO, extract_backup
from assay.governance._common import Record
from assay.store import (
    SCHEMA_REVISION,
    AuditReport,
    connection_scope,
    dump_events,
    dump_table,
    load_records,
    sha256_file,
    tables,
)

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "MAX_RESTORE_BYTES",
    "MAX_RESTORE_RATIO",
    "ExportSummary",
    "backup_workspace",
    "export_workspace",
    "import_workspace",
    "restore_workspace",
]

MANIFEST = "assay-export.yaml"
SCHEMA = "assay.export/v1"

try:
    _Dumper: Any = yaml.CSafeDumper
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Dumper = yaml.SafeDumper
    _Loader = yaml.SafeLoader


@dataclass(frozen=True, slots=True)
class ExportSummary(Record):
    """What an export, backup, import or restore moved."""

    path: Path
    rows: int
    events: int
    blobs: int
    head_hash: str


def _referenced_blobs(ws: Workspace) -> list[str]:
    with ws.store.read() as conn:
        digests = set(conn.execute(sa.select(tables.evidence.c.blob_sha256)).scalars())
        digests |= set(conn.execute(sa.select(tables.approvals.c.subject_sha256)).scalars())
        digests |= {
            d
            for d in conn.execute(sa.select(tables.system_components.c.content_sha256)).scalars()
            if d
        }
    return sorted(digests)


def export_workspace(ws: Workspace, directory: Path | str) -> ExportSummary:
    """Write every record, the audit log and the referenced blobs to ``directory``.

    Tables become ``tables/NAME.yaml`` (rows in id order), the audit log ``audit.jsonl`` (one
    event per line), blobs ``blobs/SHA256``; ``assay-export.yaml`` lists the sha256 of each file.
    The output depends only on the records, so re-exporting into a git repository shows exactly
    what changed. An earlier export in the same folder is replaced.
    """
    with ws.store.read() as conn:
        if connection_scope(conn) is not None:
            raise PermissionDeniedError(
                "A workspace export holds every organisation's records; only members of the "
                "main organisation make one."
            )
    target = Path(directory)
    if target.exists() and any(target.iterdir()) and not (target / MANIFEST).exists():
        raise ConflictError(
            f"{target} is not empty and holds no earlier Assay export; export into a new folder."
        )
    for old in ("tables", "blobs", "audit.jsonl", MANIFEST):
        p = target / old
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    (target / "tables").mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "schema": SCHEMA,
        "schema_revision": SCHEMA_REVISION,
        "assay_version": __version__,
        "tables": {},
    }
    rows_total = 0
    with ws.store.read(snapshot=True) as conn:
        for table in tables.GOVERNED_TABLES:
            rows = list(dump_table(conn, table))
            path = target / "tables" / f"{table.name}.yaml"
            with path.open("w", encoding="utf-8") as fh:
                yaml.dump(
                    rows,
                    fh,
                    Dumper=_Dumper,
                    sort_keys=True,
                    allow_unicode=True,
                    default_flow_style=False,
                    width=100,
                )
            manifest["tables"][str(table.name)] = {"rows": len(rows), "sha256": sha256_file(path)}
            rows_total += len(rows)
        events = 0
        head = ""
        with (target / "audit.jsonl").open("w", encoding="utf-8") as fh:
            for event in dump_events(conn):
                fh.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
                events += 1
                head = event["hash"]
    manifest["audit"] = {
        "events": events,
        "head_hash": head,
        "sha256": sha256_file(target / "audit.jsonl"),
    }
    digests = _referenced_blobs(ws)
    (target / "blobs").mkdir(exist_ok=True)
    for digest in digests:
        if ws.blobs.has(digest):
            shutil.copyfile(ws.blobs.path(digest), target / "blobs" / digest)
    manifest["blobs"] = len(digests)
    with (target / MANIFEST).open("w", encoding="utf-8") as fh:
        yaml.dump(manifest, fh, Dumper=_Dumper, sort_keys=True, default_flow_style=False)
    return ExportSummary(
        path=target, rows=rows_total, events=events, blobs=len(digests), head_hash=head
    )


def _manifest(source: Path) -> dict[str, Any]:
    mpath = source / MANIFEST
    if not mpath.is_file():
        raise NotFoundError(f"{source} holds no Assay export ({MANIFEST} is missing).")
    manifest = _yaml(mpath)
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        raise InputError(f"{mpath} is not an Assay export manifest ({SCHEMA}).")
    if manifest.get("schema_revision") != SCHEMA_REVISION:
        raise ConflictError(
            f"The export has schema {manifest.get('schema_revision')}; this Assay reads "
            f"{SCHEMA_REVISION}. Import it with the Assay version that exported it, upgrade, "
            "then export again."
        )
    names = {str(t.name) for t in tables.GOVERNED_TABLES}
    listed = manifest.get("tables")
    files = [*listed.values(), manifest.get("audit")] if isinstance(listed, dict) else [None]
    if (
        not isinstance(listed, dict)
        or not set(listed) <= names
        or not all(isinstance(f, dict) and isinstance(f.get("sha256"), str) for f in files)
    ):
        raise InputError(
            f"{mpath} does not list the export's tables and audit log as Assay writes them; "
            "the export was edited."
        )
    return manifest


def _yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text("utf-8"), Loader=_Loader)
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"{path} is not YAML Assay wrote ({type(exc).__name__}).") from None


def _checked_file(path: Path, sha256: str) -> Path:
    if not path.is_file() or sha256_file(path) != sha256:
        raise IntegrityError(f"{path} was changed after the export (its sha256 differs).")
    return path


def _events(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as fh:
        try:
            return [json.loads(line) for line in fh if line.strip()]
        except (ValueError, RecursionError) as exc:  # a bad line, bad UTF-8, a giant number
            raise InputError(
                f"{path} is not the audit log Assay wrote ({type(exc).__name__})."
            ) from None


def _read_export(source: Path) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    manifest = _manifest(source)
    data: dict[str, list[dict[str, Any]]] = {}
    for name, info in manifest["tables"].items():
        rows = _yaml(_checked_file(source / "tables" / f"{name}.yaml", info["sha256"])) or []
        if not isinstance(rows, list):
            raise InputError(f"tables/{name}.yaml in {source} is not a list of rows.")
        data[name] = rows
    apath = _checked_file(source / "audit.jsonl", manifest["audit"]["sha256"])
    return data, _events(apath)


def _import_blobs(ws: Workspace, blob_dir: Path, added: list[str]) -> int:
    """Store the export's blobs, noting in ``added`` each one the workspace did not hold (the
    ones to delete again if the import fails)."""
    count = 0
    for path in sorted(blob_dir.iterdir()) if blob_dir.is_dir() else []:
        name = path.name
        if not (len(name) == 64 and all(c in "0123456789abcdef" for c in name)):
            raise IntegrityError(f"The export holds {path}, which is not a blob (a sha256 name).")
        present = ws.blobs.has(name)
        digest = ws.blobs.put_file(path)[0]
        if not present:
            added.append(digest)
        if digest != name:
            raise IntegrityError(f"The blob {path} does not hash to its name.")
        count += 1
    return count


def _import_into(
    ws: Workspace, source: Path, data: dict[str, Any], events: list[Any], added: list[str]
) -> ExportSummary:
    count = _import_blobs(ws, source / "blobs", added)
    report = load_records(ws.store, data, events)
    assert isinstance(report, AuditReport)
    return ExportSummary(
        path=source,
        rows=sum(len(v) for v in data.values()),
        events=report.events,
        blobs=count,
        head_hash=report.head_hash,
    )


def _new_workspace(path: Path | str, db_url: str | None, user: str | None) -> Workspace:
    from assay.governance._workspace import WORKSPACE_DIR, init_workspace, open_workspace

    root = Path(path)
    if (root / WORKSPACE_DIR / "config.toml").exists():
        return open_workspace(root, db_url=db_url, user=user)
    return init_workspace(root, db_url=db_url, user=user, bootstrap_user=False)


def _made_by_import(path: Path | str) -> Path | None:
    """The folder that making a workspace at ``path`` creates (the project folder, else its
    ``.assay``), or None: removed again when the import fails, so that a failed import leaves
    the folder as it was."""
    from assay.governance._workspace import WORKSPACE_DIR

    root = Path(path).resolve()
    return next((p for p in (root, root / WORKSPACE_DIR) if not p.exists()), None)


def import_workspace(
    source: Path | str,
    path: Path | str = ".",
    *,
    db_url: str | None = None,
    user: str | None = None,
) -> tuple[Workspace, ExportSummary]:
    """Import an export folder into a new (or empty) workspace at ``path``.

    The records, ids, timestamps and audit chain are reproduced exactly and verified before
    they are committed; a workspace that already holds records is refused. If anything fails,
    nothing is left behind: no records (one transaction), no blobs the workspace did not hold,
    and no workspace folder the import made.
    """
    # Read and check the export before a workspace is made: a folder that is no export (or does
    # not exist) must not leave a new, empty workspace behind.
    data, events = _read_export(Path(source))
    made = _made_by_import(path)
    ws = _new_workspace(path, db_url, user)
    added: list[str] = []
    try:
        return ws, _import_into(ws, Path(source), data, events, added)
    except BaseException:
        for digest in added:
            ws.blobs.discard(digest)
        ws.close()
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        raise


def backup_workspace(ws: Workspace, file: Path | str) -> ExportSummary:
    """Write the export of the workspace as one zip archive (portable between SQLite and
    PostgreSQL), readable by its owner only (mode 0600): it holds every record."""
    target = Path(file)
    with tempfile.TemporaryDirectory(prefix="assay-backup-") as tmp:
        summary = export_workspace(ws, Path(tmp) / "export")
        root = Path(tmp) / "export"
        part = target.with_name(target.name + ".partial")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        try:
            with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
                for p in sorted(root.rglob("*")):
                    if p.is_file():
                        name = p.relative_to(root).as_posix()
                        info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                        info.compress_type = zipfile.ZIP_DEFLATED
                        big = p.stat().st_size >= zipfile.ZIP64_LIMIT
                        with p.open("rb") as src, zf.open(info, "w", force_zip64=big) as out:
                            shutil.copyfileobj(src, out, 1024**2)
            part.replace(target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    return ExportSummary(
        path=target,
        rows=summary.rows,
        events=summary.events,
        blobs=summary.blobs,
        head_hash=summary.head_hash,
    )


def _scratch_parent(path: Path | str) -> Path:
    """The nearest existing folder at or above ``path``: a backup is expanded there (on the
    disk it is restored to), not in the system's temporary folder, which may be small."""
    folder = Path(path).resolve()
    while not folder.is_dir():
        folder = folder.parent
    return folder


def restore_workspace(
    file: Path | str,
    path: Path | str = ".",
    *,
    db_url: str | None = None,
    user: str | None = None,
    max_bytes: int = MAX_RESTORE_BYTES,
) -> tuple[Workspace, ExportSummary]:
    """Restore a backup archive into a new (or empty) workspace at ``path``.

    The archive is checked before it is expanded, and counted while it is: entries a backup
    never has, more than ``max_bytes`` uncompressed (declared or actual) or an entry that expands
    more than :data:`MAX_RESTORE_RATIO` to 1 (a zip bomb) are refused. If anything fails, nothing
    is left behind (see :func:`import_workspace`).
    """
    archive = Path(file)
    if archive.is_dir():
        raise InputError(f"The backup {str(archive)!r} is a folder; give the backup's .zip file.")
    if not archive.is_file():
        raise NotFoundError(f"The backup {str(archive)!r} does not exist.")
    scratch = _scratch_parent(path)
    with tempfile.TemporaryDirectory(prefix=".assay-restore-", dir=scratch) as tmp:
        extract_backup(archive, Path(tmp), max_bytes=max_bytes)
        ws, summary = import_workspace(tmp, path, db_url=db_url, user=user)
    return ws, ExportSummary(
        path=archive,
        rows=summary.rows,
        events=summary.events,
        blobs=summary.blobs,
        head_hash=summary.head_hash,
    )
