"""Run a mitigation method at each of its settings: the candidates the frontier is drawn from,
each with its decisions on the held-out rows and the fitted object that makes them.

Fairlearn and scikit-learn are imported here, when a mitigation runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import polars as pl

from assay.errors import InputError
from assay.mitigate._options import MitigationOptions
from assay.mitigate._reweighing import reweighing_weights
from assay.robustness import Model

__all__ = ["Candidate", "FitData", "fit_candidates"]


@dataclass(frozen=True)
class FitData:
    """The rows a method learns from (train) and is judged on (test); labels are 1 for the
    favourable outcome, groups are the sensitive features joined as text."""

    model: Model
    x_train: pl.DataFrame
    y_train: npt.NDArray[np.int64]
    s_train: npt.NDArray[Any]
    score_train: npt.NDArray[np.float64]
    x_test: pl.DataFrame
    s_test: npt.NDArray[Any]
    score_test: npt.NDArray[np.float64]
    random_state: int


@dataclass(frozen=True)
class Candidate:
    """The method at one setting: its decisions on the test rows and what makes them."""

    setting: float | None
    label: str
    predictions: npt.NDArray[np.int64]
    artefact: Any


def check_both_labels(data: FitData) -> None:
    """Refuse training rows where a group has one label only: no method can learn a trade-off
    for it (Fairlearn stops with "degenerate labels")."""
    groups, labels = data.s_train, data.y_train
    one_label = sorted(
        {str(g) for g in np.unique(groups) if np.unique(labels[groups == g]).size < 2}
    )
    if one_label:
        shown = ", ".join(one_label[:5]) + (
            f" and {len(one_label) - 5} more" if len(one_label) > 5 else ""
        )
        raise InputError(
            f"In the training rows (--train), {len(one_label)} group(s) have one label only "
            f"({shown}); mitigation needs favourable and unfavourable outcomes in every group. "
            "Give more rows, or merge small groups before mitigating."
        )


def fit_candidates(options: MitigationOptions, data: FitData) -> tuple[list[Candidate], int]:
    """Every candidate of the method, and the index of the chosen one (after
    :func:`check_both_labels`)."""
    check_both_labels(data)
    runners: dict[str, Callable[[MitigationOptions, FitData], tuple[list[Candidate], int]]] = {
        "threshold": _threshold,
        "exponentiated_gradient": _exponentiated_gradient,
        "grid_search": _grid_search,
        "reweighing": _reweighing,
    }
    return runners[options.method](options, data)


def _threshold(options: MitigationOptions, data: FitData) -> tuple[list[Candidate], int]:
    """ThresholdOptimizer on the model's score, once per tolerance (exact when there is none)."""
    from fairlearn.postprocessing import ThresholdOptimizer

    from assay.mitigate._scorer import ScoreColumn

    train = pd.DataFrame({"score": data.score_train})
    test = pd.DataFrame({"score": data.score_test})
    settings: tuple[float | None, ...] = options.tolerances or (None,)
    out = []
    for tol in settings:
        optimizer = ThresholdOptimizer(
            estimator=ScoreColumn(),
            constraints=options.constraint,
            objective="accuracy_score",
            prefit=True,
            predict_method="predict",
            tol=tol,
        )
        optimizer.fit(train, data.y_train, sensitive_features=data.s_train)
        pred = optimizer.predict(
            test, sensitive_features=data.s_test, random_state=data.random_state
        )
        label = "exact" if tol is None else f"tolerance {tol:g}"
        out.append(Candidate(tol, label, np.asarray(pred, dtype=np.int64), optimizer))
    return out, settings.index(options.tolerance)


def _exponentiated_gradient(
    options: MitigationOptions, data: FitData
) -> tuple[list[Candidate], int]:
    """ExponentiatedGradient refits the model once per tolerance (``eps``)."""
    from fairlearn.reductions import ExponentiatedGradient
    from sklearn.base import clone

    base, weight_name = refittable(data.model, options.method)
    x_train, x_test = pandas_features(data.x_train), pandas_features(data.x_test)
    out = []
    for eps in options.tolerances:
        reduction = ExponentiatedGradient(
            clone(base), _moment(options.constraint), eps=eps, sample_weight_name=weight_name
        )
        reduction.fit(x_train, data.y_train, sensitive_features=data.s_train)
        pred = reduction.predict(x_test, random_state=data.random_state)
        out.append(
            Candidate(eps, f"tolerance {eps:g}", np.asarray(pred, dtype=np.int64), reduction)
        )
    return out, options.tolerances.index(options.tolerance or 0.0)


def _grid_search(options: MitigationOptions, data: FitData) -> tuple[list[Candidate], int]:
    """GridSearch refits the model at each grid point; Fairlearn's best trade-off is chosen."""
    from fairlearn.reductions import GridSearch
    from sklearn.base import clone

    base, weight_name = refittable(data.model, options.method)
    x_train, x_test = pandas_features(data.x_train), pandas_features(data.x_test)
    search = GridSearch(
        clone(base),
        _moment(options.constraint),
        grid_size=options.grid_size,
        sample_weight_name=weight_name,
    )
    search.fit(x_train, data.y_train, sensitive_features=data.s_train)
    total = len(search.predictors_)
    out = [
        Candidate(
            float(i + 1),
            f"grid point {i + 1} of {total}",
            np.asarray(predictor.predict(x_test), dtype=np.int64),
            predictor,
        )
        for i, predictor in enumerate(search.predictors_)
    ]
    return out, int(search.best_idx_)


def _reweighing(options: MitigationOptions, data: FitData) -> tuple[list[Candidate], int]:
    """The model refitted with Kamiran–Calders weights, once per strength."""
    from sklearn.base import clone

    base, weight_name = refittable(data.model, options.method)
    x_train, x_test = pandas_features(data.x_train), pandas_features(data.x_test)
    out = []
    for strength in options.tolerances:
        weights = reweighing_weights(data.s_train, data.y_train, strength=strength)
        estimator = clone(base)
        estimator.fit(x_train, data.y_train, **{weight_name: weights})
        pred = np.asarray(estimator.predict(x_test), dtype=np.int64)
        out.append(Candidate(strength, f"strength {strength:g}", pred, estimator))
    return out, options.tolerances.index(options.tolerance or 0.0)


def _moment(constraint: str) -> Any:
    """The Fairlearn reductions moment of a constraint."""
    from fairlearn import reductions

    moments = {
        "demographic_parity": reductions.DemographicParity,
        "equalized_odds": reductions.EqualizedOdds,
        "true_positive_rate_parity": reductions.TruePositiveRateParity,
    }
    return moments[constraint]()


def refittable(model: Model, method: str) -> tuple[Any, str]:
    """The scikit-learn estimator a reductions or reweighing method refits, and the name its
    ``fit`` takes row weights under (``step__sample_weight`` for a pipeline)."""
    estimator = getattr(model, "estimator", None)
    if estimator is None or not callable(getattr(estimator, "fit", None)):
        raise InputError(
            f"method {method} refits the model, so it needs a scikit-learn estimator or pipeline "
            f"(.joblib, .pkl); '{model.info.source}' is a {model.info.kind} model. Use method "
            "threshold, which post-processes the scores of any model."
        )
    final, name = estimator, "sample_weight"
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps:
        final, name = steps[-1][1], f"{steps[-1][0]}__sample_weight"
    if "sample_weight" not in inspect.signature(final.fit).parameters:
        raise InputError(
            f"method {method} refits the model with row weights, but "
            f"{type(final).__qualname__}.fit takes no sample_weight. Use method threshold, or a "
            "model whose fit accepts sample_weight."
        )
    return estimator, name


def pandas_features(frame: pl.DataFrame) -> pd.DataFrame:
    """The feature columns as scikit-learn reads them: text columns become ``category``, as
    Assay's loader hands them to a model when it scores."""
    pdf = frame.to_pandas()
    for name, dtype in frame.schema.items():
        if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            pdf[name] = pdf[name].astype("category")
    return pdf
