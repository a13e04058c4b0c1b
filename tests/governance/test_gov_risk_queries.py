"""Queries behind the dashboard and the risk register: sorted pages of risks, counts, the heat
map and the program status, each checked against a reference computed record by record."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from gov_helpers import MINIMAL_ANSWERS, Clock, credit_system

from assay import governance as g
from assay.errors import InputError

RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}

# (system, likelihood, severity, residual, owner, due date, status)
RISKS: list[tuple[str, int, int, tuple[int, int] | None, str, str | None, str]] = [
    ("credit", 5, 5, None, "cy", "2025-04-01", "open"),  # critical
    ("credit", 4, 5, (2, 2), "Zed", "2025-03-10", "mitigating"),  # residual: low
    ("tickets", 3, 4, None, "amy", None, "open"),  # high, no due date
    ("tickets", 3, 4, None, "cy", "2025-03-01", "open"),  # high, overdue
    ("credit", 2, 3, None, "amy", "2025-03-01", "accepted"),  # medium
    ("tickets", 1, 1, None, "Zed", "2025-05-01", "open"),  # low
    ("credit", 5, 4, (4, 5), "cy", "2025-03-01", "mitigating"),  # critical, overdue
    ("tickets", 2, 5, None, "bo", "2025-04-01", "open"),  # high
    ("credit", 1, 4, None, "bo", None, "closed"),  # low
    ("tickets", 3, 3, (1, 3), "amy", "2025-02-01", "mitigating"),  # residual: low
    ("credit", 5, 5, None, "Zed", "2025-04-01", "open"),  # critical, same due as the first
]


@pytest.fixture
def register(ws: g.Workspace, clock: Clock) -> g.Workspace:
    """Two systems and the risks above; today is 2025-03-05."""
    for owner in ("Zed", "amy", "bo"):  # owners are users
        g.add_user(ws, owner, role="viewer")
    credit_system(ws)
    g.add_system(ws, "tickets", purpose="Routes support tickets", owner="dee")
    ev = g.add_evidence(ws, kind="fairness", data=b"{}", system="credit")
    ev2 = g.add_evidence(ws, kind="fairness", data=b"[]", system="credit")
    for system, like, sev, residual, owner, due, status in RISKS:
        risk = g.add_risk(
            ws,
            system=system,
            title=f"{system} {like}x{sev}",
            category="mit:1.3",
            likelihood=like,
            severity=sev,
            owner=owner,
            due_date=due,
            residual_likelihood=residual[0] if residual else None,
            residual_severity=residual[1] if residual else None,
        )
        if status == "closed":
            g.update_risk(ws, risk.ref, status="closed", closure_evidence=ev2.ref)
        elif status != "open":
            g.update_risk(ws, risk.ref, status=status, note="Because")
    g.link_risk_evidence(ws, "RISK-3", ev.ref)
    g.link_risk_evidence(ws, "RISK-3", ev2.ref)
    g.link_risk_evidence(ws, "RISK-5", ev.ref)
    clock.set("2025-03-05T09:00:00")
    return ws


def _one_by_one(ws: g.Workspace) -> list[g.Risk]:
    """Every risk read on its own (the single-record path), in the register's documented order."""
    records = [g.get_risk(ws, i) for i in range(1, len(RISKS) + 1)]
    return sorted(records, key=lambda r: (RANK[r.rating], r.due_date or dt.date.max, r.id))


KEYS: dict[str, Callable[[g.Risk], Any]] = {
    "rating": lambda r: RANK[r.rating],
    "due": lambda r: r.due_date or dt.date.max,
    "owner": lambda r: r.owner,
    "system": lambda r: r.system,
    "status": lambda r: r.status,
    "ref": lambda r: r.id,
}


def test_default_order_and_records_match_single_reads(register: g.Workspace) -> None:
    listed = g.list_risks(register)
    assert listed == _one_by_one(register)
    assert [r.id for r in listed] == [7, 1, 11, 4, 8, 3, 5, 10, 2, 6, 9]
    assert listed[5].evidence == (1, 2)  # RISK-3 links both records
    assert {r.ref: r.system for r in listed}["RISK-8"] == "tickets"


@pytest.mark.parametrize("sort", [*KEYS, *(f"-{k}" for k in KEYS)])
def test_every_sort_is_a_stable_sort_of_the_default_order(register: g.Workspace, sort: str) -> None:
    key = KEYS[sort.lstrip("-")]
    expected = sorted(_one_by_one(register), key=key, reverse=sort.startswith("-"))
    assert [r.id for r in g.list_risks(register, sort=sort)] == [r.id for r in expected]


def test_owner_order_is_by_code_point() -> None:
    # Upper case before lower case, as Python sorts, on PostgreSQL too (collation "C").
    assert sorted(["amy", "Zed", "bo"]) == ["Zed", "amy", "bo"]


def test_pages_and_counts(register: g.Workspace) -> None:
    full = g.list_risks(register, sort="due")
    pages = [g.list_risks(register, sort="due", limit=4, offset=k) for k in (0, 4, 8)]
    assert [len(p) for p in pages] == [4, 4, 3]
    assert [r.id for p in pages for r in p] == [r.id for r in full]
    assert g.list_risks(register, limit=0) == []
    assert g.list_risks(register, offset=20) == []
    assert g.count_risks(register) == len(RISKS)
    filters: list[dict[str, Any]] = [
        {"system": "credit"},
        {"status": "mitigating"},
        {"owner": "Zed"},
        {"open_only": True},
        {"overdue": True},
        {"system": "tickets", "open_only": True},
    ]
    for f in filters:
        assert g.count_risks(register, **f) == len(g.list_risks(register, **f)), f
    assert g.count_risks(register, open_only=True) == 9
    # Open or mitigating and due before 2025-03-05: RISK-4, RISK-7, RISK-10.
    assert [r.id for r in g.list_risks(register, overdue=True, sort="ref")] == [4, 7, 10]


def test_bad_sort_and_page_are_refused(register: g.Workspace) -> None:
    with pytest.raises(InputError, match="risk sort"):
        g.list_risks(register, sort="likelihood")
    with pytest.raises(InputError, match="page size"):
        g.list_risks(register, limit=-1)
    with pytest.raises(InputError, match="page offset"):
        g.list_risks(register, offset=-3)
    with pytest.raises(InputError, match="risk status"):
        g.count_risks(register, status="done")


def test_heat_counts(register: g.Workspace) -> None:
    # Open risks (open, mitigating) by cell, residual scores where set, counted by hand.
    expected = {(5, 5): 2, (2, 2): 1, (3, 4): 2, (1, 1): 1, (4, 5): 1, (2, 5): 1, (1, 3): 1}
    assert g.risk_heat_counts(register) == expected
    assert g.program_status(register).heat_counts() == expected


def test_program_status(register: g.Workspace, bob: g.Workspace, clock: Clock) -> None:
    ws = register
    clock.set("2025-03-06T09:00:00")
    for title in ("A", "B", "C"):
        g.open_review(ws, "credit", answers=MINIMAL_ANSWERS, title=title)
    g.triage_review(ws, "REV-1", owner="cy", due_date="2025-04-30")
    waiver = {
        "compensating_controls": "c",
        "residual_risk": "low",
        "rationale": "r",
        "expires_on": "2025-09-01",
    }
    g.request_waiver(ws, system="credit", control="dp >= 0.8", **waiver)
    g.add_action(ws, title="Fix", owner="cy", due_date="2025-04-01", risk="RISK-1")
    g.add_action(ws, title="Later", owner="cy", due_date="2025-09-01", risk="RISK-1")
    done = g.add_action(ws, title="Done", owner="cy", due_date="2025-04-15", risk="RISK-2")
    ev = g.add_evidence(ws, kind="fairness", data=b"{1}", system="credit")
    g.update_action(ws, done.ref, status="done", evidence=ev.ref)
    clock.set("2025-04-20T09:00:00")
    g.request_waiver(ws, system="tickets", control="dp >= 0.8", **waiver)
    rejected = g.request_waiver(ws, system="tickets", control="eo >= 0.8", **waiver)
    g.reject_waiver(bob, rejected.ref, rationale="No")
    clock.set("2025-06-26T09:00:00")  # the waivers are 112 and 67 days old

    status = g.program_status(ws)
    assert status.today == dt.date(2025, 6, 26)
    assert status.systems == 2
    stages = dict(status.reviews_by_stage)
    assert list(stages) == list(g.REVIEW_STATUSES)
    assert (stages["intake"], stages["triaged"], sum(stages.values())) == (2, 1, 3)
    assert stages == {
        s: Counter(r.status for r in g.list_reviews(ws)).get(s, 0) for s in g.REVIEW_STATUSES
    }
    assert status.open_risks == 9
    assert dict(status.open_waivers_by_age) == {
        "under 30 days": 0,
        "30–89 days": 1,
        "90 days or more": 1,
    }
    assert status.overdue_actions == 1 == len(g.list_actions(ws, overdue=True))
    assert status.to_dict()["systems"] == 2
