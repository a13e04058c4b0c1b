"""Fixtures of the governance tests: a workspace with one user per role, on each database lane."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gov_helpers import MONDAY, Clock, as_user

from assay import governance as g


@pytest.fixture
def clock() -> Clock:
    """Monday 2025-03-03 09:00 UTC, settable."""
    return Clock(MONDAY)


@pytest.fixture
def ws(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[g.Workspace]:
    """A workspace acting as 'ada' (admin), with bob and dee (approvers), cy (analyst),
    rex (reviewer) and vi (viewer)."""
    workspace = g.init_workspace(tmp_path / "project", db_url=db_url, user="ada")
    workspace.clock = clock
    for name, role in (
        ("bob", "approver"),
        ("cy", "analyst"),
        ("dee", "approver"),
        ("rex", "reviewer"),
        ("vi", "viewer"),
    ):
        g.add_user(workspace, name, role=role)
    yield workspace
    workspace.close()


@pytest.fixture
def bob(ws: g.Workspace) -> g.Workspace:
    """The workspace acting as bob, an approver."""
    return as_user(ws, "bob")
