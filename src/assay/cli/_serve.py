"""``assay serve`` and the web credentials: ``assay user passwd`` and ``assay user token``.

The web adapter is imported lazily, only by these commands, so the CLI works without the
``[web]`` extra installed.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from assay import governance as g
from assay.cli._gov_common import DbOpt, WorkspaceOpt, console, opened
from assay.cli._workspace import user_app
from assay.errors import InputError, PermissionDeniedError

__all__ = ["passwd_command", "serve_command", "token_command", "user_app"]

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


def _may_manage(ws: g.Workspace, name: str) -> None:
    if ws.user != name and g.get_user(ws, ws.user).role != g.Role.ADMIN:
        raise PermissionDeniedError(
            f"{ws.user!r} may set credentials only for themselves; an admin may for anyone."
        )


def passwd_command(
    name: Annotated[str, typer.Argument(help="The user whose web password to set.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Set a user's web password (yourself, or anyone as admin); ends their sessions."""
    _web_installed()
    from assay.web._auth import set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with opened(workspace, db) as ws:
        _may_manage(ws, name)
        set_password(ws, name, password)
    console.print(f"Set the web password of {name}.")


def token_command(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "ci",
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Create an API token (for CI and scripts); it is shown once and stored hashed."""
    _web_installed()
    from assay.web._auth import create_token

    with opened(workspace, db) as ws:
        _may_manage(ws, name)
        token = create_token(ws, name, label)
    console.print(token)


# ``assay user`` = the account commands of the workspace module and the web credentials here.
user_app.command("passwd")(passwd_command)
user_app.command("token")(token_command)
