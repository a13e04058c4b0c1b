"""``assay review`` and ``assay approval``: intake, triage, the workflow and signed decisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from assay import governance as g
from assay.cli._files import input_file, write_output
from assay.cli._gov_common import (
    DbOpt,
    JsonOpt,
    WorkspaceOpt,
    console,
    emit,
    key_values,
    list_table,
    opened,
    print_json,
    read_mapping,
    record_table,
)

__all__ = ["approval_app", "review_app"]

review_app = typer.Typer(
    help="Reviews: intake → triage → evaluation → ready → decision.", no_args_is_help=True
)
approval_app = typer.Typer(help="Signed decisions and what they covered.", no_args_is_help=True)
Text = Annotated[str | None, typer.Option(show_default=False)]


AckOpt = Annotated[
    bool,
    typer.Option(
        "--acknowledge-incomplete",
        help="Move to ready_for_review, or approve, although the packet is below the policy's "
        "completeness minimum; kept in the audit trail.",
    ),
]


def _show(review: g.Review, as_json: bool, message: str | None = None) -> None:
    emit(
        review,
        as_json,
        record_table(
            f"Review {review.ref}",
            review,
            skip=("answers", "screening", "transitions", "approvals"),
        ),
        list_table(
            "Steps", review.transitions, ["from_status", "to_status", "at", "actor", "note"]
        ),
        *(
            [
                list_table(
                    "Approvals",
                    review.approvals,
                    ["ref", "decision", "signer", "signed_at", "subject_sha256"],
                )
            ]
            if review.approvals
            else []
        ),
        message=message,
    )


@review_app.command("questionnaire")
def review_questionnaire(
    template: Annotated[
        bool, typer.Option("--template", help="Print an answers file to fill in.")
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the intake questionnaire this workspace uses."""
    with opened(workspace, db) as ws:
        qn = g.workspace_questionnaire(ws)
    if template:
        typer.echo(qn.template())
        return
    rows = [
        {
            "id": q.id,
            "type": q.type,
            "required": q.required,
            "text": q.text,
            "options": list(q.values),
        }
        for q in qn.questions
    ]
    emit(
        {"questionnaire": qn.ref, "questions": rows},
        as_json,
        list_table(
            f"Questionnaire {qn.ref}: {qn.title}",
            rows,
            ["id", "type", "required", "text", "options"],
        ),
    )


@review_app.command("open")
def review_open(
    system: str,
    answers: Annotated[
        Path | None, typer.Option("--answers", help="YAML/JSON answers (see --template).")
    ] = None,
    answer: Annotated[
        list[str] | None, typer.Option("--answer", help="ID=VALUE; repeatable.")
    ] = None,
    title: Text = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File an intake request; the answers are screened for tier, priority and due dates."""
    data = dict(read_mapping(answers, what="answers")) if answers is not None else {}
    data.update(key_values(answer, what="--answer"))
    with opened(workspace, db) as ws:
        review = g.open_review(ws, system, answers=data, title=title)
    s = review.screening
    _show(
        review,
        as_json,
        message=(
            f"Opened {review.ref}: suggested tier {s['tier']} ({s['tier_reason']}), priority "
            f"{s['priority']}; triage due {s['triage_due']}, packet due {s['due_date']}."
        ),
    )


@review_app.command("triage")
def review_triage(
    ref: str,
    owner: Annotated[str, typer.Option(help="Who runs the review.")],
    tier: Text = None,
    priority: Text = None,
    due: Annotated[str | None, typer.Option("--due", help="Checkpoint date YYYY-MM-DD.")] = None,
    note: Text = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Scope a review: tier, priority, owner and due date (defaults from the screening)."""
    with opened(workspace, db) as ws:
        review = g.triage_review(
            ws, ref, owner=owner, tier=tier, priority=priority, due_date=due, note=note
        )
    _show(
        review, as_json, message=f"Triaged {review.ref}: tier {review.tier}, due {review.due_date}."
    )


@review_app.command("advance")
def review_advance(
    ref: str,
    to: Annotated[
        str,
        typer.Argument(
            help="in_evaluation, ready_for_review, approved, "
            "approved_with_conditions, rejected, "
            "returned_for_rework, withdrawn"
        ),
    ],
    note: Text = None,
    rationale: Text = None,
    conditions: Text = None,
    packet: Annotated[
        Path | None,
        typer.Option("--packet", help="A rendering of the built packet to sign (PDF, HTML)."),
    ] = None,
    acknowledge_incomplete: AckOpt = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a review along the workflow; decisions are signed approvals of its built packet."""
    with opened(workspace, db) as ws:
        review = g.advance_review(
            ws,
            ref,
            to,
            note=note,
            rationale=rationale,
            conditions=conditions,
            packet=packet,
            acknowledge_incomplete=acknowledge_incomplete,
        )
    _show(review, as_json, message=f"{review.ref} is now {review.status}.")


@review_app.command("show")
def review_show(
    ref: str, workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Show a review with its steps, approvals and completeness (its state, which
    `assay completeness REV-N` shows in full)."""
    from assay.documents import review_state

    with opened(workspace, db) as ws:
        review = g.get_review(ws, ref)
        state = review_state(ws, review.ref)
    if as_json:
        print_json({**review.to_dict(), "state": state.to_dict()})
        return
    _show(review, as_json)
    console.print(
        f"Completeness {state.score}% (policy minimum {state.minimum_percent}%, "
        f"{'met' if state.passes else 'not met'}), {len(state.gaps)} gap(s); blocking risks: "
        f"{', '.join(state.blocking_risks) or 'none'}. `assay completeness {review.ref}` lists "
        "the gaps with their owners."
    )


@review_app.command("list")
def review_list(
    system: Text = None,
    status: Text = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only reviews not yet closed.")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List reviews."""
    with opened(workspace, db) as ws:
        rows = g.list_reviews(ws, system=system, status=status, open_only=open_only)
    emit(
        rows,
        as_json,
        list_table(
            "Reviews",
            rows,
            [
                "ref",
                "system",
                "status",
                "tier",
                "priority",
                "owner",
                "triage_due",
                "due_date",
            ],
        ),
    )


@review_app.command("packet")
def review_packet(
    ref: str,
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Print (or write) the canonical JSON of the review's newest built packet: what a decision
    signs (`assay packet build REF` builds one)."""
    from assay.documents import load_packet

    with opened(workspace, db) as ws:
        packet = load_packet(ws, g.get_review(ws, ref).ref)
        data = ws.blobs.read_bytes(packet.sha256)
    if output is not None:
        write_output(output, data)
        console.print(f"Wrote the packet {packet.record.ref} of {packet.review} to {output}.")
    else:
        typer.echo(json.dumps(json.loads(data), indent=2, sort_keys=True, ensure_ascii=False))


@approval_app.command("list")
def approval_list(
    subject: Annotated[str | None, typer.Option(help="review or waiver")] = None,
    signer: Text = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List signed decisions."""
    with opened(workspace, db) as ws:
        rows = g.list_approvals(ws, subject_type=subject, signer=signer)
    emit(
        rows,
        as_json,
        list_table(
            "Approvals",
            rows,
            [
                "ref",
                "subject_type",
                "subject_id",
                "round",
                "decision",
                "signer",
                "signed_at",
                "subject_sha256",
            ],
        ),
    )


@approval_app.command("verify")
def approval_verify(
    ref: str,
    file: Annotated[
        Path | None, typer.Option("--file", help="Check that this file is what was approved.")
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Prove what an approval covered: the stored content (or a file) matches its sha256."""
    if file is not None:
        input_file(file, option="--file")
    with opened(workspace, db) as ws:
        approval = g.verify_approval(ws, ref, file=file)
    emit(
        {"ref": approval.ref, "ok": True, "subject_sha256": approval.subject_sha256},
        as_json,
        message=f"{approval.ref} by {approval.signer} covers sha256 "
        f"{approval.subject_sha256}: verified.",
    )
