"""``assay robustness ...`` and ``assay explain``: probe a model, explain it, write the report."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from assay.cli._console import make_console
from assay.cli._files import emit_text, format_for, write_output
from assay.cli._outcome import note_errored, require_evaluated
from assay.cli._source import DATA_HELP, open_for_command, with_source
from assay.errors import InputError

if TYPE_CHECKING:
    from assay.robustness import ExplanationResult
    from assay.sources import SourceSpec

robustness_app = typer.Typer(
    help="Robustness and stress tests of a tabular classifier, by group, with verdicts.",
    no_args_is_help=True,
)

FORMATS = ("table", "json", "html", "md")
BADGES = {
    "pass": "[green]pass[/]",
    "fail": "[bold red]fail[/]",
    "insufficient_evidence": "[yellow]insufficient evidence[/]",
    "error": "[bold red]errored[/]",
    "none": "[dim]no limits[/]",
}


def _split(values: list[str] | None) -> list[str]:
    return [p.strip() for v in values or [] for p in v.split(",") if p.strip()]


@contextmanager
def _loading(console: Console) -> Iterator[Callable[[str], None]]:
    """Show progress on stderr (a spinner on a terminal, one line per step in a log) and print
    the warnings raised meanwhile once each, not once per batch."""
    err = make_console(stderr=True, highlight=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with err.status("Starting", spinner="dots") as status:

            def say(message: str) -> None:
                if err.is_terminal:
                    status.update(message)
                else:
                    err.print(f"… {message}", soft_wrap=True)

            yield say
    seen: set[tuple[type[Warning], str]] = set()
    for w in caught:
        key = (w.category, str(w.message))
        if issubclass(w.category, UserWarning) and key not in seen:
            seen.add(key)
            err.print(f"[yellow]warning:[/] {w.message}", soft_wrap=True)


def _est(entry: Any, signed: bool = False) -> str:
    if not isinstance(entry, dict) or entry.get("value") is None:
        return "—"
    v = entry["value"]
    text = f"{v:+.3f}" if signed else f"{v:.3f}"
    if entry.get("ci_low") is not None and entry.get("ci_high") is not None:
        text += f" [{entry['ci_low']:.3f}, {entry['ci_high']:.3f}]"
    return text


def print_robustness(result: dict[str, Any], console: Console) -> None:
    """A terminal table: one row per probe with its verdict and overall changes."""
    table = Table(title=f"Robustness: {result['n']:,} rows, outcome {result['outcome']}")
    table.add_column("#", justify="right")
    table.add_column("probe", min_width=16, ratio=2)
    table.add_column("verdict", no_wrap=True)
    table.add_column("Δ accuracy", justify="right", ratio=1)
    table.add_column("flip / violation rate", justify="right", ratio=1)
    table.add_column("reason", ratio=4)
    for i, p in enumerate(result["probes"], start=1):
        overall = next((d for d in p.get("deltas", []) if not d["by"]), None)
        m = overall["metrics"] if overall else {}
        acc = (m.get("accuracy") or {}).get("delta")
        rate = m.get("flip_rate") or m.get("violation_rate")
        table.add_row(
            str(i),
            p["name"],
            BADGES.get(p["verdict"], p["verdict"]),
            _est(acc, signed=True),
            _est(rate),
            p.get("reason") or "",
        )
    console.print(table)
    timing = result.get("timing", {})
    if timing.get("predict_share") is not None:
        console.print(
            f"[dim]{timing['total_seconds']:.1f} s, {timing['predict_share']:.0%} of it in the "
            f"model's predict ({timing['rows_scored']:,} rows scored).[/]"
        )


def _record(
    payload: dict[str, Any],
    html: str,
    kind: str,
    system: str | None,
    model_version: str | None,
    workspace: Path | None,
    console: Console,
) -> None:
    if not system or not model_version:
        raise InputError(
            "--record files the result as evidence of a system's model version: give --system "
            "NAME and --model-version VERSION (registered with `assay system add NAME ...` and "
            "`assay model-version add NAME VERSION`)."
        )
    try:
        from assay.governance import open_workspace, record_derived, record_evaluation
    except ImportError:
        raise InputError(
            "--record needs the evidence store (assay.governance), which this installation lacks."
        ) from None
    ws = open_workspace(workspace)
    try:
        title = "Robustness and stress-test result" if kind == "robustness" else "Explanation"
        record: Any = record_evaluation(
            ws, payload, kind=kind, system=system, model_version=model_version, title=title
        )
        digest = (payload.get("provenance", {}).get("dataset") or {}).get("digest")
        report: Any = record_derived(  # the report is derived from the result just filed
            ws,
            builder=f"assay.robustness.render_{kind}_html",
            kind=f"{kind}_report",
            data=html.encode("utf-8"),
            title=f"{title} report (HTML)",
            media_type="text/html",
            system=system,
            model_version=model_version,
            dataset_digest=digest,
        )
    finally:
        ws.store.dispose()
    console.print(
        f"recorded evidence {getattr(record, 'ref', record)} (result) and "
        f"{getattr(report, 'ref', report)} (HTML report)"
    )


MODEL_HELP = (
    "The model: .joblib/.pkl (scikit-learn; pickles run code, load only trusted files), .onnx, "
    "models:/name/version or an MLflow folder, or an http(s) scoring URL."
)


@robustness_app.command("run")
@with_source("data")
def run_command(
    model: str = typer.Option(..., "--model", "-m", help=MODEL_HELP),
    data: str | None = typer.Option(None, "--data", "-d", help="Data: " + DATA_HELP),
    y_true: str = typer.Option(..., "--y-true", help="Column of true labels (binary)."),
    sensitive: list[str] = typer.Option(
        ..., "--sensitive", help="Column(s) to report by; repeat or separate with commas."
    ),
    scenarios: Path | None = typer.Option(
        None, "--scenarios", help="Scenario YAML (default: the built-in probes)."
    ),
    pos_label: str | None = typer.Option(
        None, "--pos-label", help="Favourable label, unless labels are 0/1 or true/false."
    ),
    model_pos_label: str | None = typer.Option(
        None, "--model-pos-label", help="The model's class for the favourable label."
    ),
    threshold: float | None = typer.Option(None, "--threshold", help="Decision threshold."),
    features: list[str] | None = typer.Option(
        None, "--features", help="Model input columns (default: what the model declares)."
    ),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1, help="Rows per model call."),
    timeout: float = typer.Option(
        30.0, "--timeout", min=0, help="Seconds an HTTP endpoint may take per batch."
    ),
    n_bootstrap: int = typer.Option(200, "--n-bootstrap", min=100, help="Bootstrap replicates."),
    with_explain: bool = typer.Option(
        False, "--explain", help="Add feature importances by group to the report."
    ),
    title: str | None = typer.Option(None, "--title", help="Report title."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json, html or md."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
    report_dir: Path | None = typer.Option(
        None, "--report-dir", help="Write robustness.json, .html and .md into this folder."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Exit with code 1 when the outcome is fail or a probe errored."
    ),
    record: bool = typer.Option(False, "--record", help="File the result and report as evidence."),
    system: str | None = typer.Option(None, "--system", help="With --record: the AI system."),
    model_version: str | None = typer.Option(
        None, "--model-version", help="With --record: the registered model version."
    ),
    workspace: Path | None = typer.Option(
        None, "--workspace", help="A folder inside the workspace (default: the current one)."
    ),
    source: SourceSpec | None = None,
) -> None:
    """Probe a model with noise, missing values, shifts and counterfactuals; verdicts by group."""
    from assay.robustness import explain, render_robustness_html, run_robustness

    fmt = _run_format(fmt, output)
    console = make_console(stderr=fmt != "table" and output is None)
    common: dict[str, Any] = {
        "y_true": y_true,
        "sensitive_features": _split(sensitive),
        "pos_label": pos_label,
        "model_pos_label": model_pos_label,
        "threshold": threshold,
        "features": _split(features) or None,
        "batch_size": batch_size,
        "timeout": timeout,
    }
    # the model scores the rows themselves: from a database or Spark they come to the client
    with _loading(console) as say, open_for_command(source) as opened, opened.reading():
        rows = opened.data
        result = run_robustness(
            model, rows, scenario=scenarios, n_bootstrap=n_bootstrap, progress=say, **common
        )
        explanation = (
            explain(model, rows, progress=say, **common).to_dict() if with_explain else None
        )
    payload = result.to_dict()
    _require_probed(payload)
    _write_run(payload, explanation, fmt, output, report_dir, title, console)
    if record:
        html = render_robustness_html(payload, explanation=explanation, title=title)
        _record(payload, html, "robustness", system, model_version, workspace, console)
    _check_strict(payload, strict, console)


def _run_format(fmt: str, output: Path | None) -> str:
    """The output format, from --format or the --output file's suffix."""
    fmt = format_for(fmt, output, FORMATS, default="table")
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}; got '{fmt}'.")
    if fmt == "table" and output is not None:
        raise InputError("--format table prints to the terminal; use json, html or md with -o.")
    return fmt


def _check_strict(payload: dict[str, Any], strict: bool, console: Console) -> None:
    """Count the errored probes; --strict exits 1 unless the outcome is pass and none errored."""
    probes = payload["probes"]
    errored = note_errored(
        sum(p["verdict"] == "error" for p in probes),
        len(probes),
        unit="probe",
        flag="--strict",
        console=console,
    )
    if strict and (errored or payload["outcome"] != "pass"):
        raise typer.Exit(1)


def _require_probed(payload: dict[str, Any]) -> None:
    """Exit 2 when no probe produced a verdict (the baseline failed, or every probe errored)."""
    probes = payload["probes"]
    first = payload.get("error") or next((p.get("error") for p in probes if p.get("error")), None)
    require_evaluated(
        sum(p["verdict"] != "error" for p in probes),
        len(probes),
        unit="probe",
        first_error=first,
        fix="Check that the model loads and scores these rows (its input columns, their types) "
        "and the feature names of the scenario.",
    )


def _write_run(
    payload: dict[str, Any],
    explanation: dict[str, Any] | None,
    fmt: str,
    output: Path | None,
    report_dir: Path | None,
    title: str | None,
    console: Console,
) -> None:
    """Print or write the run in ``fmt``, and the report folder when asked for."""
    from assay.robustness import render_robustness_html, render_robustness_markdown

    text = json.dumps(payload, indent=2, ensure_ascii=False)
    if fmt == "table":
        print_robustness(payload, console)
    elif fmt == "json":
        emit_text(text, output, console)
    elif fmt == "html":
        emit_text(render_robustness_html(payload, explanation=explanation, title=title), output,
                  console)  # fmt: skip
    else:
        emit_text(render_robustness_markdown(payload, explanation=explanation, title=title),
                  output, console)  # fmt: skip
    if report_dir is None:
        return
    files = {
        "robustness.json": text,
        "robustness.html": render_robustness_html(payload, explanation=explanation, title=title),
        "robustness.md": render_robustness_markdown(payload, explanation=explanation, title=title),
    }
    if explanation is not None:
        files["explanation.json"] = json.dumps(explanation, indent=2, ensure_ascii=False)
    for name, content in files.items():
        write_output(report_dir / name, content, option="--report-dir")
    console.print(f"wrote {', '.join(files)} in {report_dir}")


@robustness_app.command("probes")
def probes_command() -> None:
    """List the probe kinds, their parameters and the checks a limit can be set on."""
    from assay.robustness import CHECKS, DEFAULT_LIMITS, PROBE_KINDS

    console = make_console()
    table = Table(title="Probe kinds (scenario key: kind)")
    table.add_column("kind")
    table.add_column("what it does", overflow="fold")
    table.add_column("parameters (default)", overflow="fold")
    for kind, cls in PROBE_KINDS.items():
        fields = [
            f"{name} ({'required' if f.is_required() else f.default})"
            for name, f in cls.model_fields.items()
            if name not in ("kind", "name", "limits")
        ]
        table.add_row(kind, (cls.__doc__ or "").strip().splitlines()[0], ", ".join(fields))
    console.print(table)
    checks = Table(title="Checks (scenario key: limits)")
    checks.add_column("check")
    checks.add_column("default limit")
    checks.add_column("meaning", overflow="fold")
    for name, meaning in CHECKS.items():
        limit = DEFAULT_LIMITS.get(name)
        checks.add_row(name, "—" if limit is None else f"{limit:g}", meaning)
    console.print(checks)


@robustness_app.command("check")
def check_command(
    scenarios: Path = typer.Argument(..., help="Scenario YAML file to validate."),
) -> None:
    """Validate a scenario file and list its probes."""
    from assay.robustness import load_scenario

    spec = load_scenario(scenarios)
    console = make_console()
    for i, probe in enumerate(spec.probes, start=1):
        console.print(f"{i:>2}. {probe.label}  [dim]({probe.kind})[/]")
    console.print(f"[green]valid[/] {spec.schema_} scenario with {len(spec.probes)} probe(s).")


@robustness_app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of scenario files."""
    from assay.robustness import scenario_json_schema

    typer.echo(json.dumps(scenario_json_schema(), indent=2))


def print_importances(
    result: ExplanationResult,
    payload: dict[str, Any],
    sensitive: list[str],
    scoring: str,
    console: Console,
) -> None:
    """A terminal table: each feature's permutation importance overall and in each group
    (``payload`` is ``result.to_dict()``)."""
    table = Table(title=f"Permutation importance (drop in {scoring})")
    table.add_column("feature")
    table.add_column("overall")
    wide = {s: result.importances(s) for s in sensitive}
    for s, frame in wide.items():
        for col in frame.columns[1:]:
            table.add_column(f"{s}={col}")
    for entry in payload["permutation"]["overall"]:
        f = entry["feature"]
        cells = [_est(entry["importance"])]
        for frame in wide.values():
            row = frame.filter(frame["feature"] == f)
            cells += [
                "—" if row.is_empty() or row[c][0] is None else f"{row[c][0]:.3f}"
                for c in frame.columns[1:]
            ]
        table.add_row(f, *cells)
    console.print(table)


def explain_command(
    model: str = typer.Option(..., "--model", "-m", help=MODEL_HELP),
    data: Path = typer.Option(..., "--data", "-d", help="Data: .parquet, .csv, .tsv or .jsonl."),
    y_true: str = typer.Option(..., "--y-true", help="Column of true labels (binary)."),
    sensitive: list[str] = typer.Option(
        ..., "--sensitive", help="Column(s) to explain by; repeat or separate with commas."
    ),
    pos_label: str | None = typer.Option(None, "--pos-label", help="Favourable label."),
    model_pos_label: str | None = typer.Option(
        None, "--model-pos-label", help="The model's class for the favourable label."
    ),
    threshold: float | None = typer.Option(None, "--threshold", help="Decision threshold."),
    features: list[str] | None = typer.Option(None, "--features", help="Model input columns."),
    scoring: str = typer.Option(
        "accuracy", "--scoring", help="accuracy, balanced_accuracy or roc_auc."
    ),
    n_repeats: int = typer.Option(5, "--n-repeats", min=2, help="Shuffles per feature."),
    max_rows: int = typer.Option(
        1000, "--max-rows", min=1, help="Rows sampled overall and per group."
    ),
    shap: bool | None = typer.Option(
        None, "--shap/--no-shap", help="SHAP summaries (default: when shap is installed)."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed."),
    title: str | None = typer.Option(None, "--title", help="Report title."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json, html or md."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
    record: bool = typer.Option(False, "--record", help="File the result as evidence."),
    system: str | None = typer.Option(None, "--system", help="With --record: the AI system."),
    model_version: str | None = typer.Option(
        None, "--model-version", help="With --record: the registered model version."
    ),
    workspace: Path | None = typer.Option(None, "--workspace", help="A folder in the workspace."),
) -> None:
    """Feature importance overall and by group (permutation; SHAP with the explain extra)."""
    from assay.robustness import explain, render_explanation_html, render_explanation_markdown

    fmt = format_for(fmt, output, FORMATS, default="table")
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}; got '{fmt}'.")
    console = make_console(stderr=fmt != "table" and output is None)
    with _loading(console) as say:
        result = explain(
            model,
            data,
            y_true=y_true,
            sensitive_features=_split(sensitive),
            pos_label=pos_label,
            model_pos_label=model_pos_label,
            threshold=threshold,
            features=_split(features) or None,
            scoring=scoring,
            n_repeats=n_repeats,
            max_rows=max_rows,
            shap=shap,
            random_state=seed,
            progress=say,
        )
    payload = result.to_dict()
    html = render_explanation_html(payload, title=title)
    if fmt == "table":
        if output is not None:
            raise InputError("--format table prints to the terminal; use json, html or md.")
        print_importances(result, payload, _split(sensitive), scoring, console)
    elif fmt == "json":
        emit_text(result.to_json(), output, console)
    elif fmt == "html":
        emit_text(html, output, console)
    else:
        emit_text(render_explanation_markdown(payload, title=title), output, console)
    if record:
        _record(payload, html, "explanation", system, model_version, workspace, console)
