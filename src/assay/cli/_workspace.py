"""``assay init``, ``assay db`` and ``assay user``: the workspace, its database and its users."""

from __future__ import annotations

from pathlib import Path
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

__all__ = ["db_app", "init_command", "user_app"]

db_app = typer.Typer(help="The workspace database: migrations and status.", no_args_is_help=True)
user_app = typer.Typer(
    help="Users and their roles (viewer, analyst, reviewer, approver, admin).", no_args_is_help=True
)


def init_command(
    directory: Annotated[Path, typer.Argument(help="The project folder.")] = Path("."),
    db: Annotated[
        str | None,
        typer.Option("--db", help="PostgreSQL URL for a team database (default: SQLite)."),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option("--user", help="The first user, made admin (default: ASSAY_USER or login)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a workspace: .assay/ with config.toml, blobs/ and the migrated database."""
    ws = g.init_workspace(directory, db_url=db, user=user)
    try:
        info = {
            "workspace": str(ws.dir),
            "database": ws.store.dialect,
            "user": ws.user,
            "schema": ws.store.current_revision(),
        }
        emit(
            info,
            as_json,
            message=(
                f"Created an Assay workspace in {ws.dir} ({ws.store.dialect}); you act as "
                f"[bold]{ws.user}[/]. Next: `assay system add NAME --purpose ... --owner ...`."
            ),
        )
    finally:
        ws.close()


@db_app.command("upgrade")
def db_upgrade(workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Run pending migrations (back up first with `assay backup FILE`)."""
    revision = g.upgrade_workspace(workspace, db_url=db)
    emit({"schema": revision}, as_json, message=f"The database is at schema {revision}.")


@db_app.command("status")
def db_status(workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Show the database, its schema revision and the audit chain's head."""
    with opened(workspace, db) as ws:
        report = ws.store.verify()
        info = {
            "workspace": str(ws.dir),
            "database": ws.store.dialect,
            "schema": ws.store.current_revision(),
            "audit_events": report.events,
            "head_hash": report.head_hash,
            "user": ws.user,
        }
    emit(info, as_json, record_table("Workspace", info))


@user_app.command("add")
def user_add(
    name: str,
    role: Annotated[
        str, typer.Option("--role", help="viewer, analyst, reviewer, approver, admin")
    ] = "analyst",
    display_name: Annotated[str | None, typer.Option("--display-name")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    org: Annotated[
        str | None,
        typer.Option("--org", help="The organisation they belong to (default: main)."),
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a user (admins only)."""
    with opened(workspace, db) as ws:
        user = g.add_user(ws, name, role=role, display_name=display_name, email=email, org=org)
    emit(user, as_json, message=f"Added {user.name} as {user.role} in {user.org}.")


@user_app.command("list")
def user_list(workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List users and roles."""
    with opened(workspace, db) as ws:
        users = g.list_users(ws)
    emit(users, as_json, list_table("Users", users, ["name", "org", "role", "active", "email"]))


@user_app.command("set-role")
def user_set_role(
    name: str,
    role: str,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a user's role (admins only)."""
    with opened(workspace, db) as ws:
        user = g.set_role(ws, name, role)
    emit(user, as_json, message=f"{user.name} is now {user.role}.")


@user_app.command("deactivate")
def user_deactivate(
    name: str, workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Stop a user from acting; their records stay (admins only)."""
    with opened(workspace, db) as ws:
        user = g.deactivate_user(ws, name)
    emit(user, as_json, message=f"{user.name} is deactivated.")
