"""``assay genai ...``: generative-AI checks of production logs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from assay.cli._console import make_console
from assay.cli._files import emit_text
from assay.errors import InputError

__all__ = ["genai_app"]

genai_app = typer.Typer(
    help="Generative AI in production: run the red team's detectors over prompt/response logs.",
    no_args_is_help=True,
)

_FORMATS = ("table", "json", "md")


def _record(result: Any, system: str | None, model_version: str | None,
            workspace: Path | None) -> str:  # fmt: skip
    if not system or not model_version:
        raise InputError(
            "--record files the scan as evidence of a system's model version: give --system NAME "
            "and --model-version VERSION (registered with `assay system add NAME ...` and "
            "`assay model-version add NAME VERSION`)."
        )
    from assay.governance import open_workspace, record_evaluation

    ws = open_workspace(workspace)
    try:
        record = record_evaluation(
            ws, result.to_dict(), kind="genai_log_scan", system=system,
            model_version=model_version, title="Harmful output in production logs",
        )  # fmt: skip
    finally:
        ws.store.dispose()
    return str(record.ref)


def _table(result: Any) -> Table:
    p = result.to_dict()
    table = Table(
        title=f"Harmful-output rate by {p['params']['window']} window"
        + (f" and {p['params']['by']}" if p["params"]["by"] else ""),
        title_justify="left",
    )
    for col in ("window", "cohort", "responses", "harmful", "rate [95% CI]", "change vs baseline"):
        table.add_column(col, overflow="fold")
    for g in p["groups"]:
        ch = g["change"]
        change = "baseline" if g["window"] == p["baseline"] else "—"
        if ch:
            low, high = ch["ci"]["low"] * 100, ch["ci"]["high"] * 100
            change = f"{ch['difference'] * 100:+.1f} pts [{low:+.1f}, {high:+.1f}]"
            change += " FLAGGED" if ch["flagged"] else ""
        table.add_row(
            g["window"], g["cohort"] or "", f"{g['n']:,}", f"{g['harmful']:,}",
            f"{g['rate']:.1%} [{g['ci']['low']:.1%}, {g['ci']['high']:.1%}]", change,
        )  # fmt: skip
    return table


@genai_app.command("scan-logs")
def scan_logs_command(
    path: Annotated[Path, typer.Argument(help="The log: .jsonl, .parquet or .csv.")],
    response: Annotated[str, typer.Option(help="Column of the model's response.")] = "response",
    prompt: Annotated[
        str | None, typer.Option(help="Column of the user's prompt (their own data is no leak).")
    ] = None,
    time: Annotated[str, typer.Option(help="Column of the timestamp.")] = "timestamp",
    window: Annotated[str, typer.Option(help="Window length: 30m, 12h, 1d, 1w...")] = "1d",
    by: Annotated[
        str | None, typer.Option(help="Cohort column (model version, region...).")
    ] = None,
    baseline: Annotated[
        str | None, typer.Option(help="A date inside the baseline window (default: the first).")
    ] = None,
    detector: Annotated[
        list[str] | None, typer.Option("--detector", help="toxicity, pii, canary (repeat).")
    ] = None,
    canary: Annotated[
        list[str] | None, typer.Option("--canary", help="A secret token to look for (repeat).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or md.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
    fail_on_flag: Annotated[
        bool, typer.Option("--fail-on-flag", help="Exit 1 when a change is flagged.")
    ] = False,
    record: Annotated[bool, typer.Option("--record", help="File the scan as evidence.")] = False,
    system: Annotated[str | None, typer.Option(help="System the evidence is for.")] = None,
    model_version: Annotated[str | None, typer.Option(help="Its model version.")] = None,
    workspace: Annotated[Path | None, typer.Option(help="A folder inside the workspace.")] = None,
) -> None:
    """Harmful-output rate of logged responses by time window and cohort, against a baseline."""
    from assay.genai import render_log_scan_markdown, scan_logs

    if fmt not in _FORMATS:
        raise InputError(f"--format must be one of {', '.join(_FORMATS)}; got {fmt!r}.")
    result = scan_logs(
        path, response=response, prompt=prompt, time=time, window=window, by=by,
        baseline=baseline, detectors=detector, canaries=canary or (),
    )  # fmt: skip
    console = make_console(stderr=fmt != "table" and output is None)
    if fmt == "json":
        emit_text(result.to_json(), output, console)
    elif fmt == "md" or output is not None:
        emit_text(render_log_scan_markdown(result), output, console)
    else:
        console.print(_table(result))
        p = result.to_dict()
        console.print(
            f"{p['n_scanned']:,} responses; harmful {p['overall']['harmful']:,}; "
            f"{len(p['flagged'])} change(s) against the baseline flagged."
        )
    if record:
        console.print(f"recorded evidence {_record(result, system, model_version, workspace)}")
    if fail_on_flag and result.flagged:
        raise typer.Exit(1)
