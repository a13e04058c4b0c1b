"""The demo's model: a seeded gradient-boosting income classifier on UCI Adult, its scored
held-out split, its fairness evaluation and the digest of its artefact.

The model needs scikit-learn (the ``[demo]`` extra); it is imported when the model is trained.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from assay.datasets import ADULT_LABEL, ADULT_POSITIVE_LABEL, load_adult
from assay.errors import InputError
from assay.evaluate import FairnessResult, fairness

SEED = 20240601
DEMO_LIMITS = {
    "demographic_parity_difference": 0.10,
    "equalized_odds_difference": 0.10,
    "demographic_parity_ratio": 0.80,
}


@dataclass(frozen=True)
class DemoModel:
    """What the demo trained, and the scored test split."""

    estimator: Any
    scored: pl.DataFrame
    train_rows: int


def train_adult_model(seed: int = SEED) -> DemoModel:
    """Train a gradient-boosting income classifier on a seeded 70% split of Adult; score 30%."""
    try:
        import numpy as np
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError:
        raise InputError(
            "The demo trains a scikit-learn model; install the extra with "
            "`pip install 'assay-rai[demo]'` (make demo does this for you)."
        ) from None
    adult = load_adult()
    rng = np.random.default_rng(seed)
    in_test = rng.random(adult.height) < 0.3
    features = adult.drop(ADULT_LABEL)
    frame = features.to_pandas()
    for col in frame.columns:
        if not str(frame[col].dtype).startswith(("int", "Int", "float")):
            frame[col] = frame[col].astype("category")
    label = (adult.get_column(ADULT_LABEL) == ADULT_POSITIVE_LABEL).to_numpy()
    model = HistGradientBoostingClassifier(
        categorical_features="from_dtype", max_iter=200, learning_rate=0.1, random_state=seed
    )
    model.fit(frame[~in_test], label[~in_test])
    score = model.predict_proba(frame[in_test])[:, 1]
    test = adult.filter(pl.Series(in_test))
    scored = test.with_columns(
        pl.Series("score", score),
        pl.Series("prediction", np.where(score >= 0.5, ADULT_POSITIVE_LABEL, "<=50K")),
    )
    return DemoModel(model, scored, int((~in_test).sum()))


def evaluate_demo(predictions: Path) -> FairnessResult:
    """The demo's fairness evaluation: sex, race and their intersection, with the demo's limits."""
    return fairness(
        predictions,
        y_true=ADULT_LABEL,
        y_score="score",
        threshold=0.5,
        pos_label=ADULT_POSITIVE_LABEL,
        sensitive_features=["sex", "race"],
        thresholds=DEMO_LIMITS,
        random_state=SEED,
    )


def model_sha256(estimator: Any) -> str:
    """The sha256 (hex) of the estimator pickled by joblib: the model version's artefact digest."""
    import joblib

    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    return hashlib.sha256(buffer.getvalue()).hexdigest()
