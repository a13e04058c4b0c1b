"""Remediation actions: who does what by when; closed only with evidence that it was done."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay.errors import ConflictError, InputError, PermissionDeniedError, TransitionError
from assay.governance._common import (
    Record,
    check_choice,
    check_date,
    check_text,
    format_ref,
    not_found,
    parse_ref,
    stamps,
    writing,
)
from assay.governance._evidence import closing_evidence
from assay.governance._owners import check_owner
from assay.governance._scope import orgs_of, readable, role_in, scope_clause
from assay.store import tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "ACTION_REMOTE_SYSTEMS",
    "ACTION_STATUSES",
    "ACTION_TRANSITIONS",
    "Action",
    "add_action",
    "check_action_push",
    "get_action",
    "link_action_remote",
    "list_actions",
    "update_action",
]

ACTION_STATUSES = ("open", "in_progress", "done", "cancelled")
ACTION_TRANSITIONS = frozenset(
    {
        ("open", "in_progress"),
        ("open", "done"),
        ("in_progress", "done"),
        ("open", "cancelled"),
        ("in_progress", "cancelled"),
        ("in_progress", "open"),
        ("done", "open"),
        ("cancelled", "open"),
    }
)
"""Allowed status changes; ``done`` needs closure evidence, ``cancelled`` and reopening a note."""

ACTION_REMOTE_SYSTEMS = ("github", "jira")
"""Issue trackers an action can be pushed to (``assay action push ACT-N --to jira``)."""

_A = tables.actions.c


@dataclass(frozen=True, slots=True)
class Action(Record):
    """A remediation or corrective action."""

    id: int
    ref: str
    title: str
    description: str | None
    risk: int | None
    incident: int | None
    owner: str
    due_date: dt.date
    status: str
    closure_evidence: int | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str
    remote_system: str | None
    """The tracker the action was pushed to (``jira``, ``github``), or None."""
    remote_id: str | None
    """Its issue there: the Jira key (``RAI-7``) or the GitHub issue number."""
    remote_url: str | None
    """The issue's address."""

    @property
    def closed_on_time(self) -> bool | None:
        """True/False once done; None while open or when cancelled."""
        if self.status != "done" or self.closed_at is None:
            return None
        return self.closed_at.date() <= self.due_date


def _record(row: RowMapping) -> Action:
    return Action.from_row(
        row,
        ref=format_ref("action", row["id"]),
        risk=row["risk_id"],
        incident=row["incident_id"],
        closure_evidence=row["closure_evidence_id"],
    )


def action_row(conn: Connection, ref: str | int) -> RowMapping:
    """The row of one action; NotFoundError otherwise."""
    id_ = parse_ref("action", ref)
    row = conn.execute(sa.select(tables.actions).where(_A.id == id_)).mappings().first()
    if row is None or not readable(conn, tables.actions, row):
        raise not_found("action", format_ref("action", id_), "List them with `assay action list`.")
    return row


def add_action(
    ws: Workspace,
    *,
    title: str,
    owner: str,
    due_date: dt.date | str,
    risk: str | int | None = None,
    incident: str | int | None = None,
    description: str | None = None,
) -> Action:
    """Add a remediation action for a risk, or a corrective action for an incident."""
    due = check_date(due_date, what="due date")
    if due is None:
        raise InputError("An action needs a due date (YYYY-MM-DD).")
    if risk is None and incident is None:
        raise InputError("An action remediates a risk or corrects an incident: give one of them.")
    with writing(ws, "edit remediation actions", action="action.add", entity_type="action") as tx:
        risk_id = incident_id = None
        orgs: list[str] = []
        if risk is not None:
            from assay.governance._risks import risk_row

            rrow = risk_row(tx.conn, risk)
            risk_id, orgs = rrow["id"], orgs_of(tx.conn, tables.risks, rrow)
        if incident is not None:
            from assay.governance._incidents import incident_row

            irow = incident_row(tx.conn, incident)
            incident_id = irow["id"]
            orgs += orgs_of(tx.conn, tables.incidents, irow)
        check_owner(tx.conn, check_text(owner, what="action owner"), what="action owner", orgs=orgs)
        row = tx.insert(
            tables.actions,
            {
                "title": check_text(title, what="action title"),
                "description": check_text(description, what="description", required=False),
                "risk_id": risk_id,
                "incident_id": incident_id,
                "owner": check_text(owner, what="action owner"),
                "due_date": due,
                "status": "open",
                "closure_evidence_id": None,
                "closed_at": None,
                **stamps(ws),
            },
        )
        tx.set_entity("action", row["id"])
    return _record(row)


def update_action(
    ws: Workspace,
    ref: str | int,
    *,
    status: str | None = None,
    evidence: str | int | None = None,
    note: str | None = None,
    owner: str | None = None,
    due_date: dt.date | str | None = None,
    title: str | None = None,
    description: str | None = None,
) -> Action:
    """Change an action. Marking it ``done`` needs ``evidence`` that it was done."""
    if status is not None:
        check_choice(status, ACTION_STATUSES, what="action status")
    values: dict[str, Any] = {}
    if owner is not None:
        values["owner"] = check_text(owner, what="action owner")
    if due_date is not None:
        values["due_date"] = check_date(due_date, what="due date")
    if title is not None:
        values["title"] = check_text(title, what="action title")
    if description is not None:
        values["description"] = check_text(description, what="description", required=False)
    id_ = parse_ref("action", ref)
    aref = format_ref("action", id_)
    with writing(
        ws,
        "edit remediation actions",
        action=f"action.{status}" if status else "action.update",
        entity_type="action",
        entity_id=id_,
        note=note,
    ) as tx:
        row = action_row(tx.conn, id_)
        owners_orgs = orgs_of(tx.conn, tables.actions, row)
        check_owner(tx.conn, values.get("owner"), what="action owner", orgs=owners_orgs)
        if evidence is not None and status != "done":
            raise InputError("Evidence closes an action: pass it with --status done.")
        if status is not None and status != row["status"]:
            if (row["status"], status) not in ACTION_TRANSITIONS:
                allowed = sorted(to for fr, to in ACTION_TRANSITIONS if fr == row["status"])
                raise TransitionError(
                    f"{aref} is {row['status']}; it can move to {', '.join(allowed)}, not {status}."
                )
            if status == "done":
                if evidence is None:
                    raise TransitionError(
                        f"{aref} cannot be closed without evidence that it was done. Record the "
                        "evidence (assay evidence add ...) and pass it with --evidence EV-N."
                    )
                values.update(
                    closure_evidence_id=closing_evidence(
                        tx.conn, evidence, systems=_systems_of(tx.conn, row), closes=aref
                    )["id"],
                    closed_at=ws.now(),
                )
            else:
                if status in ("cancelled", "open") and not check_text(
                    note, what="note", required=False
                ):
                    verb = "cancelled" if status == "cancelled" else "reopened"
                    raise TransitionError(f"Say why {aref} is {verb} (--note).")
                values.update(closure_evidence_id=None, closed_at=None)
            values["status"] = status
        if not values:
            raise InputError("Nothing to change: give at least one field with a new value.")
        new = tx.update(tables.actions, id_, {**values, **stamps(ws, created=False)})
    return _record(new)


def _systems_of(conn: Connection, row: RowMapping) -> set[int]:
    """The systems an action is about: its risk's system, or the systems its incident affects."""
    if row["risk_id"] is not None:
        risks = tables.risks.c
        return set(
            conn.execute(sa.select(risks.system_id).where(risks.id == row["risk_id"])).scalars()
        )
    links = tables.links.c
    return set(
        conn.execute(
            sa.select(links.to_id).where(
                links.from_type == "incident",
                links.from_id == row["incident_id"],
                links.to_type == "system",
            )
        ).scalars()
    )


def _check_remote_system(system: str) -> str:
    return check_choice(system, ACTION_REMOTE_SYSTEMS, what="issue tracker")


def check_action_push(ws: Workspace, ref: str | int, *, system: str) -> Action:
    """Check, before a tracker is called, that the action may be pushed to ``system``.

    The user must be allowed to edit actions and the action must still be open or in progress,
    so that no remote issue is created for a push that could not be recorded.

    Raises
    ------
    InputError
        ``system`` is not one of :data:`ACTION_REMOTE_SYSTEMS`.
    PermissionDeniedError
        The user may not edit remediation actions.
    TransitionError
        The action is done or cancelled.
    """
    from assay.policy import ROLE_PERMISSIONS

    _check_remote_system(system)
    with ws.store.read() as conn:
        row = action_row(conn, ref)
        query = sa.select(tables.users).where(tables.users.c.name == ws.user)
        user = conn.execute(query).mappings().first()
        # the role held in the action's organisation, as the write guard judges it
        roles = (
            []
            if user is None
            else [role_in(conn, user, o) for o in orgs_of(conn, tables.actions, row)]
        )
    allowed = ROLE_PERMISSIONS["edit remediation actions"]
    refused = [r for r in roles if r not in allowed]
    if user is None or not user["active"] or refused:
        role = "not registered" if user is None else f"the role {(refused or [user['role']])[0]!r}"
        raise PermissionDeniedError(
            f"The user {ws.user!r} ({role}) may not edit remediation actions, so it may not push "
            f"them to a tracker. Roles allowed: {', '.join(sorted(allowed))}."
        )
    action = _record(row)
    if action.status in ("done", "cancelled"):
        raise TransitionError(
            f"{action.ref} is {action.status}: there is no work left to hand to {system}. "
            f"Reopen it first (assay action update {action.ref} --status open --note ...)."
        )
    return action


def link_action_remote(
    ws: Workspace,
    ref: str | int,
    *,
    system: str,
    remote_id: str,
    url: str,
    replace: bool = False,
) -> Action:
    """Record on an action the tracker issue it was pushed to (one audited change).

    Parameters
    ----------
    ws
        The open workspace.
    ref
        The action, ``ACT-3`` or ``3``.
    system
        One of :data:`ACTION_REMOTE_SYSTEMS`.
    remote_id
        The issue's id in that tracker: a Jira key (``RAI-7``), a GitHub issue number.
    url
        The issue's address (http or https).
    replace
        Replace a link the action already has; otherwise that is a :class:`ConflictError`.
    """
    _check_remote_system(system)
    rid = str(check_text(remote_id, what="remote issue id"))
    if len(rid) > 100:
        raise InputError(f"The remote issue id must be at most 100 characters, got {len(rid)}.")
    address = str(check_text(url, what="remote issue URL"))
    if not address.startswith(("https://", "http://")):
        raise InputError(f"The remote issue URL must start with https:// or http://: {address!r}.")
    id_ = parse_ref("action", ref)
    with writing(
        ws,
        "edit remediation actions",
        action="action.push",
        entity_type="action",
        entity_id=id_,
        note=f"{system} {rid} {address}",
    ) as tx:
        row = action_row(tx.conn, id_)
        if row["remote_id"] is not None and not replace:
            raise ConflictError(
                f"{format_ref('action', id_)} is already linked to {row['remote_system']} issue "
                f"{row['remote_id']} ({row['remote_url']})."
            )
        new = tx.update(
            tables.actions,
            id_,
            {
                "remote_system": system,
                "remote_id": rid,
                "remote_url": address,
                **stamps(ws, created=False),
            },
        )
    return _record(new)


def get_action(ws: Workspace, ref: str | int) -> Action:
    """One action by ``ACT-3`` or ``3``."""
    with ws.store.read() as conn:
        return _record(action_row(conn, ref))


def list_actions(
    ws: Workspace,
    *,
    risk: str | int | None = None,
    incident: str | int | None = None,
    owner: str | None = None,
    open_only: bool = False,
    overdue: bool = False,
) -> list[Action]:
    """Actions by due date; ``overdue`` keeps open ones past their due date."""
    q = sa.select(tables.actions).order_by(_A.due_date, _A.id)
    if risk is not None:
        q = q.where(_A.risk_id == parse_ref("risk", risk))
    if incident is not None:
        q = q.where(_A.incident_id == parse_ref("incident", incident))
    if owner is not None:
        q = q.where(_A.owner == owner)
    if open_only or overdue:
        q = q.where(_A.status.in_(("open", "in_progress")))
    if overdue:
        q = q.where(_A.due_date < ws.today())
    with ws.store.read() as conn:
        q = q.where(scope_clause(conn, tables.actions))
        return [_record(r) for r in conn.execute(q).mappings()]
