"""The JSON Schema in docs/schemas/ describes real ``fairness(...).to_dict()`` results exactly.

Real results of every shape are validated against it, and results broken in the ways a consumer
would notice (a key missing or renamed, an undefined value without its reason) are rejected.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import polars as pl
import pytest

from assay.datasets import ADULT_LABEL, ADULT_POSITIVE_LABEL, load_adult
from assay.evaluate import fairness

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "docs" / "schemas" / "fairness-v1.schema.json"

TOP_LEVEL = (
    "schema",
    "task",
    "n",
    "groups",
    "overall",
    "disparities",
    "summaries",
    "four_fifths",
    "verdicts",
    "calibration",
    "threshold_sweep",
    "notes",
    "methods",
    "params",
    "provenance",
)
LIMITS = {
    "demographic_parity_difference": 0.1,
    "demographic_parity_ratio": 0.8,
    "equalized_odds_difference": 0.15,
    "equal_opportunity_ratio": 0.8,
    "tpr_difference": 0.2,
    "ppv_ratio": 0.7,
}
FAST = {"n_bootstrap": 200, "min_group_size": 20}
#: The result the negative tests break: small, yet with every optional section present.
SMALL = "y_score exact, one feature"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _adult() -> pl.DataFrame:
    """Adult with a rule-based prediction, so the labels are text and need pos_label."""
    adult = load_adult().select("sex", "race", "education_num", ADULT_LABEL)
    return adult.with_columns(
        prediction=pl.when(pl.col("education_num") >= 13)
        .then(pl.lit(ADULT_POSITIVE_LABEL))
        .otherwise(pl.lit("<=50K"))
    )


def _results(frame: pl.DataFrame, folder: Path) -> dict[str, dict[str, Any]]:
    logit = frame.with_columns(logit=(pl.col("score") / (1 - pl.col("score"))).log())
    no_positives = frame.with_columns(
        y=pl.when(pl.col("race") == "C").then(0).otherwise(pl.col("y")),
        site=pl.lit("north"),
    )
    parquet = folder / "predictions.parquet"
    frame.write_parquet(parquet)
    two = ["sex", "race"]
    cases: dict[str, Callable[[], Any]] = {
        "y_pred, one feature": lambda: fairness(
            frame, y_true="y", y_pred="pred", sensitive_features="sex", **FAST
        ),
        "y_pred, two features, verdicts": lambda: fairness(
            frame, y_true="y", y_pred="pred", sensitive_features=two, thresholds=LIMITS, **FAST
        ),
        "y_score exact": lambda: fairness(
            frame, y_true="y", y_score="score", sensitive_features=two, score_bins="exact", **FAST
        ),
        "y_score exact, one feature": lambda: fairness(
            frame, y_true="y", y_score="score", sensitive_features="race", **FAST
        ),
        "y_score binned": lambda: fairness(
            frame, y_true="y", y_score="score", sensitive_features=two, score_bins=1000, **FAST
        ),
        "sample_weight, verdicts": lambda: fairness(
            frame,
            y_true="y",
            y_score="score",
            sample_weight="w",
            sensitive_features="race",
            thresholds=LIMITS,
            **FAST,
        ),
        "regression, one feature": lambda: fairness(
            frame, y_true="target", y_pred="estimate", task="regression", sensitive_features="race"
        ),
        "regression, two features, weighted": lambda: fairness(
            frame,
            y_true="target",
            y_pred="estimate",
            task="regression",
            sensitive_features=two,
            sample_weight="w",
        ),
        "regression, verdicts": lambda: fairness(
            frame,
            y_true="target",
            y_pred="estimate",
            task="regression",
            sensitive_features="race",
            thresholds={"mae_difference": 0.5, "rmse_ratio": 0.8},
        ),
        "multiclass, verdicts": lambda: fairness(
            frame.with_columns(y3=pl.col("y") + pl.col("pred"), p3=pl.col("pred") * 2),
            y_true="y3",
            y_pred="p3",
            sensitive_features=two,
            thresholds={"demographic_parity_difference": 0.1, "tpr_ratio": 0.8},
            **FAST,
        ),
        "multiclass, weighted": lambda: fairness(
            frame.with_columns(y3=pl.col("y") + pl.col("pred"), p3=pl.col("pred") * 2),
            y_true="y3",
            y_pred="p3",
            sensitive_features="race",
            sample_weight="w",
            task="multiclass",
            **FAST,
        ),
        "scores that are not probabilities": lambda: fairness(
            logit, y_true="y", y_score="logit", threshold=0.0, sensitive_features="race", **FAST
        ),
        "undefined metrics, single-group feature": lambda: fairness(
            no_positives,
            y_true="y",
            y_pred="pred",
            sensitive_features=["race", "site"],
            thresholds={"tpr_ratio": 0.8},
            **FAST,
        ),
        "reference group and digest given": lambda: fairness(
            frame,
            y_true="y",
            y_pred="pred",
            sensitive_features=two,
            reference_group={"race": "B"},
            dataset_digest="model-registry:run-42",
            **FAST,
        ),
        "parquet path": lambda: fairness(
            parquet, y_true="y", y_score="score", sensitive_features="sex", **FAST
        ),
        "lazy frame": lambda: fairness(
            frame.lazy(), y_true="y", y_pred="pred", sensitive_features="race", **FAST
        ),
        "Adult, text labels": lambda: fairness(
            _adult(),
            y_true=ADULT_LABEL,
            y_pred="prediction",
            pos_label=ADULT_POSITIVE_LABEL,
            sensitive_features=["sex", "race"],
            thresholds=LIMITS,
            n_bootstrap=200,
        ),
    }
    return {name: make().to_dict() for name, make in cases.items()}


@pytest.fixture(scope="module")
def results(
    eval_frame: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    return _results(eval_frame, tmp_path_factory.mktemp("schema"))


def _errors(validator: jsonschema.Draft202012Validator, payload: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in validator.iter_errors(payload)
    ]


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) == set(TOP_LEVEL)


def test_every_kind_of_result_validates(
    validator: jsonschema.Draft202012Validator, results: dict[str, dict[str, Any]]
) -> None:
    failures = {name: _errors(validator, payload)[:5] for name, payload in results.items()}
    assert not {k: v for k, v in failures.items() if v}


def test_results_cover_the_shapes_the_schema_allows(results: dict[str, dict[str, Any]]) -> None:
    """Guard the fixtures: the variants really produce the optional shapes validated above."""

    def estimates(payload: Any) -> list[dict[str, Any]]:
        if isinstance(payload, dict):
            found = [payload] if "value" in payload and "ci_low" in payload else []
            return found + [e for v in payload.values() for e in estimates(v)]
        if isinstance(payload, list):
            return [e for v in payload for e in estimates(v)]
        return []

    all_estimates = [e for r in results.values() for e in estimates(r)]
    assert any("undefined" in e for e in all_estimates)
    assert any(e["value"] is not None and e["ci_low"] is None for e in all_estimates)
    verdicts = {v["verdict"] for r in results.values() for v in r["verdicts"]}
    assert verdicts == {"pass", "fail", "insufficient_evidence"}
    four_fifths = [f for r in results.values() for f in r["four_fifths"]]
    assert any(f["passes"] is None for f in four_fifths)
    assert any(f["passes"] is True for f in four_fifths)
    assert any(f["passes"] is False for f in four_fifths)
    assert "path" in results["parquet path"]["provenance"]["dataset"]
    assert results["scores that are not probabilities"]["calibration"] == []
    assert results["y_score binned"]["params"]["score_levels"] == "1000 equal-width bins"
    assert any(g["group"].get("sex", "") is None for g in results["y_pred, one feature"]["groups"])


def _broken(payload: dict[str, Any], path: list[Any], how: Callable[[Any, Any], None]) -> Any:
    broken = copy.deepcopy(payload)
    parent = broken
    for step in path[:-1]:
        parent = parent[step]
    how(parent, path[-1])
    return broken


def _delete(parent: Any, key: Any) -> None:
    del parent[key]


def _rename(parent: Any, key: Any) -> None:
    parent[f"{key}_renamed"] = parent.pop(key)


@pytest.mark.parametrize("key", TOP_LEVEL)
def test_a_missing_top_level_key_fails(
    validator: jsonschema.Draft202012Validator, results: dict[str, dict[str, Any]], key: str
) -> None:
    payload = results[SMALL]
    assert not validator.is_valid(_broken(payload, [key], _delete))
    assert not validator.is_valid(_broken(payload, [key], _rename))


NESTED = [
    (SMALL, ["groups", 0, "n"]),
    (SMALL, ["groups", 0, "metrics", "f1"]),
    (SMALL, ["groups", 2, "metrics", "roc_auc"]),
    (SMALL, ["overall", "metrics", "ece"]),
    (SMALL, ["groups", 1, "metrics", "tpr", "ci_low"]),
    (SMALL, ["disparities", 0, "vs_reference"]),
    (SMALL, ["disparities", 3, "difference"]),
    (SMALL, ["disparities", 3, "min_group"]),
    (SMALL, ["disparities", 3, "vs_reference", 0, "ratio"]),
    (SMALL, ["summaries", 0, "equalized_odds_ratio"]),
    (SMALL, ["four_fifths", 0, "highest_group"]),
    (SMALL, ["calibration", 0, "bins", 0, "fraction_positive"]),
    (SMALL, ["threshold_sweep", 0, "groups", 0, "metrics", "tpr"]),
    (SMALL, ["threshold_sweep", 1, "equalized_odds_difference"]),
    (SMALL, ["params", "threshold"]),
    (SMALL, ["params", "pos_label"]),
    (SMALL, ["provenance", "dataset", "digest"]),
    (SMALL, ["provenance", "created_at"]),
    ("y_pred, two features, verdicts", ["verdicts", 0, "reason"]),
    ("y_pred, two features, verdicts", ["verdicts", 0, "estimate", "value"]),
    ("regression, one feature", ["groups", 0, "metrics", "rmse"]),
    ("regression, one feature", ["params", "y_pred"]),
]


@pytest.mark.parametrize(("case", "path"), NESTED, ids=["/".join(map(str, p)) for _, p in NESTED])
def test_a_missing_or_renamed_nested_key_fails(
    validator: jsonschema.Draft202012Validator,
    results: dict[str, dict[str, Any]],
    case: str,
    path: list[Any],
) -> None:
    payload = results[case]
    assert not validator.is_valid(_broken(payload, path, _delete)), f"deleting {path} passed"
    assert not validator.is_valid(_broken(payload, path, _rename)), f"renaming {path} passed"


def test_an_unknown_key_fails(
    validator: jsonschema.Draft202012Validator, results: dict[str, dict[str, Any]]
) -> None:
    payload = results["y_pred, one feature"]
    for path in (["extra"], ["groups", 0, "extra"], ["overall", "metrics", "extra"]):

        def add(parent: Any, key: Any) -> None:
            parent[key] = 1

        assert not validator.is_valid(_broken(payload, path, add)), path


def test_an_estimate_with_a_null_value_needs_its_reason(
    validator: jsonschema.Draft202012Validator, results: dict[str, dict[str, Any]]
) -> None:
    payload = results["y_pred, one feature"]

    def null_value(parent: Any, key: Any) -> None:
        parent[key] = {"value": None, "ci_low": None, "ci_high": None}

    def reason_with_value(parent: Any, key: Any) -> None:
        parent[key] = {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6, "undefined": "no rows"}

    def empty_reason(parent: Any, key: Any) -> None:
        parent[key] = {"value": None, "ci_low": None, "ci_high": None, "undefined": ""}

    def nan_value(parent: Any, key: Any) -> None:
        parent[key] = {"value": "NaN", "ci_low": None, "ci_high": None}

    for path in (
        ["groups", 0, "metrics", "tpr"],
        ["overall", "metrics", "accuracy"],
        ["disparities", 0, "difference"],
        ["summaries", 0, "demographic_parity_ratio"],
    ):
        for how in (null_value, reason_with_value, empty_reason, nan_value):
            assert not validator.is_valid(_broken(payload, path, how)), (path, how.__name__)


def test_a_result_survives_json_and_validates(
    validator: jsonschema.Draft202012Validator, results: dict[str, dict[str, Any]]
) -> None:
    payload = results["sample_weight, verdicts"]
    assert not _errors(validator, json.loads(json.dumps(payload)))


def test_a_date_sensitive_feature_gives_a_json_result(
    validator: jsonschema.Draft202012Validator,
) -> None:
    rng = np.random.default_rng(5)
    frame = pl.DataFrame(
        {
            "y": rng.integers(0, 2, 200),
            "pred": rng.integers(0, 2, 200),
            "cohort": rng.choice([dt.date(2023, 1, 1), dt.date(2024, 1, 1)], 200),
        }
    )
    result = fairness(frame, y_true="y", y_pred="pred", sensitive_features="cohort")
    payload = json.loads(result.to_json())
    assert not _errors(validator, payload)
