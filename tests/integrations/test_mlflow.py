"""MLflow: a real scikit-learn model registered in a real MLflow store, read back and gated.

The store is MLflow's SQLite backend, used in process: the full ``mlflow`` package (with its Flask
tracking server) is not installed here, only ``mlflow-skinny``, so no tracking server on loopback
is started. An unreachable server is tested against a closed loopback port.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow", reason="the [mlflow] extra is not installed")
# The gate tests' helpers (biased predictions, a small policy), importable from any test folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gate"))


@pytest.fixture
def registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A scikit-learn model trained and registered as models:/clf/1; returns (tracking uri, run)."""
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.random(200), "sex": ["a", "b"] * 100})
    y = (frame["x"] > 0.5).astype(int)
    model = LogisticRegression().fit(frame[["x"]], y)
    (tmp_path / "model.json").write_text(json.dumps({"coef": model.coef_.tolist()}))
    with mlflow.start_run() as run:
        mlflow.log_param("C", model.C)
        mlflow.set_tag("mlflow.source.git.commit", "ab" * 20)
        mlflow.log_input(mlflow.data.from_pandas(frame, name="loans-train"), context="training")
        mlflow.log_artifact(str(tmp_path / "model.json"), artifact_path="model")
    client = mlflow.MlflowClient(uri)
    client.create_registered_model("clf")
    client.create_model_version("clf", f"runs:/{run.info.run_id}/model", run.info.run_id)
    return uri, run.info.run_id


def test_read_register_gate_and_log_back(registered: tuple[str, str], tmp_path: Path) -> None:
    from gate_support import fairness_payload, predictions, write_policy

    from assay import governance as g
    from assay.gate import run_gate
    from assay.integrations import log_to_mlflow_run, read_mlflow_model

    uri, run_id = registered
    model = read_mlflow_model("models:/clf/1")
    assert (model.name, model.version, model.run_id) == ("clf", "1", run_id)
    assert model.git_commit == "ab" * 20
    assert model.params == {"C": "1.0"}
    assert model.datasets[0]["name"] == "loans-train"

    ws = g.init_workspace(tmp_path / "proj", user="ada")
    try:
        g.add_system(ws, "loans", purpose="Scores loans", owner="ada", risk_tier="high")
        biased = fairness_payload(predictions(tmp_path / "b.csv", rate_a=0.5, rate_b=0.2))
        result, _ = run_gate(
            ws, policy=write_policy(tmp_path / "p.yaml"), system="loans",
            model_uri="models:/clf/1", results=[biased], rules=("fairness",),
        )  # fmt: skip
        assert result.model_version == "clf@1"
        assert not result.passed
        (mv,) = g.list_model_versions(ws, "loans")
        assert mv.registry_uri == "models:/clf/1"
        assert mv.code_commit == "ab" * 20
    finally:
        ws.close()

    report = tmp_path / "gate.json"
    report.write_text(json.dumps(result.to_dict()))
    log_to_mlflow_run(
        run_id, metrics={"assay.gate.failed": len(result.failures)}, artifacts=[report]
    )
    run = mlflow.MlflowClient(uri).get_run(run_id)
    assert run.data.metrics["assay.gate.failed"] == 1.0
    names = [a.path for a in mlflow.MlflowClient(uri).list_artifacts(run_id, "assay")]
    assert names == ["assay/gate.json"]


def test_unknown_version_and_unreachable_server(
    registered: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay.errors import AssayError, NotFoundError
    from assay.integrations import read_mlflow_model

    with pytest.raises(NotFoundError, match="models:/clf/9"):
        read_mlflow_model("models:/clf/9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with pytest.raises(AssayError, match=r"127\.0\.0\.1:9"):
        read_mlflow_model("models:/clf/1", tracking_uri="http://127.0.0.1:9")
