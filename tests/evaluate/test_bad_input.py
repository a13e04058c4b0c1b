"""Bad input gets a clear message naming what is wrong and how to fix it, or an explicit reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from assay.errors import InputError, NotFoundError
from assay.evaluate import fairness


@pytest.fixture
def frame() -> pl.DataFrame:
    rng = np.random.default_rng(3)
    n = 400
    return pl.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "pred": rng.integers(0, 2, n),
            "score": rng.random(n),
            "sex": rng.choice(["f", "m"], n),
            "race": rng.choice(["a", "b", "c"], n),
            "label": rng.choice(["yes", "no"], n),
        }
    )


def test_missing_column_is_named_with_the_columns_present(frame: pl.DataFrame) -> None:
    with pytest.raises(
        InputError, match=r"'gender' named in sensitive_features is not in the data"
    ):
        fairness(frame, y_true="y", y_pred="pred", sensitive_features="gender")
    with pytest.raises(InputError, match=r"Columns are: y, pred, score, sex, race, label"):
        fairness(frame, y_true="target", y_pred="pred", sensitive_features="sex")


def test_text_labels_need_pos_label(frame: pl.DataFrame) -> None:
    data = frame.with_columns(
        p=pl.when(pl.col("pred") == 1).then(pl.lit("yes")).otherwise(pl.lit("no"))
    )
    with pytest.raises(InputError, match=r"pos_label \(on the command line: --pos-label\)"):
        fairness(data, y_true="label", y_pred="p", sensitive_features="sex")
    result = fairness(data, y_true="label", y_pred="p", sensitive_features="sex", pos_label="yes")
    assert result.to_dict()["params"]["pos_label"] == "yes"


def test_pos_label_that_is_not_a_label(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match=r"pos_label 'maybe' is not a value of 'label'"):
        fairness(
            frame, y_true="label", y_score="score", sensitive_features="sex", pos_label="maybe"
        )


def test_multiclass_labels_with_scores_are_refused(frame: pl.DataFrame) -> None:
    data = frame.with_columns(y3=pl.col("pred") + pl.col("y"))
    with pytest.raises(InputError, match=r"'y3' has 3 distinct values \(0, 1, 2\).*binary labels"):
        fairness(data, y_true="y3", y_score="score", sensitive_features="sex")


def test_multiclass_labels_with_predictions_are_multiclass(frame: pl.DataFrame) -> None:
    data = frame.with_columns(y3=pl.col("pred") + pl.col("y"))
    result = fairness(data, y_true="y3", y_pred="pred", sensitive_features="sex")
    assert result.to_dict()["task"] == "multiclass"
    assert result.to_dict()["params"]["classes"] == [0, 1, 2]


def test_multiclass_with_one_class_is_refused(frame: pl.DataFrame) -> None:
    data = frame.with_columns(one=pl.lit("cat"), guess=pl.lit("cat"))
    with pytest.raises(InputError, match=r"single class \('cat'\).*at least two classes"):
        fairness(data, y_true="one", y_pred="guess", sensitive_features="sex", task="multiclass")


def test_multiclass_with_probabilities_is_refused(frame: pl.DataFrame) -> None:
    data = frame.with_columns(y3=pl.col("pred") + pl.col("y"))
    with pytest.raises(InputError, match=r"'score' holds non-integer numbers.*argmax"):
        fairness(data, y_true="y3", y_pred="score", sensitive_features="sex")
    with pytest.raises(InputError, match=r"multiclass evaluation needs y_pred.*argmax"):
        fairness(data, y_true="y3", y_score="score", sensitive_features="sex", task="multiclass")


def test_multiclass_labels_of_two_types_are_refused(frame: pl.DataFrame) -> None:
    data = frame.with_columns(y3=(pl.col("pred") + pl.col("y")).cast(pl.String))
    with pytest.raises(InputError, match=r"'y3' is String but y_pred 'pred' is Int64"):
        fairness(data, y_true="y3", y_pred="pred", sensitive_features="sex")


def test_regression_limits_need_a_regression(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match=r"'mae_difference' is a limit on a regression result"):
        fairness(
            frame, y_true="y", y_pred="pred", sensitive_features="sex",
            thresholds={"mae_difference": 1.0},
        )  # fmt: skip
    with pytest.raises(InputError, match=r"at least 0; got -1"):
        fairness(
            frame, y_true="score", y_pred="pred", sensitive_features="sex", task="regression",
            thresholds={"mae_difference": -1.0},
        )  # fmt: skip


def test_label_types_must_agree(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match=r"together hold 4 different labels|use the same"):
        fairness(frame, y_true="label", y_pred="pred", sensitive_features="sex", pos_label="yes")


@pytest.mark.parametrize("column", ["y", "pred", "score"])
def test_missing_values_in_labels_or_predictions(frame: pl.DataFrame, column: str) -> None:
    data = frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 3).then(None).otherwise(pl.col(column)).alias(column)
    )
    kwargs = {"y_score": "score"} if column == "score" else {"y_pred": "pred"}
    with pytest.raises(InputError, match=rf"'{column}' has 3 missing value\(s\).*Drop or impute"):
        fairness(data, y_true="y", sensitive_features="sex", **kwargs)


def test_nan_scores_are_missing_values(frame: pl.DataFrame) -> None:
    data = frame.with_columns(
        score=pl.when(pl.col("race") == "a").then(float("nan")).otherwise(pl.col("score"))
    )
    with pytest.raises(InputError, match=r"'score' has \d+ missing value"):
        fairness(data, y_true="y", y_score="score", sensitive_features="sex")


def test_empty_data(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match="no rows"):
        fairness(frame.head(0), y_true="y", y_pred="pred", sensitive_features="sex")


def test_group_without_positives_is_explicitly_undefined(frame: pl.DataFrame) -> None:
    data = frame.with_columns(y=pl.when(pl.col("race") == "c").then(0).otherwise(pl.col("y")))
    result = fairness(data, y_true="y", y_score="score", sensitive_features="race")
    group = next(g for g in result.to_dict()["groups"] if g["group"] == {"race": "c"})
    assert group["metrics"]["tpr"] == {
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "undefined": "no positives (y_true = pos_label)",
    }
    assert group["metrics"]["roc_auc"]["undefined"] == "no positives (y_true = pos_label)"
    assert group["metrics"]["selection_rate"]["value"] is not None
    tpr = next(d for d in result.to_dict()["disparities"] if d["metric"] == "tpr")
    assert tpr["difference"]["value"] is not None  # computed over the groups where it is defined


def test_constant_score_is_refused(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match=r"'score' is constant"):
        fairness(
            frame.with_columns(score=pl.lit(0.4)),
            y_true="y",
            y_score="score",
            sensitive_features="sex",
        )


def test_constant_sensitive_feature_has_no_disparities(frame: pl.DataFrame) -> None:
    result = fairness(
        frame.with_columns(sex=pl.lit("f")), y_true="y", y_pred="pred", sensitive_features="sex"
    )
    payload = result.to_dict()
    assert any("single group" in note for note in payload["notes"])
    sel = next(d for d in payload["disparities"] if d["metric"] == "selection_rate")
    assert sel["difference"]["undefined"] == "fewer than two groups with a defined selection_rate"


def test_constant_prediction_is_fine_and_ppv_undefined(frame: pl.DataFrame) -> None:
    result = fairness(
        frame.with_columns(pred=pl.lit(0)), y_true="y", y_pred="pred", sensitive_features="sex"
    )
    assert result.overall["selection_rate"] == 0.0
    assert result.overall["ppv"] is None
    assert result.to_dict()["overall"]["metrics"]["ppv"]["undefined"] == "no predicted positives"


@pytest.mark.parametrize("threshold", [1.5, -0.1, 0.0])
def test_threshold_outside_score_range(frame: pl.DataFrame, threshold: float) -> None:
    with pytest.raises(InputError, match=r"threshold .* is outside the range of y_score 'score'"):
        fairness(frame, y_true="y", y_score="score", threshold=threshold, sensitive_features="sex")


def test_scores_outside_unit_interval_need_a_threshold(frame: pl.DataFrame) -> None:
    data = frame.with_columns(score=pl.col("score") * 10 - 5)
    with pytest.raises(InputError, match=r"give the decision threshold explicitly"):
        fairness(data, y_true="y", y_score="score", sensitive_features="sex")
    result = fairness(data, y_true="y", y_score="score", threshold=0.0, sensitive_features="sex")
    assert result.to_dict()["overall"]["metrics"]["brier_score"]["undefined"] == (
        "scores are not probabilities in [0, 1]"
    )
    assert result.overall["roc_auc"] is not None


def test_unreadable_files(tmp_path: Path) -> None:
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"this is not parquet")
    with pytest.raises(InputError, match="could not be read"):
        fairness(bad, y_true="y", y_pred="pred", sensitive_features="sex")
    with pytest.raises(NotFoundError, match="does not exist"):
        fairness(tmp_path / "nope.parquet", y_true="y", y_pred="pred", sensitive_features="sex")
    other = tmp_path / "data.xlsx"
    other.write_bytes(b"")
    with pytest.raises(InputError, match=r"reads \.parquet, \.csv, \.tsv and \.jsonl"):
        fairness(other, y_true="y", y_pred="pred", sensitive_features="sex")


def test_not_a_dataframe() -> None:
    with pytest.raises(InputError, match="is not a dataframe Assay can read"):
        fairness([1, 2, 3], y_true="y", y_pred="pred", sensitive_features="sex")


def test_options_are_checked(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match="exactly one of y_pred"):
        fairness(frame, y_true="y", y_pred="pred", y_score="score", sensitive_features="sex")
    with pytest.raises(InputError, match="Unknown threshold 'dp_diff'"):
        fairness(
            frame, y_true="y", y_pred="pred", sensitive_features="sex", thresholds={"dp_diff": 0.1}
        )
    with pytest.raises(InputError, match=r"must lie in \(0, 1\]"):
        fairness(
            frame,
            y_true="y",
            y_pred="pred",
            sensitive_features="sex",
            thresholds={"demographic_parity_ratio": 1.2},
        )
    with pytest.raises(InputError, match="used both as a sensitive feature"):
        fairness(frame, y_true="y", y_pred="pred", sensitive_features="pred")
    with pytest.raises(InputError, match="negative values"):
        fairness(
            frame.with_columns(w=pl.lit(-1.0)),
            y_true="y",
            y_pred="pred",
            sensitive_features="sex",
            sample_weight="w",
        )


def test_identifier_like_sensitive_feature(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match=r"'score' has 400 distinct values.*Bin it"):
        fairness(frame, y_true="y", y_pred="pred", sensitive_features="score")


def test_reference_group_must_exist(frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match=r"reference_group \{'sex': 'x'\} is not a group"):
        fairness(frame, y_true="y", y_pred="pred", sensitive_features="sex", reference_group="x")


def test_one_column_for_two_roles(frame: pl.DataFrame) -> None:
    with pytest.raises(
        InputError, match=r"One column is named for two roles \(y_true='y', y_pred='y'\)"
    ):
        fairness(frame, y_true="y", y_pred="y", sensitive_features="sex")


def test_a_header_only_csv_is_no_rows_not_a_type_error(tmp_path: Path) -> None:
    # With no rows, every CSV column reads as text; the message names the real problem.
    path = tmp_path / "header.csv"
    path.write_text("y,score,sex\n")
    with pytest.raises(InputError, match=r"The data has no rows \(only a header\?\)"):
        fairness(path, y_true="y", y_score="score", sensitive_features="sex")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"is empty \(0 bytes\)"):
        fairness(empty, y_true="y", y_score="score", sensitive_features="sex")
