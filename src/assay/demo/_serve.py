"""``assay demo --serve``: the web app on the demo's workspace, with a demo login per user."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

DEMO_PASSWORDS = {
    "ada": "ada-analyst-demo",
    "ravi": "ravi-reviewer-demo",
    "mia": "mia-approver-demo",
    "sam": "sam-engineer-demo",
}


def serve_demo(folder: Path, port: int, console: Console) -> None:
    """Give the demo's users their demo passwords, print them and serve the web app on
    ``127.0.0.1:port`` until Ctrl-C."""
    from assay.governance import open_workspace
    from assay.web import serve, set_password

    workspace = open_workspace(folder)
    try:
        for user, password in DEMO_PASSWORDS.items():
            set_password(workspace, user, password)
    finally:
        workspace.close()
    console.print(f"\n[bold]Web app[/bold] on http://127.0.0.1:{port}/ — demo logins:")
    for user, password in DEMO_PASSWORDS.items():
        console.print(f"  {user:5s} {password}")
    console.print("Press Ctrl-C to stop.")
    serve(folder, host="127.0.0.1", port=port)
