"""The runner on models whose behaviour is known by construction: hand-computed expectations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from assay.errors import InputError, SchemaError
from assay.evaluate import fairness
from assay.robustness import (
    PickleWarning,
    RobustnessResult,
    parse_scenario,
    run_default_probes,
    run_robustness,
)


class Rule:
    """score = 0.9 when x1 > 0 (plus 0.05 per unit of ``bonus``), else 0.1; optional sex effect."""

    classes_ = np.array([0, 1])
    feature_names_in_ = np.array(["x1", "sex"])

    def __init__(self, sex_effect: bool = False, fail_above: float | None = None) -> None:
        self.sex_effect = sex_effect
        self.fail_above = fail_above

    def predict_proba(self, x: Any) -> np.ndarray:
        x1 = x["x1"].to_numpy(dtype=float)
        if self.fail_above is not None and np.nanmax(x1) > self.fail_above:
            raise ValueError(f"x1 above {self.fail_above}")
        p = np.where(x1 > 0, 0.9, 0.1)
        if self.sex_effect:
            p = np.where(x["sex"].astype(str).to_numpy() == "F", 0.9, p)
        return np.column_stack([1 - p, p])


def frame(n: int = 1000) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    x1 = rng.normal(size=n)
    return pl.DataFrame(
        {
            "x1": x1,
            "sex": rng.choice(["F", "M"], size=n),
            "y": (x1 > 0).astype(np.int64),
        }
    )


def test_a_model_blind_to_sex_never_flips_and_passes() -> None:
    result = run_robustness(
        Rule(), frame(), y_true="y", sensitive_features="sex",
        scenario={"probes": [{"kind": "counterfactual", "feature": "sex"}]},
    )  # fmt: skip
    probe = result.probes[0]
    overall = next(d for d in probe["deltas"] if not d["by"])
    assert overall["metrics"]["flip_rate"]["value"] == 0.0
    assert probe["verdict"] == "pass"


def test_a_model_that_uses_sex_flips_exactly_the_rows_it_should() -> None:
    data = frame()
    result = run_robustness(
        Rule(sex_effect=True), data, y_true="y", sensitive_features="sex",
        scenario={"probes": [{"kind": "counterfactual", "feature": "sex"}]},
    )  # fmt: skip
    probe = result.probes[0]
    overall = next(d for d in probe["deltas"] if not d["by"])
    # flipping sex changes the decision exactly for rows with x1 <= 0 (F → 0.9, M → 0.1)
    expected = float((data["x1"] <= 0).mean())  # type: ignore[arg-type]
    assert overall["metrics"]["flip_rate"]["value"] == pytest.approx(expected)
    assert probe["verdict"] == "fail"
    female = next(d for d in probe["deltas"] if d["group"] == {"sex": "F"})
    # women flipped to M lose the favourable decision, never gain it
    assert female["metrics"]["flip_to_positive"]["value"] == 0.0


def test_monotonic_violation_is_found() -> None:
    result = run_robustness(
        Rule(), frame(), y_true="y", sensitive_features="sex",
        scenario={"probes": [{"kind": "monotonic", "feature": "x1", "direction": "decreasing",
                              "step": 10.0}]},
    )  # fmt: skip
    probe = result.probes[0]
    overall = next(d for d in probe["deltas"] if not d["by"])
    data = frame()
    # x1 + 10 > 0 for every row, so every row with x1 <= 0 moves up: a violation of "decreasing"
    expected = float((data["x1"] <= 0).mean())  # type: ignore[arg-type]
    assert overall["metrics"]["violation_rate"]["value"] == pytest.approx(expected)
    assert probe["verdict"] == "fail"


def test_label_shift_changes_accuracy_by_the_hand_computed_amount() -> None:
    data = frame().with_columns(pl.lit(1).alias("y"))  # every row positive...
    data = data.with_columns(
        pl.when(pl.arange(0, data.height) % 4 == 0).then(0).otherwise(1).alias("y")
    )
    result = run_robustness(
        Rule(), data, y_true="y", sensitive_features="sex",
        scenario={"probes": [{"kind": "label_shift", "positive_weight": 3.0}]},
    )  # fmt: skip
    overall = next(d for d in result.probes[0]["deltas"] if not d["by"])
    y = data["y"].to_numpy()
    correct = (data["x1"].to_numpy() > 0).astype(int) == y
    w = np.where(y == 1, 3.0, 1.0)
    expected = (w * correct).sum() / w.sum() - correct.mean()
    change = overall["metrics"]["accuracy"]["delta"]
    assert change["value"] == pytest.approx(expected)
    assert change["ci_low"] < expected < change["ci_high"]


def test_probed_metrics_come_from_the_fairness_engine(
    files: dict[str, Path], pipeline: Any
) -> None:
    with pytest.warns(PickleWarning):
        result = run_robustness(
            files["model"], files["data"], y_true="y", sensitive_features="sex",
            scenario={"probes": [{"kind": "missing_values", "features": ["colour"]}]},
        )  # fmt: skip
    data = pl.read_parquet(files["data"])
    baseline = pipeline.predict_proba(data.drop("y").to_pandas())[:, 1]
    reference = fairness(
        data.with_columns(pl.Series("s", baseline)), y_true="y", y_score="s", threshold=0.5,
        sensitive_features="sex", n_bootstrap=200, score_bins=200,
    ).to_dict()  # fmt: skip
    overall = next(d for d in result.probes[0]["deltas"] if not d["by"])
    assert overall["metrics"]["accuracy"]["baseline"]["value"] == pytest.approx(
        reference["overall"]["metrics"]["accuracy"]["value"], abs=1e-12
    )
    acc = overall["metrics"]["accuracy"]
    assert acc["delta"]["value"] == pytest.approx(
        acc["probed"]["value"] - acc["baseline"]["value"], abs=1e-12
    )


def test_a_model_failing_on_some_rows_errors_only_that_probe() -> None:
    result = run_robustness(
        Rule(fail_above=6.0), frame(), y_true="y", sensitive_features="sex",
        scenario={"probes": [{"kind": "gaussian_noise", "scale": 0.1},
                             {"kind": "out_of_range", "features": ["x1"], "distance": 3.0}]},
    )  # fmt: skip
    noise, oor = result.probes
    assert noise["status"] == "ok"
    assert oor["status"] == "errored"
    assert "the model failed on" in oor["error"]
    assert "x1 above 6.0" in oor["error"]
    assert result.outcome == "error"


def test_a_feature_missing_from_the_data_errors_the_probe() -> None:
    result = run_robustness(
        Rule(), frame(), y_true="y", sensitive_features="sex",
        scenario={"probes": [{"kind": "missing_values", "features": ["income"]},
                             {"kind": "missing_values"}]},
    )  # fmt: skip
    first, second = result.probes
    assert first["status"] == "errored"
    assert "'income'" in first["error"]
    assert second["status"] == "ok"


def test_a_model_input_missing_from_the_data_errors_every_probe() -> None:
    result = run_robustness(
        Rule(), frame().drop("x1").with_columns(pl.lit(1.0).alias("z")), y_true="y",
        sensitive_features="sex", scenario={"probes": [{"kind": "missing_values"}]},
    )  # fmt: skip
    assert result.outcome == "error"
    assert "'x1'" in result.to_dict()["error"]
    assert result.probes[0]["status"] == "errored"


def test_bad_arguments_are_clear() -> None:
    with pytest.raises(InputError, match="'gender' named in sensitive_features"):
        run_robustness(Rule(), frame(), y_true="y", sensitive_features="gender")
    labels = frame().with_columns(pl.col("y").cast(pl.String).replace({"1": "yes", "0": "no"}))
    with pytest.raises(InputError, match="pos_label"):
        run_robustness(Rule(), labels, y_true="y", sensitive_features="sex")


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ({"probes": [{"kind": "earthquake"}]}, "probes[0] (earthquake)"),
        ({"probes": [{"kind": "typos", "fraction": 2}]}, "fraction"),
        ({"limits": {"accuracy_loss": 0.1}, "probes": [{"kind": "typos"}]}, "accuracy_loss"),
        ({"probes": []}, "probes"),
        ({"probes": [{"kind": "counterfactual"}]}, "feature"),
    ],
)
def test_invalid_scenarios_say_where(scenario: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match="not a valid") as err:
        parse_scenario(scenario)
    assert message in str(err.value)


def test_result_round_trips_and_is_reproducible() -> None:
    kwargs: dict[str, Any] = {"y_true": "y", "sensitive_features": ["sex"]}
    first = run_default_probes(Rule(), frame(), y_true="y", sensitive=["sex"])
    second = run_robustness(Rule(), frame(), **kwargs)
    again = RobustnessResult.from_json(first.to_json())
    assert again.to_dict() == first.to_dict()

    # polars sums in parallel, so engine values may differ in the last bits between runs
    def rounded(x: Any) -> Any:
        if isinstance(x, float):
            return round(x, 9)
        if isinstance(x, dict):
            return {k: rounded(v) for k, v in x.items() if k not in ("timing", "provenance")}
        if isinstance(x, list):
            return [rounded(v) for v in x]
        return x

    assert rounded(first.to_dict()["probes"]) == rounded(second.to_dict()["probes"])
    assert first.schema == "assay.robustness/v1"
    with pytest.raises(SchemaError):
        RobustnessResult.from_dict({"schema": "assay.fairness/v1"})


def test_rows_the_model_fails_on_at_baseline_are_left_out_and_counted() -> None:
    data = frame()
    bad = np.zeros(data.height, dtype=bool)
    bad[[5, 17, 400]] = True
    data = data.with_columns(
        pl.when(pl.Series(bad)).then(100.0).otherwise(pl.col("x1")).alias("x1")
    )
    result = run_robustness(
        Rule(fail_above=50.0), data, y_true="y", sensitive_features="sex",
        scenario={"probes": [{"kind": "typos", "features": ["sex"]}]},
    )  # fmt: skip
    payload = result.to_dict()
    assert payload["n"] == data.height - 3
    assert any("failed on 3 of 1,000 rows" in note for note in payload["notes"])
    assert result.probes[0]["status"] == "ok"


def test_pandas_input_gives_the_same_result_as_polars() -> None:
    data = frame()
    spec = {"probes": [{"kind": "gaussian_noise"}]}
    a = run_robustness(Rule(), data, y_true="y", sensitive_features="sex", scenario=spec)
    b = run_robustness(Rule(), data.to_pandas(), y_true="y", sensitive_features="sex",
                       scenario=spec)  # fmt: skip
    da = next(d for d in a.probes[0]["deltas"] if not d["by"])
    db = next(d for d in b.probes[0]["deltas"] if not d["by"])
    assert da["metrics"]["flip_rate"] == db["metrics"]["flip_rate"]
