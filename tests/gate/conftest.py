"""The gate tests' workspace: a high-tier system, its model version and biased evidence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gate_support import MODEL, SYSTEM, fairness_payload, predictions


@pytest.fixture
def gated(tmp_path: Path, db_url: str) -> Iterator[Any]:
    """A workspace with a high-tier system, its model version and biased fairness evidence."""
    from assay import governance as g

    ws = g.init_workspace(tmp_path / "proj", db_url=db_url, user="ada")
    g.add_system(ws, SYSTEM, purpose="Scores loans", owner="ada", risk_tier="high")
    g.add_model_version(ws, SYSTEM, "1.0", name="clf", registry_uri="models:/clf/1")
    biased = predictions(tmp_path / "biased.csv", rate_a=0.5, rate_b=0.2)
    g.record_evaluation(
        ws, fairness_payload(biased), kind="fairness", system=SYSTEM, model_version=MODEL
    )
    yield ws
    ws.close()
