"""Small, seeded data for the mitigation tests: a score that favours group M, a logistic model
that does not see the group, and the train and held-out halves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression

FEATURES = ["x1", "x2"]


@dataclass(frozen=True)
class Split:
    train: pl.DataFrame
    test: pl.DataFrame
    model: Any


def biased_split(n: int = 1400, seed: int = 7) -> Split:
    """Rows where x1 is higher for group M and the label follows x1: the model's selection rate
    differs by group although the group is not one of its inputs."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n, p=[0.45, 0.55])
    x1 = rng.normal(size=n) + (sex == "M") * 0.8
    x2 = rng.normal(size=n)
    y = ((x1 + 0.5 * x2 + rng.normal(size=n)) > 0.6).astype(np.int64)
    frame = pl.DataFrame({"x1": x1, "x2": x2, "sex": sex, "y": y})
    train, test = frame[: n // 2], frame[n // 2 :]
    model = LogisticRegression().fit(train.select(FEATURES).to_pandas(), train["y"].to_numpy())
    return Split(train, test, model)
