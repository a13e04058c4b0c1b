"""``assay mitigate``: reduce a model's disparity with Fairlearn or reweighing, judge it before and
after on held-out rows, draw the frontier, write the result and record it as evidence."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from assay.cli._console import make_console
from assay.cli._files import emit_text, write_output
from assay.errors import InputError

MODEL_HELP = (
    "The model: .joblib/.pkl (scikit-learn; pickles run code, load only trusted files), .onnx, "
    "models:/name/version or an MLflow folder, or an http(s) scoring URL. The reductions and "
    "reweighing methods refit it, so they need a scikit-learn estimator or pipeline."
)


def _split(values: list[str] | None) -> list[str]:
    return [p.strip() for v in values or [] for p in v.split(",") if p.strip()]


def _floats(text: str | None, option: str) -> list[float] | None:
    """``0.01,0.05`` → [0.01, 0.05]; a word that is not a number is refused by name."""
    if text is None:
        return None
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            out.append(float(part))
        except ValueError:
            raise InputError(
                f"{option}: '{part}' is not a number; give numbers in (0, 1] separated by "
                "commas, like 0.01,0.05,0.1."
            ) from None
    return out


def _est(entry: Any) -> str:
    if not isinstance(entry, dict) or entry.get("value") is None:
        return "—"
    text = f"{entry['value']:.3f}"
    if entry.get("ci_low") is not None and entry.get("ci_high") is not None:
        text += f" [{entry['ci_low']:.3f}, {entry['ci_high']:.3f}]"
    return text


def print_mitigation(payload: dict[str, Any], console: Console) -> None:
    """Before and after, then the frontier, as terminal tables."""
    metric = payload["disparity_metric"]
    table = Table(
        title=f"Mitigation: {payload['method']} for {payload['constraint']} "
        f"({payload['chosen']['label']}), {payload['n_test']:,} held-out rows"
    )
    for column in ("", "before", "after"):
        table.add_column(column)
    before, after = payload["before"], payload["after"]
    for key, label in (("accuracy", "accuracy"), ("disparity", metric)):
        table.add_row(label, _est(before[key]), _est(after[key]))
    if payload.get("limit") is not None:
        table.add_row(
            f"verdict (limit {payload['limit']:g})", str(before["verdict"]), str(after["verdict"])
        )
    console.print(table)
    frontier = Table(title="Frontier: every setting on the held-out rows")
    for column in ("setting", "accuracy", metric, "chosen"):
        frontier.add_column(column)
    for p in payload["frontier"]:
        frontier.add_row(
            p["label"], _est(p["accuracy"]), _est(p["disparity"]), "◀" if p["chosen"] else ""
        )
    console.print(frontier)


def _record(
    payload: dict[str, Any],
    system: str | None,
    model_version: str | None,
    risk: str | None,
    workspace: Path | None,
    console: Console,
) -> None:
    """File the result as ``mitigation`` evidence, and link it to a risk when asked."""
    assert system and model_version  # checked before the run
    from assay.governance import link_risk_evidence, open_workspace, record_evaluation

    ws = open_workspace(workspace)
    try:
        record = record_evaluation(
            ws, payload, kind="mitigation", system=system, model_version=model_version,
            title=f"Mitigation ({payload['method']}, {payload['constraint']})",
        )  # fmt: skip
        if risk:
            link_risk_evidence(ws, risk, record.ref)
    finally:
        ws.store.dispose()
    console.print(f"recorded evidence {record.ref}" + (f" and linked it to {risk}" if risk else ""))


def mitigate_command(
    model: str = typer.Option(..., "--model", "-m", help=MODEL_HELP),
    train: Path = typer.Option(..., "--train", help="Rows the method learns from (.parquet, ...)."),
    test: Path = typer.Option(..., "--test", help="Held-out rows it is judged on."),
    y_true: str = typer.Option(..., "--y-true", help="Column of true labels (binary)."),
    sensitive: list[str] = typer.Option(
        ..., "--sensitive", help="Sensitive column(s); repeat or separate with commas."
    ),
    method: str = typer.Option(
        "threshold",
        "--method",
        help="threshold, exponentiated_gradient, grid_search or reweighing.",
    ),
    constraint: str = typer.Option(
        "demographic_parity",
        "--constraint",
        help="demographic_parity, equalized_odds or true_positive_rate_parity.",
    ),
    tolerance: float | None = typer.Option(
        None, "--tolerance", help="The chosen setting, in (0, 1]: tolerance or reweighing strength."
    ),
    tolerances: str | None = typer.Option(
        None, "--tolerances", help="Settings of the frontier, comma-separated, each in (0, 1]."
    ),
    grid_size: int = typer.Option(10, "--grid-size", help="Grid points of grid_search (2-200)."),
    limit: float | None = typer.Option(
        None, "--limit", help="Limit on the disparity: before and after get a verdict."
    ),
    pos_label: str | None = typer.Option(None, "--pos-label", help="Favourable label."),
    model_pos_label: str | None = typer.Option(
        None, "--model-pos-label", help="The model's class for the favourable label."
    ),
    features: list[str] | None = typer.Option(
        None, "--features", help="Model input columns (default: what the model declares)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the thresholds (.json) or mitigated model (.joblib)."
    ),
    chart: Path | None = typer.Option(None, "--chart", help="Write the frontier as SVG."),
    result_file: Path | None = typer.Option(None, "--result", help="Write the result as JSON."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    n_bootstrap: int = typer.Option(200, "--n-bootstrap", min=100, help="Bootstrap replicates."),
    random_state: int = typer.Option(0, "--random-state", help="Seed of every random step."),
    record: bool = typer.Option(False, "--record", help="File the result as evidence."),
    system: str | None = typer.Option(None, "--system", help="With --record: the AI system."),
    model_version: str | None = typer.Option(
        None, "--model-version", help="With --record: the model version that was mitigated."
    ),
    risk: str | None = typer.Option(
        None, "--risk", help="With --record: link the evidence to this risk (RISK-N)."
    ),
    workspace: Path | None = typer.Option(
        None, "--workspace", help="A folder inside the workspace (default: the current one)."
    ),
) -> None:
    """Mitigate a model's disparity (Fairlearn, reweighing): before/after evidence, frontier."""
    _execute(dict(locals()))


def _execute(o: dict[str, Any]) -> None:
    """Check the recording options, run the mitigation, print and write what was asked for."""
    from assay.documents import mitigation_frontier_svg
    from assay.mitigate import mitigate

    console = make_console(stderr=o["as_json"])
    if o["risk"] and not o["record"]:
        raise InputError("--risk links the recorded evidence to a risk: add --record.")
    if o["record"] and not (o["system"] and o["model_version"]):
        raise InputError(
            "--record files the result as evidence of a system's model version: give --system "
            "NAME and --model-version VERSION (the version that was mitigated)."
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        done = mitigate(
            o["model"], o["train"], o["test"], y_true=o["y_true"],
            sensitive_features=_split(o["sensitive"]), method=o["method"],
            constraint=o["constraint"], tolerance=o["tolerance"],
            tolerances=_floats(o["tolerances"], "--tolerances"), grid_size=o["grid_size"],
            limit=o["limit"], pos_label=o["pos_label"], model_pos_label=o["model_pos_label"],
            features=_split(o["features"]) or None, output=o["output"],
            n_bootstrap=o["n_bootstrap"], random_state=o["random_state"],
        )  # fmt: skip
    err = make_console(stderr=True)
    for message in dict.fromkeys(str(w.message) for w in caught):
        err.print(f"[yellow]warning:[/] {message}", soft_wrap=True)
    payload = done.result.to_dict()
    if o["as_json"]:
        emit_text(done.result.to_json(), None, console)
    else:
        print_mitigation(payload, console)
    if o["output"] is not None:
        console.print(f"wrote {payload['artefact']['kind']} to {o['output']}")
    if o["chart"] is not None:
        write_output(o["chart"], mitigation_frontier_svg(payload), option="--chart")
    if o["result_file"] is not None:
        write_output(o["result_file"], done.result.to_json(), option="--result")
    if o["record"]:
        _record(payload, o["system"], o["model_version"], o["risk"], o["workspace"], console)
