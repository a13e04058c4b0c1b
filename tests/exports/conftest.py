"""Fixtures of the export tests: one evaluated system with risks and actions, on each database,
and validators for the official CycloneDX 1.6 and OSCAL schemas shipped in tests/data/schemas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from export_helpers import ARTIFACT, COMMIT, START, Clock, fairness_result
from schema_validators import cyclonedx_validator, oscal_validator

from assay import governance as g


def as_user(ws: g.Workspace, name: str) -> g.Workspace:
    return g.Workspace(ws.root, ws.store, user=name, config=ws.config, clock=ws.clock)


@pytest.fixture(scope="session")
def result() -> dict[str, Any]:
    return fairness_result()


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def ws(db_url: str, tmp_path: Path, clock: Clock, result: dict[str, Any]) -> Iterator[g.Workspace]:
    """``adult-income``: dataset ``adult@1``, model ``adult-income@1`` (artifact hash, registry
    URI, commit), a recorded fairness evaluation EV-1 (one fail, one pass), a model card EV-2,
    risk RISK-1 linked to EV-1 with two actions (ACT-1 open, ACT-2 done with EV-3) and a closed
    risk RISK-2."""
    workspace = g.init_workspace(tmp_path / "project", db_url=db_url, user="ada")
    workspace.clock = clock
    g.add_user(workspace, "bob", role="approver")
    for owner in ("credit-team", "dana", "eve"):  # owners are users; a team can be one
        g.add_user(workspace, owner, role="viewer")
    g.add_system(
        workspace,
        "adult-income",
        purpose="Predicts whether income exceeds $50K",
        owner="credit-team",
        intended_use="Ranking applications for manual review.",
        out_of_scope_use="Automated rejection of applicants.",
        deployment_context="Back office, EU",
        risk_tier="high",
    )
    g.add_dataset_version(
        workspace,
        "adult",
        "1",
        digest=result["provenance"]["dataset"]["digest"],
        source="https://archive.ics.uci.edu/dataset/2/adult",
        rows=1000,
        columns=["sex", "y", "pred"],
    )
    g.add_model_version(
        workspace,
        "adult-income",
        "1",
        registry_uri="models:/adult-income/1",
        artifact_sha256=ARTIFACT,
        code_commit=COMMIT,
        training_datasets=["adult@1"],
    )
    clock.advance(hours=1)
    g.record_evaluation(
        workspace,
        result,
        kind="fairness",
        system="adult-income",
        model_version="1",
        code_commit=COMMIT,
        code_dirty=False,
    )
    clock.advance(hours=1)
    g.add_evidence(
        workspace,
        kind="model_card",
        data=b"# Model card\n",
        media_type="text/markdown",
        title="Model card",
        system="adult-income",
        model_version="1",
    )
    clock.advance(hours=1)
    g.add_risk(
        workspace,
        system="adult-income",
        title="Women are selected less often",
        category="mit:1.1",
        likelihood=4,
        severity=3,
        owner="dana",
        due_date="2025-04-30",
        mitigations="Reweigh the training data",
        evidence=["EV-1"],
    )
    g.add_action(workspace, title="Retrain with reweighing", owner="eve", due_date="2025-04-15",
                 risk="RISK-1")  # fmt: skip
    g.add_action(workspace, title="Write the monitoring spec", owner="eve",
                 due_date="2025-03-20", risk="RISK-1")  # fmt: skip
    done = g.add_evidence(workspace, kind="monitoring_spec", data=b"metrics: [dpd]\n",
                          system="adult-income")  # fmt: skip
    g.update_action(workspace, "ACT-2", status="done", evidence=done.ref)
    g.add_risk(
        workspace,
        system="adult-income",
        title="Labels are stale",
        category="mit:3.1",
        likelihood=2,
        severity=2,
        owner="dana",
    )
    g.update_risk(workspace, "RISK-2", status="closed", closure_evidence="EV-2")
    clock.advance(hours=1)
    yield workspace
    workspace.close()


@pytest.fixture(scope="session")
def cdx() -> Any:
    return cyclonedx_validator()


@pytest.fixture(scope="session")
def oscal_ar() -> Any:
    return oscal_validator("assessment-results")


@pytest.fixture(scope="session")
def oscal_poam_schema() -> Any:
    return oscal_validator("plan-of-action-and-milestones")
