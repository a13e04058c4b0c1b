"""The workspace's clock: every write and its audit event are stamped with it, from the first user
that ``init_workspace`` adds to the writes of a workspace opened with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from assay.governance import add_user, get_user, init_workspace, open_workspace, verify_audit
from assay.store import tables

THEN = dt.datetime(2025, 3, 4, 9, 30, tzinfo=dt.UTC)
LATER = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def test_writes_and_audit_events_carry_the_workspaces_clock(tmp_path: Path) -> None:
    with init_workspace(tmp_path, user="ada", clock=lambda: THEN) as ws:
        assert get_user(ws, "ada").created_at == THEN
    with open_workspace(tmp_path, user="ada", clock=lambda: LATER) as ws:
        add_user(ws, "sam", role="analyst")
        assert get_user(ws, "sam").created_at == LATER
        with ws.store.read() as conn:
            a = tables.audit_events.c
            stamped = conn.execute(sa.select(a.actor, a.action, a.at).order_by(a.seq)).all()
        assert [(actor, at) for actor, _, at in stamped] == [("ada", THEN), ("ada", LATER)]
        assert verify_audit(ws).ok
