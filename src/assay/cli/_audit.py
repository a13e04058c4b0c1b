"""``assay audit``: verify the hash chain and every record against it; read the history; sign
and check checkpoints of the chain with a key kept outside the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay import governance as g
from assay.cli._gov_common import (
    DbOpt,
    JsonOpt,
    WorkspaceOpt,
    console,
    emit,
    list_table,
    opened,
    print_json,
)
from assay.errors import InputError

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    blobs: Annotated[
        bool,
        typer.Option(
            "--blobs",
            help="Re-hash every stored file (by default each is checked to exist, with the "
            "size its evidence records).",
        ),
    ] = False,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint", help="A signed checkpoint the chain must still hold; repeatable."
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="The public key the checkpoints are signed with."),
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute the chain and check every record and stored file against it (and against
    signed checkpoints: a deleted tail or a rewrite up to a checkpoint is found); exit 1 if
    anything is wrong."""
    if checkpoint and public_key is None:
        raise InputError(
            "--checkpoint needs --public-key: the public key made with "
            "`assay audit keygen --private-key FILE --public-key FILE`."
        )
    with opened(workspace, db) as ws:
        if checkpoint:
            assert public_key is not None
            report = g.verify_against_checkpoints(ws, checkpoint, public_key, blobs=blobs)
        else:
            report = g.verify_audit(ws, blobs=blobs)
    if as_json:
        print_json(report)
    elif report.ok:
        against = f" and {len(checkpoint)} checkpoint(s) hold" if checkpoint else ""
        console.print(
            f"[green]OK[/]: {report.events} audit events and {report.rows_checked} records "
            f"verify{against}. Head: event {report.head_seq}, hash {report.head_hash}."
        )
    else:
        first = report.first_problem
        assert first is not None
        console.print(f"[bold red]BROKEN[/]: {first.message}")
        for p in report.problems[1:10]:
            console.print(f"  also: {p.message}")
        if len(report.problems) > 10:
            console.print(f"  … and {len(report.problems) - 10} more.")
    if not as_json:
        for note in report.notes:
            console.print(f"note: {note}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("keygen")
def audit_keygen(
    private_key: Annotated[
        Path, typer.Option("--private-key", help="Where to write the private key (kept secret).")
    ],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="Where to write the public key (shared).")
    ],
) -> None:
    """Make an Ed25519 key pair for checkpoints; keep the private key outside the workspace."""
    fingerprint = g.generate_checkpoint_key(private_key, public_key)
    console.print(
        f"Wrote {private_key} (private, mode 0600) and {public_key} (public, sha256 "
        f"{fingerprint}). Keep the private key out of the database, the workspace and backups."
    )


@audit_app.command("checkpoint")
def audit_checkpoint(
    output: Annotated[Path, typer.Option("--output", help="Where to write the checkpoint.")],
    key: Annotated[Path, typer.Option("--key", help="The private key from `audit keygen`.")],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify the chain and write its head (event, hash, time), signed: publish the file where
    the database's writers cannot change it (CI artefact, ticket, write-once bucket)."""
    with opened(workspace, db) as ws:
        point = g.write_checkpoint(ws, output, key)
    emit(
        point,
        as_json,
        message=(
            f"Checkpoint of event {point.seq} (hash {point.hash}) written to {output}. Publish "
            "it; later, `assay audit verify --checkpoint FILE --public-key KEY` checks against it."
        ),
    )


@audit_app.command("log")
def audit_log(
    entity: Annotated[
        str | None,
        typer.Option("--entity", help="RISK-3, review:2, system:NAME or a type such as waiver."),
    ] = None,
    actor: Annotated[str | None, typer.Option(show_default=False)] = None,
    since: Annotated[str | None, typer.Option(help="ISO time.", show_default=False)] = None,
    until: Annotated[str | None, typer.Option(help="ISO time.", show_default=False)] = None,
    limit: Annotated[int, typer.Option(help="Newest N events.")] = 50,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the history: who changed what, when (newest first)."""
    with opened(workspace, db) as ws:
        events = g.audit_log(
            ws, entity=entity, actor=actor, since=since, until=until, limit=limit, newest_first=True
        )
    rows = []
    for e in events:
        changed: list[str] = []
        for ch in e.changes:
            before, after = ch.get("before") or {}, ch.get("after") or {}
            if not before:
                changed.append(f"+{ch['table']}:{ch['key']}")
            elif not after:
                changed.append(f"-{ch['table']}:{ch['key']}")
            else:
                fields = [
                    k
                    for k in after
                    if after[k] != before.get(k) and k not in ("updated_at", "updated_by")
                ]
                changed.append(f"{ch['table']}:{ch['key']} " + ",".join(fields))
        rows.append(
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "entity": f"{e.entity_type}:{e.entity_id}",
                "changes": "; ".join(changed),
                "note": e.note,
            }
        )
    emit(
        events,
        as_json,
        list_table(
            "Audit log", rows, ["seq", "at", "actor", "action", "entity", "changes", "note"]
        ),
    )
