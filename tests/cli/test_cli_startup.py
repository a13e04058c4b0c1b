"""The root command: every command is listed in docs/cli.md, and loads only when it runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import typer

from assay.cli._app import COMMANDS, app

DOCS = Path(__file__).parents[2] / "docs"


def test_every_command_is_in_the_command_table() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `assay ([a-z-]+)` \|", text, flags=re.MULTILINE)
    assert sorted(listed) == sorted(COMMANDS)
    for guide in set(re.findall(r"\]\(([a-z-]+\.md)\)", text)):
        assert (DOCS / guide).is_file(), guide


def test_every_command_loads() -> None:
    group = typer.main.get_command(app)
    ctx = typer.Context(group)
    for name in COMMANDS:
        command = group.get_command(ctx, name)  # type: ignore[attr-defined]
        assert command is not None, name
        assert command.name == name
        assert (command.help or command.short_help or "").strip(), f"assay {name} has no help"


def test_a_governance_command_does_not_load_the_dataframe_stack() -> None:
    code = (
        "import sys, typer; from assay.cli._app import app; "
        "g = typer.main.get_command(app); g.get_command(typer.Context(g), 'risk'); "
        "print(sorted(m for m in ('polars', 'scipy', 'sklearn', 'narwhals') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
