"""``assay --help``: the commands grouped by topic, each with an example, without importing them.

The root help is printed from this table, so listing ~40 commands loads none of their modules
(their dataframe, statistics and web dependencies): ``assay --help`` stays instant. A typo of a
command name is answered with the closest names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["TOPICS", "closest_commands", "render_root_help"]

#: topic → (command, what it does, an example); every command of ``assay.cli._app.COMMANDS``.
TOPICS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Evaluate a model and its data": (
        ("evaluate", "fairness and performance by group, with intervals and verdicts",
         "assay evaluate fairness scores.parquet --y-true y --y-score score --sensitive sex"),
        ("check", "data quality and representativeness, reference profiles, drift",
         "assay check drift train.parquet week-12.parquet --fail-on-drift"),
        ("plan", "before collecting data: rows per group a fairness verdict needs",
         "assay plan sample-size --rate 0.3 --gap 0.02 --groups 5 --limit 0.1"),
        ("pii", "personal data: column inventory, re-identification risk, redaction",
         "assay pii scan customers.csv"),
        ("robustness", "stress tests of a tabular classifier by group",
         "assay robustness run -m model.joblib -d test.parquet --y-true y --sensitive sex"),
        ("explain", "feature importance overall and by group",
         "assay explain -m model.joblib -d test.parquet --y-true y --sensitive sex"),
        ("mitigate", "reduce a disparity; before/after evidence and the frontier",
         "assay mitigate -m m.joblib --train a.pq --test b.pq --y-true y --sensitive sex"),
        ("redteam", "generative-AI safety: run a prompt suite, report, compare runs",
         "assay redteam run -t http://127.0.0.1:8000/v1 -m my-model"),
        ("genai", "production logs: harmful-output rate by window and cohort, change vs baseline",
         "assay genai scan-logs chats.jsonl --window 1d --by model_version"),
    ),
    "Gate, policy and monitoring": (
        ("gate", "the policy gate for CI/CD (exit 1 when a rule fails)",
         "assay gate fairness.json --junit reports/gate.xml"),
        ("policy", "policy as code: check, print the default, JSON Schema",
         "assay policy check policy.yaml"),
        ("monitor", "post-launch monitoring: windows, alerts, notifications, reports",
         "assay monitor run --spec monitor.yaml --data batch.parquet"),
    ),
    "Workspace, inventory and evidence": (
        ("init", "create a workspace (.assay/) in this folder", "assay init"),
        ("db", "database migrations and status", "assay db status"),
        ("user", "accounts, roles, web passwords, API tokens",
         "assay user add bob --role approver"),
        ("org", "organisations that each see only their own records",
         "assay org add retail --title Retail"),
        ("admin", "per-person database roles on a PostgreSQL team database",
         "assay admin grant bob"),
        ("serve", "the web application", "assay serve --port 8000"),
        ("system", "the AI system inventory and its components",
         "assay system add credit --purpose scoring --owner ada"),
        ("model-version", "model versions with their lineage",
         "assay model-version add credit 1.0 --artifact model.joblib"),
        ("dataset-version", "dataset versions with digests",
         "assay dataset-version add adult 1 --file adult.csv"),
        ("evidence", "the evidence store: add, list, show, supersede",
         "assay evidence add report.pdf --kind attachment --system credit"),
        ("export", "the workspace's records as JSON", "assay export records/"),
        ("import", "records from an export", "assay import records/ --into copy/"),
        ("backup", "a consistent backup of the workspace", "assay backup backup.zip"),
        ("restore", "a workspace from a backup", "assay restore backup.zip --into restored/"),
    ),
    "Govern": (
        ("review", "reviews: intake, triage, stages, decisions",
         "assay review open credit --answers intake.yaml"),
        ("approval", "signed approval decisions", "assay approval verify APR-1"),
        ("risk", "the risk register", "assay risk list --open"),
        ("action", "remediation actions", "assay action list --overdue"),
        ("waiver", "exceptions: request, approve, reject, renew, revoke", "assay waiver list"),
        ("incident", "incidents, timeline, postmortem, evidence bundle", "assay incident list"),
        ("audit", "the audit chain: log and verify", "assay audit verify"),
        ("kpis", "the program KPIs for a period", "assay kpis --format json"),
    ),
    "Documents and frameworks": (
        ("card", "model and system cards", "assay card model credit --format html -o card.html"),
        ("datasheet", "datasheets for dataset versions", "assay datasheet adult@1"),
        ("report", "risk assessments, decision logs, the program report",
         "assay report risk credit"),
        ("packet", "frozen review packets: build, verify, sign", "assay packet build REV-1"),
        ("completeness", "completeness of a review's documents", "assay completeness REV-1"),
        ("checklist", "what a checkpoint still needs, with owners", "assay checklist credit"),
        ("frameworks", "NIST AI RMF, EU AI Act, ISO/IEC 42001 crosswalk and coverage",
         "assay frameworks coverage credit"),
        ("bom", "CycloneDX ML-BOM", "assay bom cyclonedx credit -o bom.json"),
        ("oscal", "OSCAL assessment results and POA&M", "assay oscal poam credit -o poam.json"),
    ),
    "Try it": (
        ("demo", "the whole workflow on UCI Adult, in one folder", "assay demo"),
    ),
}  # fmt: skip


def command_names() -> list[str]:
    """Every command named in :data:`TOPICS`, in help order."""
    return [name for rows in TOPICS.values() for name, _, _ in rows]


def closest_commands(name: str, known: Iterable[str]) -> list[str]:
    """The commands a mistyped ``name`` most likely meant (at most three)."""
    return difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)


def render_root_help(console: Console, usage: str, description: str) -> None:
    """Print the root help: usage, the description, the options, then the commands by topic."""
    console.print(f"\n [bold]Usage:[/] {escape(usage)}\n")
    console.print(f" {escape(description)}\n")
    options = Table.grid(padding=(0, 2))
    options.add_row("  --version", "Print the version.")
    options.add_row("  --help", "Show this message and exit.")
    console.print("[bold]Options[/]")
    console.print(options)
    width = 2 + max(len(name) for name in command_names())
    for topic, rows in TOPICS.items():
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True, min_width=width)
        table.add_column()
        for name, what, example in rows:
            table.add_row(f"  {name}", f"{escape(what)}\n[dim]{escape(example)}[/]")
        console.print(f"\n[bold]{topic}[/]")
        console.print(table)
    console.print("\nEvery command has its own help: [bold]assay COMMAND --help[/].")
