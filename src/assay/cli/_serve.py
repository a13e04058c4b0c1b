"""``assay serve`` and the web credentials: ``assay user passwd``, ``assay user token``,
``assay user tokens`` and ``assay user revoke-token``.

The web adapter is imported lazily, only by these commands, so the CLI works without the
``[web]`` extra installed.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from assay import governance as g
from assay.cli._gov_common import DbOpt, JsonOpt, WorkspaceOpt, console, emit, list_table, opened
from assay.cli._workspace import user_app
from assay.errors import InputError

__all__ = [
    "passwd_command",
    "revoke_token_command",
    "serve_command",
    "token_command",
    "tokens_command",
    "user_app",
]

_MISSING = "The web app needs the [web] extra: pip install 'assay-rai[web]'."


def _web_installed() -> None:
    try:
        import argon2  # noqa: F401
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise InputError(f"{_MISSING} ({exc.name} is missing)") from None


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 1,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers", help="Behind a TLS proxy on this host: trust X-Forwarded-Proto."
        ),
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Serve the web application on the workspace (set a password: `assay user passwd NAME`)."""
    _web_installed()
    from assay.web import serve

    root = g.find_workspace(workspace)
    console.print(f"Assay web on http://{host}:{port}/ for the workspace {root}")
    serve(root, host=host, port=port, workers=workers, proxy_headers=proxy_headers)


def passwd_command(
    name: Annotated[str, typer.Argument(help="The user whose web password to set.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Set a user's web password (yourself, or anyone as admin); ends their sessions and revokes
    their API tokens."""
    _web_installed()
    from assay.web import set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with opened(workspace, db) as ws:
        set_password(ws, name, password)
    console.print(f"Set the web password of {name}.")


def token_command(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "ci",
    days: Annotated[
        int | None,
        typer.Option("--days", help="Lifetime in days (default and maximum: the policy's, 90)."),
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Create an API token (for CI and scripts); it is shown once, stored hashed, and expires."""
    with opened(workspace, db) as ws:
        token, record = g.mint_token(ws, name, label=label, days=days)
    typer.echo(
        f"{record.ref} acts as {record.user} until {record.expires_at:%Y-%m-%d %H:%M} UTC; "
        f"revoke it with `assay user revoke-token {record.ref}`. The token (shown once):",
        err=True,
    )
    # the token alone on standard output, so that TOKEN=$(assay user token NAME) works
    typer.echo(token)


def tokens_command(
    name: Annotated[
        str | None, typer.Argument(help="Whose tokens (default: yours; admins: everyone's).")
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Include revoked and expired tokens.")
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List API tokens: who they act as, when they expire and were last used."""
    with opened(workspace, db) as ws:
        rows = g.list_tokens(ws, user=name, include_inactive=every)
    columns = ["ref", "user", "label", "created_at", "expires_at", "last_used_at", "active"]
    if every:
        columns += ["revoked_at", "revoked_reason"]
    emit(rows, as_json, list_table("API tokens", rows, columns))


def revoke_token_command(
    ref: Annotated[str, typer.Argument(help="The token, TOK-N (see `assay user tokens`).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke an API token (yours, or anyone's as admin); it stops working at once."""
    with opened(workspace, db) as ws:
        record = g.revoke_token(ws, ref, reason=reason)
    emit(record, as_json, message=f"{record.ref} of {record.user} is revoked.")


# ``assay user`` = the account commands of the workspace module and the web credentials here.
user_app.command("passwd")(passwd_command)
user_app.command("token")(token_command)
user_app.command("tokens")(tokens_command)
user_app.command("revoke-token")(revoke_token_command)
