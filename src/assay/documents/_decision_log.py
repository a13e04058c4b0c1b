"""The waiver and decision log of a system: every review decision and waiver, with who signed
what and when, from the review transitions, the approvals and the waivers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assay.documents._doc import Badge, Cell, Document, Section, Table
from assay.documents._gather import hash_cell, short_date

if TYPE_CHECKING:
    from assay.governance import Review, Waiver, Workspace

__all__ = ["build_decision_log"]


def build_decision_log(ws: Workspace, system: str) -> Document:
    """Build the waiver and decision log of a system.

    Parameters
    ----------
    ws
        The workspace.
    system
        The system's name.

    Returns
    -------
    Document
        Review decisions (with the sha256 each signed), waivers with their approvals, and the
        review history.
    """
    from assay.governance import get_system, list_reviews, list_waivers

    sys_rec = get_system(ws, system)
    reviews = list_reviews(ws, system=system)
    decisions = _decisions(reviews)
    waivers = list_waivers(ws, system=system)
    return Document(
        kind="decision_log",
        title=f"Waiver and decision log: {system}",
        eyebrow="Responsible AI assurance · Waiver and decision log",
        subtitle=sys_rec.purpose,
        meta=(
            ("System", system),
            ("Reviews", str(len(reviews))),
            ("Decisions", str(len(decisions))),
            ("Waivers", str(len(waivers))),
            ("As of", short_date(ws.now())),
        ),
        sections=(
            Section("decisions", "Decisions", (Table(DECISION_HEADERS, decisions),)),
            Section("waivers", "Waivers", (Table(WAIVER_HEADERS, _waiver_rows(waivers)),)),
            Section(
                "history",
                "Review history",
                (Table(("When", "Review", "Step", "By", "Note"), _history(reviews)),),
            ),
        ),
        data={"system": system},
        footer=f"Decision log of {system}",
    )


DECISION_HEADERS = (
    "Signed",
    "Review",
    "Decision",
    "Signer",
    "Rationale",
    "Conditions",
    "Signs sha256",
)
WAIVER_HEADERS = (
    "Waiver",
    "Control",
    "Rationale",
    "Compensating controls",
    "Requester",
    "Approvals",
    "Status",
    "Expires",
)


def _decisions(reviews: list[Review]) -> tuple[tuple[Cell, ...], ...]:
    """Every approval signed on the reviews, with the sha256 it signs."""
    return tuple(
        (
            short_date(a.signed_at),
            rev.ref,
            Badge(
                "approved" if a.decision.startswith("approved") else "rejected",
                a.decision.replace("_", " "),
            ),
            a.signer,
            a.rationale,
            a.conditions,
            hash_cell(a.subject_sha256),
        )
        for rev in reviews
        for a in rev.approvals
    )


def _history(reviews: list[Review]) -> tuple[tuple[Cell, ...], ...]:
    """Every status change of the reviews."""
    return tuple(
        (
            short_date(t.at),
            rev.ref,
            f"{t.from_status or '—'} → {t.to_status}",
            t.actor,
            t.note,
        )
        for rev in reviews
        for t in rev.transitions
    )


def _waiver_rows(waivers: list[Waiver]) -> tuple[tuple[Cell, ...], ...]:
    """Each waiver with its approvals and status."""
    rows: list[tuple[Cell, ...]] = []
    for w in waivers:
        signers = ", ".join(f"{a.signer} ({a.decision})" for a in w.approvals) or None
        rows.append(
            (
                w.ref,
                w.control,
                w.rationale,
                w.compensating_controls,
                w.requester,
                signers,
                Badge("approved" if w.active else w.status, "active" if w.active else w.status),
                str(w.expires_on),
            )
        )
    return tuple(rows)
