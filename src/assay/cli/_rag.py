"""``assay redteam rag``: ask a RAG assistant a suite's questions and score what it retrieved and
answered (registered on the ``redteam`` group)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from assay.cli._console import make_console
from assay.cli._judge import record_result
from assay.errors import InputError

if TYPE_CHECKING:
    from assay.genai import RagRun

__all__ = ["rag_command"]


def rag_command(
    target: str = typer.Option(
        ...,
        "--target",
        "-t",
        help="A RAG assistant: an OpenAI-compatible base URL whose replies carry 'retrieved' "
        "passages, module:function, or cmd:COMMAND.",
    ),
    suite: str = typer.Option(
        "rag-policy", "--suite", "-s", help="rag-policy (built-in), or a .yaml/.jsonl RAG suite."
    ),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name sent to the target."),
    api_key_env: str | None = typer.Option(
        None, "--api-key-env", help="Environment variable holding the API key."
    ),
    concurrency: int = typer.Option(4, "--concurrency", "-c", min=1, help="Questions in flight."),
    timeout: float = typer.Option(60.0, "--timeout", min=0, help="Seconds to wait for each call."),
    retries: int = typer.Option(2, "--retries", min=0, help="Retries after HTTP 429/5xx."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Folder for records.jsonl, summary.json (assay.rag/v1), report.html and report.md.",
    ),
    judge: str | None = typer.Option(
        None, "--judge", help="Also ask this target, claim by claim, whether it is supported."
    ),
    judge_model: str | None = typer.Option(None, "--judge-model", help="The judge's model name."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    record: bool = typer.Option(False, "--record", help="File the summary as evidence."),
    system: str | None = typer.Option(None, "--system", help="With --record: the AI system."),
    model_version: str | None = typer.Option(
        None, "--model-version", help="With --record: the system's model version."
    ),
    workspace: Path | None = typer.Option(None, "--workspace", help="With --record: a folder."),
) -> None:
    """Evaluate a RAG assistant: retrieval hit rate, groundedness, citations, answer
    correctness and abstention, each with its interval."""
    from assay.genai import (
        load_rag_suite,
        parse_target,
        render_rag_html,
        render_rag_markdown,
        run_rag,
    )

    if record and (not system or not model_version):
        raise InputError("--record needs --system NAME and --model-version VERSION.")
    the_suite = load_rag_suite(suite)
    the_target = parse_target(target, model=model, api_key_env=api_key_env)
    the_judge = parse_target(judge, model=judge_model) if judge else None
    run = run_rag(the_suite, the_target, output=output, concurrency=concurrency,
                  timeout=timeout, retries=retries, judge=the_judge)  # fmt: skip
    if run.result.counts["errored"] == run.result.counts["cases"]:
        raise InputError(
            f"Every question errored, so nothing was evaluated; the first error: "
            f"{run.records[0]['error']}. Check the target {target!r} and run again."
        )
    if output is not None:
        (output / "report.html").write_text(render_rag_html(run), "utf-8")
        (output / "report.md").write_text(render_rag_markdown(run), "utf-8")
    if as_json:
        typer.echo(run.result.to_json())
    console = make_console(stderr=True)
    _print_metrics(run, the_suite.name, console)
    if output is not None:
        console.print(f"wrote {output}/summary.json, report.html, report.md, records.jsonl")
    if record:
        title = f"RAG evaluation of {the_suite.name}"
        where = (system or "", model_version or "", workspace)
        record_result(run.result.to_dict(), "rag_evaluation", title, where, console)


def _print_metrics(run: RagRun, suite: str, console: Console) -> None:
    """The metrics table, and what the reader should know about errored cases and passages."""
    from assay.genai import RAG_METRICS

    c = run.result.counts
    table = Table(title=f"RAG evaluation · {suite} · {c['cases']} cases", title_justify="left")
    for name, justify in (("Metric", "left"), ("Value", "right"), ("95% interval", "right"),
                          ("Over", "left")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for name, (label, base, _) in RAG_METRICS.items():
        if name not in run.result.metric_names:
            continue
        m = run.result.metric(name)
        value = "—" if m["value"] is None else f"{m['value'] * 100:.1f}%"
        ci = "—" if not m["ci"] else f"{m['ci']['low'] * 100:.1f}–{m['ci']['high'] * 100:.1f}%"
        table.add_row(label, value, ci, f"{m['n']} {base}")
    console.print(table)
    if c["errored"]:
        console.print(f"{c['errored']} errored cases are left out of every metric.")
    if not any(r["retrieved"] for r in run.records):
        console.print(
            "[yellow]warning[/]: the target returned no passages; a RAG target's reply carries "
            "them as 'retrieved' (see docs/genai.md), else nothing counts as grounded."
        )
