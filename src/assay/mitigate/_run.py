"""``mitigate``: run a Fairlearn mitigation (or reweighing) on a model Assay loads, judge it before
and after on held-out rows with Assay's fairness evaluation, and draw its frontier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from assay.errors import InputError, NotFoundError
from assay.evaluate import open_frame
from assay.mitigate._artefact import check_output, describe_artefact, write_artefact
from assay.mitigate._judge import Judge
from assay.mitigate._options import check_options, require_fairlearn
from assay.mitigate._result import MITIGATION_SCHEMA, MitigationPayload, MitigationResult
from assay.robustness import Model, load_model

__all__ = ["Mitigation", "mitigate"]


@dataclass(frozen=True)
class Mitigation:
    """What :func:`mitigate` made: the evidence, and the fitted object at the chosen setting
    (a ThresholdOptimizer, an ExponentiatedGradient, or a refitted estimator)."""

    result: MitigationResult
    artefact: Any


@dataclass(frozen=True)
class _Request:
    """The parameters of :func:`mitigate`, one for one (built from its ``locals()``)."""

    model: Any
    train: Any
    test: Any
    y_true: str
    sensitive_features: str | Sequence[str]
    method: str
    constraint: str
    tolerance: float | None
    tolerances: Sequence[float] | None
    grid_size: int
    limit: float | None
    pos_label: Any
    model_pos_label: Any
    features: Sequence[str] | None
    output: str | Path | None
    n_bootstrap: int
    min_group_size: int
    ci_level: float
    random_state: int

    @property
    def sensitive(self) -> list[str]:
        """The sensitive columns as a list."""
        s = self.sensitive_features
        return [s] if isinstance(s, str) else list(s)


def mitigate(
    model: Any,
    train: Any,
    test: Any,
    *,
    y_true: str,
    sensitive_features: str | Sequence[str],
    method: str = "threshold",
    constraint: str = "demographic_parity",
    tolerance: float | None = None,
    tolerances: Sequence[float] | None = None,
    grid_size: int = 10,
    limit: float | None = None,
    pos_label: Any = None,
    model_pos_label: Any = None,
    features: Sequence[str] | None = None,
    output: str | Path | None = None,
    n_bootstrap: int = 200,
    min_group_size: int = 30,
    ci_level: float = 0.95,
    random_state: int = 0,
) -> Mitigation:
    """Mitigate a model's disparity and judge it before and after on held-out rows.

    Parameters
    ----------
    model
        What :func:`assay.robustness.load_model` loads: a ``.joblib``/``.pkl`` file, ``.onnx``,
        an MLflow URI, an http(s) scoring URL or a fitted estimator. The reductions and
        reweighing methods refit it, so they need a scikit-learn estimator or pipeline.
    train, test
        The rows the method learns from and the held-out rows it is judged on (a path or a
        frame, as :func:`assay.evaluate.fairness` reads them).
    y_true, sensitive_features
        The label column and the sensitive column(s).
    method
        ``threshold`` (per-group thresholds, Fairlearn's ThresholdOptimizer),
        ``exponentiated_gradient``, ``grid_search`` (Fairlearn's reductions) or ``reweighing``
        (Kamiran–Calders weights).
    constraint
        ``demographic_parity``, ``equalized_odds`` or ``true_positive_rate_parity``.
    tolerance, tolerances
        The chosen setting and the settings of the frontier, each in (0, 1]: the constraint's
        tolerance (threshold, exponentiated_gradient) or the reweighing strength.
    grid_size
        Grid points of grid_search (2 to 200).
    limit
        A limit on the disparity: each side then carries the evaluation's verdict.
    pos_label, model_pos_label
        The favourable label in ``y_true`` (needed unless labels are 0/1 or booleans) and the
        model's class for it (default: the same, or 1 / True).
    features
        The model's input columns, when the model does not declare them.
    output
        Write the mitigated model (``.joblib``) or, for threshold, the thresholds (``.json``).
    n_bootstrap, min_group_size, ci_level, random_state
        As in :func:`assay.evaluate.fairness`; ``random_state`` also seeds the randomized
        predictions of threshold and exponentiated_gradient.

    Returns
    -------
    Mitigation

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> g = rng.choice(["a", "b"], 800)
    >>> x = rng.normal(size=800) + (g == "b")
    >>> df = pl.DataFrame({"x": x, "g": g, "y": (x + rng.normal(size=800) > 0.5).astype(int)})
    >>> model = LogisticRegression().fit(df[:400].select("x").to_pandas(), df[:400]["y"])
    >>> done = mitigate(model, df[:400], df[400:], y_true="y", sensitive_features="g",
    ...                 tolerance=0.05, tolerances=[0.05, 0.1])
    >>> done.result.schema, done.result.to_dict()["chosen"]["label"]
    ('assay.mitigation/v1', 'tolerance 0.05')
    >>> done.result.after["disparity"]["value"] < done.result.before["disparity"]["value"]
    True
    """
    return _run(_Request(**locals()))


def _run(req: _Request) -> Mitigation:
    """Check, load, fit every setting, judge, write."""
    require_fairlearn()
    from assay.mitigate._fit import FitData, fit_candidates, refittable

    options = check_options(
        req.method, req.constraint, req.tolerance, req.tolerances, req.grid_size
    )
    target = check_output(req.output, options.method)
    model = _load(req)
    if options.method != "threshold":
        refittable(model, options.method)  # refuse before any data is read or scored
    train = _read(req.train, "train", req)
    test = _read(req.test, "test", req)
    features = _features(model, train, test, req)
    positive = _model_positive(model, req)
    y_train, y_test = _labels(train, req), _labels(test, req)
    from assay.mitigate._scorer import score_and_decide

    score_train, _ = score_and_decide(model, train.select(features), positive)
    score_test, before = score_and_decide(model, test.select(features), positive)
    data = FitData(
        model, train.select(features), y_train, _groups(train, req), score_train,
        test.select(features), _groups(test, req), score_test, req.random_state,
    )  # fmt: skip
    candidates, chosen = fit_candidates(options, data)
    judge = Judge(test.select(req.sensitive), y_test, req, options.disparity)
    written = write_artefact(target, candidates[chosen].artefact, options, model, positive)
    payload: MitigationPayload = {
        "schema": MITIGATION_SCHEMA,
        "method": options.method,
        "constraint": options.constraint,
        "disparity_metric": options.disparity,
        "limit": req.limit,
        "n_train": train.height,
        "n_test": test.height,
        **judge.judge(before, candidates, chosen),  # type: ignore[typeddict-item]
        "artefact": describe_artefact(written, candidates[chosen].artefact, options, data),
        "notes": judge.notes(options),
        "params": _params(req, options.tolerances, features),
        "provenance": _provenance(req, model, judge),
    }
    return Mitigation(MitigationResult(payload), candidates[chosen].artefact)


def _load(req: _Request) -> Model:
    """The model, through Assay's one loader; its refusals name the option."""
    try:
        return load_model(req.model, features=req.features)
    except NotFoundError as exc:
        raise NotFoundError(f"model (--model): {exc}") from None
    except InputError as exc:
        raise InputError(f"model (--model): {exc}") from None


def _read(data: Any, parameter: str, req: _Request) -> pl.DataFrame:
    """The rows of ``train`` or ``test`` as a Polars frame, its label and sensitive columns
    checked."""
    source = open_frame(data, parameter=f"{parameter} (--{parameter})")
    try:
        frame = source.frame.collect(backend="polars").to_native()
    except Exception as exc:
        raise InputError(
            f"The {parameter} data could not be read: {type(exc).__name__}: {exc}"
        ) from None
    assert isinstance(frame, pl.DataFrame)
    listing = ", ".join(frame.columns[:40])
    for role, col in [("y_true", req.y_true)] + [("sensitive_features", s) for s in req.sensitive]:
        if col not in frame.columns:
            raise InputError(
                f"The column '{col}' named in {role} is not in the {parameter} data. Columns "
                f"are: {listing}."
            )
    if frame.height == 0:
        raise InputError(f"The {parameter} data has no rows; there is nothing to mitigate on.")
    if frame.get_column(req.y_true).null_count():
        raise InputError(
            f"The column '{req.y_true}' of the {parameter} data has missing labels; drop them."
        )
    return frame


def _features(model: Model, train: pl.DataFrame, test: pl.DataFrame, req: _Request) -> list[str]:
    """The model's input columns: given, declared by the model, or every other column."""
    declared = list(req.features or model.info.features or [])
    wanted = declared or [c for c in train.columns if c not in (req.y_true, *req.sensitive)]
    for name, frame in (("train", train), ("test", test)):
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise InputError(
                f"The model's input columns {', '.join(missing)} are not in the {name} data; "
                "pass the columns the model was trained on (features / --features)."
            )
    return wanted


def _labels(frame: pl.DataFrame, req: _Request) -> npt.NDArray[np.int64]:
    """1 for the favourable label, 0 otherwise."""
    col = frame.get_column(req.y_true)
    values = set(col.unique().to_list())
    positive = req.pos_label
    if positive is None:
        if not values <= {0, 1}:  # True and False are 1 and 0 in a set
            shown = ", ".join(sorted(map(str, values))[:5])
            raise InputError(
                f"The labels of '{req.y_true}' are {shown}; say which is favourable with "
                "pos_label (on the command line: --pos-label)."
            )
        positive = 1
    if positive not in values and str(positive) in {str(v) for v in values}:
        positive = next(v for v in values if str(v) == str(positive))
    return np.asarray((col == positive).cast(pl.Int64).to_numpy(), dtype=np.int64)


def _model_positive(model: Model, req: _Request) -> Any:
    """The model's class for the favourable label."""
    classes = model.info.classes
    if req.model_pos_label is not None:
        wanted = req.model_pos_label
        if classes is not None:
            return next((c for c in classes if str(c) == str(wanted)), wanted)
        return wanted
    if classes is None:
        return req.pos_label if req.pos_label is not None else 1
    if req.pos_label is not None and req.pos_label in classes:
        return req.pos_label
    if set(classes) <= {0, 1}:  # booleans too: True == 1
        return 1
    raise InputError(
        f"The model's classes are {list(classes)}; say which is favourable with model_pos_label "
        "(on the command line: --model-pos-label)."
    )


def _groups(frame: pl.DataFrame, req: _Request) -> npt.NDArray[Any]:
    """Each row's group as text (several sensitive columns joined with ', ')."""
    cols = [pl.col(s).cast(pl.String).fill_null("(missing)") for s in req.sensitive]
    return frame.select(pl.concat_str(cols, separator=", ").alias("g")).to_series().to_numpy()


def _params(req: _Request, settings: Sequence[float], features: list[str]) -> dict[str, Any]:
    """The parameters the run was asked for, as JSON."""
    return {
        "y_true": req.y_true,
        "sensitive_features": req.sensitive,
        "tolerance": req.tolerance,
        "settings": list(settings),
        "grid_size": req.grid_size,
        "pos_label": None if req.pos_label is None else str(req.pos_label),
        "model_pos_label": None if req.model_pos_label is None else str(req.model_pos_label),
        "features": features,
        "n_bootstrap": req.n_bootstrap,
        "min_group_size": req.min_group_size,
        "ci_level": req.ci_level,
        "random_state": req.random_state,
    }


def _provenance(req: _Request, model: Model, judge: Judge) -> dict[str, Any]:
    """Where the numbers came from: the model, both data sets, the versions."""
    import fairlearn

    from assay import __version__

    return {
        "assay_version": __version__,
        "fairlearn_version": str(fairlearn.__version__),
        "model": model.info.to_dict(),
        "dataset": judge.dataset,
        "train": _data_ref(req.train),
        "test": _data_ref(req.test),
        "random_state": req.random_state,
    }


def _data_ref(data: Any) -> dict[str, Any]:
    """A file's path and sha256, or the type of an in-memory frame."""
    from assay.evaluate import file_digest

    if isinstance(data, str | Path):
        return {"path": str(data), "digest": file_digest(Path(data))}
    return {"path": None, "digest": None, "type": type(data).__name__}
