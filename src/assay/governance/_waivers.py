"""Waivers: time-limited exceptions to a control or threshold, approved by someone other than
the requester, with compensating controls and an expiry; renewal forces a new review round.

Each approval round is a row of ``waiver_rounds``: round 1 is the request, each renewal adds one,
requested by whoever renewed and with their own rationale; nothing there is overwritten. Who may
decide on a round is the separation-of-duties rule of :mod:`assay.policy`
(:func:`~assay.policy.check_round_decision`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay.errors import InputError, TransitionError
from assay.governance._approvals import Approval, approvals_of, sign
from assay.governance._common import (
    Record,
    check_date,
    check_text,
    format_ref,
    not_found,
    parse_ref,
    stamps,
    writing,
)
from assay.governance._inventory import system_name, system_row
from assay.governance._scope import readable, scope_clause
from assay.policy import check_round_decision, waiver_age_days
from assay.store import WriteTx, read_events, tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "ACTIVE_WAIVER_STATUSES",
    "MAX_WAIVER_DAYS",
    "WAIVER_STATUSES",
    "Waiver",
    "WaiverRound",
    "active_waiver_filter",
    "approve_waiver",
    "get_waiver",
    "list_waivers",
    "open_waiver_filter",
    "reject_waiver",
    "renew_waiver",
    "request_waiver",
    "revoke_waiver",
    "waiver_is_active",
]

WAIVER_STATUSES = ("requested", "approved", "renewal_requested", "rejected", "revoked")
MAX_WAIVER_DAYS = 365
"""A waiver may run at most this long from the day it is requested or renewed."""

_W = tables.waivers.c


#: A waiver in one of these statuses is in force until it expires.
ACTIVE_WAIVER_STATUSES = ("approved", "renewal_requested")


def waiver_is_active(status: str, expires_on: dt.date, today: dt.date) -> bool:
    """Whether a waiver is in force on ``today``: approved or up for renewal, and unexpired."""
    return status in ACTIVE_WAIVER_STATUSES and expires_on >= today


def active_waiver_filter(today: dt.date) -> Any:
    """:func:`waiver_is_active` as an SQL condition."""
    return sa.and_(_W.status.in_(ACTIVE_WAIVER_STATUSES), _W.expires_on >= today)


def open_waiver_filter(today: dt.date) -> Any:
    """SQL condition for open waivers: awaiting a decision, or in force on ``today``."""
    return sa.or_(_W.status == "requested", active_waiver_filter(today))


@dataclass(frozen=True, slots=True)
class WaiverRound(Record):
    """One approval round of a waiver: the request (round 1) or a renewal."""

    round: int
    requester: str
    rationale: str | None
    proposed_expires_on: dt.date | None
    created_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Waiver(Record):
    """An exception to a control; ``active`` is computed for the workspace's today.

    ``requester`` and ``rationale`` are those of the first request; ``rounds`` holds every round
    (renewals with their own requester and rationale), and ``round_requester`` is who requested
    the current round.
    """

    id: int
    ref: str
    system: str
    risk: int | None
    control: str
    rationale: str
    compensating_controls: str
    residual_risk: str
    requester: str
    required_approvals: int
    status: str
    round: int
    expires_on: dt.date
    proposed_expires_on: dt.date | None
    granted_at: dt.datetime | None
    active: bool
    approvals: tuple[Approval, ...]
    rounds: tuple[WaiverRound, ...]
    round_requester: str
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def is_open(self) -> bool:
        """Awaiting a decision, or in force."""
        return self.status == "requested" or self.active

    def age_days(self, today: dt.date) -> int:
        """Whole days since granted (or requested, while undecided): the policy's aging rule."""
        return waiver_age_days(self.created_at, self.granted_at, today)


def waiver_rounds(conn: Connection, row: RowMapping) -> list[WaiverRound]:
    """Every round of a waiver up to its current one, oldest first.

    A waiver recorded before rounds were kept (migration 0006) has no rows for its earlier
    rounds: round 1 is then its request, and a renewal's requester is the actor of the audit
    chain's ``waiver.renew`` event that started it.
    """
    rc = tables.waiver_rounds.c
    stored = {
        r["round"]: WaiverRound.from_row(r)
        for r in conn.execute(
            sa.select(tables.waiver_rounds).where(rc.waiver_id == row["id"]).order_by(rc.round)
        ).mappings()
    }
    renewers: list[str] | None = None
    out = []
    for n in range(1, row["round"] + 1):
        if n in stored:
            out.append(stored[n])
            continue
        if n == 1:
            out.append(WaiverRound(1, row["requester"], row["rationale"], None, row["created_at"]))
            continue
        if renewers is None:
            events = read_events(conn, entity_type="waiver", entity_id=str(row["id"]))
            renewers = [e.actor for e in events if e.action == "waiver.renew"]
        who = renewers[n - 2] if n - 2 < len(renewers) else row["updated_by"]
        out.append(WaiverRound(n, who, None, None, None))
    return out


def _record(conn: Connection, row: RowMapping, today: dt.date) -> Waiver:
    rounds = tuple(waiver_rounds(conn, row))
    return Waiver.from_row(
        row,
        ref=format_ref("waiver", row["id"]),
        system=system_name(conn, row["system_id"]),
        risk=row["risk_id"],
        active=waiver_is_active(row["status"], row["expires_on"], today),
        approvals=tuple(approvals_of(conn, "waiver", row["id"])),
        rounds=rounds,
        round_requester=rounds[-1].requester,
    )


def waiver_row(conn: Connection, ref: str | int) -> RowMapping:
    """The row of one waiver; NotFoundError otherwise."""
    id_ = parse_ref("waiver", ref)
    row = conn.execute(sa.select(tables.waivers).where(_W.id == id_)).mappings().first()
    if row is None or not readable(conn, tables.waivers, row):
        raise not_found("waiver", format_ref("waiver", id_), "List them with `assay waiver list`.")
    return row


def _check_expiry(ws: Workspace, value: dt.date | str) -> dt.date:
    expiry = check_date(value, what="expiry date")
    assert expiry is not None
    today = ws.today()
    if expiry <= today:
        raise InputError(f"The expiry date {expiry} must be after today ({today}).")
    if expiry > today + dt.timedelta(days=MAX_WAIVER_DAYS):
        raise InputError(
            f"A waiver may run at most {MAX_WAIVER_DAYS} days; {expiry} is further. Pick an "
            "earlier date and renew the waiver when it comes up."
        )
    return expiry


def _terms(row: RowMapping, system: str, current: WaiverRound) -> dict[str, Any]:
    """What an approver signs: the waiver's terms for the current round (a renewal adds who
    asked for it and why)."""
    terms: dict[str, Any] = {
        "waiver": format_ref("waiver", row["id"]),
        "round": row["round"],
        "system": system,
        "risk": row["risk_id"],
        "control": row["control"],
        "rationale": row["rationale"],
        "compensating_controls": row["compensating_controls"],
        "residual_risk": row["residual_risk"],
        "requester": row["requester"],
        "expires_on": str(row["proposed_expires_on"] or row["expires_on"]),
    }
    if current.round > 1:
        terms["renewal"] = {"requester": current.requester, "rationale": current.rationale}
    return terms


def _add_round(
    ws: Workspace, tx: WriteTx, waiver_id: int, round_: int, rationale: str | None, expiry: dt.date
) -> None:
    now = ws.now()
    tx.insert(
        tables.waiver_rounds,
        {
            "waiver_id": waiver_id,
            "round": round_,
            "requester": ws.user,
            "rationale": rationale,
            "proposed_expires_on": expiry,
            "created_at": now,
            "created_by": ws.user,
        },
    )


def request_waiver(
    ws: Workspace,
    *,
    system: str,
    control: str,
    rationale: str,
    compensating_controls: str,
    residual_risk: str,
    expires_on: dt.date | str,
    risk: str | int | None = None,
    required_approvals: int = 1,
) -> Waiver:
    """Request an exception to a control or threshold for a system.

    Parameters
    ----------
    ws
        The workspace; its user is the requester and can never approve this waiver.
    system
        The system the exception applies to.
    control
        Which control or threshold is waived (``"fairness: demographic parity ratio ≥ 0.8"``).
    rationale, compensating_controls, residual_risk
        Why, what limits the harm meanwhile, and what risk remains.
    expires_on
        When the waiver stops counting; at most :data:`MAX_WAIVER_DAYS` days away.
    risk
        The risk in the register this waiver covers; a critical open risk only stops blocking a
        review approval when an active waiver covers it.
    required_approvals
        How many distinct approvers must approve (1–5).
    """
    if isinstance(required_approvals, bool) or not 1 <= required_approvals <= 5:
        raise InputError(f"required_approvals must be 1 to 5; got {required_approvals!r}.")
    expiry = _check_expiry(ws, expires_on)
    with writing(ws, "request a waiver", action="waiver.request", entity_type="waiver") as tx:
        srow = system_row(tx.conn, system)
        risk_id = None
        if risk is not None:
            from assay.governance._risks import risk_row

            rrow = risk_row(tx.conn, risk)
            if rrow["system_id"] != srow["id"]:
                raise InputError(
                    f"{format_ref('risk', rrow['id'])} belongs to another system, not {system!r}."
                )
            risk_id = rrow["id"]
        row = tx.insert(
            tables.waivers,
            {
                "system_id": srow["id"],
                "risk_id": risk_id,
                "control": check_text(control, what="waived control"),
                "rationale": check_text(rationale, what="rationale"),
                "compensating_controls": check_text(
                    compensating_controls, what="compensating controls"
                ),
                "residual_risk": check_text(residual_risk, what="residual risk"),
                "requester": ws.user,
                "required_approvals": required_approvals,
                "status": "requested",
                "round": 1,
                "expires_on": expiry,
                "proposed_expires_on": None,
                "granted_at": None,
                **stamps(ws),
            },
        )
        tx.set_entity("waiver", row["id"])
        _add_round(ws, tx, row["id"], 1, row["rationale"], expiry)
        return _record(tx.conn, row, ws.today())


def _decide(ws: Workspace, ref: str | int, *, approve: bool, rationale: str) -> Waiver:
    id_ = parse_ref("waiver", ref)
    wref = format_ref("waiver", id_)
    text = check_text(rationale, what="rationale")
    assert text is not None
    verb = "approve" if approve else "reject"
    with writing(
        ws, "decide on a waiver", action=f"waiver.{verb}", entity_type="waiver", entity_id=id_
    ) as tx:
        row = waiver_row(tx.conn, id_)
        if row["status"] not in ("requested", "renewal_requested"):
            raise TransitionError(
                f"{wref} is {row['status']}; only a requested waiver or renewal can be decided."
            )
        rounds = waiver_rounds(tx.conn, row)
        earlier = [a for a in approvals_of(tx.conn, "waiver", id_) if a.round == row["round"]]
        check_round_decision(
            ws.user,
            subject=f"round {row['round']} of {wref}",
            requester=rounds[-1].requester,
            earlier_requesters=[r.requester for r in rounds[:-1]],
            earlier_signers=[a.signer for a in earlier],
            verb=verb,
        )
        sign(
            ws,
            tx,
            subject_type="waiver",
            subject_id=id_,
            round_=row["round"],
            decision="approved" if approve else "rejected",
            rationale=text,
            conditions=None,
            content=_terms(row, system_name(tx.conn, row["system_id"]), rounds[-1]),
        )
        values: dict[str, Any] = {}
        renewal = row["status"] == "renewal_requested"
        if approve:
            approved = 1 + sum(1 for a in earlier if a.decision == "approved")
            if approved >= row["required_approvals"]:
                values["status"] = "approved"
                if renewal:
                    values.update(expires_on=row["proposed_expires_on"], proposed_expires_on=None)
                if row["granted_at"] is None:
                    values["granted_at"] = ws.now()
        else:
            # A rejected renewal leaves the waiver to run out at its current expiry.
            values["status"] = "approved" if renewal else "rejected"
            values["proposed_expires_on"] = None
        new = tx.update(tables.waivers, id_, {**values, **stamps(ws, created=False)})
        return _record(tx.conn, new, ws.today())


def approve_waiver(ws: Workspace, ref: str | int, *, rationale: str) -> Waiver:
    """Approve a requested waiver (or renewal); approvers only, never the requester.

    The waiver becomes active once ``required_approvals`` distinct approvers approved the
    current round. The approval signs the sha256 of the waiver's terms.
    """
    return _decide(ws, ref, approve=True, rationale=rationale)


def reject_waiver(ws: Workspace, ref: str | int, *, rationale: str) -> Waiver:
    """Reject a requested waiver; a rejected renewal leaves the waiver to expire as planned."""
    return _decide(ws, ref, approve=False, rationale=rationale)


def renew_waiver(
    ws: Workspace, ref: str | int, *, expires_on: dt.date | str, rationale: str | None = None
) -> Waiver:
    """Ask to extend a waiver: starts a new round that needs fresh approvals.

    The current user is the new round's requester, so they can never approve it; ``rationale``
    (why the waiver is still needed) is kept with the round, and the first request's rationale
    stays as it was. The waiver stays in force until its current expiry while the renewal is
    reviewed; an expired waiver can be renewed too (it is inactive until approved again).
    """
    id_ = parse_ref("waiver", ref)
    expiry = _check_expiry(ws, expires_on)
    with writing(
        ws,
        "request a waiver",
        action="waiver.renew",
        entity_type="waiver",
        entity_id=id_,
        note=rationale,
    ) as tx:
        row = waiver_row(tx.conn, id_)
        if row["status"] != "approved":
            raise TransitionError(
                f"{format_ref('waiver', id_)} is {row['status']}; only an approved waiver can be "
                "renewed (request a new waiver otherwise)."
            )
        values: dict[str, Any] = {
            "status": "renewal_requested",
            "round": row["round"] + 1,
            "proposed_expires_on": expiry,
        }
        reason = check_text(rationale, what="rationale", required=False)
        new = tx.update(tables.waivers, id_, {**values, **stamps(ws, created=False)})
        _add_round(ws, tx, id_, values["round"], reason, expiry)
        return _record(tx.conn, new, ws.today())


def revoke_waiver(ws: Workspace, ref: str | int, *, rationale: str) -> Waiver:
    """Withdraw a waiver before it expires (approvers only)."""
    id_ = parse_ref("waiver", ref)
    text = check_text(rationale, what="rationale")
    with writing(
        ws,
        "decide on a waiver",
        action="waiver.revoke",
        entity_type="waiver",
        entity_id=id_,
        note=text,
    ) as tx:
        row = waiver_row(tx.conn, id_)
        if row["status"] in ("rejected", "revoked"):
            raise TransitionError(f"{format_ref('waiver', id_)} is already {row['status']}.")
        new = tx.update(
            tables.waivers,
            id_,
            {"status": "revoked", "proposed_expires_on": None, **stamps(ws, created=False)},
        )
        return _record(tx.conn, new, ws.today())


def get_waiver(ws: Workspace, ref: str | int) -> Waiver:
    """One waiver by ``WVR-2`` or ``2``."""
    with ws.store.read() as conn:
        return _record(conn, waiver_row(conn, ref), ws.today())


def list_waivers(
    ws: Workspace, *, system: str | None = None, active_only: bool = False
) -> list[Waiver]:
    """Waivers by expiry date."""
    q = sa.select(tables.waivers).order_by(_W.expires_on, _W.id)
    with ws.store.read() as conn:
        if system is not None:
            q = q.where(_W.system_id == system_row(conn, system)["id"])
        if active_only:
            q = q.where(active_waiver_filter(ws.today()))
        q = q.where(scope_clause(conn, tables.waivers))
        return [_record(conn, r, ws.today()) for r in list(conn.execute(q).mappings())]
