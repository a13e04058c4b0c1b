"""AI systems, dataset versions, model versions and components."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from gov_helpers import DIGEST, credit_system

from assay import governance as g
from assay.errors import ConflictError, InputError, NotFoundError


def test_system_lifecycle(ws: g.Workspace) -> None:
    s = g.add_system(ws, "credit", purpose="Scores loans", owner="risk-team")
    assert (s.risk_tier, s.lifecycle_status, s.generative) == ("unassessed", "development", False)
    with pytest.raises(ConflictError, match="already exists"):
        g.add_system(ws, "credit", purpose="again", owner="x")
    with pytest.raises(InputError, match="lifecycle status"):
        g.add_system(ws, "other", purpose="p", owner="o", lifecycle_status="live")
    updated = g.update_system(ws, "credit", lifecycle_status="production", owner="ml-team")
    assert (updated.lifecycle_status, updated.owner) == ("production", "ml-team")
    with pytest.raises(InputError, match="valid risk tier"):
        g.update_system(ws, "credit", risk_tier="extreme")
    with pytest.raises(InputError, match="Nothing to change"):
        g.update_system(ws, "credit")
    g.add_system(ws, "chat", purpose="Answers questions", owner="cx", generative=True)
    assert [x.name for x in g.list_systems(ws, lifecycle_status="production")] == ["credit"]
    with pytest.raises(NotFoundError, match="assay system list"):
        g.get_system(ws, "nope")


def test_dataset_and_model_versions(ws: g.Workspace, tmp_path: Path) -> None:
    data = tmp_path / "adult.csv"
    data.write_bytes(b"age,sex\n39,Male\n")
    g.add_system(ws, "credit", purpose="Scores loans", owner="risk-team")
    d = g.add_dataset_version(ws, "adult", "v1", path=data, columns=["age", "sex"], rows=1)
    assert d.digest == "sha256:" + hashlib.sha256(data.read_bytes()).hexdigest()
    with pytest.raises(InputError, match="hashes to"):
        g.add_dataset_version(ws, "adult", "v2", path=data, digest=DIGEST)
    with pytest.raises(ConflictError, match="immutable"):
        g.add_dataset_version(ws, "adult", "v1", digest=DIGEST)
    g.add_dataset_version(ws, "adult", "v2", digest=DIGEST.upper().replace("SHA256", "sha256"))
    artifact = tmp_path / "model.pkl"
    artifact.write_bytes(b"weights")
    m = g.add_model_version(
        ws, "credit", "3", artifact_path=artifact, training_datasets=["adult@v1", DIGEST]
    )
    assert m.ref == "credit@3"
    assert m.artifact_sha256 == hashlib.sha256(b"weights").hexdigest()
    assert m.training_datasets == ("adult@v1", "adult@v2")
    g.add_model_version(ws, "credit", "3", name="challenger")
    with pytest.raises(NotFoundError, match="assay model-version add credit 9"):
        g.add_evidence(ws, kind="note", data=b"x", system="credit", model_version="9")
    with pytest.raises(InputError, match="several model versions"):
        g.add_evidence(ws, kind="note", data=b"x", system="credit", model_version="3")
    overview = g.show_system(ws, "credit")
    assert [x.ref for x in overview.model_versions] == ["credit@3", "challenger@3"]
    assert [x.ref for x in overview.dataset_versions] == ["adult@v1", "adult@v2"]


def test_components(ws: g.Workspace, tmp_path: Path) -> None:
    credit_system(ws)
    with pytest.raises(InputError, match="not marked generative"):
        g.add_component(ws, "credit", "prompt", "system", "1", details={"x": 1})
    with pytest.raises(InputError, match="'metrics' and 'alerts'"):
        g.add_component(ws, "credit", "monitoring", "drift", "1", details={"metrics": ["psi"]})
    c = g.add_component(
        ws,
        "credit",
        "monitoring",
        "drift",
        "1",
        details={"metrics": ["psi"], "alerts": ["#rai-oncall"]},
    )
    assert c.kind == "monitoring"
    g.update_system(ws, "credit", generative=True)
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("You are a helpful assistant.")
    p = g.add_component(ws, "credit", "prompt", "system", "1", path=prompt)
    assert ws.blobs.read_bytes(str(p.content_sha256)) == prompt.read_bytes()
    assert len(g.show_system(ws, "credit").components) == 2
