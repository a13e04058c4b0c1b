"""Remediation actions: the list (by status, owner, overdue), one action's page, adding one to a
risk, assigning it, moving it on, closing it with evidence and pushing it to an issue tracker.

Every rule (who may edit, which status changes are allowed, that closing needs evidence) is
enforced by :mod:`assay.governance`; these handlers only read the form and call it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from assay.errors import InputError, NotFoundError
from assay.governance import (
    ACTION_REMOTE_SYSTEMS,
    ACTION_STATUSES,
    ACTION_TRANSITIONS,
    Action,
    EvidenceRecord,
    Workspace,
    add_action,
    audit_log,
    get_action,
    get_incident,
    get_risk,
    list_actions,
    list_evidence,
    list_users,
    possible_owners,
    update_action,
)
from assay.web._context import Ctx, resolve, writer
from assay.web._flash import flash_redirect
from assay.web._forms import form_text
from assay.web._templates import render

__all__ = ["ACTION_VIEWS", "router", "tracker_setup"]

ACTION_VIEWS = ("open", "overdue", "all")
"""The list's views: open and in progress, open past their due date, every action."""

router = APIRouter()


def tracker_setup(ws: Workspace) -> dict[str, str | None]:
    """For each issue tracker: None when the workspace configures it, else what to do."""
    from assay.integrations import integration_config

    out: dict[str, str | None] = {}
    for name in ACTION_REMOTE_SYSTEMS:
        try:
            integration_config(ws.root, name)
        except (NotFoundError, InputError) as exc:
            out[name] = str(exc)
        else:
            out[name] = None
    return out


def _filtered(ctx: Ctx, view: str, status: str, owner: str) -> list[Action]:
    """The actions of one view, of one status and owner when given."""
    rows = list_actions(
        ctx.ws, owner=owner or None, open_only=view == "open", overdue=view == "overdue"
    )
    return [a for a in rows if not status or a.status == status]


@router.get("/actions", include_in_schema=False)
def actions(
    request: Request,
    ctx: Ctx = Depends(resolve),
    view: str = "open",
    status: str = "",
    owner: str = "",
) -> Response:
    """Actions by due date: open ones (default), overdue ones, or all; by status and owner."""
    view = view if view in ACTION_VIEWS else "open"
    status = status if status in ACTION_STATUSES else ""
    overdue = list_actions(ctx.ws, overdue=True)
    return render(
        request,
        "actions.html",
        ctx,
        actions=_filtered(ctx, view, status, owner.strip()),
        overdue={a.ref for a in overdue},
        overdue_count=len(overdue),
        f={"view": view, "status": status, "owner": owner.strip()},
        views=ACTION_VIEWS,
        statuses=ACTION_STATUSES,
        users=[u.name for u in list_users(ctx.ws) if u.active],
        today=ctx.ws.today(),
    )


def _evidence_choices(ctx: Ctx, action: Action) -> list[EvidenceRecord]:
    """Evidence of the systems the action is about: what it can be closed with."""
    if action.risk is not None:
        systems = [get_risk(ctx.ws, action.risk).system]
    elif action.incident is not None:
        systems = list(get_incident(ctx.ws, action.incident).systems)
    else:
        systems = []
    return [e for s in systems for e in list_evidence(ctx.ws, system=s, limit=200)]


@router.get("/actions/{ref}", include_in_schema=False)
def action_page(request: Request, ref: str, ctx: Ctx = Depends(resolve)) -> Response:
    """One action: what it remediates, its owner and due date, its history, and its forms."""
    action = get_action(ctx.ws, ref)
    overdue = {a.ref for a in list_actions(ctx.ws, overdue=True)}
    return render(
        request,
        "action.html",
        ctx,
        a=action,
        risk=get_risk(ctx.ws, action.risk) if action.risk is not None else None,
        incident=get_incident(ctx.ws, action.incident) if action.incident is not None else None,
        overdue=action.ref in overdue,
        evidence=_evidence_choices(ctx, action),
        closure=_closure(ctx, action),
        history=audit_log(ctx.ws, entity=action.ref, newest_first=True, limit=50),
        trackers=tracker_setup(ctx.ws),
        users=possible_owners(ctx.ws, "action", action.ref),
        # closing has its own form, with the evidence
        nexts=sorted(to for fr, to in ACTION_TRANSITIONS if fr == action.status and to != "done"),
        today=ctx.ws.today(),
    )


def _closure(ctx: Ctx, action: Action) -> EvidenceRecord | None:
    from assay.governance import get_evidence

    if action.closure_evidence is None:
        return None
    return get_evidence(ctx.ws, action.closure_evidence)


@router.post("/risks/{ref}/actions", include_in_schema=False)
def add_to_risk(
    request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)
) -> Response:
    """Add a remediation action to a risk and go back to the risk."""
    ctx, form = posted
    risk = get_risk(ctx.ws, ref)
    action = add_action(
        ctx.ws,
        title=form_text(form, "title") or "",
        owner=form_text(form, "owner") or "",
        due_date=form_text(form, "due_date") or "",
        risk=risk.ref,
        description=form_text(form, "description", required=False),
    )
    message = f"Added {action.ref} to {risk.ref}: owned by {action.owner}, due {action.due_date}."
    return flash_redirect(request, ctx, f"/risks/{risk.ref}#actions", message)


@router.post("/actions/{ref}", include_in_schema=False)
def edit(request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Assign the action, move its due date, or change its status (with a note)."""
    ctx, form = posted
    current = get_action(ctx.ws, ref)
    status = form_text(form, "status", required=False)
    owner = form_text(form, "owner", required=False)
    due = form_text(form, "due_date", required=False)
    action = update_action(
        ctx.ws,
        current.ref,
        status=status if status != current.status else None,
        owner=owner if owner != current.owner else None,
        due_date=due if due != current.due_date.isoformat() else None,
        note=form_text(form, "note", required=False),
    )
    message = (
        f"Saved {action.ref}: {action.status.replace('_', ' ')}, owned by {action.owner}, "
        f"due {action.due_date}."
    )
    return flash_redirect(request, ctx, f"/actions/{action.ref}", message)


@router.post("/actions/{ref}/close", include_in_schema=False)
def close(request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Close the action with the evidence that it was done."""
    ctx, form = posted
    evidence = form_text(form, "evidence", required=False)
    if evidence is None:
        raise InputError(
            "Choose the evidence that the action was done. Record it first (on the system's "
            "page, Record an evaluation, or "
            "`assay evidence add FILE --kind KIND --system SYSTEM`), then pick it here."
        )
    action = update_action(
        ctx.ws, ref, status="done", evidence=evidence, note=form_text(form, "note", required=False)
    )
    on_time = "on time" if action.closed_on_time else "late"
    message = f"Closed {action.ref} ({on_time}) with the evidence EV-{action.closure_evidence}."
    return flash_redirect(request, ctx, f"/actions/{action.ref}", message)


@router.post("/actions/{ref}/push", include_in_schema=False)
def push(request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """Create an issue for the action in Jira or GitHub and link it."""
    from assay.integrations import push_action

    ctx, form = posted
    pushed = push_action(ctx.ws, ref, to=form_text(form, "to") or "")
    action = pushed.action
    where = f"{action.remote_system} issue {action.remote_id}"
    message = (
        f"Pushed {action.ref} to {where}."
        if pushed.created
        else f"{action.ref} is already linked to {where}; nothing was sent."
    )
    return flash_redirect(request, ctx, f"/actions/{action.ref}", message)
