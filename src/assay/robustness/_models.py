"""Model adapters: one interface over scikit-learn files, MLflow, ONNX and HTTP scoring endpoints.

Every adapter predicts a whole batch at once (a Polars frame of feature columns) and returns the
positive-class score when the model has one, and the predicted labels. Loading is explicit about
trust: a pickle or joblib file runs code while it loads, so Assay records the file's sha256 and
warns every time. Optional back ends (``onnxruntime``, ``mlflow``) are imported only when a model
of that kind is loaded.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import polars as pl

from assay.errors import AssayWarning, InputError, NotFoundError
from assay.integrations import RefusedError, Transient, request_once

PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
ONNX_SUFFIXES = (".onnx",)
MLFLOW_SCHEMES = ("models:/", "runs:/", "mlflow:")

PICKLE_WARNING = (
    "Loading '{path}' runs code stored in the file (pickle/joblib). Load models only from files "
    "you trust; Assay records the file's sha256 ({digest}) so the run can be traced to the exact "
    "file."
)


class PickleWarning(AssayWarning):
    """A model was loaded from a pickle or joblib file, which executes code on load."""


class ModelCallError(Exception):
    """The model (or its endpoint) failed on a batch; ``timeout`` says whether it timed out."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


@dataclass(frozen=True)
class Predictions:
    """What a model said about a batch: the positive-class score (if any) and the labels."""

    score: npt.NDArray[np.float64] | None
    label: npt.NDArray[Any] | None
    classes: tuple[Any, ...] | None = None
    """The labels of the two probability columns; ``score`` is the second one's."""


@dataclass(frozen=True)
class ModelInfo:
    """Where a model came from, recorded in every result's provenance."""

    kind: str
    source: str
    sha256: str | None = None
    model_class: str | None = None
    features: tuple[str, ...] | None = None
    classes: tuple[Any, ...] | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The plain-JSON form stored in results."""
        return {
            "kind": self.kind,
            "source": self.source,
            "sha256": self.sha256,
            "model_class": self.model_class,
            "features": list(self.features) if self.features is not None else None,
            "classes": [_plain(c) for c in self.classes] if self.classes is not None else None,
            "notes": list(self.notes),
        }


@runtime_checkable
class Model(Protocol):
    """A binary classifier Assay can probe: it scores whole batches, never one row at a time."""

    info: ModelInfo
    batch_size: int

    def predict_batch(self, frame: pl.DataFrame) -> Predictions:
        """Predict every row of ``frame`` (feature columns only) in one call."""
        ...


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def file_sha256(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def _to_pandas(frame: pl.DataFrame) -> Any:
    """A pandas frame for scikit-learn: text columns become ``category`` (what most tabular
    pipelines, and HistGradientBoosting with ``categorical_features="from_dtype"``, expect)."""
    pdf = frame.to_pandas()
    for name, dtype in frame.schema.items():
        if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            pdf[name] = pdf[name].astype("category")
    return pdf


@dataclass
class SklearnModel:
    """A scikit-learn estimator or pipeline (or anything with ``predict_proba``/``predict``)."""

    estimator: Any
    info: ModelInfo
    batch_size: int = 50_000
    categorical: str = "category"

    @classmethod
    def wrap(cls, estimator: Any, *, source: str = "in-memory estimator") -> SklearnModel:
        """Wrap an estimator object that is already loaded."""
        if not (hasattr(estimator, "predict_proba") or hasattr(estimator, "predict")):
            raise InputError(
                f"The model is a {type(estimator).__module__}.{type(estimator).__qualname__}, "
                "which has neither predict_proba nor predict; pass a fitted classifier or pipeline."
            )
        names = getattr(estimator, "feature_names_in_", None)
        classes = getattr(estimator, "classes_", None)
        info = ModelInfo(
            kind="sklearn",
            source=source,
            model_class=f"{type(estimator).__module__}.{type(estimator).__qualname__}",
            features=tuple(str(n) for n in names) if names is not None else None,
            classes=tuple(classes.tolist()) if classes is not None else None,
        )
        return cls(estimator, info)

    def predict_batch(self, frame: pl.DataFrame) -> Predictions:
        """Score a batch with ``predict_proba`` when the estimator has it, else ``predict``."""
        data = _to_pandas(frame) if self.categorical == "category" else frame.to_pandas()
        try:
            if hasattr(self.estimator, "predict_proba"):
                proba = np.asarray(self.estimator.predict_proba(data), dtype=np.float64)
                return _from_proba(proba, self.info.classes)
            return Predictions(None, np.asarray(self.estimator.predict(data)))
        except Exception as exc:
            raise ModelCallError(f"{type(exc).__name__}: {exc}") from exc


def _from_proba(proba: npt.NDArray[np.float64], classes: Sequence[Any] | None) -> Predictions:
    if proba.ndim != 2 or proba.shape[1] != 2:
        raise ModelCallError(
            f"The model returned probabilities of shape {proba.shape}; Assay probes binary "
            "classifiers (two columns)."
        )
    names = tuple(classes) if classes is not None else (0, 1)
    labels = np.asarray(names, dtype=object)
    return Predictions(proba[:, 1].copy(), labels[(proba[:, 1] >= 0.5).astype(np.int64)], names)


def load_pickle(path: Path) -> SklearnModel:
    """Load a joblib or pickle file, warning that it runs code, and record its sha256."""
    digest = file_sha256(path)
    warnings.warn(PICKLE_WARNING.format(path=path, digest=digest), PickleWarning, stacklevel=3)
    try:
        if path.suffix.lower() == ".joblib":
            import joblib

            estimator = joblib.load(path)
        else:
            with path.open("rb") as fh:
                estimator = pickle.load(fh)
    except ImportError as exc:
        raise InputError(
            f"'{path.name}' needs a module that is not installed to load: {exc}. Install the "
            "packages the model was trained with."
        ) from None
    except Exception as exc:
        raise InputError(
            f"'{path}' is not a model Assay can load: unpickling failed with "
            f"{type(exc).__name__}: {exc}. Pass a scikit-learn estimator saved with joblib.dump "
            "or pickle.dump, an .onnx file, an MLflow model URI or an http(s) scoring URL."
        ) from None
    model = SklearnModel.wrap(estimator, source=str(path))
    model.info = ModelInfo(
        kind="sklearn",
        source=str(path),
        sha256=digest,
        model_class=model.info.model_class,
        features=model.info.features,
        classes=model.info.classes,
        notes=(
            "loaded from a pickle/joblib file: it ran code on load; trust it only if you trust "
            "its origin",
        ),
    )
    return model


@dataclass
class OnnxModel:
    """An ONNX graph run with onnxruntime (the ``[onnx]`` extra).

    Graphs with one input per column (what ``skl2onnx`` makes for a mixed-type pipeline) take the
    columns by name; a graph with a single 2-D float input takes the features in ``features``
    order.
    """

    session: Any
    info: ModelInfo
    batch_size: int = 50_000
    _inputs: list[tuple[str, str, int]] = field(default_factory=list)

    def predict_batch(self, frame: pl.DataFrame) -> Predictions:
        """Run the graph on a batch; the probability output wins over the label output."""
        feeds: dict[str, Any] = {}
        try:
            if len(self._inputs) == 1 and self.info.features and len(self.info.features) > 1:
                name, kind, _ = self._inputs[0]
                feeds[name] = frame.select(self.info.features).to_numpy().astype(_np_type(kind))
            else:
                for name, kind, _ in self._inputs:
                    col = frame.get_column(name)
                    if "string" in kind:
                        values = col.cast(pl.String).fill_null("").to_numpy().astype(object)
                    else:
                        values = col.cast(pl.Float64).fill_null(np.nan).to_numpy()
                        values = values.astype(_np_type(kind))
                    feeds[name] = values.reshape(-1, 1)
            outputs = self.session.run(None, feeds)
        except Exception as exc:
            raise ModelCallError(f"{type(exc).__name__}: {exc}") from exc
        names = [o.name for o in self.session.get_outputs()]
        label = None
        for out_name, value in zip(names, outputs, strict=True):
            if isinstance(value, list) and value and isinstance(value[0], dict):
                keys = list(value[0])
                proba = np.array([[row[k] for k in keys] for row in value], dtype=np.float64)
                return _from_proba(proba, tuple(keys))
            arr = np.asarray(value)
            if "prob" in out_name.lower() and arr.ndim == 2:
                return _from_proba(arr.astype(np.float64), self.info.classes)
            if arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1):
                label = arr.reshape(-1)
        return Predictions(None, label)


def _np_type(onnx_type: str) -> Any:
    if "double" in onnx_type:
        return np.float64
    if "int64" in onnx_type:
        return np.int64
    if "int32" in onnx_type:
        return np.int32
    if "string" in onnx_type:
        return object
    return np.float32


def load_onnx(path: Path, *, features: Sequence[str] | None = None) -> OnnxModel:
    """Open an ONNX file with onnxruntime."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise InputError(
            f"'{path.name}' is an ONNX model; install the extra with "
            "`pip install 'assay-rai[onnx]'` to run it."
        ) from None
    digest = file_sha256(path)
    try:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise InputError(
            f"'{path}' is not an ONNX model onnxruntime can load: {type(exc).__name__}: {exc}"
        ) from None
    inputs = [(i.name, str(i.type), len(i.shape or [])) for i in session.get_inputs()]
    names: tuple[str, ...] | None
    if len(inputs) == 1 and features:
        names = tuple(features)
    elif len(inputs) == 1:
        names = None
    else:
        names = tuple(i[0] for i in inputs)
    meta = session.get_modelmeta()
    return OnnxModel(
        session,
        ModelInfo(
            kind="onnx",
            source=str(path),
            sha256=digest,
            model_class=f"ONNX graph ({meta.producer_name or 'unknown producer'})",
            features=names,
            classes=None,
        ),
        _inputs=inputs,
    )


@dataclass
class MlflowModel:
    """An MLflow pyfunc model (the ``[mlflow]`` extra), loaded from a URI or a local folder."""

    pyfunc: Any
    info: ModelInfo
    batch_size: int = 50_000

    def predict_batch(self, frame: pl.DataFrame) -> Predictions:
        """Call the pyfunc's ``predict`` on a pandas copy of the batch."""
        try:
            out = self.pyfunc.predict(frame.to_pandas())
        except Exception as exc:
            raise ModelCallError(f"{type(exc).__name__}: {exc}") from exc
        return _from_output(out, self.info.classes)


def load_mlflow(uri: str) -> MlflowModel:
    """Load ``models:/name/version``, ``runs:/id/path``, ``mlflow:<path>`` or an MLmodel folder."""
    try:
        import mlflow.pyfunc
    except ImportError:
        raise InputError(
            f"'{uri}' is an MLflow model; install the extra with `pip install 'assay-rai[mlflow]'`."
        ) from None
    target = uri.removeprefix("mlflow:")
    try:
        pyfunc = mlflow.pyfunc.load_model(target)
    except Exception as exc:
        raise InputError(f"MLflow could not load '{uri}': {type(exc).__name__}: {exc}") from None
    meta = getattr(pyfunc, "metadata", None)
    features: tuple[str, ...] | None = None
    signature = getattr(meta, "signature", None)
    if signature is not None and signature.inputs is not None:
        try:
            features = tuple(signature.inputs.input_names())
        except Exception:
            features = None
    run_id = getattr(meta, "run_id", None)
    model_uuid = getattr(meta, "model_uuid", None)
    return MlflowModel(
        pyfunc,
        ModelInfo(
            kind="mlflow",
            source=uri,
            sha256=None,
            model_class=f"mlflow pyfunc (run {run_id or 'unknown'}, model {model_uuid or '?'})",
            features=features,
            notes=("MLflow model: identified by its URI, run id and model uuid",),
        ),
    )


@dataclass
class HttpModel:
    """A scoring endpoint that takes JSON batches, in the MLflow serving format.

    Each request is ``POST <url>`` with ``{"dataframe_split": {"columns": [...], "data":
    [[...], ...]}}``; the answer is ``{"predictions": [...]}`` (or a bare list) holding, per row,
    a positive-class score (a float), a label, or a list of class probabilities.
    """

    url: str
    info: ModelInfo
    batch_size: int = 1000
    timeout: float = 30.0
    headers: dict[str, str] = field(default_factory=dict)

    def predict_batch(self, frame: pl.DataFrame) -> Predictions:
        """POST one batch and parse the answer."""
        # JSON has no NaN: missing numbers travel as null, like every other missing value
        clean = frame.with_columns(pl.col(pl.Float32, pl.Float64).fill_nan(None))
        body = json.dumps(
            {"dataframe_split": {"columns": clean.columns, "data": clean.rows()}},
            allow_nan=False,
            default=str,
        ).encode("utf-8")
        headers = {"Content-Type": "application/json", **self.headers}
        try:
            _, raw = request_once(self.url, body, headers=headers, timeout=self.timeout)
            payload = json.loads(raw.decode("utf-8"))
        except Transient as exc:
            if exc.timed_out:
                raise ModelCallError(
                    f"the endpoint did not answer within {self.timeout:g} s", timeout=True
                ) from exc
            raise ModelCallError(f"the endpoint failed: {exc.reason}") from exc
        except RefusedError as exc:
            raise ModelCallError(f"the endpoint answered {exc}") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelCallError(f"the endpoint's answer is not JSON: {exc}") from exc
        out = payload.get("predictions") if isinstance(payload, dict) else payload
        if not isinstance(out, list) or len(out) != frame.height:
            got = len(out) if isinstance(out, list) else type(out).__name__
            raise ModelCallError(
                f"the endpoint returned {got} predictions for {frame.height} rows; expected "
                '{"predictions": [one per row]}'
            )
        return _from_output(out, self.info.classes)


def _from_output(out: Any, classes: Sequence[Any] | None) -> Predictions:
    """Scores, labels or probability rows from a pyfunc or endpoint answer."""
    if hasattr(out, "to_numpy"):
        out = out.to_numpy()
    arr = np.asarray(out, dtype=object)
    if arr.ndim == 2:
        if arr.shape[1] == 1:
            arr = arr.reshape(-1)
        else:
            return _from_proba(arr.astype(np.float64), classes)
    if arr.size and all(isinstance(v, float | np.floating) for v in arr[:1000]):
        score = arr.astype(np.float64)
        if np.all((score >= 0) & (score <= 1)) and not np.all(np.isin(score, (0.0, 1.0))):
            names = tuple(classes) if classes is not None else (0, 1)
            labels = np.asarray(names, dtype=object)
            return Predictions(score, labels[(score >= 0.5).astype(np.int64)], names)
    return Predictions(None, arr)


def load_model(
    model: Any,
    *,
    features: Sequence[str] | None = None,
    batch_size: int | None = None,
    timeout: float = 30.0,
    classes: Sequence[Any] | None = None,
) -> Model:
    """Turn a path, URI, URL or estimator object into a :class:`Model`.

    Parameters
    ----------
    model
        ``.joblib``/``.pkl``/``.pickle`` (scikit-learn, with a :class:`PickleWarning`), ``.onnx``
        (onnxruntime), ``models:/...``, ``runs:/...``, ``mlflow:<path>`` or a folder holding an
        ``MLmodel`` file (MLflow pyfunc), ``http(s)://...`` (a JSON scoring endpoint), an object
        with ``predict_proba`` or ``predict``, or a :class:`Model` (returned as it is).
    features
        The model's input columns, in order, when the model does not say.
    batch_size
        Rows per call; each adapter has a default (50,000 in-process, 1,000 over HTTP).
    timeout
        Seconds to wait for an HTTP endpoint's answer to one batch.
    classes
        The class labels, for endpoints and ONNX graphs that return bare probability rows.

    Raises
    ------
    NotFoundError
        The file does not exist.
    InputError
        The file is not a model of a kind Assay can load, or an extra is missing.
    """
    loaded = _adapter(model, features=features, timeout=timeout, classes=classes)
    if batch_size is not None:
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}.")
        loaded.batch_size = batch_size
    if features and loaded.info.features is None:
        loaded.info = _with_features(loaded.info, tuple(features))
    return loaded


def _adapter(
    model: Any,
    *,
    features: Sequence[str] | None,
    timeout: float,
    classes: Sequence[Any] | None,
) -> Model:
    """The adapter for what ``model`` is: a Model, a URL, an MLflow URI, a path or an object."""
    if isinstance(model, Model):
        return model
    if isinstance(model, str) and model.startswith(("http://", "https://")):
        return HttpModel(
            model,
            ModelInfo(
                kind="http",
                source=model,
                features=tuple(features) if features else None,
                classes=tuple(classes) if classes else None,
                notes=("HTTP endpoint: identified by its URL only; pin the served version",),
            ),
            timeout=timeout,
        )
    if isinstance(model, str) and model.startswith(MLFLOW_SCHEMES):
        return load_mlflow(model)
    if isinstance(model, str | Path):
        return _from_path(Path(model), features)
    if callable(getattr(model, "predict_proba", None)) or callable(getattr(model, "predict", None)):
        return SklearnModel.wrap(model)
    raise InputError(
        f"model of type {type(model).__qualname__} is not something Assay can score; pass a "
        "path, a URI, a URL or a fitted estimator."
    )


def _from_path(path: Path, features: Sequence[str] | None) -> Model:
    """A model file (pickle or ONNX) or an MLflow model folder, told apart by suffix."""
    if not path.exists():
        raise NotFoundError(f"The model file '{path}' does not exist.")
    if path.is_dir():
        if (path / "MLmodel").exists():
            return load_mlflow(str(path))
        raise InputError(
            f"'{path}' is a folder without an MLmodel file; pass a model file "
            "(.joblib, .pkl, .onnx) or an MLflow model folder."
        )
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return load_pickle(path)
    if path.suffix.lower() in ONNX_SUFFIXES:
        return load_onnx(path, features=features)
    raise InputError(
        f"Cannot tell what kind of model '{path.name}' is from its suffix "
        f"'{path.suffix or '(none)'}'. Assay loads .joblib/.pkl/.pickle (scikit-learn), "
        ".onnx, MLflow URIs (models:/, runs:/, mlflow:) and http(s) scoring URLs."
    )


def _with_features(info: ModelInfo, features: tuple[str, ...]) -> ModelInfo:
    return ModelInfo(
        kind=info.kind,
        source=info.source,
        sha256=info.sha256,
        model_class=info.model_class,
        features=features,
        classes=info.classes,
        notes=info.notes,
    )


PredictFn = Callable[[pl.DataFrame], Predictions]
