"""``assay waiver``: exceptions to a control, with approvals by someone else and an expiry."""

from __future__ import annotations

from typing import Annotated

import typer

from assay import governance as g
from assay.cli._gov_common import (
    DbOpt,
    JsonOpt,
    WorkspaceOpt,
    emit,
    list_table,
    opened,
    record_table,
)

__all__ = ["waiver_app"]

waiver_app = typer.Typer(
    help="Waivers: time-limited exceptions to a control or threshold.", no_args_is_help=True
)
Rationale = Annotated[str, typer.Option(help="Why.")]


def _show(w: g.Waiver, as_json: bool, message: str) -> None:
    emit(
        w,
        as_json,
        record_table(f"Waiver {w.ref}", w, skip=("approvals", "rounds")),
        list_table("Rounds", w.rounds, ["round", "requester", "rationale", "proposed_expires_on"]),
        *(
            [
                list_table(
                    "Approvals", w.approvals, ["ref", "round", "decision", "signer", "signed_at"]
                )
            ]
            if w.approvals
            else []
        ),
        message=message,
    )


@waiver_app.command("request")
def waiver_request(
    system: str,
    control: Annotated[str, typer.Option(help="The control or threshold waived.")],
    rationale: Rationale,
    compensating_controls: Annotated[str, typer.Option(help="What limits the harm meanwhile.")],
    residual_risk: Annotated[str, typer.Option(help="What risk remains.")],
    expires: Annotated[str, typer.Option("--expires", help="YYYY-MM-DD, at most 365 days.")],
    risk: Annotated[str | None, typer.Option(help="The RISK-N it covers.")] = None,
    approvals: Annotated[
        int, typer.Option("--approvals", min=1, max=5, help="Distinct approvers needed.")
    ] = 1,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Request a waiver; you can never approve your own."""
    from assay.gate import check_control

    control = check_control(control)
    with opened(workspace, db) as ws:
        w = g.request_waiver(
            ws,
            system=system,
            control=control,
            rationale=rationale,
            compensating_controls=compensating_controls,
            residual_risk=residual_risk,
            expires_on=expires,
            risk=risk,
            required_approvals=approvals,
        )
    _show(w, as_json, f"Requested {w.ref}; it needs {w.required_approvals} approval(s).")


@waiver_app.command("approve")
def waiver_approve(
    ref: str,
    rationale: Rationale,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve a waiver or its renewal (approvers; never the requester)."""
    with opened(workspace, db) as ws:
        w = g.approve_waiver(ws, ref, rationale=rationale)
    _show(w, as_json, f"{w.ref} is {w.status}" + (f" until {w.expires_on}." if w.active else "."))


@waiver_app.command("reject")
def waiver_reject(
    ref: str,
    rationale: Rationale,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject a waiver (or its renewal)."""
    with opened(workspace, db) as ws:
        w = g.reject_waiver(ws, ref, rationale=rationale)
    _show(w, as_json, f"{w.ref} is {w.status}.")


@waiver_app.command("renew")
def waiver_renew(
    ref: str,
    expires: Annotated[str, typer.Option("--expires", help="New expiry YYYY-MM-DD.")],
    rationale: Annotated[
        str | None,
        typer.Option(help="Why it is still needed (kept with this round; the first stays)."),
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask to extend a waiver: a new round, requested by you, that others must approve."""
    with opened(workspace, db) as ws:
        w = g.renew_waiver(ws, ref, expires_on=expires, rationale=rationale)
    _show(
        w,
        as_json,
        f"{w.ref} renewal requested (round {w.round}); it stays in force until "
        f"{w.expires_on} meanwhile.",
    )


@waiver_app.command("revoke")
def waiver_revoke(
    ref: str,
    rationale: Rationale,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Withdraw a waiver before it expires (approvers)."""
    with opened(workspace, db) as ws:
        w = g.revoke_waiver(ws, ref, rationale=rationale)
    _show(w, as_json, f"{w.ref} is revoked.")


@waiver_app.command("list")
def waiver_list(
    system: Annotated[str | None, typer.Option(show_default=False)] = None,
    active: Annotated[bool, typer.Option("--active", help="Only waivers in force.")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List waivers by expiry date."""
    with opened(workspace, db) as ws:
        rows = g.list_waivers(ws, system=system, active_only=active)
    emit(
        rows,
        as_json,
        list_table(
            "Waivers",
            rows,
            [
                "ref",
                "system",
                "control",
                "status",
                "active",
                "expires_on",
                "requester",
                "risk",
            ],
        ),
    )


@waiver_app.command("show")
def waiver_show(
    ref: str, workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Show a waiver and its approvals."""
    with opened(workspace, db) as ws:
        w = g.get_waiver(ws, ref)
    _show(w, as_json, "")
