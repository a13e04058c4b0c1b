"""``assay evaluate ...``: run an evaluation on a file and print or write the result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer
from rich.console import Console

from assay.cli._console import make_console
from assay.cli._fairness_table import print_fairness
from assay.cli._files import emit_text, format_for
from assay.cli._source import DATA_HELP, read_source, with_source
from assay.errors import InputError
from assay.evaluate import FairnessResult, fairness

if TYPE_CHECKING:
    from assay.sources import SourceSpec

evaluate_app = typer.Typer(
    help="Evaluate a model's predictions: fairness and performance by group.",
    no_args_is_help=True,
)

FORMATS = ("table", "json", "html", "md")


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _parse_limits(values: list[str]) -> dict[str, float]:
    limits: dict[str, float] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise InputError(
                "--limit takes NAME=VALUE, for example demographic_parity_difference=0.1; got "
                f"'{item}'."
            )
        try:
            limits[name.strip()] = float(raw)
        except ValueError:
            raise InputError(
                f"--limit {name.strip()} needs a number after '=', got '{raw}'."
            ) from None
    return limits


def _parse_reference(value: str | None, features: list[str]) -> Any:
    if value is None:
        return None
    if "=" not in value:
        return value
    pairs: dict[str, str] = {}
    for part in value.split(","):
        feature, sep, group = part.partition("=")
        if not sep:
            raise InputError(
                f"--reference-group takes FEATURE=VALUE[,FEATURE=VALUE]; got '{value}'."
            )
        pairs[feature.strip()] = group.strip()
    if len(features) == 1 and list(pairs) == features:
        return pairs[features[0]]
    return pairs


def _score_bins(value: str) -> Any:
    if value in ("auto", "exact"):
        return value
    try:
        return int(value)
    except ValueError:
        raise InputError(
            f"--score-bins takes auto, exact or a multiple of 100; got '{value}'."
        ) from None


def write_result(result: FairnessResult, fmt: str, output: Path | None, console: Console) -> None:
    """Print or write a fairness result in one of ``FORMATS``."""
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}; got '{fmt}'.")
    if fmt == "table":
        if output is not None:
            raise InputError(
                "--format table prints to the terminal; use json, html or md with --output."
            )
        print_fairness(result, console)
        return
    if fmt == "json":
        text = result.to_json()
    else:
        from assay.documents import render_fairness_html, render_fairness_markdown

        render = render_fairness_html if fmt == "html" else render_fairness_markdown
        text = render(result.to_dict())
    emit_text(text, output, console)


TASK_HELP = "classification, multiclass or regression (more than two --y-true labels: multiclass)."


@evaluate_app.command("fairness")
@with_source("data")
def fairness_command(
    data: str | None = typer.Argument(
        None, help="Predictions with labels and sensitive features: " + DATA_HELP
    ),
    y_true: str = typer.Option(
        ..., "--y-true", help="Column of true labels (or targets for regression)."
    ),
    sensitive: list[str] = typer.Option(
        ..., "--sensitive", help="Sensitive feature column(s); repeat or separate with commas."
    ),
    y_pred: str | None = typer.Option(None, "--y-pred", help="Column of predicted labels."),
    y_score: str | None = typer.Option(
        None, "--y-score", help="Column of scores; positive when score >= --threshold."
    ),
    threshold: float | None = typer.Option(
        None,
        "--threshold",
        help="Decision threshold for --y-score (default 0.5 for probabilities).",
    ),
    pos_label: str | None = typer.Option(
        None, "--pos-label", help="The positive label, unless labels are 0/1 or true/false."
    ),
    sample_weight: str | None = typer.Option(
        None, "--sample-weight", help="Column of non-negative row weights."
    ),
    task: str = typer.Option("classification", "--task", help=TASK_HELP),
    reference_group: str | None = typer.Option(
        None,
        "--reference-group",
        help="VALUE, or FEATURE=VALUE[,FEATURE=VALUE]; default: the largest group.",
    ),
    min_group_size: int = typer.Option(
        30, "--min-group-size", min=1, help="Groups smaller than this cannot support a verdict."
    ),
    limit: list[str] = typer.Option(
        [],
        "--limit",
        help="Verdict threshold NAME=VALUE, e.g. demographic_parity_difference=0.1; repeatable.",
    ),
    ci_level: float = typer.Option(
        0.95, "--ci-level", min=0, max=1, help="Confidence level of intervals and verdicts."
    ),
    n_bootstrap: int = typer.Option(1000, "--n-bootstrap", min=100, help="Bootstrap replicates."),
    score_bins: str = typer.Option(
        "auto", "--score-bins", help="auto, exact, or a number of bins (multiple of 100)."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed of the bootstrap."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json, html or md."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file instead of the terminal."
    ),
    record: bool = typer.Option(
        False, "--record", help="File the result as evidence in the workspace (needs --system)."
    ),
    system: str | None = typer.Option(None, "--system", help="With --record: the AI system."),
    model_version: str | None = typer.Option(
        None, "--model-version", help="With --record: the system's model version evaluated."
    ),
    dataset_version: str | None = typer.Option(
        None, "--dataset-version", help="With --record: the dataset version (name@version)."
    ),
    source: SourceSpec | None = None,
) -> None:
    """Performance and fairness by group, with confidence intervals and verdicts."""
    opts = _FairnessOptions(
        data=data, y_true=y_true, sensitive=sensitive, y_pred=y_pred, y_score=y_score,
        threshold=threshold, pos_label=pos_label, sample_weight=sample_weight, task=task,
        reference_group=reference_group, min_group_size=min_group_size, limit=limit,
        ci_level=ci_level, n_bootstrap=n_bootstrap, score_bins=score_bins, seed=seed, fmt=fmt,
        output=output, record=record, system=system, model_version=model_version,
        dataset_version=dataset_version,
    )  # fmt: skip
    fmt = _check_options(opts)
    result = read_source(source, lambda data: _evaluate(opts, data))
    console = make_console(stderr=fmt != "table" and output is None)
    write_result(result, fmt, output, console)
    if record:
        _record_fairness(result, opts, console)


@dataclass(frozen=True)
class _FairnessOptions:
    """The options of ``assay evaluate fairness``, as given."""

    data: str | None
    y_true: str
    sensitive: list[str]
    y_pred: str | None
    y_score: str | None
    threshold: float | None
    pos_label: str | None
    sample_weight: str | None
    task: str
    reference_group: str | None
    min_group_size: int
    limit: list[str]
    ci_level: float
    n_bootstrap: int
    score_bins: str
    seed: int
    fmt: str
    output: Path | None
    record: bool
    system: str | None
    model_version: str | None
    dataset_version: str | None


def _check_options(opts: _FairnessOptions) -> str:
    """Refuse options that do not go together, before any data is read; return the format."""
    if opts.record and (opts.system is None or opts.model_version is None):
        raise InputError(
            "--record files the result as evidence of a model version: give --system NAME and "
            "--model-version VERSION as well."
        )
    if opts.task not in ("classification", "multiclass", "regression"):
        raise InputError(
            f"--task must be classification, multiclass or regression; got '{opts.task}'."
        )
    fmt = format_for(opts.fmt, opts.output, FORMATS, default="table")
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}; got '{fmt}'.")
    return fmt


def _evaluate(opts: _FairnessOptions, data: Any) -> FairnessResult:
    """The evaluation the options ask for, on the opened source's ``data``."""
    features = _split(opts.sensitive)
    return fairness(
        data,
        y_true=opts.y_true,
        y_pred=opts.y_pred,
        y_score=opts.y_score,
        threshold=opts.threshold,
        sensitive_features=features,
        pos_label=opts.pos_label,
        sample_weight=opts.sample_weight,
        task=TASKS[opts.task],
        reference_group=_parse_reference(opts.reference_group, features),
        min_group_size=opts.min_group_size,
        thresholds=_parse_limits(opts.limit),
        ci_level=opts.ci_level,
        n_bootstrap=opts.n_bootstrap,
        score_bins=_score_bins(opts.score_bins),
        random_state=opts.seed,
    )


TASKS: dict[str, Literal["classification", "multiclass", "regression"]] = {
    "classification": "classification",
    "multiclass": "multiclass",
    "regression": "regression",
}


def _record_fairness(result: FairnessResult, opts: _FairnessOptions, console: Console) -> None:
    """File the result as evidence of the model version in the workspace found from here."""
    assert opts.system is not None and opts.model_version is not None
    from assay.governance import open_workspace, record_evaluation

    workspace = open_workspace()
    try:
        evidence = record_evaluation(
            workspace,
            result.to_dict(),
            kind="fairness",
            system=opts.system,
            model_version=opts.model_version,
            dataset_version=opts.dataset_version,
        )
    finally:
        workspace.close()
    console.print(
        f"recorded as evidence {evidence.ref} (sha256 {evidence.blob_sha256[:12]}…) "
        f"for {opts.system} {opts.model_version}"
    )
