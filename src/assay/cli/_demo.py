"""``assay demo``: the whole workflow end to end on the UCI Adult data, in a folder it names.

It trains a scikit-learn model with a fixed seed (the ``[demo]`` extra), evaluates it for sex, race
and their intersection, and writes the reports. Every step is a library call a user could make.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from assay.cli._fairness_table import print_fairness
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


def demo_command(
    output: Path = typer.Option(
        Path("assay-demo"), "--output", "-o", help="Folder for everything the demo writes."
    ),
) -> None:
    """Run Assay end to end on the UCI Adult data and write the results to a folder."""
    from assay.documents import render_fairness_html, render_fairness_markdown

    console = Console()
    output.mkdir(parents=True, exist_ok=True)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    with progress:
        steps = progress.add_task("Assay demo", total=3)
        progress.update(
            steps, description="Training a gradient-boosting model on UCI Adult (70% split)"
        )
        model = train_adult_model()
        predictions = output / "adult_test_predictions.parquet"
        model.scored.write_parquet(predictions)
        progress.advance(steps)

        progress.update(steps, description="Evaluating fairness by sex, race and sex × race")
        result = evaluate_demo(predictions)
        progress.advance(steps)

        progress.update(steps, description="Writing the evaluation report (HTML, Markdown, JSON)")
        payload = result.to_dict()
        (output / "fairness.json").write_text(result.to_json(), encoding="utf-8")
        (output / "fairness.html").write_text(
            render_fairness_html(payload, title="Adult income model — fairness evaluation"),
            encoding="utf-8",
        )
        (output / "fairness.md").write_text(
            render_fairness_markdown(payload, title="Adult income model — fairness evaluation"),
            encoding="utf-8",
        )
        progress.advance(steps)
        progress.update(steps, description="Done")

    print_fairness(result, console)
    console.print(
        f"\n[bold]Demo finished.[/bold] Trained on {model.train_rows:,} rows, evaluated "
        f"{result.n:,} held-out rows. Everything is in [bold]{output.resolve()}[/bold]:\n"
        f"  fairness.html  the evaluation report (open it in a browser)\n"
        f"  fairness.md    the same as Markdown\n"
        f"  fairness.json  the result (schema assay.fairness/v1)\n"
        f"  {predictions.name}  the scored test split"
    )
