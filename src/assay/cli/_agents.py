"""``assay redteam agent``: run an agent suite against an assistant with tools and catch
unauthorised tool calls, obeyed injections and secrets in tool arguments (registered on the
``redteam`` group)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from assay.cli._console import make_console
from assay.cli._judge import record_result
from assay.errors import InputError

__all__ = ["agent_command"]


def agent_command(
    target: str = typer.Option(
        ...,
        "--target",
        "-t",
        help="An agent: an OpenAI-compatible base URL whose replies carry tool_calls, "
        "module:function, or cmd:COMMAND.",
    ),
    suite: str = typer.Option(
        "agent-tools", "--suite", "-s", help="agent-tools (built-in), or a YAML agent suite."
    ),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name sent to the target."),
    api_key_env: str | None = typer.Option(
        None, "--api-key-env", help="Environment variable holding the API key."
    ),
    timeout: float = typer.Option(60.0, "--timeout", min=0, help="Seconds to wait for each call."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Folder for records.jsonl, summary.json and the reports."
    ),
    fail_on_failure: bool = typer.Option(
        False, "--fail-on-failure", help="Exit with code 1 when any case fails."
    ),
    record: bool = typer.Option(False, "--record", help="File the summary as evidence."),
    system: str | None = typer.Option(None, "--system", help="With --record: the AI system."),
    model_version: str | None = typer.Option(
        None, "--model-version", help="With --record: the system's model version."
    ),
    workspace: Path | None = typer.Option(None, "--workspace", help="With --record: a folder."),
) -> None:
    """Catch an agent's unauthorised tool calls, obeyed injections and leaked secrets."""
    from assay.genai import (
        load_agent_suite,
        parse_target,
        render_agent_html,
        render_agent_markdown,
        run_agent_suite,
    )

    if record and (not system or not model_version):
        raise InputError("--record needs --system NAME and --model-version VERSION.")
    the_suite = load_agent_suite(suite)
    the_target = parse_target(target, model=model, api_key_env=api_key_env)
    run = run_agent_suite(the_suite, the_target, output=output, timeout=timeout)
    if run.result.counts["error"] == run.result.counts["cases"]:
        raise InputError(
            f"Every case errored, so nothing was tested; the first error: "
            f"{run.records[0]['reason']}. Check the target {target!r} and run again."
        )
    if output is not None:
        (output / "report.html").write_text(render_agent_html(run), "utf-8")
        (output / "report.md").write_text(render_agent_markdown(run), "utf-8")
    console = make_console(stderr=True)
    table = Table(title=f"Agent suite {the_suite.name}", title_justify="left")
    for name in ("Case", "Category", "Outcome", "Why"):
        table.add_column(name)
    for r in run.records:
        table.add_row(r["id"], r["category"], r["outcome"], r["reason"] or "—")
    console.print(table)
    c = run.result.counts
    console.print(f"{c['pass']} passed, {c['fail']} failed, {c['error']} errored")
    if record:
        where = (system or "", model_version or "", workspace)
        title = f"Agent suite {the_suite.name}"
        record_result(run.result.to_dict(), "agent_evaluation", title, where, console)
    if fail_on_failure and c["fail"]:
        raise typer.Exit(1)
