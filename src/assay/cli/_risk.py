"""``assay risk`` and ``assay action``: the risk register and remediation actions."""

from __future__ import annotations

from typing import Annotated

import typer

from assay import governance as g
from assay.cli._gov_common import (
    DbOpt,
    JsonOpt,
    WorkspaceOpt,
    emit,
    list_table,
    opened,
    record_table,
)

__all__ = ["action_app", "risk_app"]

risk_app = typer.Typer(help="The risk register.", no_args_is_help=True)
action_app = typer.Typer(help="Remediation and corrective actions.", no_args_is_help=True)
Text = Annotated[str | None, typer.Option(show_default=False)]
Level = Annotated[int | None, typer.Option(min=1, max=5, show_default=False)]
RISK_COLUMNS = ["ref", "system", "title", "category", "rating", "status", "owner", "due_date"]


@risk_app.command("categories")
def risk_categories(
    generative: Annotated[
        bool, typer.Option("--generative", help="Include NIST AI 600-1 categories.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the risk categories (MIT AI Risk Repository; NIST AI 600-1 for generative AI)."""
    rows = [
        {"category": c.ref, "domain": c.domain or "Generative AI (NIST AI 600-1)", "name": c.name}
        for c in g.taxonomy()
        if generative or not c.generative_only
    ]
    emit(rows, as_json, list_table("Risk categories", rows, ["category", "domain", "name"]))


@risk_app.command("add")
def risk_add(
    system: str,
    title: Annotated[str, typer.Option(help="What could go wrong, for whom.")],
    category: Annotated[str, typer.Option(help="mit:1.3, nist-ai-600-1:confabulation, ...")],
    likelihood: Annotated[int, typer.Option(min=1, max=5)],
    severity: Annotated[int, typer.Option(min=1, max=5)],
    owner: Annotated[str, typer.Option(help="Who mitigates it.")],
    due: Annotated[str | None, typer.Option("--due", help="YYYY-MM-DD")] = None,
    description: Text = None,
    mitigations: Text = None,
    residual_likelihood: Level = None,
    residual_severity: Level = None,
    evidence: Annotated[
        list[str] | None, typer.Option("--evidence", help="EV-N; repeatable.")
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a risk to the register."""
    with opened(workspace, db) as ws:
        risk = g.add_risk(
            ws,
            system=system,
            title=title,
            category=category,
            likelihood=likelihood,
            severity=severity,
            owner=owner,
            due_date=due,
            description=description,
            mitigations=mitigations,
            residual_likelihood=residual_likelihood,
            residual_severity=residual_severity,
            evidence=tuple(evidence or ()),
        )
    emit(risk, as_json, message=f"Added {risk.ref} ({risk.rating}, {risk.category_name}).")


@risk_app.command("update")
def risk_update(
    ref: str,
    status: Annotated[str | None, typer.Option(help="open, mitigating, accepted, closed")] = None,
    evidence: Annotated[
        str | None, typer.Option("--evidence", help="Closure evidence EV-N.")
    ] = None,
    note: Text = None,
    title: Text = None,
    description: Text = None,
    category: Text = None,
    likelihood: Level = None,
    severity: Level = None,
    mitigations: Text = None,
    residual_likelihood: Level = None,
    residual_severity: Level = None,
    owner: Text = None,
    due: Annotated[str | None, typer.Option("--due", help="YYYY-MM-DD")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a risk; closing needs --evidence, accepting needs the approver role and --note."""
    with opened(workspace, db) as ws:
        risk = g.update_risk(
            ws,
            ref,
            status=status,
            note=note,
            closure_evidence=evidence,
            title=title,
            description=description,
            category=category,
            likelihood=likelihood,
            severity=severity,
            mitigations=mitigations,
            residual_likelihood=residual_likelihood,
            residual_severity=residual_severity,
            owner=owner,
            due_date=due,
        )
    emit(risk, as_json, record_table(f"Risk {risk.ref}", risk))


@risk_app.command("link")
def risk_link(
    ref: str,
    evidence: str,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Link an evidence record to a risk."""
    with opened(workspace, db) as ws:
        risk = g.link_risk_evidence(ws, ref, evidence)
    emit(risk, as_json, message=f"Linked {evidence} to {risk.ref}.")


@risk_app.command("list")
def risk_list(
    system: Text = None,
    status: Text = None,
    owner: Text = None,
    open_only: Annotated[bool, typer.Option("--open")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Open and past due.")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List risks, highest rating first."""
    with opened(workspace, db) as ws:
        rows = g.list_risks(
            ws, system=system, status=status, owner=owner, open_only=open_only, overdue=overdue
        )
    emit(rows, as_json, list_table("Risks", rows, RISK_COLUMNS))


@risk_app.command("show")
def risk_show(
    ref: str, workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Show a risk and its history (from the audit log)."""
    with opened(workspace, db) as ws:
        risk = g.get_risk(ws, ref)
        history = g.audit_log(ws, entity=risk.ref)
    rows = [{"at": e.at, "actor": e.actor, "action": e.action, "note": e.note} for e in history]
    emit(
        risk,
        as_json,
        record_table(f"Risk {risk.ref}", risk),
        list_table("History", rows, ["at", "actor", "action", "note"]),
    )


@action_app.command("add")
def action_add(
    title: str,
    owner: Annotated[str, typer.Option()],
    due: Annotated[str, typer.Option("--due", help="YYYY-MM-DD")],
    risk: Text = None,
    incident: Text = None,
    description: Text = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a remediation action (for a risk) or a corrective action (for an incident)."""
    with opened(workspace, db) as ws:
        action = g.add_action(
            ws,
            title=title,
            owner=owner,
            due_date=due,
            risk=risk,
            incident=incident,
            description=description,
        )
    emit(action, as_json, message=f"Added {action.ref}, due {action.due_date}.")


@action_app.command("update")
def action_update(
    ref: str,
    status: Annotated[str | None, typer.Option(help="open, in_progress, done, cancelled")] = None,
    evidence: Annotated[
        str | None, typer.Option("--evidence", help="EV-N showing it is done.")
    ] = None,
    note: Text = None,
    owner: Text = None,
    due: Annotated[str | None, typer.Option("--due")] = None,
    title: Text = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an action; marking it done needs --evidence."""
    with opened(workspace, db) as ws:
        action = g.update_action(
            ws,
            ref,
            status=status,
            evidence=evidence,
            note=note,
            owner=owner,
            due_date=due,
            title=title,
        )
    emit(action, as_json, record_table(f"Action {action.ref}", action))


@action_app.command("list")
def action_list(
    risk: Text = None,
    incident: Text = None,
    owner: Text = None,
    open_only: Annotated[bool, typer.Option("--open")] = False,
    overdue: Annotated[bool, typer.Option("--overdue")] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List actions by due date."""
    with opened(workspace, db) as ws:
        rows = g.list_actions(
            ws, risk=risk, incident=incident, owner=owner, open_only=open_only, overdue=overdue
        )
    emit(
        rows,
        as_json,
        list_table(
            "Actions",
            rows,
            [
                "ref",
                "title",
                "risk",
                "incident",
                "owner",
                "due_date",
                "status",
                "closed_at",
            ],
        ),
    )


@action_app.command("show")
def action_show(
    ref: str, workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Show an action."""
    with opened(workspace, db) as ws:
        action = g.get_action(ws, ref)
    emit(action, as_json, record_table(f"Action {action.ref}", action))


@action_app.command("push")
def action_push(
    ref: str,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="The issue tracker: jira or github, set up in the integrations.jira or "
            "integrations.github table of the workspace's config.toml.",
        ),
    ],
    force: Annotated[
        bool,
        typer.Option("--force", help="Create another issue even if the action already has one."),
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an issue for an action in Jira or GitHub and keep its id on the action.

    Pushing again reports the issue the action already has, unless --force.
    """
    from assay.integrations import push_action

    with opened(workspace, db) as ws:
        pushed = push_action(ws, ref, to=to, force=force)
    action = pushed.action
    where = f"{action.remote_system} issue {action.remote_id}: {action.remote_url}"
    if not pushed.created:
        message = f"{action.ref} is already linked to {where} (--force creates another issue)."
    elif pushed.replaced_url:
        message = f"Pushed {action.ref} to {where} (it was linked to {pushed.replaced_url})."
    else:
        message = f"Pushed {action.ref} to {where}."
    emit(pushed, as_json, message=message)
