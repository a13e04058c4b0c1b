"""``assay gate``: the policy gate for CI. Exit 0 pass, 1 fail, 2 error."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assay.cli._console import make_console
from assay.cli._files import append_output, write_output
from assay.cli._gov_common import DbOpt, WorkspaceOpt, opened
from assay.errors import AssayError
from assay.gate import GateResult, run_gate, to_json, to_junit, to_markdown, to_sarif


def _print_table(result: GateResult, console: Console) -> None:
    colour = "green" if result.passed else "red"
    what = f"{result.system} {result.model_version}" if result.system else "evaluation results"
    console.print(
        f"[bold {colour}]gate {result.decision.upper()}[/] for {what}: policy {result.policy}, "
        f"{result.tier + ' ' if result.tier else ''}{result.checkpoint}; "
        f"{len(result.failures)} of {len(result.outcomes)} rules failed"
        + (f" ({', '.join(result.rules)} rules only)." if result.rules is not None else ".")
    )
    if result.failures:
        table = Table(title="Failed rules", title_justify="left", show_lines=True)
        for col in ("rule", "subject", "value", "threshold", "fix"):
            table.add_column(col, overflow="fold")
        for o in result.failures:
            table.add_row(o.rule, o.subject, o.value, o.threshold, o.fix)
        console.print(table)
    passed = [o for o in result.outcomes if o.passed]
    if passed:
        console.print("[dim]passed: " + "; ".join(f"{o.rule} [{o.subject}]" for o in passed))


def gate_command(
    results: Annotated[
        list[Path] | None,
        typer.Argument(
            help="assay.fairness/v1 result files; default: the latest recorded for the model.",
            show_default=False,
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", "-p", help="The policy YAML file (default: the shipped one)."),
    ] = None,
    system: Annotated[str | None, typer.Option("--system", help="The AI system.")] = None,
    model_version: Annotated[
        str | None, typer.Option("--model-version", help="Its model version (V or name@V).")
    ] = None,
    model_uri: Annotated[
        str | None,
        typer.Option("--model-uri", help="A registered model version by URI: models:/NAME/V."),
    ] = None,
    tier: Annotated[
        str | None, typer.Option("--tier", help="Risk tier (default: the system's).")
    ] = None,
    checkpoint: Annotated[
        str, typer.Option("--checkpoint", help="The policy checkpoint.")
    ] = "pre-launch",
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            help="Only these rule families, comma separated: fairness, risk, waiver, evidence, "
            "completeness, approval (default: all).",
        ),
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
    sarif: Annotated[Path | None, typer.Option("--sarif", help="Write SARIF 2.1.0 here.")] = None,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", help="Write a Markdown summary here ($GITHUB_STEP_SUMMARY)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
    record: Annotated[
        bool, typer.Option("--record", help="File the decision as evidence (kind 'gate').")
    ] = False,
    notify: Annotated[
        bool,
        typer.Option(
            "--notify",
            help="On failure, post the decision to the Slack-compatible webhook of the "
            "integrations.webhook table in the workspace's config.toml.",
        ),
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Gate a model version on the policy: metric limits and governance state.

    Exit code 0 when every rule passes, 1 when any fails, 2 on an error (bad policy, result file
    of the wrong schema, unknown model version): an error never passes.
    """
    files = list(results or [])
    only = [r.strip() for r in rules.split(",") if r.strip()] if rules else None
    hook = _configured_webhook(workspace) if notify else None
    if system or model_version or model_uri or record:
        with opened(workspace, db) as ws:
            result, ref = run_gate(
                ws, policy=policy, system=system, model_version=model_version,
                model_uri=model_uri, results=files, tier=tier, checkpoint=checkpoint,
                rules=only, record=record,
            )  # fmt: skip
    else:
        result, ref = run_gate(
            policy=policy, results=files, tier=tier, checkpoint=checkpoint, rules=only
        )
    _write_reports(result, junit, sarif, markdown)
    _print_decision(result, ref, as_json)
    if hook is not None and not result.passed:
        _post_to_webhook(hook, result)
    raise typer.Exit(result.exit_code)


def _configured_webhook(workspace: Path | None) -> dict[str, Any]:
    """The workspace's webhook integration; an error when it is missing or has no URL (found
    before gating, not after a failure)."""
    from assay.governance import find_workspace
    from assay.integrations import integration_config, webhook_url

    hook = integration_config(find_workspace(workspace), "webhook")
    webhook_url(hook)
    return hook


def _write_reports(
    result: GateResult, junit: Path | None, sarif: Path | None, markdown: Path | None
) -> None:
    """The JUnit and SARIF files, and the Markdown summary (appended to: a step summary)."""
    if junit is not None:
        write_output(junit, to_junit(result), option="--junit")
    if sarif is not None:
        write_output(sarif, to_sarif(result), option="--sarif")
    if markdown is not None:
        append_output(markdown, to_markdown(result), option="--markdown")


def _print_decision(result: GateResult, ref: str | None, as_json: bool) -> None:
    """The decision as JSON, or as a table with the evidence it was recorded as."""
    if as_json:
        typer.echo(to_json(result), nl=False)
        return
    console = make_console(highlight=False, soft_wrap=True)
    _print_table(result, console)
    if ref:
        console.print(f"recorded the decision as {ref}")


def _post_to_webhook(hook: dict[str, Any], result: GateResult) -> None:
    """Post a failed decision to the webhook; a delivery failure is printed as a warning."""
    from assay.gate import post_gate_to_webhook

    try:
        post_gate_to_webhook(hook, result)
    except AssayError as exc:
        # The gate has decided; a notice that could not be delivered does not change that.
        make_console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[bold yellow]warning:[/] the decision was not posted to the webhook: "
            f"{escape(str(exc))}"
        )
