"""``assay redteam judge-calibrate`` and ``assay redteam judge-correct``: measure a judge's error
on labelled responses, then report a judged run's pass rates raw and corrected for it
(registered on the ``redteam`` group)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from assay.cli._console import make_console
from assay.errors import InputError

__all__ = ["judge_calibrate_command", "judge_correct_command", "record_result"]


def _rate(rate: dict[str, Any] | None) -> str:
    if not rate or rate.get("value") is None:
        return "—"
    ci = rate["ci"]
    return f"{rate['value'] * 100:.1f}% ({ci['low'] * 100:.1f}–{ci['high'] * 100:.1f}%)"


def record_result(
    result: dict[str, Any],
    kind: str,
    title: str,
    where: tuple[str, str, Path | None],
    console: Console,
) -> None:
    """File ``result`` as evidence of kind ``kind`` for (system, model version, workspace)."""
    from assay.governance import open_workspace, record_evaluation

    system, model_version, workspace = where
    ws = open_workspace(workspace)
    try:
        ev = record_evaluation(
            ws, result, kind=kind, system=system, model_version=model_version, title=title
        )
    finally:
        ws.close()
    console.print(f"recorded evidence {ev.ref} ({kind}) for {system} {model_version}")


def judge_calibrate_command(
    judge: str = typer.Option(
        ..., "--judge", help="The judge: an OpenAI-compatible base URL, module:function, cmd:..."
    ),
    judge_model: str | None = typer.Option(None, "--judge-model", help="The judge's model name."),
    labelled: str = typer.Option(
        "builtin",
        "--labelled",
        "-l",
        help="Labelled responses (YAML/JSONL: request, response, label unsafe|safe), or builtin.",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the calibration (assay.judge-calibration/v1) here."
    ),
    timeout: float = typer.Option(60.0, "--timeout", min=0, help="Seconds per judge call."),
    record: bool = typer.Option(False, "--record", help="File the calibration as evidence."),
    system: str | None = typer.Option(None, "--system", help="With --record: the AI system."),
    model_version: str | None = typer.Option(
        None, "--model-version", help="With --record: the system's model version."
    ),
    workspace: Path | None = typer.Option(None, "--workspace", help="With --record: a folder."),
) -> None:
    """Score a judge against labelled responses: its sensitivity and specificity."""
    from assay.genai import LLMJudge, calibrate_judge, load_labelled, parse_target

    if record and (not system or not model_version):
        raise InputError("--record needs --system NAME and --model-version VERSION.")
    rows = load_labelled(labelled)
    target = parse_target(judge, model=judge_model)
    cal = calibrate_judge(LLMJudge(target, timeout=timeout), rows)
    c = cal.counts
    console = make_console(stderr=True)
    console.print(
        f"judge {judge}: sensitivity {_rate(cal.to_dict()['sensitivity'])} "
        f"[{c['tp']} of {c['tp'] + c['fn']} unsafe flagged] · specificity "
        f"{_rate(cal.to_dict()['specificity'])} [{c['tn']} of {c['tn'] + c['fp']} safe passed]"
        + (f" · {c['errored']} errored" if c["errored"] else ""),
        highlight=False,
    )
    if output is not None:
        output.write_text(cal.to_json() + "\n", "utf-8")
        console.print(f"wrote {output}")
    else:
        typer.echo(cal.to_json())
    if record:
        record_result(cal.to_dict(), "judge_calibration", f"Judge calibration of {judge}",
                      (system or "", model_version or "", workspace), console)  # fmt: skip


def judge_correct_command(
    run: Path = typer.Argument(..., help="A red-team run folder scored with --judge."),
    calibration: Path = typer.Option(
        ..., "--calibration", help="The judge's calibration (from judge-calibrate -o)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """A judged run's pass rates, raw and corrected for the judge's measured error."""
    from assay.genai import JudgeCalibration, correct_run, load_run

    figures = correct_run(load_run(run), JudgeCalibration.load(calibration))
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    table = Table(title="Pass rates judged, raw and corrected (Rogan–Gladen)", title_justify="left")
    for name, justify in (("Category", "left"), ("Judged", "right"), ("Raw pass", "right"),
                          ("Corrected pass", "right")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in figures["by_category"]:
        table.add_row(row["category"], str(row["n"]), _rate(row["raw_pass"]),
                      _rate(row["corrected_pass"]))  # fmt: skip
    o = figures["overall"]
    table.add_section()
    table.add_row("All", str(o["n"]), _rate(o["raw_pass"]), _rate(o["corrected_pass"]))
    console = make_console()
    console.print(table)
    console.print(
        f"judge sensitivity {o['sensitivity']:.3f}, specificity {o['specificity']:.3f}; the "
        "corrected interval carries the calibration's uncertainty.",
        highlight=False,
    )
