"""The input files of the golden tests, written from the shipped datasets with fixed seeds.

Predictions come from a hand-written score (no training), so they never depend on a library's
optimiser; the one trained model (for robustness) is a logistic regression on German Credit.
Tables are written as CSV, not Parquet: outputs quote the sha256 of their input file, and a
Parquet file's bytes name the polars version that wrote it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

ADULT_ROWS = 3000

SCHEMA_YAML = """\
columns:
  age: {type: integer, min: 17, max: 90, nullable: false}
  sex: {type: string, allowed: [Female, Male]}
  race: {type: string}
  hours_per_week: {type: integer, min: 1, max: 80}
  workclass: {type: string, nullable: false}
  income: {type: string, allowed: ["<=50K", ">50K"]}
  zip: {type: string, pattern: '^[0-9]{5}$', required: false}
allow_extra_columns: true
"""

POPULATION_YAML = """\
source: Golden-file test figures (shaped like census marginals)
year: 1990
marginals:
  sex: {Female: 0.51, Male: 0.49}
  race: {White: 0.80, Black: 0.12, Asian-Pac-Islander: 0.03, "(other)": 0.05}
"""

SCENARIO_YAML = """\
schema: assay.robustness-scenarios/v1
limits: {accuracy_drop: 0.05, flip_rate: 0.1}
probes:
  - kind: gaussian_noise
    scale: 0.2
  - kind: missing_values
    features: [savings_status]
  - kind: counterfactual
    feature: sex
"""

#: A probe of a column that does not exist: it errors, so ``--strict`` exits with 1.
STRICT_YAML = """\
probes:
  - kind: missing_values
    features: [nope]
  - kind: typos
    fraction: 0.2
"""

ROBUSTNESS_FEATURES = [
    "checking_status",
    "duration_months",
    "credit_amount",
    "savings_status",
    "installment_rate",
    "age",
    "sex",
]


def scored_adult(n: int = ADULT_ROWS) -> pl.DataFrame:
    """The first ``n`` rows of Adult with a hand-written score and its 0.5-threshold prediction."""
    from assay.datasets import load_adult

    frame = load_adult().head(n)
    logit = (
        0.45 * (pl.col("education_num") - 10)
        + 0.04 * (pl.col("hours_per_week") - 40)
        + 0.03 * (pl.col("age") - 38)
        + 1.5 * (pl.col("capital_gain") > 5000).cast(pl.Float64)
        + 0.9 * (pl.col("relationship") == "Husband").cast(pl.Float64)
        - 1.6
    )
    return frame.with_columns(score=(1 / (1 + (-logit).exp())).round(6)).with_columns(
        prediction=pl.when(pl.col("score") >= 0.5).then(pl.lit(">50K")).otherwise(pl.lit("<=50K"))
    )


def _drift_pair(scored: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Reference: the first 1,500 scored rows; current: the next 1,500, older, more hours."""
    columns = ["age", "sex", "race", "hours_per_week", "education", "score", "income"]
    reference = scored.head(1500).select(columns)
    current = (
        scored.slice(1500, 1500)
        .select(columns)
        .with_columns(
            age=pl.col("age") + 4,
            hours_per_week=pl.col("hours_per_week") + (pl.col("sex") == "Male").cast(pl.Int64) * 3,
        )
    )
    return reference, current


def _robustness_model(folder: Path) -> None:
    import joblib
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from assay.datasets import load_german_credit

    credit = load_german_credit().select([*ROBUSTNESS_FEATURES, "credit_risk"])
    credit.write_csv(folder / "credit.csv")
    numeric = ["duration_months", "credit_amount", "installment_rate", "age"]
    text = ["checking_status", "savings_status", "sex"]
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), text),
        ]
    )
    pipe = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))])
    pipe.fit(credit.select(ROBUSTNESS_FEATURES).to_pandas(), credit["credit_risk"].to_numpy())
    joblib.dump(pipe, folder / "credit-model.joblib")


def gate_predictions(path: Path, *, rate_a: float, rate_b: float, n: int, seed: int) -> Path:
    """Predictions where groups a and b are selected at the given rates (labels agree 90%)."""
    rng = np.random.default_rng(seed)
    group = np.array(["a", "b"] * (n // 2))
    pred = (rng.random(n) < np.where(group == "a", rate_a, rate_b)).astype(int)
    y = np.where(rng.random(n) < 0.9, pred, 1 - pred)
    pl.DataFrame({"y": y, "pred": pred, "sex": group}).write_csv(path)
    return path


def write_inputs(work: Path) -> None:
    """Write every input file under ``work/data``."""
    from assay.demo import demo_support_log

    data = work / "data"
    (work / "out").mkdir(parents=True)
    data.mkdir()
    scored = scored_adult()
    scored.write_csv(data / "scored.csv")
    reference, current = _drift_pair(scored)
    reference.write_csv(data / "reference.csv")
    current.write_csv(data / "current.csv")
    (data / "schema.yaml").write_text(SCHEMA_YAML, encoding="utf-8")
    (data / "population.yaml").write_text(POPULATION_YAML, encoding="utf-8")
    (data / "scenario.yaml").write_text(SCENARIO_YAML, encoding="utf-8")
    (data / "strict.yaml").write_text(STRICT_YAML, encoding="utf-8")
    demo_support_log(data / "support.jsonl", n=300)
    _robustness_model(data)
