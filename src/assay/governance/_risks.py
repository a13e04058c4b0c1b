"""The risk register: risks categorised by a shipped taxonomy, rated on a 5×5 matrix, with
owners, due dates, status history (in the audit log) and links to evidence."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection, RowMapping

from assay.errors import ConflictError, InputError, TransitionError
from assay.governance._common import (
    Record,
    check_choice,
    check_date,
    check_level,
    check_text,
    format_ref,
    not_found,
    parse_ref,
    stamps,
    writing,
)
from assay.governance._evidence import closing_evidence, evidence_row
from assay.governance._inventory import system_name, system_row
from assay.governance._owners import check_owner
from assay.governance._scope import orgs_of, readable, scope_clause
from assay.policy import (
    OPEN_RISK_STATUSES,
    RATING_BANDS,
    check_risk_acceptance,
    current_scores,
    rating,
)
from assay.store import WriteTx, tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "RISK_SORTS",
    "RISK_STATUSES",
    "RISK_TRANSITIONS",
    "Category",
    "Risk",
    "add_risk",
    "count_risks",
    "current_scores_sql",
    "get_risk",
    "link_risk_evidence",
    "list_risks",
    "risk_heat_counts",
    "taxonomy",
    "update_risk",
]

RISK_STATUSES = ("open", "mitigating", "accepted", "closed")
OPEN_STATUSES = OPEN_RISK_STATUSES

RISK_TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "mitigating"): "edit risks",
    ("open", "accepted"): "accept a risk",
    ("mitigating", "accepted"): "accept a risk",
    ("open", "closed"): "edit risks",
    ("mitigating", "closed"): "edit risks",
    ("accepted", "closed"): "edit risks",
    ("mitigating", "open"): "edit risks",
    ("accepted", "open"): "edit risks",
    ("closed", "open"): "edit risks",
}
"""Allowed status changes and the permission each needs. Closing needs closure evidence;
accepting and reopening need a note saying why."""

_R = tables.risks.c


@dataclass(frozen=True, slots=True)
class Category:
    """One category of a risk taxonomy."""

    taxonomy: str
    code: str
    name: str
    domain: str | None
    generative_only: bool

    @property
    def ref(self) -> str:
        """``taxonomy:code``, as stored on a risk."""
        return f"{self.taxonomy}:{self.code}"


@functools.cache
def taxonomy() -> tuple[Category, ...]:
    """Every category of the shipped taxonomies (MIT AI Risk Repository domains, NIST AI 600-1).

    >>> [c.ref for c in taxonomy()][:2]
    ['mit:1.1', 'mit:1.2']
    """
    text = resources.files("assay.governance").joinpath("taxonomies.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    out = []
    for key, tax in data["taxonomies"].items():
        for cat in tax["categories"]:
            out.append(
                Category(
                    taxonomy=key,
                    code=str(cat["code"]),
                    name=cat["name"],
                    domain=cat.get("domain"),
                    generative_only=tax["applies_to"] == "generative",
                )
            )
    return tuple(out)


def resolve_category(text: str, *, generative: bool, system: str) -> Category:
    """Find a category by ``taxonomy:code``, by code alone, or by its exact name."""
    wanted = text.strip().lower()
    matches = [c for c in taxonomy() if wanted in (c.ref.lower(), c.code.lower(), c.name.lower())]
    if not matches:
        raise InputError(
            f"{text!r} is not a risk category. Use an MIT AI Risk Repository subdomain such as "
            "mit:1.3 or, for generative systems, a NIST AI 600-1 risk such as "
            "nist-ai-600-1:confabulation. List them with `assay risk categories`."
        )
    cat = matches[0]
    if cat.generative_only and not generative:
        raise InputError(
            f"{cat.ref} ({cat.name}) is a NIST AI 600-1 category for generative systems, and "
            f"{system!r} is not marked generative. Use an MIT category, or mark the system with "
            f"`assay system update {system} --generative`."
        )
    return cat


@functools.cache
def _categories() -> dict[str, Category]:
    out: dict[str, Category] = {}
    for c in taxonomy():
        out.setdefault(c.ref, c)
    return out


def _category(ref: str) -> Category | None:
    return _categories().get(ref)


@dataclass(frozen=True, slots=True)
class Risk(Record):
    """A risk in the register. ``rating`` uses the residual scores when they are set."""

    id: int
    ref: str
    system: str
    title: str
    description: str | None
    category: str
    category_name: str
    inherent_likelihood: int
    inherent_severity: int
    mitigations: str | None
    residual_likelihood: int | None
    residual_severity: int | None
    rating: str
    owner: str
    due_date: dt.date | None
    status: str
    found_stage: str
    closure_evidence: int | None
    closed_at: dt.datetime | None
    evidence: tuple[int, ...]
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def is_open(self) -> bool:
        """Open or being mitigated."""
        return self.status in OPEN_STATUSES


_RISK_FIELDS = tuple(f.name for f in dataclasses.fields(Risk))


def current_rating(row: Mapping[Any, Any]) -> str:
    """The rating of a risk row: residual when assessed, inherent otherwise."""
    return rating(
        *current_scores(
            row["inherent_likelihood"],
            row["inherent_severity"],
            row["residual_likelihood"],
            row["residual_severity"],
        )
    )


def current_scores_sql(
    risks: sa.TableClause | None = None,
) -> tuple[sa.ColumnElement[int], sa.ColumnElement[int]]:
    """(likelihood, severity) of a risk row as SQL, by :func:`assay.policy.current_scores`'s rule:
    the residual pair when both are assessed, else the inherent pair."""
    r = (risks if risks is not None else tables.risks).c
    assessed = sa.and_(r.residual_likelihood.is_not(None), r.residual_severity.is_not(None))
    like = sa.case((assessed, r.residual_likelihood), else_=r.inherent_likelihood)
    sev = sa.case((assessed, r.residual_severity), else_=r.inherent_severity)
    return like, sev


def _record(conn: Connection, row: RowMapping) -> Risk:
    ref = f"{row['taxonomy']}:{row['category']}"
    cat = _category(ref)
    links = tables.links.c
    evidence = tuple(
        conn.execute(
            sa.select(links.to_id)
            .where(
                links.from_type == "risk",
                links.from_id == row["id"],
                links.to_type == "evidence",
            )
            .order_by(links.to_id)
        ).scalars()
    )
    return Risk.from_row(
        row,
        ref=format_ref("risk", row["id"]),
        system=system_name(conn, row["system_id"]),
        category=ref,
        category_name=cat.name if cat else ref,
        rating=current_rating(row),
        closure_evidence=row["closure_evidence_id"],
        evidence=evidence,
    )


def risk_row(conn: Connection, ref: str | int) -> RowMapping:
    """The row of one risk; NotFoundError otherwise."""
    id_ = parse_ref("risk", ref)
    row = conn.execute(sa.select(tables.risks).where(_R.id == id_)).mappings().first()
    if row is None or not readable(conn, tables.risks, row):
        raise not_found("risk", format_ref("risk", id_), "List them with `assay risk list`.")
    return row


def _link(
    ws: Workspace,
    tx: WriteTx,
    from_type: str,
    from_id: int,
    to_type: str,
    to_id: int,
    relation: str = "evidence",
) -> None:
    links = tables.links.c
    exists = tx.conn.execute(
        sa.select(links.id).where(
            links.from_type == from_type,
            links.from_id == from_id,
            links.relation == relation,
            links.to_type == to_type,
            links.to_id == to_id,
        )
    ).first()
    if exists is None:
        tx.insert(
            tables.links,
            {
                "from_type": from_type,
                "from_id": from_id,
                "relation": relation,
                "to_type": to_type,
                "to_id": to_id,
                "created_at": ws.now(),
                "created_by": ws.user,
            },
        )


def add_risk(
    ws: Workspace,
    *,
    system: str,
    title: str,
    category: str,
    likelihood: int,
    severity: int,
    owner: str,
    due_date: dt.date | str | None = None,
    description: str | None = None,
    mitigations: str | None = None,
    residual_likelihood: int | None = None,
    residual_severity: int | None = None,
    evidence: tuple[str | int, ...] | list[str | int] = (),
) -> Risk:
    """Add a risk to the register.

    Parameters
    ----------
    ws
        The workspace.
    system
        The system it belongs to.
    title, description
        What could go wrong, and for whom.
    category
        ``mit:1.3``, ``nist-ai-600-1:confabulation`` (generative systems only), a bare code or
        the category's name; see :func:`taxonomy`.
    likelihood, severity
        Inherent (before mitigation) likelihood and severity, 1–5 each.
    owner, due_date
        Who mitigates it, and by when.
    mitigations, residual_likelihood, residual_severity
        What is done about it, and the assessment after mitigation.
    evidence
        Evidence records that show it (``EV-3``), for example a failed fairness evaluation.
    """
    check_level(likelihood, what="likelihood")
    check_level(severity, what="severity")
    check_level(residual_likelihood, what="residual likelihood")
    check_level(residual_severity, what="residual severity")
    if (residual_likelihood is None) != (residual_severity is None):
        raise InputError("Give the residual likelihood and residual severity together.")
    due = check_date(due_date, what="due date")
    with writing(ws, "edit risks", action="risk.add", entity_type="risk") as tx:
        srow = system_row(tx.conn, system)
        orgs = orgs_of(tx.conn, tables.ai_systems, srow)
        check_owner(tx.conn, check_text(owner, what="risk owner"), what="risk owner", orgs=orgs)
        cat = resolve_category(category, generative=srow["generative"], system=srow["name"])
        ev_ids = [evidence_row(tx.conn, e)["id"] for e in evidence]
        row = tx.insert(
            tables.risks,
            {
                "system_id": srow["id"],
                "title": check_text(title, what="risk title"),
                "description": check_text(description, what="description", required=False),
                "taxonomy": cat.taxonomy,
                "category": cat.code,
                "inherent_likelihood": likelihood,
                "inherent_severity": severity,
                "mitigations": check_text(mitigations, what="mitigations", required=False),
                "residual_likelihood": residual_likelihood,
                "residual_severity": residual_severity,
                "owner": check_text(owner, what="risk owner"),
                "due_date": due,
                "status": "open",
                "found_stage": srow["lifecycle_status"],
                "closure_evidence_id": None,
                "closed_at": None,
                **stamps(ws),
            },
        )
        tx.set_entity("risk", row["id"])
        for ev in ev_ids:
            _link(ws, tx, "risk", row["id"], "evidence", ev)
        return _record(tx.conn, row)


def update_risk(
    ws: Workspace,
    ref: str | int,
    *,
    status: str | None = None,
    note: str | None = None,
    closure_evidence: str | int | None = None,
    title: str | None = None,
    description: str | None = None,
    category: str | None = None,
    likelihood: int | None = None,
    severity: int | None = None,
    mitigations: str | None = None,
    residual_likelihood: int | None = None,
    residual_severity: int | None = None,
    owner: str | None = None,
    due_date: dt.date | str | None = None,
) -> Risk:
    """Change a risk: its assessment, owner, due date or status.

    Status changes follow :data:`RISK_TRANSITIONS`. Closing needs ``closure_evidence`` (an
    evidence record showing the risk is mitigated); accepting needs the approver role and a
    ``note``; reopening needs a ``note``.
    """
    if status is not None:
        check_choice(status, RISK_STATUSES, what="risk status")
    values = _field_changes(
        title=title, description=description, mitigations=mitigations, owner=owner,
        due_date=due_date, likelihood=likelihood, severity=severity,
        residual_likelihood=residual_likelihood, residual_severity=residual_severity,
    )  # fmt: skip
    permission = "accept a risk" if status == "accepted" else "edit risks"
    id_ = parse_ref("risk", ref)
    action = f"risk.{status}" if status is not None else "risk.update"
    with writing(ws, permission, action=action, entity_type="risk", entity_id=id_, note=note) as tx:
        row = risk_row(tx.conn, id_)
        owners_orgs = orgs_of(tx.conn, tables.risks, row)
        check_owner(tx.conn, values.get("owner"), what="risk owner", orgs=owners_orgs)
        rref = format_ref("risk", id_)
        if category is not None:
            srow = (
                tx.conn.execute(
                    sa.select(tables.ai_systems).where(tables.ai_systems.c.id == row["system_id"])
                )
                .mappings()
                .one()
            )
            cat = resolve_category(category, generative=srow["generative"], system=srow["name"])
            values["taxonomy"], values["category"] = cat.taxonomy, cat.code
        merged = {**row, **values}
        if (merged["residual_likelihood"] is None) != (merged["residual_severity"] is None):
            raise InputError("Give the residual likelihood and residual severity together.")
        ev_id = None
        if closure_evidence is not None:
            ev_id = closing_evidence(
                tx.conn, closure_evidence, systems={row["system_id"]}, closes=rref
            )["id"]
            if status != "closed":
                raise InputError(
                    "Closure evidence is given when closing a risk: add --status closed, or "
                    "link supporting evidence with `assay risk link RISK-N EV-N`."
                )
        if status is not None and status != row["status"]:
            values.update(_status_change(ws, row, status, note=note, ev_id=ev_id, merged=merged))
        elif status is not None and not values:
            raise InputError(f"{rref} is already {status}.")
        if not values:
            raise InputError("Nothing to change: give at least one field with a new value.")
        new = tx.update(tables.risks, id_, {**values, **stamps(ws, created=False)})
        if ev_id is not None:
            _link(ws, tx, "risk", id_, "evidence", ev_id)
        return _record(tx.conn, new)


def _field_changes(
    *,
    title: str | None,
    description: str | None,
    mitigations: str | None,
    owner: str | None,
    due_date: dt.date | str | None,
    likelihood: int | None,
    severity: int | None,
    residual_likelihood: int | None,
    residual_severity: int | None,
) -> dict[str, Any]:
    """The checked columns an update of a risk's fields writes (those given)."""
    levels = {
        "inherent_likelihood": (likelihood, "likelihood"),
        "inherent_severity": (severity, "severity"),
        "residual_likelihood": (residual_likelihood, "residual likelihood"),
        "residual_severity": (residual_severity, "residual severity"),
    }
    values: dict[str, Any] = {
        column: check_level(value, what=what)
        for column, (value, what) in levels.items()
        if value is not None
    }
    texts = {
        "title": (title, "risk title", True),
        "description": (description, "description", False),
        "mitigations": (mitigations, "mitigations", False),
        "owner": (owner, "risk owner", True),
    }
    for column, (text, what, required) in texts.items():
        if text is not None:
            values[column] = check_text(text, what=what, required=required)
    if due_date is not None:
        values["due_date"] = check_date(due_date, what="due date")
    return values


def _status_change(
    ws: Workspace,
    row: RowMapping,
    status: str,
    *,
    note: str | None,
    ev_id: int | None,
    merged: Mapping[str, Any],
) -> dict[str, Any]:
    """The columns a status change writes, after checking the transition and what it needs:
    closure evidence to close, a note to accept or reopen, and an independent acceptance at
    the policy's ratings (:func:`assay.policy.check_risk_acceptance`)."""
    rref = format_ref("risk", row["id"])
    if (row["status"], status) not in RISK_TRANSITIONS:
        allowed = [to for (fr, to) in RISK_TRANSITIONS if fr == row["status"]]
        raise TransitionError(
            f"{rref} is {row['status']}; it can move to {', '.join(allowed)}, not {status}."
        )
    if status == "closed":
        if ev_id is None:
            raise TransitionError(
                f"{rref} cannot be closed without evidence that it is mitigated. Record "
                "it (assay evidence add ...) and pass it with --evidence EV-N."
            )
        return {"status": status, "closure_evidence_id": ev_id, "closed_at": ws.now()}
    if status == "accepted":
        if not check_text(note, what="note", required=False):
            raise TransitionError(f"Say why {rref} is accepted as it is (--note).")
        check_risk_acceptance(
            ws.user,
            risk=rref,
            filed_by=row["created_by"],
            rating=current_rating(merged),
            policy=ws.policy,
        )
    elif status == "open" and not check_text(note, what="note", required=False):
        raise TransitionError(f"Say why {rref} is reopened (--note).")
    return {"status": status, "closure_evidence_id": None, "closed_at": None}


def link_risk_evidence(ws: Workspace, ref: str | int, evidence: str | int) -> Risk:
    """Link an evidence record to a risk (what shows the risk, or its mitigation)."""
    id_ = parse_ref("risk", ref)
    with writing(ws, "edit risks", action="risk.link", entity_type="risk", entity_id=id_) as tx:
        row = risk_row(tx.conn, id_)
        ev = evidence_row(tx.conn, evidence)
        system = tx.get(tables.ai_systems, row["system_id"])
        if system is not None and system["org"] != ev["org"]:
            raise ConflictError(
                f"{format_ref('evidence', ev['id'])} is a record of another organisation than "
                f"{format_ref('risk', id_)}; link evidence of the risk's own organisation."
            )
        _link(ws, tx, "risk", id_, "evidence", ev["id"])
        if not tx.changed:
            raise InputError(
                f"{format_ref('evidence', ev['id'])} is already linked to "
                f"{format_ref('risk', id_)}."
            )
        return _record(tx.conn, row)


def get_risk(ws: Workspace, ref: str | int) -> Risk:
    """One risk by ``RISK-12`` or ``12``."""
    with ws.store.read() as conn:
        return _record(conn, risk_row(conn, ref))


RISK_SORTS = ("rating", "due", "owner", "system", "status", "ref")
"""Orders :func:`list_risks` accepts; ``-`` in front reverses the first key (``-due``)."""


def _risk_filters(
    ws: Workspace,
    conn: Connection,
    *,
    system: str | None,
    status: str | None,
    owner: str | None,
    open_only: bool,
    overdue: bool,
) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [scope_clause(conn, tables.risks)]
    if system is not None:
        where.append(_R.system_id == system_row(conn, system)["id"])
    if status is not None:
        where.append(_R.status == check_choice(status, RISK_STATUSES, what="risk status"))
    if owner is not None:
        where.append(_R.owner == owner)
    if open_only or overdue:
        where.append(_R.status.in_(OPEN_STATUSES))
    if overdue:
        where.append(_R.due_date < ws.today())
    return where


def _rating_rank() -> sa.ColumnElement[int]:
    """0 for the most severe rating onwards, from :data:`assay.policy.RATING_BANDS` and the
    current scores (as :func:`current_rating`)."""
    like, sev = current_scores_sql()
    score = like * sev
    bands = [(score >= low, rank) for rank, (low, _) in enumerate(RATING_BANDS[:-1])]
    return sa.case(*bands, else_=len(RATING_BANDS) - 1)


def _order(conn: Connection, sort: str) -> list[sa.ColumnElement[Any]]:
    """ORDER BY for ``sort``: its key (reversed with ``-``), then the register's own order."""
    key = sort[1:] if sort.startswith("-") else sort
    check_choice(key, RISK_SORTS, what="risk sort")
    desc = sort.startswith("-")

    def text(col: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        # Python's order (code points), which SQLite uses; PostgreSQL sorts by locale otherwise.
        return col.collate("C") if conn.dialect.name == "postgresql" else col

    rank = _rating_rank()
    default: list[sa.ColumnElement[Any]] = [rank, _R.due_date.is_(None), _R.due_date, _R.id]
    first: list[sa.ColumnElement[Any]]
    if key == "rating":
        first = [rank]
    elif key == "due":
        first = [_R.due_date.is_(None), _R.due_date]
    elif key == "system":
        name = (
            sa.select(tables.ai_systems.c.name)
            .where(tables.ai_systems.c.id == _R.system_id)
            .scalar_subquery()
        )
        first = [text(name)]
    elif key == "ref":
        first = [_R.id]
    else:
        first = [text(_R.owner if key == "owner" else _R.status)]
    return [c.desc() if desc else c for c in first] + default


def _records(conn: Connection, rows: list[RowMapping]) -> list[Risk]:
    """:func:`_record` for many rows, with one query for the system names and one for links."""
    if not rows:
        return []
    ids = {r["id"] for r in rows}
    system_ids = {r["system_id"] for r in rows}
    s = tables.ai_systems.c
    names_q = sa.select(s.id, s.name)
    if len(system_ids) <= 500:
        names_q = names_q.where(s.id.in_(system_ids))
    names = {sid: str(name) for sid, name in conn.execute(names_q)}
    links = tables.links.c
    links_q = sa.select(links.from_id, links.to_id).where(
        links.from_type == "risk", links.to_type == "evidence"
    )
    if len(ids) <= 500:
        links_q = links_q.where(links.from_id.in_(ids))
    evidence: dict[int, list[int]] = {}
    for from_id, to_id in conn.execute(links_q.order_by(links.from_id, links.to_id)):
        if from_id in ids:
            evidence.setdefault(from_id, []).append(to_id)
    computed = {"ref", "system", "category", "category_name", "rating", "closure_evidence"}
    computed.add("evidence")
    copied = [n for n in _RISK_FIELDS if n not in computed and n in rows[0]]
    out = []
    for row in rows:
        # Risk.from_row, without looking up every field name in every row.
        values = {n: row[n] for n in copied}
        ref = f"{row['taxonomy']}:{row['category']}"
        cat = _category(ref)
        out.append(
            Risk(
                **values,
                ref=format_ref("risk", row["id"]),
                system=names[row["system_id"]],
                category=ref,
                category_name=cat.name if cat else ref,
                rating=current_rating(row),
                closure_evidence=row["closure_evidence_id"],
                evidence=tuple(evidence.get(row["id"], ())),
            )
        )
    return out


def list_risks(
    ws: Workspace,
    *,
    system: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    open_only: bool = False,
    overdue: bool = False,
    sort: str = "rating",
    limit: int | None = None,
    offset: int = 0,
) -> list[Risk]:
    """Risks, highest rating first; ``overdue`` keeps open risks past their due date.

    Parameters
    ----------
    ws
        The workspace.
    system, status, owner
        Keep the risks of one system, in one status, or owned by one person.
    open_only, overdue
        Keep open (or being mitigated) risks; of those, the ones past their due date.
    sort
        One of :data:`RISK_SORTS`. ``rating`` (the default) puts the highest rating first, then
        the earliest due date (no due date last), then the oldest risk; every other order breaks
        its ties that way. ``due`` is earliest first, ``ref`` oldest first, ``owner``, ``system``
        and ``status`` alphabetical; ``-`` in front reverses the first key (``-due``).
    limit, offset
        One page of the ordered register: at most ``limit`` risks after skipping ``offset``.
        Count all the matches with :func:`count_risks`.
    """
    if limit is not None and limit < 0:
        raise InputError(f"The page size must be 0 or more; got {limit}.")
    if offset < 0:
        raise InputError(f"The page offset must be 0 or more; got {offset}.")
    with ws.store.read() as conn:
        where = _risk_filters(
            ws,
            conn,
            system=system,
            status=status,
            owner=owner,
            open_only=open_only,
            overdue=overdue,
        )
        q = sa.select(tables.risks).where(*where).order_by(*_order(conn, sort))
        if limit is not None or offset:
            q = q.limit(limit).offset(offset)
        return _records(conn, list(conn.execute(q).mappings()))


def count_risks(
    ws: Workspace,
    *,
    system: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    open_only: bool = False,
    overdue: bool = False,
) -> int:
    """How many risks :func:`list_risks` with the same filters returns, without a page limit."""
    with ws.store.read() as conn:
        where = _risk_filters(
            ws,
            conn,
            system=system,
            status=status,
            owner=owner,
            open_only=open_only,
            overdue=overdue,
        )
        q = sa.select(sa.func.count()).select_from(tables.risks).where(*where)
        return int(conn.execute(q).scalar_one())


def risk_heat_counts(ws: Workspace) -> dict[tuple[int, int], int]:
    """Open risks (open or being mitigated) per (likelihood, severity) cell of the 5×5 matrix,
    at their current scores (residual when both are assessed)."""
    like, sev = current_scores_sql()
    with ws.store.read() as conn:
        q = (
            sa.select(like, sev, sa.func.count())
            .where(_R.status.in_(OPEN_STATUSES), scope_clause(conn, tables.risks))
            .group_by(like, sev)
        )
        return {(int(lk), int(sv)): int(n) for lk, sv, n in conn.execute(q)}
