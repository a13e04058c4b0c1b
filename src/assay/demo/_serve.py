"""The demo in the browser: a web login for each demo user (named after their role), the lines
that say how to open the web app, and ``assay demo --serve``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from rich.console import Console

from assay.governance import Workspace, store_password_hash

#: The demo's users by role: (role, user, password). Each password names its user's role.
DEMO_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("admin", "ada", "ada-admin-demo"),
    ("analyst", "sam", "sam-analyst-demo"),
    ("reviewer", "ravi", "ravi-reviewer-demo"),
    ("approver", "mia", "mia-approver-demo"),
    ("analyst", "ivy", "ivy-analyst-demo"),  # of the insurance unit only
)
#: The demo's web password of each user.
DEMO_PASSWORDS = {user: password for _, user, password in DEMO_LOGINS}
#: What the ``[web]`` extra installs that the web app needs to start.
_WEB_MODULES = ("argon2", "fastapi", "uvicorn")
#: The port ``assay serve`` and ``assay demo --serve`` listen on by default.
DEFAULT_PORT = 8000


def web_installed() -> bool:
    """Whether the ``[web]`` extra is installed (the web app can run); nothing is imported."""
    return all(importlib.util.find_spec(name) is not None for name in _WEB_MODULES)


def set_demo_logins(workspace: Workspace) -> bool:
    """Give each demo user their demo password (as the admin who created the workspace); False,
    and nothing set, when the ``[web]`` extra is not installed.

    The passwords are hashed with argon2, the format the web app checks (any argon2 hash verifies
    with its own parameters), without importing the web app itself: the demo stays importable
    wherever FastAPI cannot be loaded.
    """
    if not web_installed():
        return False
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    for _, user, password in DEMO_LOGINS:
        store_password_hash(workspace, user, hasher.hash(password))
    return True


def print_web_howto(console: Console, folder: Path, *, logins: bool) -> None:
    """The demo's last lines: how to open the web app on its workspace, and the logins."""
    console.print(
        "\n[bold]See it in the web app[/bold] (dashboard, reviews, risks, waivers, KPIs):"
    )
    if not logins:
        console.print(
            "  The web app needs the [web] extra: pip install 'assay-rai[web]' (`make demo` "
            "installs it), then run `assay demo --serve`."
        )
        return
    console.print(
        f"  cd {folder} && assay serve    then open http://127.0.0.1:{DEFAULT_PORT}/\n"
        "  (or next time: assay demo --serve)\n"
        "  Demo logins by role:"
    )
    for role, user, password in DEMO_LOGINS:
        unit = "  (insurance unit: sees only its systems)" if user == "ivy" else ""
        console.print(f"    {role:9s} {user:5s} {password}{unit}")


def serve_demo(folder: Path, port: int, console: Console) -> None:
    """Serve the web app on the demo's workspace on ``127.0.0.1:port`` until Ctrl-C (the demo
    has set its logins)."""
    from assay.errors import InputError

    if not web_installed():
        raise InputError(
            "`assay demo --serve` needs the [web] extra: pip install 'assay-rai[web]' "
            "(`make demo` installs it)."
        )
    from assay.web import serve

    console.print(f"\n[bold]Web app[/bold] on http://127.0.0.1:{port}/ — press Ctrl-C to stop.")
    serve(folder, host="127.0.0.1", port=port)
