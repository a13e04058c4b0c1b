"""Fixtures for the robustness tests: small synthetic data and models, and the demo's Adult model.

Tests that need the Adult model are grouped (``xdist_group("adult_model")``) so that it is trained
once per run; everything else uses models that fit in milliseconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import numpy as np
import polars as pl
import pytest


def make_data(n: int = 2000, seed: int = 0) -> pl.DataFrame:
    """Two numeric features, one categorical, a sex column the label does not depend on."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2])
    sex = rng.choice(["F", "M"], size=n, p=[0.4, 0.6])
    age = rng.integers(18, 80, size=n)
    logit = 2.0 * x1 + 0.5 * x2 + (colour == "red") * 0.8 - 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pl.DataFrame({"x1": x1, "x2": x2, "colour": colour, "age": age, "sex": sex, "y": y})


def fit_pipeline(frame: pl.DataFrame) -> Any:
    """A scikit-learn pipeline: one-hot for text, scaling for numbers, logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = ["x1", "x2", "colour", "age", "sex"]
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["x1", "x2", "age"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour", "sex"]),
        ]
    )
    pipe = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=500))])
    pipe.fit(frame.select(features).to_pandas(), frame["y"].to_numpy())
    return pipe


@pytest.fixture(scope="session")
def data() -> pl.DataFrame:
    return make_data()


@pytest.fixture(scope="session")
def pipeline(data: pl.DataFrame) -> Any:
    return fit_pipeline(data)


@pytest.fixture(scope="session")
def files(
    tmp_path_factory: pytest.TempPathFactory, data: pl.DataFrame, pipeline: Any
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("robustness")
    model = folder / "model.joblib"
    joblib.dump(pipeline, model)
    parquet = folder / "data.parquet"
    data.write_parquet(parquet)
    return {"model": model, "data": parquet, "folder": folder}


@pytest.fixture(scope="session")
def adult() -> Any:
    """The demo's HistGradientBoosting model on Adult and a 2,000-row slice of its test split."""
    from assay.demo import train_adult_model

    trained = train_adult_model()
    frame = trained.scored.drop("score", "prediction").head(2000)
    return trained.estimator, frame
