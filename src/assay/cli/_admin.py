"""``assay admin``: per-person database roles on a PostgreSQL team database.

``assay admin grant NAME`` gives an Assay user a PostgreSQL login role of their own; connected as
it, they act only as themselves, whatever ``ASSAY_USER`` says. ``assay admin revoke NAME`` takes it
back. Both run as a workspace admin connected as the role that owns the tables.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from assay import governance as g
from assay.cli._gov_common import DbOpt, WorkspaceOpt, console, opened
from assay.errors import InputError

__all__ = ["admin_app"]

admin_app = typer.Typer(
    help="Per-person database roles on a PostgreSQL team database (run as the owner).",
    no_args_is_help=True,
)


@admin_app.command("grant")
def admin_grant(
    name: Annotated[str, typer.Argument(help="The Assay user who gets a database role.")],
    role: Annotated[
        str | None,
        typer.Option("--role", help="The PostgreSQL login role (default: the user's name)."),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the role's password from standard input."),
    ] = False,
    keep_password: Annotated[
        bool,
        typer.Option(
            "--keep-password",
            help="Leave the role's password as it is (roles that log in by certificate, say).",
        ),
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Give a user a PostgreSQL login role of their own: connected as it, they are that user
    (ASSAY_USER cannot make them anyone else) and the database refuses any record in another's
    name. Without --password-stdin a password is made and printed once."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise InputError("--password-stdin read an empty line; pipe the password in.")
    with opened(workspace, db) as ws:
        grant = g.grant_db_role(ws, name, role=role, password=password, keep_password=keep_password)
    made = "Created" if grant.created else "Updated"
    message = (
        f"{made} the database role {grant.role} for {grant.user}: connected as it, "
        f"{grant.user} acts only as {grant.user}. Hand them a URL naming that role, e.g. "
        f"postgresql+psycopg://{grant.role}@HOST:PORT/DBNAME, with the password in PGPASSWORD or "
        "~/.pgpass."
    )
    if grant.password is None:
        console.print(message, highlight=False)
        return
    typer.echo(f"{message} The role's password (shown once):", err=True)
    # the password alone on standard output, so that PW=$(assay admin grant NAME) works
    typer.echo(grant.password)


@admin_app.command("revoke")
def admin_revoke(
    name: Annotated[str, typer.Argument(help="The Assay user whose database role to revoke.")],
    drop_role: Annotated[
        bool, typer.Option("--drop-role", help="Drop the PostgreSQL role itself too.")
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Take back a user's database role: its access to the workspace and its mapping to the user
    (at once, even for open connections); --drop-role drops the role."""
    with opened(workspace, db) as ws:
        role = g.revoke_db_role(ws, name, drop=drop_role)
    done = "dropped" if drop_role else "kept, without access to this workspace"
    console.print(f"Revoked the database role {role} of {name} (the role is {done}).")
