"""Fixtures of the framework tests: a workspace with a settable clock, on each database lane."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay import governance as g

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A settable clock for Workspace.clock."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def ws(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[g.Workspace]:
    """A workspace (ada admin, bob approver) holding the system ``credit`` with purpose and owner
    only."""
    workspace = g.init_workspace(tmp_path / "project", db_url=db_url, user="ada")
    workspace.clock = clock
    g.add_user(workspace, "bob", role="approver")
    g.add_system(workspace, "credit", purpose="Scores loan applications", owner="bob")
    yield workspace
    workspace.close()
