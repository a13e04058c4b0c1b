"""The demo's program history: four quarters written through the governance API on a back-dated
clock, so the dashboard's KPIs have values and trends, by the users whose roles take each step,
with a valid audit chain in time order.

One history is written per module (it takes seconds) at a fixed "now", a Wednesday in the middle
of a quarter, so its figures never move with the calendar.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from assay.demo import DEMO_LOGINS, DemoClock, History, seed_history
from assay.demo._governance import create_workspace
from assay.demo._history import plan_history
from assay.demo._history_cast import Timeline
from assay.demo._serve import set_demo_logins
from assay.governance import (
    KpiReport,
    Workspace,
    compute_kpis,
    get_user,
    list_reviews,
    list_waivers,
    verify_audit,
)
from assay.policy import TREND_PERIODS, reporting_periods
from assay.store import tables

NOW = dt.datetime(2026, 5, 13, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, History]]:
    folder = tmp_path_factory.mktemp("history")
    clock = DemoClock(Timeline.ending(NOW).start)
    ws = create_workspace(folder, clock)
    history = seed_history(ws, clock, folder / "history", now=NOW)
    try:
        yield ws, history
    finally:
        ws.close()


def _trends(ws: Workspace) -> list[KpiReport]:
    """The KPI reports of the dashboard's trend periods, as the dashboard and `assay kpis`
    compute each one."""
    return [compute_kpis(ws, s, e) for s, e in reporting_periods(NOW.date(), TREND_PERIODS)]


def test_at_least_16_kpis_have_a_value_in_each_of_the_four_quarters(
    seeded: tuple[Workspace, History],
) -> None:
    ws, _ = seeded
    reports = _trends(ws)
    assert len(reports) == 4
    full = [k.key for k in reports[-1].kpis if all(r.get(k.key).value is not None for r in reports)]
    assert len(full) >= 16, full
    # and they move: a trend, not the same figure four times
    moving = [key for key in full if len({r.get(key).value for r in reports}) > 1]
    assert len(moving) >= 8, moving


def test_the_program_is_plausible(seeded: tuple[Workspace, History]) -> None:
    ws, history = seeded
    counts = history.counts
    assert counts["systems"] == 12
    assert counts["reviews"] == 40
    assert counts["incidents"] == 2
    assert counts["returned_for_rework"] >= 2
    assert counts["alerts meaningful"] >= 1
    assert counts["alerts noise"] >= 1
    assert counts["waivers renewed"] >= 1
    stages = {r.status for r in list_reviews(ws)}
    assert stages >= {
        "intake",
        "triaged",
        "in_evaluation",
        "ready_for_review",
        "approved",
        "approved_with_conditions",
        "rejected",
        "withdrawn",
    }
    # waivers granted, renewed and expired: some are no longer active on the last day
    waivers = list_waivers(ws)
    assert any(w.status == "approved" and not w.active for w in waivers)
    assert any(w.active for w in waivers)


def test_every_write_is_attributed_in_time_order_and_the_chain_verifies(
    seeded: tuple[Workspace, History],
) -> None:
    ws, history = seeded
    with ws.store.read() as conn:
        a = tables.audit_events.c
        events = conn.execute(sa.select(a.actor, a.at).order_by(a.seq)).all()
    actors = {actor for actor, _ in events}
    assert actors <= {user for _, user, _ in DEMO_LOGINS}
    assert len(actors) == 4
    times = [at for _, at in events]
    assert times == sorted(times)
    assert times[0] >= history.start
    assert times[-1] <= NOW
    assert verify_audit(ws).ok


def test_requesters_and_builders_never_decide(seeded: tuple[Workspace, History]) -> None:
    ws, _ = seeded
    for review in list_reviews(ws):
        for approval in review.approvals:
            assert approval.signer != review.created_by


def test_the_plan_is_the_same_every_time(tmp_path: Path) -> None:
    timeline = Timeline.ending(NOW)

    def planned() -> list[tuple[dt.datetime, str, str]]:
        plan, _ = plan_history(timeline, tmp_path)
        return [(e.at, e.actor, e.do.__name__) for e in sorted(plan.events)]

    first = planned()
    assert first == planned()
    assert all(at < NOW for at, _, _ in first)


def test_demo_logins_are_named_after_their_users_roles_and_log_in(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from assay.web import create_app

    with create_workspace(tmp_path) as ws:
        assert set_demo_logins(ws)
        for role, user, password in DEMO_LOGINS:
            assert get_user(ws, user).role == role
            assert password == f"{user}-{role}-demo"
    app = create_app(tmp_path)
    with TestClient(app) as client:
        for _, user, password in DEMO_LOGINS:
            client.cookies.clear()
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token is not None
            form = {"csrf_token": token.group(1), "user": user, "password": password}
            done = client.post("/login", data=form, follow_redirects=False)
            assert done.status_code == 303, (user, done.text[:300])
    app.state.base.close()
