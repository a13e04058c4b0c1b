"""AI systems, dataset versions, model versions and components."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from gov_helpers import DIGEST, credit_system

from assay import governance as g
from assay.errors import ConflictError, InputError, NotFoundError


def test_system_lifecycle(ws: g.Workspace) -> None:
    s = g.add_system(ws, "credit", purpose="Scores loans", owner="cy")
    assert (s.risk_tier, s.lifecycle_status, s.generative) == ("unassessed", "development", False)
    with pytest.raises(ConflictError, match="already exists"):
        g.add_system(ws, "credit", purpose="again", owner="cy")
    with pytest.raises(InputError, match="lifecycle status"):
        g.add_system(ws, "other", purpose="p", owner="cy", lifecycle_status="live")
    updated = g.update_system(ws, "credit", lifecycle_status="production", owner="dee")
    assert (updated.lifecycle_status, updated.owner) == ("production", "dee")
    with pytest.raises(InputError, match="valid risk tier"):
        g.update_system(ws, "credit", risk_tier="extreme")
    with pytest.raises(InputError, match="Nothing to change"):
        g.update_system(ws, "credit")
    g.add_system(ws, "chat", purpose="Answers questions", owner="cy", generative=True)
    assert [x.name for x in g.list_systems(ws, lifecycle_status="production")] == ["credit"]
    with pytest.raises(NotFoundError, match="assay system list"):
        g.get_system(ws, "nope")


def test_owners_must_be_users(ws: g.Workspace) -> None:
    with pytest.raises(InputError, match=r"The owner 'nobody' is not a user of this workspace"):
        g.add_system(ws, "credit", purpose="Scores loans", owner="nobody")
    g.add_system(ws, "credit", purpose="Scores loans", owner="cy")
    with pytest.raises(InputError, match="assay user add risk-team --role viewer"):
        g.update_system(ws, "credit", owner="risk-team")
    g.add_user(ws, "risk-team", role="viewer")  # a team is a user too
    assert g.update_system(ws, "credit", owner="risk-team").owner == "risk-team"
    g.deactivate_user(ws, "risk-team")
    with pytest.raises(InputError, match="deactivated"):
        g.add_risk(ws, system="credit", title="t", category="mit:1.1", likelihood=2,
                   severity=2, owner="risk-team")  # fmt: skip
    risk = g.add_risk(ws, system="credit", title="t", category="mit:1.1", likelihood=2,
                      severity=2, owner="cy")  # fmt: skip
    with pytest.raises(InputError, match="The risk owner 'nobody'"):
        g.update_risk(ws, risk.ref, owner="nobody")
    with pytest.raises(InputError, match="The action owner 'nobody'"):
        g.add_action(ws, title="fix", owner="nobody", due_date="2030-01-01", risk=risk.ref)
    action = g.add_action(ws, title="fix", owner="cy", due_date="2030-01-01", risk=risk.ref)
    with pytest.raises(InputError, match="The action owner 'nobody'"):
        g.update_action(ws, action.ref, owner="nobody")


def test_evidence_kinds_are_registered_kinds(ws: g.Workspace) -> None:
    with pytest.raises(InputError, match=r"'magic' is not an evidence kind\. Kinds are: fairness"):
        g.add_evidence(ws, kind="magic", data=b"x")
    assert g.add_evidence(ws, kind="pii", data=b"x").kind == "pii_scan"  # an alias is resolved


def test_dataset_and_model_versions(ws: g.Workspace, tmp_path: Path) -> None:
    data = tmp_path / "adult.csv"
    data.write_bytes(b"age,sex\n39,Male\n")
    g.add_system(ws, "credit", purpose="Scores loans", owner="cy")
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
        g.add_evidence(ws, kind="attachment", data=b"x", system="credit", model_version="9")
    with pytest.raises(InputError, match="several model versions"):
        g.add_evidence(ws, kind="attachment", data=b"x", system="credit", model_version="3")
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
