"""Separation of duties (issue 16, H1): one rule, in assay.policy, on every approval path.

Each approval round has its own requester; nobody approves a round they requested, a renewal of
what they requested, a packet they built, or accepts a risk they filed at the ratings the policy
marks as needing independent acceptance; a two-approval round needs two distinct people.
"""

from __future__ import annotations

import datetime as dt

import pytest
from gov_helpers import as_user, credit_system

from assay import governance as g
from assay.errors import TransitionError

ORIGINAL = "Launch in one region while data is collected"
RENEWAL = "Data collection slipped a quarter"


def _h1_setup(ws: g.Workspace) -> tuple[g.Workspace, g.Workspace, g.Workspace, g.Waiver]:
    """sam (analyst) requests WVR-1 and ada approves it; mia is an approver."""
    credit_system(ws)
    g.add_user(ws, "sam", role="analyst")
    g.add_user(ws, "mia", role="approver")
    sam, mia = as_user(ws, "sam"), as_user(ws, "mia")
    w = g.request_waiver(
        sam,
        system="credit",
        control="demographic parity ratio >= 0.8",
        rationale=ORIGINAL,
        compensating_controls="Manual review of rejections",
        residual_risk="Medium",
        expires_on="2025-04-01",
    )
    g.approve_waiver(ws, w.ref, rationale="Compensated for a month")
    return ws, sam, mia, w


def test_h1_renewer_cannot_approve_her_own_renewal(ws: g.Workspace) -> None:
    ada, sam, mia, w = _h1_setup(ws)
    year = (ws.today() + dt.timedelta(days=365)).isoformat()
    renewing = g.renew_waiver(mia, w.ref, expires_on=year, rationale=RENEWAL)
    with pytest.raises(TransitionError, match="'mia' requested round 2 of WVR-1"):
        g.approve_waiver(mia, w.ref, rationale="approving my own renewal")
    assert (renewing.round, renewing.round_requester) == (2, "mia")
    # ... nor may the first requester extend his own waiver
    g.set_role(ada, "sam", "approver")
    with pytest.raises(TransitionError, match="'sam' requested an earlier round of WVR-1"):
        g.approve_waiver(sam, w.ref, rationale="mine again")
    after = g.get_waiver(ws, w.ref)
    assert (after.status, after.expires_on) == ("renewal_requested", dt.date(2025, 4, 1))
    assert after.rationale == ORIGINAL  # the first rationale is never overwritten
    assert [(r.round, r.requester, r.rationale) for r in after.rounds] == [
        (1, "sam", ORIGINAL),
        (2, "mia", RENEWAL),
    ]
    renewed = g.approve_waiver(as_user(ws, "bob"), w.ref, rationale="One more year")
    assert (renewed.status, str(renewed.expires_on)) == ("approved", year)
    assert [(a.round, a.signer) for a in renewed.approvals] == [(1, "ada"), (2, "bob")]
    assert g.verify_audit(ws).ok


def test_h1_the_renewal_round_is_what_the_approver_signs(ws: g.Workspace) -> None:
    _, _, mia, w = _h1_setup(ws)
    g.renew_waiver(mia, w.ref, expires_on="2025-06-01", rationale=RENEWAL)
    approval = g.approve_waiver(as_user(ws, "bob"), w.ref, rationale="ok").approvals[-1]
    import json

    terms = json.loads(ws.blobs.read_bytes(approval.subject_sha256))
    assert terms["rationale"] == ORIGINAL
    assert terms["renewal"] == {"requester": "mia", "rationale": RENEWAL}
    assert terms["expires_on"] == "2025-06-01"


def test_two_approvals_need_two_distinct_people_in_every_round(ws: g.Workspace) -> None:
    credit_system(ws)
    w = g.request_waiver(
        as_user(ws, "cy"), system="credit", control="c", rationale="r",
        compensating_controls="cc", residual_risk="rr", expires_on="2025-04-01",
        required_approvals=2,
    )  # fmt: skip
    bob, dee = as_user(ws, "bob"), as_user(ws, "dee")
    g.approve_waiver(bob, w.ref, rationale="ok")
    g.approve_waiver(dee, w.ref, rationale="ok")
    g.renew_waiver(ws, w.ref, expires_on="2025-05-01", rationale="again")  # ada renews
    assert g.approve_waiver(bob, w.ref, rationale="ok").status == "renewal_requested"
    with pytest.raises(TransitionError, match="'bob' already decided on round 2 of WVR-1"):
        g.approve_waiver(bob, w.ref, rationale="twice")
    with pytest.raises(TransitionError, match="'ada' requested round 2"):
        g.approve_waiver(ws, w.ref, rationale="my renewal")
    assert g.approve_waiver(dee, w.ref, rationale="ok").status == "approved"


def _critical_risk(who: g.Workspace) -> g.Risk:
    return g.add_risk(
        who, system="credit", title="Disparate denial rates", category="mit:1.1",
        likelihood=5, severity=5, owner="ada",
    )  # fmt: skip


def test_nobody_accepts_a_critical_risk_they_filed(ws: g.Workspace) -> None:
    credit_system(ws)
    bob = as_user(ws, "bob")
    risk = _critical_risk(bob)
    with pytest.raises(TransitionError, match="'bob' filed RISK-1 \\(rated critical\\)"):
        g.update_risk(bob, risk.ref, status="accepted", note="I accept my own risk")
    assert g.get_risk(ws, risk.ref).status == "open"
    accepted = g.update_risk(as_user(ws, "dee"), risk.ref, status="accepted", note="Accepted")
    assert accepted.status == "accepted"
    low = g.add_risk(bob, system="credit", title="Typo in a notice", category="mit:1.1",
                     likelihood=1, severity=2, owner="ada")  # fmt: skip
    assert g.update_risk(bob, low.ref, status="accepted", note="cosmetic").status == "accepted"


def test_independent_acceptance_is_a_policy_setting(ws: g.Workspace) -> None:
    credit_system(ws)
    assert ws.policy.independent_acceptance == ("critical", "high")
    lax = g.Workspace(
        ws.root, ws.store, user="bob", config=ws.config, clock=ws.clock,
        policy=ws.policy.model_copy(update={"independent_acceptance": ()}),
    )  # fmt: skip
    risk = _critical_risk(lax)
    assert g.update_risk(lax, risk.ref, status="accepted", note="policy allows").status == (
        "accepted"
    )


def test_the_builder_of_a_packet_never_signs_it(ws: g.Workspace) -> None:
    from gov_helpers import CREDIT_ANSWERS

    from assay import documents as d

    credit_system(ws)
    rex = as_user(ws, "rex")
    review = g.open_review(rex, "credit", answers=CREDIT_ANSWERS)
    g.triage_review(ws, review.ref, owner="cy")
    g.advance_review(ws, review.ref, "in_evaluation")
    g.advance_review(ws, review.ref, "ready_for_review", acknowledge_incomplete=True)
    packet = d.build_packet(ws, review.ref)  # ada (admin) builds it
    with pytest.raises(TransitionError, match="'ada' built the packet EV-1 and cannot sign it"):
        d.sign_packet(ws, packet.record.ref, decision="rejected", rationale="self-signed")
    with pytest.raises(TransitionError, match="'rex' requested REV-1"):
        g.advance_review(rex, review.ref, "rejected", rationale="mine")
    signed = d.sign_packet(
        as_user(ws, "bob"), packet.record.ref, decision="rejected", rationale="Not ready"
    )
    assert signed.signer == "bob"


def test_an_approval_records_the_chain_head_it_was_signed_at(ws: g.Workspace) -> None:
    _, _, _, w = _h1_setup(ws)
    (approval,) = g.get_waiver(ws, w.ref).approvals
    events = g.audit_log(ws)
    signing = next(e for e in events if e.action == "waiver.approve")
    before = next(e for e in events if e.seq == signing.seq - 1)
    assert (approval.chain_seq, approval.chain_hash) == (before.seq, before.hash)
