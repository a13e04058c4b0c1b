"""Model adapters: scikit-learn files (hash and warning), ONNX, MLflow, HTTP endpoints."""

from __future__ import annotations

import hashlib
import json
import pickle
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import polars as pl
import pytest

from assay.errors import InputError, NotFoundError
from assay.robustness import PickleWarning, load_model, run_robustness
from assay.robustness._models import ModelCallError

FEATURES = ["x1", "x2", "colour", "age", "sex"]


def test_joblib_file_records_sha256_and_warns(files: dict[str, Path], data: pl.DataFrame) -> None:
    with pytest.warns(PickleWarning, match="runs code"):
        model = load_model(files["model"])
    digest = hashlib.sha256(files["model"].read_bytes()).hexdigest()
    assert model.info.sha256 == f"sha256:{digest}"
    assert model.info.kind == "sklearn"
    assert list(model.info.features or []) == FEATURES
    pred = model.predict_batch(data.select(FEATURES).head(5))
    assert pred.score is not None
    assert pred.score.shape == (5,)


def test_a_text_file_is_not_a_model(tmp_path: Path) -> None:
    bad = tmp_path / "model.joblib"
    bad.write_text("this is not a model")
    with pytest.warns(PickleWarning), pytest.raises(InputError, match="is not a model Assay can"):
        load_model(bad)


def test_a_pickled_dict_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "thing.pkl"
    path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.warns(PickleWarning), pytest.raises(InputError, match="neither predict_proba"):
        load_model(path)


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    other = tmp_path / "model.txt"
    other.write_text("x")
    with pytest.raises(InputError, match="Cannot tell what kind of model"):
        load_model(other)
    with pytest.raises(NotFoundError):
        load_model(tmp_path / "absent.joblib")


def test_onnx_model_matches_scikit_learn(tmp_path: Path, data: pl.DataFrame) -> None:
    pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    x = data.select("x1", "x2", "age").to_numpy().astype(np.float32)
    clf = LogisticRegression().fit(x, data["y"].to_numpy())
    onx = skl2onnx.convert_sklearn(
        clf,
        initial_types=[("input", FloatTensorType([None, 3]))],
        options={id(clf): {"zipmap": False}},
    )
    path = tmp_path / "model.onnx"
    path.write_bytes(onx.SerializeToString())
    model = load_model(path, features=["x1", "x2", "age"])
    assert model.info.kind == "onnx"
    assert model.info.sha256 == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    pred = model.predict_batch(data.select("x1", "x2", "age"))
    assert pred.score is not None
    np.testing.assert_allclose(pred.score, clf.predict_proba(x)[:, 1], atol=1e-5)


def test_a_corrupt_onnx_file_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x00\x01 not a graph")
    with pytest.raises(InputError, match="not an ONNX model"):
        load_model(path)


def test_mlflow_pyfunc_folder_and_uri(tmp_path: Path, data: pl.DataFrame, pipeline: Any) -> None:
    mlflow_sklearn = pytest.importorskip("mlflow.sklearn")
    folder = tmp_path / "mlmodel"
    mlflow_sklearn.save_model(
        pipeline, str(folder), serialization_format="cloudpickle", pyfunc_predict_fn="predict_proba"
    )
    for spec in (folder, f"mlflow:{folder}"):
        model = load_model(spec)
        assert model.info.kind == "mlflow"
        pred = model.predict_batch(data.select(FEATURES).head(50))
        expected = pipeline.predict_proba(data.select(FEATURES).head(50).to_pandas())[:, 1]
        assert pred.score is not None
        np.testing.assert_allclose(pred.score, expected, atol=1e-12)


class _Scoring(BaseHTTPRequestHandler):
    """MLflow-style scoring: {"dataframe_split": ...} in, {"predictions": [...]} out."""

    model: Any = None
    requests: ClassVar[list[int]] = []
    #: When true, a request with missing values waits for ``released`` (set as the server stops):
    #: it never answers while the test runs, so a client timeout fires whatever the load.
    hold_missing = False
    released = threading.Event()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        split = body["dataframe_split"]
        frame = pd.DataFrame(split["data"], columns=split["columns"])
        type(self).requests.append(len(frame))
        if self.hold_missing and frame.isna().to_numpy().any():
            self.released.wait(120)
        if self.path == "/fail" or frame.isna().to_numpy().any():
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"boom")
            return
        scores = self.model.predict_proba(frame)[:, 1].tolist()
        out = json.dumps({"predictions": scores}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server(pipeline: Any) -> Iterator[tuple[str, type[_Scoring]]]:
    released = threading.Event()
    handler = type(
        "Handler", (_Scoring,), {"model": pipeline, "requests": [], "released": released}
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        released.set()
        httpd.shutdown()
        httpd.server_close()


def test_http_endpoint_scores_in_batches(
    server: tuple[str, type[_Scoring]], data: pl.DataFrame, pipeline: Any
) -> None:
    url, handler = server
    model = load_model(f"{url}/invocations", features=FEATURES, batch_size=300)
    frame = data.select(FEATURES).head(1000)
    from assay.robustness._scoring import _Scorer

    scored = _Scorer(model, 1, None).score(frame)
    assert not scored.failed.any()
    assert handler.requests == [300, 300, 300, 100]
    expected = pipeline.predict_proba(frame.to_pandas())[:, 1]
    assert scored.score is not None
    np.testing.assert_allclose(scored.score, expected, atol=1e-12)


def test_http_error_is_reported(server: tuple[str, type[_Scoring]], data: pl.DataFrame) -> None:
    url, _ = server
    model = load_model(f"{url}/fail", features=FEATURES)
    with pytest.raises(ModelCallError, match="HTTP 500"):
        model.predict_batch(data.select(FEATURES).head(3))


def test_an_endpoint_that_does_not_answer_times_out(
    server: tuple[str, type[_Scoring]], data: pl.DataFrame
) -> None:
    url, handler = server
    handler.hold_missing = True
    model = load_model(f"{url}/invocations", features=FEATURES, timeout=0.3)
    frame = data.select(FEATURES).head(3).with_columns(pl.lit(None, pl.Float64).alias("x1"))
    with pytest.raises(ModelCallError, match=r"did not answer within 0\.3 s") as info:
        model.predict_batch(frame)
    assert info.value.timeout


class _TimesOutOnMissing:
    """The real pipeline, except that a batch with a missing value fails as a timed-out endpoint
    does: the fault is injected by the data, not by racing a clock."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.info = inner.info
        self.batch_size = 1000

    def predict_batch(self, frame: pl.DataFrame) -> Any:
        if any(frame.get_column(c).has_nulls() for c in frame.columns) or any(
            frame.get_column(c).is_nan().any() for c in frame.columns if frame[c].dtype.is_float()
        ):
            raise ModelCallError("the endpoint did not answer within 1.5 s", timeout=True)
        return self.inner.predict_batch(frame)


def test_a_timed_out_probe_errors_and_the_run_finishes(files: dict[str, Path]) -> None:
    with pytest.warns(PickleWarning):
        model = _TimesOutOnMissing(load_model(files["model"]))
    result = run_robustness(
        model,
        files["data"],
        y_true="y",
        sensitive_features="sex",
        features=FEATURES,
        scenario={"probes": [{"kind": "gaussian_noise"}, {"kind": "missing_values"}]},
    )
    noise, missing = result.probes
    assert noise["status"] == "ok", noise["error"]
    assert missing["status"] == "errored"
    assert "did not answer within 1.5 s" in missing["error"]
    assert result.outcome == "error"
