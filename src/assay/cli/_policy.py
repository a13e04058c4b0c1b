"""``assay policy ...``: check a policy file, print the default policy or the JSON Schema."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer
from rich.table import Table

from assay.cli._console import make_console
from assay.policy import load_policy, policy_json_schema

policy_app = typer.Typer(
    help="Policy as code: evidence requirements and metric limits.", no_args_is_help=True
)


@policy_app.command("check")
def check_command(
    path: Path = typer.Argument(..., help="The policy YAML file to validate."),
) -> None:
    """Validate a policy file and summarise what it requires per tier and checkpoint."""
    policy = load_policy(path)
    console = make_console()
    console.print(f"[green]valid[/green] {path}: policy '{policy.name}' version {policy.version}")
    table = Table(title="Evidence required", title_justify="left")
    for col in ("tier", "checkpoint", "evidence", "approvers", "blocks on open risks"):
        table.add_column(col, overflow="fold")
    for tier_name, tier in policy.tiers.items():
        for point_name, point in tier.checkpoints.items():
            evidence = "\n".join(
                r.kind
                + (f" per {r.for_each.replace('_', ' ')}" if r.for_each else "")
                + (f" (≤ {r.max_age_days} days)" if r.max_age_days else "")
                for r in point.evidence
            )
            table.add_row(
                str(tier_name), point_name, evidence or "—", "\n".join(point.approvers) or "—",
                ", ".join(point.block_on_open_risks) or "—",
            )  # fmt: skip
    console.print(table)


@policy_app.command("default")
def default_command() -> None:
    """Print the shipped default policy (a starting point to copy and edit)."""
    typer.echo(resources.files("assay.policy").joinpath("default.yaml").read_text(encoding="utf-8"))


@policy_app.command("schema")
def schema_command() -> None:
    """Print the policy file's JSON Schema."""
    typer.echo(policy_json_schema(), nl=False)
