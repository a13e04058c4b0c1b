"""``assay evidence``: add, list, show, verify and extract evidence records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay import governance as g
from assay.cli._files import input_file, write_output
from assay.cli._gov_common import (
    DbOpt,
    JsonOpt,
    WorkspaceOpt,
    emit,
    key_values,
    list_table,
    opened,
    record_table,
)
from assay.errors import InputError
from assay.policy import KINDS, evidence_kind

__all__ = ["evidence_app"]

evidence_app = typer.Typer(
    help="Immutable evidence bound to model, dataset and code versions.", no_args_is_help=True
)
Text = Annotated[str | None, typer.Option(show_default=False)]


#: The kinds a user may add (derived kinds are written by Assay's builders only).
ADDABLE = tuple(k.name for k in KINDS if not k.reserved)


@evidence_app.command("add")
def evidence_add(
    file: Annotated[Path, typer.Argument(help="The evidence file (report, result, card).")],
    kind: Annotated[str, typer.Option(help="A registered kind: " + ", ".join(ADDABLE) + ".")],
    system: Text = None,
    model_version: Text = None,
    dataset_version: Text = None,
    dataset_digest: Text = None,
    commit: Annotated[
        str | None,
        typer.Option("--commit", help="Code commit; 'auto' detects it with git here."),
    ] = None,
    title: Text = None,
    tool: Text = None,
    tool_version: Text = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="KEY=VALUE; repeatable.")
    ] = None,
    observed_from: Text = None,
    observed_to: Text = None,
    valid_until: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    supersedes: Annotated[str | None, typer.Option(help="EV-N this record corrects.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why the correction.")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a file as evidence (never edited; correct it with --supersedes)."""
    input_file(file, option="FILE")
    found = evidence_kind(kind)
    if found.reserved:
        raise InputError(
            f"Assay writes {found.label} records ({found.name}) itself, from the records they "
            f"are built from; add a file of your own as one of: {', '.join(ADDABLE)}."
        )
    dirty: bool | None = None
    if commit == "auto":
        detected = g.detect_code_version()
        commit, dirty = (detected.commit, detected.dirty) if detected else (None, None)
    params = key_values(param, what="--param") or None
    with opened(workspace, db) as ws:
        ev = g.add_evidence(
            ws,
            kind=kind,
            path=file,
            title=title,
            system=system,
            model_version=model_version,
            dataset_version=dataset_version,
            dataset_digest=dataset_digest,
            code_commit=commit,
            code_dirty=dirty,
            tool=tool,
            tool_version=tool_version,
            parameters=params,
            observed_from=observed_from,
            observed_to=observed_to,
            valid_until=valid_until,
            supersedes=supersedes,
            reason=reason,
        )
    emit(ev, as_json, message=f"Recorded {ev.ref} ({ev.kind}, sha256 {ev.blob_sha256[:12]}…).")


@evidence_app.command("list")
def evidence_list(
    system: Text = None,
    kind: Text = None,
    model_version: Text = None,
    all_versions: Annotated[
        bool, typer.Option("--all", help="Include records superseded by a correction.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, show_default=False)] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List evidence, newest first."""
    with opened(workspace, db) as ws:
        rows = g.list_evidence(
            ws,
            system=system,
            kind=kind,
            model_version=model_version,
            include_superseded=all_versions,
            limit=limit,
        )
    emit(
        rows,
        as_json,
        list_table(
            "Evidence",
            rows,
            [
                "ref",
                "kind",
                "title",
                "system",
                "model_version",
                "dataset_version",
                "code_commit",
                "created_at",
            ],
        ),
    )


@evidence_app.command("show")
def evidence_show(
    ref: str,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the stored content to a file.")
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show an evidence record (and optionally extract its content, checked against sha256)."""
    with opened(workspace, db) as ws:
        ev = g.get_evidence(ws, ref)
        if output is not None:
            write_output(output, g.evidence_content(ws, ref))
    emit(
        ev,
        as_json,
        record_table(f"Evidence {ev.ref}", ev),
        message=f"Wrote the content to {output}." if output else None,
    )


@evidence_app.command("verify")
def evidence_verify(
    ref: str, workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Recompute a record's content hash and its file's sha256."""
    with opened(workspace, db) as ws:
        ev = g.verify_evidence(ws, ref)
    emit(
        {"ref": ev.ref, "ok": True, "content_hash": ev.content_hash},
        as_json,
        message=f"{ev.ref} verifies: content hash and file sha256 match.",
    )
