"""Waivers: never approved by their requester, time-limited, renewal re-reviewed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from gov_helpers import Clock, as_user, credit_system, events

from assay import governance as g
from assay.errors import InputError, PermissionDeniedError, TransitionError


def _request(ws: g.Workspace, **kw: object) -> g.Waiver:
    args: dict[str, object] = {
        "system": "credit",
        "control": "demographic parity ratio >= 0.8",
        "rationale": "Launch for one region while data is collected",
        "compensating_controls": "Manual review of all rejections",
        "residual_risk": "Medium",
        "expires_on": "2025-06-01",
    }
    args.update(kw)
    return g.request_waiver(ws, **args)  # type: ignore[arg-type]


def test_requester_never_approves(ws: g.Workspace, bob: g.Workspace) -> None:
    credit_system(ws)
    w = _request(as_user(ws, "bob"))
    before = events(ws)
    with pytest.raises(TransitionError, match="requester can never"):
        g.approve_waiver(bob, w.ref, rationale="mine")
    with pytest.raises(PermissionDeniedError):
        g.approve_waiver(as_user(ws, "cy"), w.ref, rationale="ok")
    assert events(ws) == before
    approved = g.approve_waiver(as_user(ws, "dee"), w.ref, rationale="Compensated")
    assert (approved.status, approved.active, approved.granted_at) == ("approved", True, ws.now())
    (approval,) = approved.approvals
    assert (approval.signer, approval.decision, approval.round) == ("dee", "approved", 1)
    terms = {
        "waiver": "WVR-1",
        "round": 1,
        "system": "credit",
        "risk": None,
        "control": "demographic parity ratio >= 0.8",
        "rationale": "Launch for one region while data is collected",
        "compensating_controls": "Manual review of all rejections",
        "residual_risk": "Medium",
        "requester": "bob",
        "expires_on": "2025-06-01",
    }
    canonical = json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert approval.subject_sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    assert g.verify_approval(ws, approval.ref).ref == "APR-1"


def test_several_approvers(ws: g.Workspace, bob: g.Workspace) -> None:
    credit_system(ws)
    w = _request(as_user(ws, "cy"), required_approvals=2)
    assert g.approve_waiver(bob, w.ref, rationale="ok").status == "requested"
    with pytest.raises(TransitionError, match="already decided"):
        g.approve_waiver(bob, w.ref, rationale="again")
    assert g.approve_waiver(as_user(ws, "dee"), w.ref, rationale="ok").status == "approved"


def test_expiry_is_bounded_and_expired_waivers_stop_counting(
    ws: g.Workspace, bob: g.Workspace, clock: Clock
) -> None:
    credit_system(ws)
    with pytest.raises(InputError, match="after today"):
        _request(ws, expires_on="2025-03-03")
    with pytest.raises(InputError, match="at most 365 days"):
        _request(ws, expires_on="2026-03-04")
    w = _request(ws, expires_on="2025-03-10")
    g.approve_waiver(bob, w.ref, rationale="ok")
    assert [x.ref for x in g.list_waivers(ws, active_only=True)] == ["WVR-1"]
    clock.set("2025-03-10T23:00:00")
    assert g.get_waiver(ws, w.ref).active
    clock.set("2025-03-11T00:00:01")
    assert not g.get_waiver(ws, w.ref).active
    assert g.list_waivers(ws, active_only=True) == []
    assert g.show_system(ws, "credit").active_waivers == 0


def test_renewal_forces_a_new_review_round(ws: g.Workspace, bob: g.Workspace, clock: Clock) -> None:
    credit_system(ws)
    w = _request(ws, expires_on="2025-04-01")
    g.approve_waiver(bob, w.ref, rationale="ok")
    clock.set("2025-03-25T09:00:00")
    renewing = g.renew_waiver(ws, w.ref, expires_on="2025-07-01", rationale="Data still short")
    assert (renewing.status, renewing.round, renewing.active) == ("renewal_requested", 2, True)
    assert renewing.expires_on == dt.date(2025, 4, 1)
    with pytest.raises(TransitionError, match="only an approved waiver"):
        g.renew_waiver(ws, w.ref, expires_on="2025-08-01")
    renewed = g.approve_waiver(bob, w.ref, rationale="one more quarter")
    assert (renewed.status, renewed.expires_on) == ("approved", dt.date(2025, 7, 1))
    assert [a.round for a in renewed.approvals] == [1, 2]
    # A rejected renewal leaves the waiver to run out at its current expiry.
    g.renew_waiver(ws, w.ref, expires_on="2025-09-01")
    rejected = g.reject_waiver(as_user(ws, "dee"), w.ref, rationale="no")
    assert (rejected.status, rejected.expires_on) == ("approved", dt.date(2025, 7, 1))
    revoked = g.revoke_waiver(bob, w.ref, rationale="Fixed upstream")
    assert (revoked.status, revoked.active) == ("revoked", False)
