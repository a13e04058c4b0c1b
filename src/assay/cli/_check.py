"""``assay check ...``: data quality and representativeness, reference profiles, drift."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from assay.cli._console import make_console
from assay.cli._files import emit_text, format_for, write_output
from assay.cli._outcome import note_errored, require_evaluated
from assay.cli._source import DATA_HELP, open_for_command, read_source, with_source
from assay.errors import InputError
from assay.evaluate import (
    DriftResult,
    QualityResult,
    ReferenceProfile,
    drift,
    quality,
    reference_profile,
)

if TYPE_CHECKING:
    from assay.sources import SourceSpec

check_app = typer.Typer(
    help="Check data: quality and representativeness, reference profiles, drift.",
    no_args_is_help=True,
)

FORMATS = ("table", "json")
DRIFT_FORMATS = (*FORMATS, "html")


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _proba(values: list[str]) -> str | dict[str, str] | None:
    items = _split(values)
    if not items:
        return None
    if len(items) == 1 and "=" not in items[0]:
        return items[0]
    out: dict[str, str] = {}
    for item in items:
        cls, sep, col = item.partition("=")
        if not sep or not cls or not col:
            raise InputError(
                f"--proba takes COLUMN (binary) or CLASS=COLUMN for each class; got '{item}'."
            )
        out[cls.strip()] = col.strip()
    return out


def _check_format(fmt: str, output: Path | None, formats: tuple[str, ...] = FORMATS) -> str:
    fmt = format_for(fmt, output, formats, default="table")
    if fmt not in formats:
        raise InputError(f"--format must be one of {', '.join(formats)}; got '{fmt}'.")
    if fmt == "table" and output is not None:
        raise InputError("--format table prints to the terminal; use --format json with --output.")
    return fmt


@check_app.command("data")
@with_source("data")
def data_command(
    data: str | None = typer.Argument(None, help="The data: " + DATA_HELP),
    sensitive: list[str] = typer.Option(
        [], "--sensitive", help="Protected feature column(s); repeat or separate with commas."
    ),
    label: str | None = typer.Option(None, "--label", help="The true label column."),
    proba: list[str] = typer.Option(
        [],
        "--proba",
        help="Out-of-sample probabilities: COLUMN of P(positive), or CLASS=COLUMN per class.",
    ),
    pos_label: str | None = typer.Option(None, "--pos-label", help="The positive label."),
    schema: Path | None = typer.Option(None, "--schema", help="Declared schema (YAML)."),
    population: Path | None = typer.Option(
        None, "--population", help="Population marginals (YAML), e.g. census shares."
    ),
    min_cell_size: int = typer.Option(
        30, "--min-cell-size", min=1, help="Groups and cells with fewer rows are reported as small."
    ),
    no_duplicates: bool = typer.Option(
        False, "--no-duplicates", help="Skip duplicate rows and conflicting labels."
    ),
    fail_on: str = typer.Option(
        "never", "--fail-on", help="Exit with code 1 on findings: never, error or warning."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write JSON to this file."),
    html: Path | None = typer.Option(
        None, "--html", help="Also write the HTML report (self-contained) to this file."
    ),
    record: bool = typer.Option(
        False, "--record", help="File the result as evidence (kind quality) in the workspace."
    ),
    system: str | None = typer.Option(None, "--system", help="With --record: the AI system."),
    model_version: str | None = typer.Option(
        None, "--model-version", help="With --record: the model version the data is for."
    ),
    dataset_version: str | None = typer.Option(
        None, "--dataset-version", help="With --record: the dataset version, as NAME@VERSION."
    ),
    workspace: Path | None = typer.Option(
        None, "--workspace", "-w", help="With --record: the workspace folder (default: found)."
    ),
    source: SourceSpec | None = None,
) -> None:
    """Missing values (by group), duplicates, schema violations, label noise, representativeness."""
    fmt = _check_format(fmt, output)
    _check_record_and_fail_on(record, system, model_version, fail_on)
    result = read_source(
        source,
        lambda data: _quality(data, sensitive, label, proba, pos_label, schema, population,
                              min_cell_size, no_duplicates),
    )  # fmt: skip
    console = make_console(stderr=fmt != "table" and output is None)
    _report_quality(result, fmt, output, html, console)
    if record:
        _record_quality(result, system, model_version, dataset_version, workspace, console)
    _exit_on_findings(result, fail_on)


def _quality(
    data: Any,
    sensitive: list[str],
    label: str | None,
    proba: list[str],
    pos_label: str | None,
    schema: Path | None,
    population: Path | None,
    min_cell_size: int,
    no_duplicates: bool,
) -> QualityResult:
    """The quality check the options of ``assay check data`` ask for."""
    return quality(
        data,
        sensitive_features=_split(sensitive) or None,
        label=label,
        y_proba=_proba(proba),
        pos_label=pos_label,
        schema=schema,
        population=population,
        min_cell_size=min_cell_size,
        duplicates=not no_duplicates,
    )


def _report_quality(
    result: QualityResult, fmt: str, output: Path | None, html: Path | None, console: Console
) -> None:
    """Print or write the result, and the HTML report when asked."""
    if fmt == "json":
        emit_text(result.to_json(), output, console)
    else:
        print_quality(result, console)
    if html is not None:
        from assay.documents import render_quality_html

        write_output(html, render_quality_html(result.to_dict()), option="--html")
        console.print(f"wrote {html}")


def _check_record_and_fail_on(
    record: bool, system: str | None, model_version: str | None, fail_on: str
) -> None:
    """Refuse --record without its system and model version, and an unknown --fail-on."""
    if record and (not system or not model_version):
        raise InputError(
            "--record files the check as evidence of a system's model version: give --system NAME "
            "and --model-version VERSION (registered with `assay system add NAME ...` and "
            "`assay model-version add NAME VERSION`)."
        )
    if fail_on not in ("never", "error", "warning"):
        raise InputError(f"--fail-on must be never, error or warning; got '{fail_on}'.")


def _exit_on_findings(result: QualityResult, fail_on: str) -> None:
    """Exit 1 when a finding is as severe as --fail-on asks for."""
    severities = {w["severity"] for w in result.warnings}
    if (fail_on == "error" and "error" in severities) or (
        fail_on == "warning" and severities & {"error", "warning"}
    ):
        raise typer.Exit(1)


def _record_quality(
    result: QualityResult,
    system: str | None,
    model_version: str | None,
    dataset_version: str | None,
    workspace: Path | None,
    console: Console,
) -> None:
    from assay.governance import open_workspace, record_evaluation

    ws = open_workspace(workspace)
    try:
        evidence = record_evaluation(
            ws,
            result.to_dict(),
            kind="quality",
            system=str(system),
            model_version=str(model_version),
            dataset_version=dataset_version,
            title="Data quality and representativeness",
        )
    finally:
        ws.close()
    console.print(f"recorded evidence {evidence.ref}")


def print_quality(result: QualityResult, console: Console) -> None:
    """The findings, then one line per column."""
    p = result.to_dict()
    console.print(f"[bold]Data quality[/] — {p['n']} rows, {len(p['columns'])} columns")
    if not p["warnings"]:
        console.print("no findings")
    for w in p["warnings"]:
        colour = {"error": "red", "warning": "yellow"}.get(w["severity"], "cyan")
        console.print(f"[{colour}]{w['severity']:7s}[/] {w['check']}: {w['message']}")
    table = Table(show_edge=False, header_style="bold")
    for name in ("column", "type", "missing", "min", "max"):
        table.add_column(name, justify="right" if name == "missing" else "left")
    for c in p["columns"]:
        table.add_row(
            c["column"] + (" (constant)" if c["constant"] else ""),
            c["dtype"],
            f"{c['missing']} ({c['missing_rate']:.1%})" if c["missing"] else "0",
            "" if c["min"] is None else str(c["min"]),
            "" if c["max"] is None else str(c["max"]),
        )
    console.print(table)


@check_app.command("profile")
def profile_command(
    data: Path = typer.Argument(..., help="The reference data (training or launch data)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the profile (.json)."),
    sensitive: list[str] = typer.Option(
        [], "--sensitive", help="Protected features whose groups get their own profile."
    ),
    prediction: str | None = typer.Option(None, "--prediction", help="Prediction column."),
    label: str | None = typer.Option(None, "--label", help="Label column."),
    columns: list[str] = typer.Option([], "--columns", help="Only these columns."),
    bins: int = typer.Option(
        2000, "--bins", min=10, max=100_000, help="Fine cells of each numeric column's grid."
    ),
) -> None:
    """Profile the reference data once; reuse the profile for every drift check."""
    if output.suffix.lower() != ".json":
        raise InputError(f"--output must end in .json; got '{output.name}'.")
    profile = reference_profile(
        data,
        columns=_split(columns) or None,
        sensitive_features=_split(sensitive) or None,
        prediction=prediction,
        label=label,
        bins=bins,
    )
    write_output(output, profile.to_json())
    make_console(stderr=True).print(
        f"wrote {output}: {profile.n} rows, {len(profile.columns)} columns, {profile.digest}"
    )


def load_reference(path: Path) -> ReferenceProfile | Path:
    """A saved profile when ``path`` is a ``.json`` profile, else the path of the data."""
    if path.suffix.lower() == ".json":
        if not path.exists():
            raise InputError(f"The profile '{path}' does not exist.")
        from assay.governance import parse_json

        # within the JSON limits: a profile nested thousands deep, or with a 5,000-digit number,
        # is refused here rather than crashing the reader
        head = parse_json(path.read_bytes(), what=f"The profile '{path}'")
        return ReferenceProfile.from_dict(head)
    return path


@check_app.command("drift")
@with_source("current")
def drift_command(
    reference: Path = typer.Argument(
        ..., help="Reference data, or a profile saved by `assay check profile DATA -o FILE.json`."
    ),
    current: str | None = typer.Argument(None, help="The current data: " + DATA_HELP),
    sensitive: list[str] = typer.Option([], "--sensitive", help="Check drift within groups."),
    prediction: str | None = typer.Option(None, "--prediction", help="Prediction column."),
    label: str | None = typer.Option(None, "--label", help="Label column."),
    columns: list[str] = typer.Option([], "--columns", help="Only these columns."),
    test: str = typer.Option(
        "auto", "--test", help="auto, ks, chi_square, psi, jensen_shannon or wasserstein."
    ),
    alpha: float = typer.Option(
        0.05, "--alpha", min=0, max=1, help="False-discovery rate (Benjamini–Hochberg)."
    ),
    save_profile: Path | None = typer.Option(
        None, "--save-profile", help="Also save the reference profile built from the data."
    ),
    fail_on_drift: bool = typer.Option(
        False, "--fail-on-drift", help="Exit with code 1 when any column drifts."
    ),
    fmt: str = typer.Option(
        "table",
        "--format",
        "-f",
        help="table, json, or html (a report with each column's distribution).",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the JSON or HTML to this file."
    ),
    source: SourceSpec | None = None,
) -> None:
    """Drift of every column (and within groups) between reference and current data."""
    fmt = _check_format(fmt, output, DRIFT_FORMATS)
    ref = load_reference(reference)
    if isinstance(ref, Path):
        ref = reference_profile(
            ref,
            columns=_split(columns) or None,
            sensitive_features=_split(sensitive) or None,
            prediction=prediction,
            label=label,
        )
        if save_profile is not None:
            write_output(save_profile, ref.to_json(), option="--save-profile")
    from assay.sources import stamp_source

    with open_for_command(source) as opened:
        with opened.reading():
            result = drift(
                ref,
                opened.data,
                columns=_split(columns) or None,
                sensitive_features=_split(sensitive) or None,
                test=test,
                alpha=alpha,
                distributions=fmt == "html",
            )
        result = stamp_source(result, opened)
        _require_compared(result, opened.label)
    console = make_console(stderr=fmt != "table" and output is None)
    if fmt == "json":
        emit_text(result.to_json(), output, console)
    elif fmt == "html":
        from assay.documents import render_drift_html

        emit_text(render_drift_html(result.to_dict()), output, console)
    else:
        print_drift(result, console)
    summary = result.to_dict()["summary"]
    untested = note_errored(
        summary["n_columns"] - summary["n_tested"],
        summary["n_columns"],
        unit="column",
        flag="--fail-on-drift",
        console=make_console(stderr=True),
        verb="could not be compared",
    )
    if fail_on_drift and (result.drifted or untested):
        raise typer.Exit(1)


def _require_compared(result: DriftResult, current: str) -> None:
    """Exit 2 when the current data has no rows or no column could be compared."""
    payload = result.to_dict()
    if payload["current"]["n"] == 0:
        raise InputError(
            f"The current data '{current}' has no rows (only a header?); nothing was compared. "
            "Give a file that holds the batch to check."
        )
    problems = payload["problems"]
    require_evaluated(
        payload["summary"]["n_tested"],
        payload["summary"]["n_columns"],
        unit="column",
        first_error=problems[0]["message"] if problems else None,
        fix="Check that the current data has the reference's columns, with the same types.",
    )


def _fmt(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:.3g}"
    return str(x)


def print_drift(result: DriftResult, console: Console) -> None:
    """One line per column, then the groups with drift and the problems."""
    p = result.to_dict()
    s = p["summary"]
    console.print(
        f"[bold]Drift[/] — reference {p['reference']['n']} rows, current {p['current']['n']} "
        f"rows: {s['n_drifted']} of {s['n_tested']} columns drifted"
        + (" [red](dataset drift)[/]" if s["dataset_drift"] else "")
    )
    table = Table(show_edge=False, header_style="bold")
    for name in ("column", "test", "statistic", "q", "effect", "value", "PSI", "drift"):
        table.add_column(name)
    for e in p["columns"]:
        stats = e.get("statistics") or {}
        test = e.get("test")
        stat = None
        if test == "ks":
            stat = stats["ks"]["statistic"]
        elif test == "chi_square":
            stat = stats["chi_square"]["statistic"]
        effect = e.get("effect") or {}
        decision = e.get("drift")
        mark = "[red]yes[/]" if decision else ("no" if decision is False else "—")
        name = e["column"] + (f" ({e['role']})" if e["role"] != "feature" else "")
        table.add_row(
            name,
            _fmt(test),
            _fmt(stat),
            _fmt(e.get("q_value")),
            _fmt(effect.get("name")),
            _fmt(effect.get("value")),
            _fmt((stats.get("psi") or {}).get("value")),
            mark,
        )
    console.print(table)
    for g in s["groups_with_drift"]:
        console.print(f"drift within {g['by']} = {g['group']}: {', '.join(g['columns'])}")
    for problem in p["problems"]:
        console.print(f"[yellow]problem[/] {problem['problem']}: {problem['message']}")
    console.print(f"[dim]{p['rule']['text']}[/]")
