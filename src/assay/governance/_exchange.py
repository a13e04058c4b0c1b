"""Export and import (a git-diffable folder of YAML and JSON Lines), backup and restore (the same
content as one zip archive). Both round-trip exactly: ids, timestamps and the audit chain."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import yaml

from assay._version import __version__
from assay.errors import ConflictError, InputError, IntegrityError, NotFoundError
from assay.governance._common import Record
from assay.store import SCHEMA_REVISION, AuditReport, dump_events, dump_table, load_records, tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
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


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
            manifest["tables"][str(table.name)] = {"rows": len(rows), "sha256": _sha(path)}
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
        "sha256": _sha(target / "audit.jsonl"),
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


def _read_export(source: Path) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    mpath = source / MANIFEST
    if not mpath.is_file():
        raise NotFoundError(f"{source} holds no Assay export ({MANIFEST} is missing).")
    manifest = yaml.load(mpath.read_text("utf-8"), Loader=_Loader)
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        raise InputError(f"{mpath} is not an Assay export manifest ({SCHEMA}).")
    if manifest.get("schema_revision") != SCHEMA_REVISION:
        raise ConflictError(
            f"The export has schema {manifest.get('schema_revision')}; this Assay reads "
            f"{SCHEMA_REVISION}. Import it with the Assay version that exported it, upgrade, "
            "then export again."
        )
    data: dict[str, list[dict[str, Any]]] = {}
    for name, info in manifest["tables"].items():
        path = source / "tables" / f"{name}.yaml"
        if _sha(path) != info["sha256"]:
            raise IntegrityError(f"{path} was changed after the export (its sha256 differs).")
        data[name] = yaml.load(path.read_text("utf-8"), Loader=_Loader) or []
    apath = source / "audit.jsonl"
    if _sha(apath) != manifest["audit"]["sha256"]:
        raise IntegrityError(f"{apath} was changed after the export (its sha256 differs).")
    with apath.open(encoding="utf-8") as fh:
        events = [json.loads(line) for line in fh if line.strip()]
    return data, events


def _import_into(
    ws: Workspace, source: Path, data: dict[str, Any], events: list[Any]
) -> ExportSummary:
    blob_dir = source / "blobs"
    count = 0
    if blob_dir.is_dir():
        for path in sorted(blob_dir.iterdir()):
            digest = ws.blobs.put_file(path)[0]
            if digest != path.name:
                raise IntegrityError(f"The blob {path} does not hash to its name.")
            count += 1
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


def import_workspace(
    source: Path | str,
    path: Path | str = ".",
    *,
    db_url: str | None = None,
    user: str | None = None,
) -> tuple[Workspace, ExportSummary]:
    """Import an export folder into a new (or empty) workspace at ``path``.

    The records, ids, timestamps and audit chain are reproduced exactly and verified before
    they are committed; a workspace that already holds records is refused.
    """
    # Read and check the export before a workspace is made: a folder that is no export (or does
    # not exist) must not leave a new, empty workspace behind.
    data, events = _read_export(Path(source))
    ws = _new_workspace(path, db_url, user)
    try:
        return ws, _import_into(ws, Path(source), data, events)
    except BaseException:
        ws.close()
        raise


def backup_workspace(ws: Workspace, file: Path | str) -> ExportSummary:
    """Write the export of the workspace as one zip archive (portable between SQLite and
    PostgreSQL)."""
    target = Path(file)
    with tempfile.TemporaryDirectory(prefix="assay-backup-") as tmp:
        summary = export_workspace(ws, Path(tmp) / "export")
        root = Path(tmp) / "export"
        part = target.with_name(target.name + ".partial")
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(root.rglob("*")):
                if p.is_file():
                    info = zipfile.ZipInfo(p.relative_to(root).as_posix(), (1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, p.read_bytes())
        part.replace(target)
    return ExportSummary(
        path=target,
        rows=summary.rows,
        events=summary.events,
        blobs=summary.blobs,
        head_hash=summary.head_hash,
    )


def restore_workspace(
    file: Path | str,
    path: Path | str = ".",
    *,
    db_url: str | None = None,
    user: str | None = None,
) -> tuple[Workspace, ExportSummary]:
    """Restore a backup archive into a new (or empty) workspace at ``path``."""
    archive = Path(file)
    if archive.is_dir():
        raise InputError(f"The backup {str(archive)!r} is a folder; give the backup's .zip file.")
    if not archive.is_file():
        raise NotFoundError(f"The backup {str(archive)!r} does not exist.")
    with tempfile.TemporaryDirectory(prefix="assay-restore-") as tmp:
        try:
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    if name.startswith("/") or ".." in Path(name).parts:
                        raise IntegrityError(f"The backup holds an unsafe path: {name!r}.")
                zf.extractall(tmp)
        except zipfile.BadZipFile as exc:
            raise InputError(f"{archive} is not a backup archive (not a zip file).") from exc
        ws, summary = import_workspace(tmp, path, db_url=db_url, user=user)
    return ws, ExportSummary(
        path=archive,
        rows=summary.rows,
        events=summary.events,
        blobs=summary.blobs,
        head_hash=summary.head_hash,
    )
