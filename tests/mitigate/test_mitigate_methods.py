"""Each method's before and after numbers, checked independently: Fairlearn's own mitigators fitted
here on the same rows, and its MetricFrame (or a hand count) on their predictions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fairlearn.metrics import MetricFrame, demographic_parity_difference, selection_rate
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import DemographicParity, ExponentiatedGradient, GridSearch
from mitigate_data import FEATURES, Split, biased_split
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from assay.errors import InputError
from assay.mitigate import mitigate, reweighing_weights

SPLIT = biased_split()


def _x(split: Split, part: str) -> Any:
    return getattr(split, part).select(FEATURES).to_pandas()


def _y(split: Split, part: str) -> np.ndarray[Any, Any]:
    return getattr(split, part)["y"].to_numpy()


def _s(split: Split, part: str) -> np.ndarray[Any, Any]:
    return getattr(split, part)["sex"].to_numpy()


def _run(**kwargs: Any) -> dict[str, Any]:
    done = mitigate(
        SPLIT.model, SPLIT.train, SPLIT.test, y_true="y", sensitive_features="sex",
        features=FEATURES, n_bootstrap=100, **kwargs,
    )  # fmt: skip
    return done.result.to_dict()


def _check_side(side: dict[str, Any], predictions: np.ndarray[Any, Any]) -> None:
    """Accuracy, selection rate and demographic parity difference equal Fairlearn's."""
    y, s = _y(SPLIT, "test"), _s(SPLIT, "test")
    frame = MetricFrame(
        metrics={"accuracy": accuracy_score, "selection_rate": selection_rate},
        y_true=y, y_pred=predictions, sensitive_features=s,
    )  # fmt: skip
    assert side["accuracy"]["value"] == pytest.approx(frame.overall["accuracy"], abs=1e-12)
    assert side["selection_rate"]["value"] == pytest.approx(
        frame.overall["selection_rate"], abs=1e-12
    )
    expected = demographic_parity_difference(y, predictions, sensitive_features=s)
    assert side["disparity"]["value"] == pytest.approx(expected, abs=1e-12)
    low, high = side["disparity"]["ci_low"], side["disparity"]["ci_high"]
    assert low <= side["disparity"]["value"] <= high


def test_before_is_the_model_as_it_is() -> None:
    payload = _run(method="threshold", tolerances=[0.05])
    _check_side(payload["before"], SPLIT.model.predict(_x(SPLIT, "test")))
    # a hand count of the selection rates by group gives the same difference
    pred, s = SPLIT.model.predict(_x(SPLIT, "test")), _s(SPLIT, "test")
    gap = abs(pred[s == "M"].mean() - pred[s == "F"].mean())
    assert payload["before"]["disparity"]["value"] == pytest.approx(gap, abs=1e-12)


def _own_threshold_optimizer(tol: float | None) -> ThresholdOptimizer:
    optimizer = ThresholdOptimizer(
        estimator=SPLIT.model, constraints="demographic_parity", objective="accuracy_score",
        prefit=True, predict_method="predict_proba", tol=tol,
    )  # fmt: skip
    train = _x(SPLIT, "train")
    return optimizer.fit(train, _y(SPLIT, "train"), sensitive_features=_s(SPLIT, "train"))


def test_threshold_equals_fairlearns_own_predictions_at_every_setting() -> None:
    payload = _run(method="threshold", tolerance=0.05, tolerances=[0.02, 0.05, 0.1], limit=0.1)
    by_setting = {p["setting"]: p for p in payload["frontier"]}
    assert sorted(by_setting) == [0.02, 0.05, 0.1]
    for tol in (0.02, 0.05, 0.1):
        own = _own_threshold_optimizer(tol).predict(
            _x(SPLIT, "test"), sensitive_features=_s(SPLIT, "test"), random_state=0
        )
        point = by_setting[tol]
        assert point["accuracy"]["value"] == pytest.approx(
            accuracy_score(_y(SPLIT, "test"), own), abs=1e-12
        )
        if tol == 0.05:
            assert point["chosen"]
            _check_side(payload["after"], own)
    assert payload["before"]["verdict"] == "fail"
    assert payload["after"]["disparity"]["value"] < payload["before"]["disparity"]["value"]


def test_the_thresholds_are_fairlearns() -> None:
    payload = _run(method="threshold", tolerance=0.05, tolerances=[0.05])
    own = _own_threshold_optimizer(0.05).interpolated_thresholder_.interpolation_dict
    written = payload["artefact"]["thresholds"]
    assert sorted(written) == ["F", "M"]
    for group, rule in own.items():
        assert written[group]["p0"] == pytest.approx(rule["p0"], abs=1e-12)
        assert written[group]["threshold0"] == pytest.approx(rule["operation0"].threshold)
        assert written[group]["threshold1"] == pytest.approx(rule["operation1"].threshold)


def test_exponentiated_gradient_equals_fairlearns() -> None:
    payload = _run(method="exponentiated_gradient", tolerance=0.05, tolerances=[0.05])
    own = ExponentiatedGradient(clone(SPLIT.model), DemographicParity(), eps=0.05)
    own.fit(_x(SPLIT, "train"), _y(SPLIT, "train"), sensitive_features=_s(SPLIT, "train"))
    _check_side(payload["after"], own.predict(_x(SPLIT, "test"), random_state=0))


def test_grid_search_keeps_fairlearns_choice_and_draws_every_grid_point() -> None:
    payload = _run(method="grid_search", grid_size=5)
    own = GridSearch(clone(SPLIT.model), DemographicParity(), grid_size=5)
    own.fit(_x(SPLIT, "train"), _y(SPLIT, "train"), sensitive_features=_s(SPLIT, "train"))
    assert len(payload["frontier"]) == len(own.predictors_) == 5
    assert [p["chosen"] for p in payload["frontier"]].index(True) == own.best_idx_
    _check_side(payload["after"], own.predict(_x(SPLIT, "test")))
    for point, predictor in zip(payload["frontier"], own.predictors_, strict=True):
        expected = accuracy_score(_y(SPLIT, "test"), predictor.predict(_x(SPLIT, "test")))
        assert point["accuracy"]["value"] == pytest.approx(expected, abs=1e-12)


def test_reweighing_refits_with_the_hand_weights() -> None:
    payload = _run(method="reweighing", tolerance=1.0, tolerances=[1.0])
    y, s = _y(SPLIT, "train"), _s(SPLIT, "train")
    n, weights = len(y), np.empty(len(y))
    for g in ("F", "M"):
        for label in (0, 1):
            cell = (s == g) & (y == label)
            weights[cell] = (s == g).sum() * (y == label).sum() / (n * cell.sum())
    assert reweighing_weights(s, y).tolist() == pytest.approx(weights.tolist(), rel=1e-12)
    own = clone(SPLIT.model).fit(_x(SPLIT, "train"), y, sample_weight=weights)
    _check_side(payload["after"], own.predict(_x(SPLIT, "test")))
    cells = {(w["group"], w["label"]): w["weight"] for w in payload["artefact"]["weights"]}
    assert cells[("F", 1)] == pytest.approx(weights[(s == "F") & (y == 1)][0], rel=1e-12)


def test_a_run_is_deterministic() -> None:
    first = _run(method="threshold", tolerances=[0.02, 0.05])
    again = _run(method="threshold", tolerances=[0.02, 0.05])
    for key in ("before", "after", "frontier", "artefact", "chosen"):
        assert first[key] == again[key]


class _ScoresOnly:
    """A model that scores but cannot be refitted (like an ONNX graph or an endpoint)."""

    classes_ = np.array([0, 1])
    feature_names_in_ = np.array(FEATURES)

    def predict_proba(self, x: Any) -> np.ndarray[Any, Any]:
        p = 1 / (1 + np.exp(-np.asarray(x["x1"], dtype=float)))
        return np.column_stack([1 - p, p])


@pytest.mark.parametrize("method", ["exponentiated_gradient", "grid_search", "reweighing"])
def test_a_method_that_refits_refuses_a_model_it_cannot_refit(method: str) -> None:
    with pytest.raises(InputError, match=f"method {method} refits the model"):
        mitigate(
            _ScoresOnly(), SPLIT.train, SPLIT.test, y_true="y", sensitive_features="sex",
            method=method,
        )  # fmt: skip


def test_threshold_post_processes_a_model_it_cannot_refit() -> None:
    done = mitigate(
        _ScoresOnly(), SPLIT.train, SPLIT.test, y_true="y", sensitive_features="sex",
        tolerances=[0.05], n_bootstrap=100,
    )  # fmt: skip
    before = done.result.before["disparity"]["value"]
    after = done.result.after["disparity"]["value"]
    assert before is not None
    assert after is not None
    assert after < before


def test_a_pipeline_is_refitted_with_weights_for_its_last_step() -> None:
    pipeline = make_pipeline(StandardScaler(), LogisticRegression())
    pipeline.fit(_x(SPLIT, "train"), _y(SPLIT, "train"))
    done = mitigate(
        pipeline, SPLIT.train, SPLIT.test, y_true="y", sensitive_features="sex",
        method="reweighing", tolerances=[1.0], n_bootstrap=100,
    )  # fmt: skip
    weights = reweighing_weights(_s(SPLIT, "train"), _y(SPLIT, "train"))
    own = clone(pipeline).fit(
        _x(SPLIT, "train"), _y(SPLIT, "train"), logisticregression__sample_weight=weights
    )
    _check_side(done.result.to_dict()["after"], own.predict(_x(SPLIT, "test")))
