"""Fixtures of the document tests: a workspace holding one evaluated system, on each database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay import governance as g

DATA = Path(__file__).parent / "data"
START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
COMMIT = "c" * 40
ANSWERS: dict[str, Any] = {
    "purpose": "Predicts whether income exceeds $50K",
    "users": "Analysts; applicants are affected",
    "prohibited_practices": ["none"],
    "annex_iii_areas": ["essential_services"],
    "user_impact": "significant",
    "autonomy": "human_in_the_loop",
    "personal_data": "personal",
    "generative": False,
    "scale": "over_100k",
}


class Clock:
    """A settable clock for Workspace.clock."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def fairness_result() -> dict[str, Any]:
    """A real assay.fairness/v1 result on Adult (by sex), shipped with the tests."""
    data: dict[str, Any] = json.loads((DATA / "fairness_pred.json").read_text(encoding="utf-8"))
    return data


def as_user(ws: g.Workspace, name: str) -> g.Workspace:
    return g.Workspace(ws.root, ws.store, user=name, config=ws.config, clock=ws.clock)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def ws(db_url: str, tmp_path: Path, clock: Clock) -> Iterator[g.Workspace]:
    """A workspace (ada admin, bob approver, cy analyst) with the system ``adult-income``:
    dataset ``adult@1``, model version ``adult-income@1`` trained on it, a recorded fairness
    evaluation (EV-1), a triaged high-tier review REV-1 and two risks."""
    workspace = g.init_workspace(tmp_path / "project", db_url=db_url, user="ada")
    workspace.clock = clock
    g.add_user(workspace, "bob", role="approver")
    g.add_user(workspace, "cy", role="analyst")
    g.add_user(workspace, "credit-team", role="viewer")  # owners are users; a team can be one
    result = fairness_result()
    g.add_system(
        workspace,
        "adult-income",
        purpose="Predicts whether income exceeds $50K",
        owner="credit-team",
        intended_use="Ranking applications for manual review.",
    )
    g.add_dataset_version(
        workspace,
        "adult",
        "1",
        digest=result["provenance"]["dataset"]["digest"],
        rows=32561,
        source="UCI Adult",
        columns={"age": "int", "sex": "str", "income": "str"},
    )
    g.add_model_version(
        workspace, "adult-income", "1", training_datasets=["adult@1"], code_commit=COMMIT
    )
    g.record_evaluation(
        workspace,
        result,
        kind="fairness",
        system="adult-income",
        model_version="1",
        code_commit=COMMIT,
        code_dirty=False,
    )
    review = g.open_review(workspace, "adult-income", answers=ANSWERS)
    g.triage_review(workspace, review.ref, owner="cy", tier="high", note="credit scoring")
    g.add_risk(
        workspace,
        system="adult-income",
        title="Lower selection rate for women",
        category="mit:1.1",
        likelihood=4,
        severity=4,
        owner="cy",
        due_date="2025-06-30",
        mitigations="Review thresholds per group",
        residual_likelihood=2,
        residual_severity=4,
        evidence=["EV-1"],
    )
    g.add_risk(
        workspace,
        system="adult-income",
        title="Proxy variables for race",
        category="mit:1.1",
        likelihood=3,
        severity=3,
        owner="cy",
    )
    yield workspace
    workspace.close()
