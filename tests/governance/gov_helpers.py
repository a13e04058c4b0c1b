"""Helpers shared by the governance tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from assay import governance as g
from assay.store import tables

UTC = dt.UTC
MONDAY = dt.datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class Clock:
    """A settable clock for Workspace.clock."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, value: str) -> None:
        self.now = dt.datetime.fromisoformat(value).replace(tzinfo=UTC)

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def as_user(ws: g.Workspace, name: str) -> g.Workspace:
    """The same workspace, acting as another user."""
    return g.Workspace(ws.root, ws.store, user=name, config=ws.config, clock=ws.clock)


def events(ws: g.Workspace) -> int:
    """How many audit events the workspace holds."""
    with ws.store.read() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(tables.audit_events)).scalar_one()
        )


MINIMAL_ANSWERS: dict[str, Any] = {
    "purpose": "Ranks support tickets",
    "users": "Support agents",
    "prohibited_practices": ["none"],
    "annex_iii_areas": ["none"],
    "user_impact": "negligible",
    "autonomy": "human_decides",
    "personal_data": "none",
    "generative": False,
    "scale": "under_1k",
}

CREDIT_ANSWERS: dict[str, Any] = {
    **MINIMAL_ANSWERS,
    "purpose": "Scores loan applications",
    "users": "Loan officers; applicants are affected",
    "annex_iii_areas": ["essential_services"],
    "user_impact": "significant",
    "autonomy": "human_in_the_loop",
    "personal_data": "personal",
    "scale": "over_100k",
}

DIGEST = "sha256:" + "ab" * 32


def fairness_result(digest: str = DIGEST, failed: bool = True) -> dict[str, Any]:
    """A minimal result in the shape of FairnessResult.to_dict()."""
    return {
        "schema": "assay.fairness/v1",
        "task": "classification",
        "n": 1000,
        "verdicts": [
            {"rule": "demographic_parity", "by": ["sex"], "verdict": "fail" if failed else "pass"},
            {"rule": "equal_opportunity", "by": ["sex"], "verdict": "pass"},
        ],
        "params": {"threshold": 0.5, "sensitive_features": ["sex"]},
        "provenance": {"assay_version": "0.1.0", "dataset": {"digest": digest}},
    }


def credit_system(ws: g.Workspace, *, lifecycle: str = "development") -> g.ModelVersion:
    """Register the credit-scoring system with one dataset and one model version."""
    g.add_system(
        ws,
        "credit",
        purpose="Scores loan applications",
        owner="cy",
        intended_use="Decision support for loan officers",
        out_of_scope_use="Fully automated rejection",
        deployment_context="Branch offices, EU",
        lifecycle_status=lifecycle,
    )
    g.add_dataset_version(ws, "adult", "2024-01", digest=DIGEST, rows=48842)
    return g.add_model_version(ws, "credit", "1", training_datasets=["adult@2024-01"])
