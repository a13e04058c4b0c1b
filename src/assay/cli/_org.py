"""``assay org``: the organisations of a workspace and the roles users hold in them."""

from __future__ import annotations

from typing import Annotated

import typer

from assay import governance as g
from assay.cli._gov_common import DbOpt, JsonOpt, WorkspaceOpt, emit, list_table, opened

__all__ = ["org_app"]

org_app = typer.Typer(
    help=(
        "Organisations (business units, customers): each sees only its own systems and records; "
        "members of the main one act in all of them."
    ),
    no_args_is_help=True,
)


@org_app.command("add")
def org_add(
    name: str,
    title: Annotated[str, typer.Option("--title", help="How pages and documents name it.")],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add an organisation (admins of the main organisation only)."""
    with opened(workspace, db) as ws:
        org = g.add_org(ws, name, title=title)
    emit(
        org,
        as_json,
        message=(
            f"Added the organisation {org.name} ({org.title}). Add its people with "
            f"`assay user add NAME --org {org.name} --role ROLE`, its systems with "
            f"`assay system add ... --org {org.name}`."
        ),
    )


@org_app.command("list")
def org_list(workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List the organisations you see, with their members and systems."""
    with opened(workspace, db) as ws:
        orgs = g.list_orgs(ws)
    emit(orgs, as_json, list_table("Organisations", orgs, ["name", "title", "members", "systems"]))


@org_app.command("grant")
def org_grant(
    user: str,
    org: str,
    role: Annotated[str, typer.Option("--role", help="viewer, analyst, reviewer, approver, admin")],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a user a role in an organisation other than their own (main admins only)."""
    with opened(workspace, db) as ws:
        g.grant_org_role(ws, user, org, role)
        rows = [r for r in g.org_role_rows(ws) if r["user"] == user]
    emit(rows, as_json, message=f"{user} is now {role} in {org}.")


@org_app.command("revoke")
def org_revoke(
    user: str,
    org: str,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take back the role a user was granted in an organisation."""
    with opened(workspace, db) as ws:
        g.revoke_org_role(ws, user, org)
        rows = [r for r in g.org_role_rows(ws) if r["user"] == user]
    emit(rows, as_json, message=f"{user} holds no role in {org} any more.")


@org_app.command("roles")
def org_roles(workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List the roles granted in organisations other than their holders' own."""
    with opened(workspace, db) as ws:
        rows = g.org_role_rows(ws)
    emit(rows, as_json, list_table("Granted roles", rows, ["user", "org", "role"]))
