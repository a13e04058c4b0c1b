"""Reviews: intake screening, triage, the transition table, signed decisions."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from gov_helpers import CREDIT_ANSWERS, MINIMAL_ANSWERS, as_user, credit_system, events

from assay import governance as g
from assay.documents import build_packet, write_sections
from assay.errors import InputError, IntegrityError, PermissionDeniedError, TransitionError


@pytest.mark.parametrize(
    ("changes", "tier", "priority", "due"),
    [
        # Annex III area; points 3 + 1 + 1 + 2 = 7 -> P1; 10 business days from Monday 3 March.
        ({}, "high", "P1", dt.date(2025, 3, 17)),
        # Significant impact, fully automated: high by the oversight rule; 3 + 3 = 6 -> P2,
        # raised to P1 by the tier floor.
        (
            {
                "annex_iii_areas": ["none"],
                "autonomy": "fully_automated",
                "personal_data": "none",
                "scale": "under_1k",
            },
            "high",
            "P1",
            dt.date(2025, 3, 17),
        ),
        # Generative only: limited; 0 points -> P3, 30 business days.
        (
            {
                "annex_iii_areas": ["none"],
                "user_impact": "negligible",
                "autonomy": "human_decides",
                "personal_data": "none",
                "scale": "under_1k",
                "generative": "yes",
            },
            "limited",
            "P3",
            dt.date(2025, 4, 14),
        ),
        ({"prohibited_practices": ["social_scoring"]}, "prohibited", "P1", dt.date(2025, 3, 17)),
    ],
)
def test_intake_screening(
    ws: g.Workspace, changes: dict[str, object], tier: str, priority: str, due: dt.date
) -> None:
    credit_system(ws)
    review = g.open_review(as_user(ws, "vi"), "credit", answers={**CREDIT_ANSWERS, **changes})
    assert (review.ref, review.status, review.created_by) == ("REV-1", "intake", "vi")
    assert (review.suggested_tier, review.suggested_priority) == (tier, priority)
    assert review.triage_due == dt.date(2025, 3, 6)  # 3 business days after Monday
    assert review.screening["due_date"] == due.isoformat()


def test_bad_answers_are_refused_with_what_to_fix(ws: g.Workspace) -> None:
    credit_system(ws)
    missing = {k: v for k, v in CREDIT_ANSWERS.items() if k not in ("purpose", "autonomy")}
    with pytest.raises(InputError, match=r"missing required answers: purpose .*autonomy"):
        g.open_review(ws, "credit", answers=missing)
    with pytest.raises(InputError, match="'colour' is not in the questionnaire"):
        g.open_review(ws, "credit", answers={**CREDIT_ANSWERS, "colour": "red"})
    with pytest.raises(InputError, match="choose one of: negligible, minor"):
        g.open_review(ws, "credit", answers={**CREDIT_ANSWERS, "user_impact": "huge"})
    with pytest.raises(InputError, match="'none' and something else"):
        g.open_review(
            ws, "credit", answers={**CREDIT_ANSWERS, "annex_iii_areas": ["none", "education"]}
        )


def _to_ready(ws: g.Workspace, answers: dict[str, object] = CREDIT_ANSWERS) -> g.Review:
    """Open, triage and take a review to ready_for_review with a packet; the packet is below the
    policy's minimum unless the test filled the documents, so the step acknowledges it."""
    review = g.open_review(ws, "credit", answers=answers)
    g.triage_review(ws, review.ref, owner="cy")
    g.advance_review(ws, review.ref, "in_evaluation")
    build_packet(ws, review.ref)
    return g.advance_review(ws, review.ref, "ready_for_review", acknowledge_incomplete=True)


def test_triage_sets_scope_and_the_system_tier(ws: g.Workspace) -> None:
    credit_system(ws)
    review = g.open_review(ws, "credit", answers=CREDIT_ANSWERS)
    with pytest.raises(InputError, match="say why REV-1 is 'limited'"):
        g.triage_review(ws, review.ref, owner="cy", tier="limited")
    with pytest.raises(PermissionDeniedError):
        g.triage_review(as_user(ws, "vi"), review.ref, owner="cy")
    with pytest.raises(InputError, match="review owner 'nobody' is not a user"):
        g.triage_review(ws, review.ref, owner="nobody")
    assert g.get_review(ws, review.ref).status == "intake"
    triaged = g.triage_review(ws, review.ref, owner="cy", priority="P2", due_date="2025-03-31")
    assert (triaged.tier, triaged.priority, triaged.owner) == ("high", "P2", "cy")
    assert triaged.due_date == dt.date(2025, 3, 31)
    assert g.get_system(ws, "credit").risk_tier == "high"
    with pytest.raises(TransitionError, match="only a review at intake"):
        g.triage_review(ws, review.ref, owner="cy")


def test_transitions_follow_the_table(ws: g.Workspace, bob: g.Workspace) -> None:
    credit_system(ws)
    review = g.open_review(ws, "credit", answers=CREDIT_ANSWERS)
    before = events(ws)
    with pytest.raises(TransitionError, match="REV-1 is intake; it can move to triaged, withdrawn"):
        g.advance_review(ws, review.ref, "in_evaluation")
    with pytest.raises(TransitionError, match="assay review triage"):
        g.advance_review(ws, review.ref, "triaged")
    assert events(ws) == before
    ready = _to_ready_from_intake(ws, review.ref)
    # the packet's figures are kept with the step: a high-tier packet far below the minimum
    kept = ready.transitions[-1].details["readiness"]
    assert (kept["packet"], kept["passes"], kept["acknowledged"]) == ("EV-1", False, True)
    with pytest.raises(PermissionDeniedError, match="decide on a review"):
        g.advance_review(as_user(ws, "cy"), review.ref, "approved", rationale="x")
    with pytest.raises(InputError, match="needs a conditions"):
        g.advance_review(bob, review.ref, "approved_with_conditions", rationale="ok")
    returned = g.advance_review(
        as_user(ws, "rex"), review.ref, "returned_for_rework", rationale="Model card missing"
    )
    assert returned.status == "returned_for_rework"
    g.advance_review(ws, review.ref, "in_evaluation")
    g.advance_review(ws, review.ref, "ready_for_review", acknowledge_incomplete=True)
    done = g.advance_review(
        bob,
        review.ref,
        "approved_with_conditions",
        rationale="ok",
        conditions="Monitor selection rates monthly",
        acknowledge_incomplete=True,
    )
    assert [t.to_status for t in done.transitions] == [
        "intake",
        "triaged",
        "in_evaluation",
        "ready_for_review",
        "returned_for_rework",
        "in_evaluation",
        "ready_for_review",
        "approved_with_conditions",
    ]
    assert [a.decision for a in done.approvals] == [
        "returned_for_rework",
        "approved_with_conditions",
    ]
    with pytest.raises(TransitionError, match="nothing \\(it is closed\\)"):
        g.advance_review(ws, review.ref, "withdrawn", note="x")


def _to_ready_from_intake(ws: g.Workspace, ref: str) -> g.Review:
    g.triage_review(ws, ref, owner="cy")
    g.advance_review(ws, ref, "in_evaluation")
    build_packet(ws, ref)
    return g.advance_review(ws, ref, "ready_for_review", acknowledge_incomplete=True)


def test_open_critical_risk_blocks_approval_until_waived(ws: g.Workspace, bob: g.Workspace) -> None:
    credit_system(ws)
    risk = g.add_risk(
        ws,
        system="credit",
        title="Selection rate gap",
        category="1.1",
        likelihood=4,
        severity=5,
        owner="cy",
    )
    review = _to_ready(ws)
    before = events(ws)
    with pytest.raises(TransitionError, match="RISK-1 \\(Selection rate gap\\)"):
        g.advance_review(
            bob, review.ref, "approved", rationale="Looks fine", acknowledge_incomplete=True
        )
    assert events(ws) == before
    waiver = g.request_waiver(
        ws,
        system="credit",
        risk=risk.ref,
        control="dp >= 0.8",
        rationale="r",
        compensating_controls="c",
        residual_risk="m",
        expires_on="2025-05-01",
    )
    with pytest.raises(TransitionError, match="RISK-1"):
        g.advance_review(
            bob, review.ref, "approved", rationale="Looks fine", acknowledge_incomplete=True
        )
    g.approve_waiver(bob, waiver.ref, rationale="ok")
    approved = g.advance_review(
        bob, review.ref, "approved", rationale="Waiver covers RISK-1", acknowledge_incomplete=True
    )
    assert approved.status == "approved"


def test_prohibited_tier_cannot_be_approved(ws: g.Workspace, bob: g.Workspace) -> None:
    credit_system(ws)
    review = _to_ready(ws, {**CREDIT_ANSWERS, "prohibited_practices": ["social_scoring"]})
    with pytest.raises(TransitionError, match="prohibited practice"):
        g.advance_review(bob, review.ref, "approved", rationale="x", acknowledge_incomplete=True)
    assert g.advance_review(bob, review.ref, "rejected", rationale="Art. 5").status == "rejected"


def test_decision_signs_the_packet(ws: g.Workspace, bob: g.Workspace, tmp_path: Path) -> None:
    credit_system(ws)
    # minimal tier: system fields, and the card's details, intended use and limitations
    write_sections(ws, "model_card", "credit", sections={"limitations": "Census data only."})
    review = g.open_review(ws, "credit", answers=MINIMAL_ANSWERS)
    g.triage_review(ws, review.ref, owner="cy")
    g.advance_review(ws, review.ref, "in_evaluation")
    ready = g.advance_review(ws, review.ref, "ready_for_review", acknowledge_incomplete=True)
    assert ready.transitions[-1].details["readiness"]["packet"] is None
    with pytest.raises(TransitionError, match="nothing to sign"):
        g.advance_review(bob, review.ref, "rejected", rationale="x")
    packet = build_packet(ws, review.ref)
    assert packet.record.summary["passes"]  # complete: approving needs no acknowledgement
    decided = g.advance_review(bob, review.ref, "approved", rationale="Complete")
    (approval,) = decided.approvals
    # the decision signs the built packet's canonical JSON: its sha256 is the packet's
    assert approval.subject_sha256 == packet.sha256
    assert hashlib.sha256(ws.blobs.read_bytes(packet.sha256)).hexdigest() == packet.sha256
    assert approval.signer == "bob"
    details = decided.transitions[-1].details
    assert (details["packet"], details["packet_sha256"]) == (packet.record.ref, packet.sha256)
    g.verify_approval(ws, approval.ref)
    ws.blobs.path(approval.subject_sha256).write_bytes(b"{}")
    with pytest.raises(IntegrityError):
        g.verify_approval(ws, approval.ref)


def test_decision_can_sign_a_rendered_packet(
    ws: g.Workspace, bob: g.Workspace, tmp_path: Path
) -> None:
    credit_system(ws)
    review = _to_ready(ws, MINIMAL_ANSWERS)
    pdf = tmp_path / "packet.pdf"
    pdf.write_bytes(b"%PDF-1.7 packet")
    decided = g.advance_review(bob, review.ref, "rejected", rationale="No", packet=pdf)
    (approval,) = decided.approvals
    assert approval.subject_sha256 == hashlib.sha256(pdf.read_bytes()).hexdigest()
    g.verify_approval(ws, approval.ref, file=pdf)
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.7 edited")
    with pytest.raises(IntegrityError, match="is not what APR-1 approved"):
        g.verify_approval(ws, approval.ref, file=other)


def test_withdraw_needs_a_note(ws: g.Workspace) -> None:
    credit_system(ws)
    review = g.open_review(ws, "credit", answers=CREDIT_ANSWERS)
    with pytest.raises(InputError, match="needs a note"):
        g.advance_review(ws, review.ref, "withdrawn")
    assert g.advance_review(ws, review.ref, "withdrawn", note="Project stopped").status == (
        "withdrawn"
    )
    assert g.list_reviews(ws, open_only=True) == []
