"""MLflow: a real tracking server on loopback, a real scikit-learn model registered in it over HTTP,
read back, registered in the inventory, gated (library and CLI) and Assay's results logged back.

The server is ``mlflow server`` (full ``mlflow``; the ``[mlflow]`` extra's ``mlflow-skinny`` is
only the client) with a SQLite backend and artifacts proxied by the server into a temporary folder.
One test uses it, in stages, so that it starts once: with pytest 9.2, pytest-xdist 3.8's
``xdist_group`` no longer keeps a module's tests on one worker, and each worker would start its own.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

mlflow = pytest.importorskip("mlflow", reason="the [mlflow] extra is not installed")
# The gate tests' helpers (a small policy), importable from any test folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gate"))

#: A loaded 2-core machine needs ~15 s to import MLflow's server and migrate its database; allow
#: far more before calling it a failure.
STARTUP_TIMEOUT = 240.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class _Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def wait(self) -> str:
        """Block until ``/health`` answers; the URL."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(self.url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-3000:]
                pytest.fail(f"mlflow server did not come up on {self.url}:\n{tail}")
            time.sleep(0.25)
        return self.url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Server]:
    """``mlflow server`` starting on a free loopback port; stopped (its process group) after."""
    try:
        importlib.metadata.distribution("mlflow")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(
            "the MLflow tracking server needs the full mlflow package (pip install mlflow); only "
            "the client (mlflow-skinny) is installed"
        )
    exe = Path(sys.executable).parent / "mlflow"
    if not exe.is_file():
        pytest.skip(f"mlflow's server entry point is not installed ({exe} is missing)")
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    # No job runner: it would fork a pool of huey consumers these tests never use.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with (root / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(exe), "server", "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
             "--artifacts-destination", str(root / "artifacts"), "--host", "127.0.0.1",
             "--port", str(port), "--workers", "1"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    try:
        yield _Server(f"http://127.0.0.1:{port}", proc, root / "server.log")
    finally:
        # The whole group (the CLI and its uvicorn worker); SIGKILL when a clean stop is slow.
        for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


@dataclass(frozen=True)
class Registered:
    url: str
    run_id: str
    x: np.ndarray
    sex: np.ndarray
    y: np.ndarray
    y_pred: np.ndarray


@pytest.fixture(scope="module")
def registered(server: _Server) -> Registered:
    """A scikit-learn model trained, logged with its lineage and registered as models:/clf/1.

    The imports and the training run while the server starts.
    """
    import mlflow.sklearn
    import pandas as pd
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    sex = np.array(["a", "b"] * 200)
    # Group b's scores are shifted down, so the model selects it less often.
    x = rng.random(400) - np.where(sex == "b", 0.25, 0.0)
    frame = pd.DataFrame({"x": x, "sex": sex})
    y = (rng.random(400) < x).astype(int)
    model = LogisticRegression().fit(frame[["x"]], y)
    url = server.wait()
    # The fluent API's tracking URI is process-wide: set only while logging, so that the tests
    # (and the CLI they run) follow MLFLOW_TRACKING_URI as a fresh process would.
    with _use_tracking_uri(url), mlflow.start_run() as run:
        mlflow.log_param("C", model.C)
        mlflow.set_tag("mlflow.source.git.commit", "ab" * 20)
        mlflow.log_input(mlflow.data.from_pandas(frame, name="loans-train"), context="training")
        mlflow.sklearn.log_model(
            model, name="model", registered_model_name="clf",
            pip_requirements=["scikit-learn"],  # no requirement inference: it is slow
        )  # fmt: skip
    return Registered(url, run.info.run_id, x, sex, y, model.predict(frame[["x"]]))


def _read_register_gate_and_log_back(
    registered: Registered, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow.sklearn
    import pandas as pd
    from gate_support import write_policy

    from assay import governance as g
    from assay.evaluate import fairness
    from assay.gate import run_gate
    from assay.integrations import log_to_mlflow_run, read_mlflow_model

    monkeypatch.setenv("MLFLOW_TRACKING_URI", registered.url)
    model = read_mlflow_model("models:/clf/1")
    assert (model.name, model.version, model.run_id) == ("clf", "1", registered.run_id)
    assert model.uri == "models:/clf/1"
    assert model.git_commit == "ab" * 20
    assert model.params == {"C": "1.0"}
    (dataset,) = model.datasets
    assert dataset["name"] == "loans-train"
    assert dataset["digest"]

    # The registered artifact is the real model: loaded back over HTTP it predicts the same.
    loaded = mlflow.sklearn.load_model("models:/clf/1")
    y_pred = loaded.predict(pd.DataFrame({"x": registered.x}))
    np.testing.assert_array_equal(y_pred, registered.y_pred)
    rate = {s: float(y_pred[registered.sex == s].mean()) for s in ("a", "b")}
    assert rate["a"] - rate["b"] > 0.1  # the policy's limit: the gate must fail it

    data = tmp_path / "scored.csv"
    pd.DataFrame({"y": registered.y, "pred": y_pred, "sex": registered.sex}).to_csv(
        data, index=False
    )
    result_payload = fairness(data, y_true="y", y_pred="pred", sensitive_features="sex").to_dict()
    ws = g.init_workspace(tmp_path / "proj", user="ada")
    try:
        g.add_system(ws, "loans", purpose="Scores loans", owner="ada", risk_tier="high")
        result, _ = run_gate(
            ws, policy=write_policy(tmp_path / "p.yaml"), system="loans",
            model_uri="models:/clf/1", results=[result_payload], rules=("fairness",),
        )  # fmt: skip
        assert result.model_version == "clf@1"
        assert [o.rule for o in result.failures] == ["fairness.demographic_parity_difference"]
        (mv,) = g.list_model_versions(ws, "loans")
        assert mv.registry_uri == "models:/clf/1"
        assert mv.code_commit == "ab" * 20
        assert json.loads(mv.notes or "{}")["mlflow_run_id"] == registered.run_id
    finally:
        ws.close()

    report = tmp_path / "gate.json"
    report.write_text(json.dumps(result.to_dict()))
    log_to_mlflow_run(
        registered.run_id,
        metrics={"assay.gate.failed": len(result.failures), "assay dpd (sex)": 0.25},
        artifacts=[report],
    )
    client = mlflow.MlflowClient(registered.url)
    metrics = client.get_run(registered.run_id).data.metrics
    assert metrics["assay.gate.failed"] == 1.0
    assert metrics["assay dpd _sex_"] == 0.25  # parentheses are not allowed in MLflow keys
    names = [a.path for a in client.list_artifacts(registered.run_id, "assay")]
    assert names == ["assay/gate.json"]
    fetched = client.download_artifacts(registered.run_id, "assay/gate.json", str(tmp_path))
    assert json.loads(Path(fetched).read_text())["decision"] == "fail"


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    from assay.cli import main

    monkeypatch.setattr(sys, "argv", ["assay", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def _cli_gate_by_model_uri(
    registered: Registered,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from gate_support import fairness_payload, predictions, write_policy

    from assay import governance as g

    monkeypatch.setenv("MLFLOW_TRACKING_URI", registered.url)
    ws = g.init_workspace(tmp_path, user="ada")
    g.add_system(ws, "loans", purpose="Scores loans", owner="ada", risk_tier="high")
    ws.close()
    fair = tmp_path / "fair.json"
    fair.write_text(json.dumps(fairness_payload(predictions(tmp_path / "f.csv", rate_a=0.3,
                                                            rate_b=0.3))))  # fmt: skip
    policy = str(write_policy(tmp_path / "p.yaml"))
    base = ["gate", "--policy", policy, "--rules", "fairness", "--workspace", str(tmp_path)]

    code = _cli(monkeypatch, *base, "--system", "loans", "--model-uri", "models:/clf/1",
                str(fair), "--json")  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert (out["system"], out["model_version"], out["decision"]) == ("loans", "clf@1", "pass")
    # Registered from MLflow on the first run; found in the inventory on the next.
    assert _cli(monkeypatch, *base, "--model-uri", "models:/clf/1", str(fair), "--json") == 0
    capsys.readouterr()

    # An unknown version and an unreachable server are errors (exit 2), never a pass.
    assert _cli(monkeypatch, *base, "--system", "loans", "--model-uri", "models:/clf/9",
                str(fair)) == 2  # fmt: skip
    assert "models:/clf/9" in capsys.readouterr().err
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    assert _cli(monkeypatch, *base, "--system", "loans", "--model-uri", "models:/clf/2",
                str(fair)) == 2  # fmt: skip
    assert "127.0.0.1:9" in capsys.readouterr().err


def test_tracking_server_end_to_end(
    registered: Registered,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from assay.errors import NotFoundError
    from assay.integrations import read_mlflow_model

    (tmp_path / "library").mkdir()
    (tmp_path / "cli").mkdir()
    _read_register_gate_and_log_back(registered, tmp_path / "library", monkeypatch)
    _cli_gate_by_model_uri(registered, tmp_path / "cli", monkeypatch, capsys)
    with pytest.raises(NotFoundError, match="models:/clf/9"):
        read_mlflow_model("models:/clf/9", tracking_uri=registered.url)


def test_bad_uri_and_unreachable_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.errors import AssayError, InputError
    from assay.integrations import read_mlflow_model

    with pytest.raises(InputError, match="models:/NAME/VERSION"):
        read_mlflow_model("runs:/abc/model", tracking_uri="http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with pytest.raises(AssayError, match=r"127\.0\.0\.1:9"):
        read_mlflow_model("models:/clf/1", tracking_uri="http://127.0.0.1:9")
