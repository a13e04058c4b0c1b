"""The risk register (taxonomies, 5×5 rating, status rules) and remediation actions."""

from __future__ import annotations

import pytest
from gov_helpers import as_user, credit_system, events

from assay import governance as g
from assay.errors import ConflictError, InputError, PermissionDeniedError, TransitionError
from assay.policy import rating


def test_taxonomies_ship_as_data() -> None:
    cats = g.taxonomy()
    mit = [c for c in cats if c.taxonomy == "mit"]
    nist = [c for c in cats if c.taxonomy == "nist-ai-600-1"]
    assert len(mit) == 24  # 7 domains, 24 subdomains (7.6 multi-agent risks since 2025)
    assert len({c.domain for c in mit}) == 7
    assert len(nist) == 12  # the 12 risks of NIST AI 600-1, section 2
    assert {c.name for c in nist} >= {"Confabulation", "Information Integrity", "Data Privacy"}


@pytest.mark.parametrize(
    ("likelihood", "severity", "expected"),
    [
        (1, 1, "low"),
        (2, 2, "low"),
        (1, 5, "medium"),
        (3, 3, "medium"),
        (2, 5, "high"),
        (4, 4, "high"),
        (4, 5, "critical"),
        (5, 5, "critical"),
    ],
)
def test_rating_matrix(likelihood: int, severity: int, expected: str) -> None:
    assert rating(likelihood, severity) == expected


def test_risk_categories(ws: g.Workspace) -> None:
    credit_system(ws)
    r = g.add_risk(
        ws,
        system="credit",
        title="Gap",
        category="Unequal performance across groups",
        likelihood=3,
        severity=4,
        owner="cy",
    )
    assert (r.category, r.rating, r.status, r.found_stage) == (
        "mit:1.3",
        "high",
        "open",
        "development",
    )
    with pytest.raises(InputError, match="not marked generative"):
        g.add_risk(
            ws,
            system="credit",
            title="Made up facts",
            category="confabulation",
            likelihood=3,
            severity=3,
            owner="cy",
        )
    g.add_system(ws, "chat", purpose="Answers", owner="cy", generative=True)
    gen = g.add_risk(
        ws,
        system="chat",
        title="Made up facts",
        category="confabulation",
        likelihood=3,
        severity=3,
        owner="cy",
    )
    assert gen.category == "nist-ai-600-1:confabulation"
    with pytest.raises(InputError, match="assay risk categories"):
        g.add_risk(
            ws, system="chat", title="x", category="9.9", likelihood=1, severity=1, owner="cy"
        )
    with pytest.raises(InputError, match="from 1"):
        g.add_risk(
            ws, system="chat", title="x", category="1.1", likelihood=6, severity=1, owner="cy"
        )


def test_risk_status_rules(ws: g.Workspace) -> None:
    credit_system(ws)
    r = g.add_risk(
        ws,
        system="credit",
        title="Gap",
        category="1.1",
        likelihood=4,
        severity=5,
        owner="cy",
        due_date="2025-04-01",
    )
    assert r.rating == "critical"
    before = events(ws)
    with pytest.raises(TransitionError, match="without evidence"):
        g.update_risk(ws, r.ref, status="closed")
    with pytest.raises(PermissionDeniedError, match="accept a risk"):
        g.update_risk(as_user(ws, "cy"), r.ref, status="accepted", note="low volume")
    with pytest.raises(TransitionError, match="Say why"):
        g.update_risk(as_user(ws, "bob"), r.ref, status="accepted")
    assert events(ws) == before
    mitigated = g.update_risk(
        ws,
        r.ref,
        status="mitigating",
        mitigations="Reweighing",
        residual_likelihood=2,
        residual_severity=3,
    )
    assert mitigated.rating == "medium"
    ev = g.add_evidence(ws, kind="fairness", data=b"{}", system="credit")
    closed = g.update_risk(ws, r.ref, status="closed", closure_evidence=ev.ref)
    assert (closed.status, closed.closure_evidence, closed.evidence) == ("closed", 1, (1,))
    assert closed.closed_at == ws.now()
    with pytest.raises(TransitionError, match="can move to open"):
        g.update_risk(ws, r.ref, status="mitigating")
    with pytest.raises(TransitionError, match="reopened"):
        g.update_risk(ws, r.ref, status="open")
    reopened = g.update_risk(ws, r.ref, status="open", note="regression in v2")
    assert (reopened.closure_evidence, reopened.closed_at) == (None, None)
    history = [e.action for e in g.audit_log(ws, entity=r.ref)]
    assert history == ["risk.add", "risk.mitigating", "risk.closed", "risk.open"]


def test_list_risks(ws: g.Workspace, clock: object) -> None:
    credit_system(ws)
    g.add_risk(
        ws,
        system="credit",
        title="low",
        category="1.1",
        likelihood=1,
        severity=1,
        owner="cy",
        due_date="2025-03-01",
    )
    g.add_risk(
        ws,
        system="credit",
        title="crit",
        category="1.1",
        likelihood=5,
        severity=5,
        owner="cy",
        due_date="2025-06-01",
    )
    g.add_risk(
        ws,
        system="credit",
        title="high",
        category="1.1",
        likelihood=3,
        severity=4,
        owner="dee",
        due_date="2025-02-01",
    )
    assert [r.title for r in g.list_risks(ws)] == ["crit", "high", "low"]
    assert [r.title for r in g.list_risks(ws, overdue=True)] == ["high", "low"]
    assert [r.title for r in g.list_risks(ws, owner="dee")] == ["high"]


def test_actions_close_only_with_evidence(ws: g.Workspace) -> None:
    credit_system(ws)
    r = g.add_risk(
        ws, system="credit", title="Gap", category="1.1", likelihood=2, severity=2, owner="cy"
    )
    with pytest.raises(InputError, match="remediates a risk or corrects an incident"):
        g.add_action(ws, title="x", owner="cy", due_date="2025-04-01")
    a = g.add_action(
        ws, title="Reweigh training data", owner="cy", due_date="2025-03-10", risk=r.ref
    )
    assert (a.ref, a.status, a.risk) == ("ACT-1", "open", 1)
    before = events(ws)
    with pytest.raises(TransitionError, match="without evidence"):
        g.update_action(ws, a.ref, status="done")
    with pytest.raises(TransitionError, match="Say why"):
        g.update_action(ws, a.ref, status="cancelled")
    assert events(ws) == before
    ev = g.add_evidence(ws, kind="fairness", data=b"{}", system="credit")
    done = g.update_action(ws, a.ref, status="done", evidence=ev.ref)
    assert (done.status, done.closure_evidence, done.closed_on_time) == ("done", 1, True)
    assert g.list_actions(ws, open_only=True) == []
    with pytest.raises(TransitionError, match="can move to open"):
        g.update_action(ws, a.ref, status="in_progress")


def test_closing_evidence_must_be_about_the_records_system(ws: g.Workspace) -> None:
    """An action or a risk of the credit system is not closed with another system's evidence
    (a reference posted by hand past the page's choices); an organisation-wide record (no
    system) may close it."""
    credit_system(ws)
    g.add_system(ws, "chat", purpose="Answers customers", owner="cy")
    r = g.add_risk(ws, system="credit", title="Bias", category="mit:1.3", likelihood=3,
                   severity=3, owner="cy")  # fmt: skip
    a = g.add_action(ws, title="Reweigh", owner="cy", due_date="2025-03-10", risk=r.ref)
    foreign = g.add_evidence(ws, kind="fairness", data=b"{}", system="chat")
    before = events(ws)
    with pytest.raises(ConflictError, match="about another system"):
        g.update_action(ws, a.ref, status="done", evidence=foreign.ref)
    g.update_risk(ws, r.ref, status="mitigating", mitigations="Reweighing")
    with pytest.raises(ConflictError, match="about another system"):
        g.update_risk(ws, r.ref, status="closed", closure_evidence=foreign.ref)
    assert events(ws) == before + 1  # only the mitigation
    wide = g.add_evidence(ws, kind="attachment", data=b"policy", title="Org policy")
    assert g.update_action(ws, a.ref, status="done", evidence=wide.ref).status == "done"
    assert g.update_risk(ws, r.ref, status="closed", closure_evidence=wide.ref).status == "closed"
