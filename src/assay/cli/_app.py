"""The root ``assay`` command and the error boundary every command shares.

Each command group lives in its own module and registers itself here. Errors that Assay raises on
purpose (:class:`assay.errors.AssayError`), and files or folders the operating system refuses, are
printed as one clear message with exit code 2; anything else is a bug and is shown with a short
request to report it, still without a traceback unless ``ASSAY_DEBUG=1`` is set
(:func:`exit_code_for`).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup, TyperOption

from assay import __version__
from assay.errors import AssayError

#: Every command and command group: its module and attribute, in the order ``--help`` lists them.
#: A command's module is imported only when that command runs (or ``--help`` lists them all), so
#: ``assay init`` does not pay for the statistics and dataframe libraries ``assay evaluate`` needs.
COMMANDS: dict[str, tuple[str, str]] = {
    "evaluate": ("assay.cli._evaluate", "evaluate_app"),
    "check": ("assay.cli._check", "check_app"),
    "plan": ("assay.cli._plan", "plan_app"),
    "monitor": ("assay.cli._monitor", "monitor_app"),
    "policy": ("assay.cli._policy", "policy_app"),
    "pii": ("assay.cli._pii", "pii_app"),
    "redteam": ("assay.cli._redteam", "redteam_app"),
    "genai": ("assay.cli._genai", "genai_app"),
    "robustness": ("assay.cli._robustness", "robustness_app"),
    "explain": ("assay.cli._robustness", "explain_command"),
    "mitigate": ("assay.cli._mitigate", "mitigate_command"),
    "demo": ("assay.cli._demo", "demo_command"),
    # Workspace, evidence store and governance (issue 3).
    "init": ("assay.cli._workspace", "init_command"),
    "db": ("assay.cli._workspace", "db_app"),
    "user": ("assay.cli._serve", "user_app"),
    "org": ("assay.cli._org", "org_app"),
    "admin": ("assay.cli._admin", "admin_app"),
    "serve": ("assay.cli._serve", "serve_command"),
    "system": ("assay.cli._system", "system_app"),
    "model-version": ("assay.cli._system", "model_version_app"),
    "dataset-version": ("assay.cli._system", "dataset_version_app"),
    "evidence": ("assay.cli._evidence", "evidence_app"),
    "review": ("assay.cli._review", "review_app"),
    "approval": ("assay.cli._review", "approval_app"),
    "risk": ("assay.cli._risk", "risk_app"),
    "action": ("assay.cli._risk", "action_app"),
    "waiver": ("assay.cli._waiver", "waiver_app"),
    "incident": ("assay.cli._incident", "incident_app"),
    "audit": ("assay.cli._audit", "audit_app"),
    "kpis": ("assay.cli._kpis", "kpis_command"),
    "export": ("assay.cli._exports", "export_app"),
    "import": ("assay.cli._exchange", "import_command"),
    "backup": ("assay.cli._exchange", "backup_command"),
    "restore": ("assay.cli._exchange", "restore_command"),
    # Documents from evidence (issue 4).
    "card": ("assay.cli._documents", "card_app"),
    "datasheet": ("assay.cli._documents", "datasheet_command"),
    "report": ("assay.cli._documents", "report_app"),
    "packet": ("assay.cli._documents", "packet_app"),
    "completeness": ("assay.cli._documents", "completeness_command"),
    "checklist": ("assay.cli._documents", "checklist_command"),
    # Frameworks, crosswalk and standard exports (issue 4, parts 6 and 7).
    "frameworks": ("assay.cli._frameworks", "frameworks_app"),
    "bom": ("assay.cli._exports", "bom_app"),
    "oscal": ("assay.cli._exports", "oscal_app"),
    # The policy gate for CI/CD and model registries (issue 7).
    "gate": ("assay.cli._gate", "gate_command"),
}


def load_command(name: str) -> Any:
    """Import the module of command ``name`` and build its click command (typed ``Any``: Typer
    vendors its own copy of click since 0.25, so the class depends on the installed version)."""
    module, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command(name)(target)
    return typer.main.get_command(single)


class LazyGroup(TyperGroup):
    """The root group: commands from :data:`COMMANDS`, each loaded when first asked for; its
    help lists them by topic without loading any (:mod:`assay.cli._help`)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(n for n in super().list_commands(ctx) if n not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load_command(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            from assay.cli._help import closest_commands

            close = closest_commands(name, COMMANDS)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            ctx.fail(f"No such command '{name}'.{hint}")
        return super().resolve_command(ctx, args)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if not _is_terminal(sys.stderr):
            # A usage error in a CI log reads as click's plain "Error: …" line, not a box drawn
            # at a width no log has (Typer only boxes errors when rich markup is on).
            self.rich_markup_mode = None
        return super().main(*args, **kwargs)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from assay.cli._console import make_console
        from assay.cli._help import render_root_help

        usage = f"{ctx.command_path} [OPTIONS] COMMAND [ARGS]..."
        render_root_help(make_console(), usage, self.help or "")


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _flags_show_no_type() -> None:
    """Typer shows a flag as ``--json <bool>``, as if it took a value: show flags bare."""
    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_show_no_type()


app = typer.Typer(
    cls=LazyGroup,
    name="assay",
    help="Responsible AI assurance: evaluate, record evidence, document, govern, gate, monitor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"assay {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """Assay: evaluate → record evidence → document → govern → gate in CI → monitor."""


def exit_code_for(exc: BaseException, err: Console) -> int:
    """Print ``exc`` as the command line shows errors and return the exit code it ends with.

    ``2`` for what the user can fix: an :class:`~assay.errors.AssayError`, or a file or folder
    the operating system refused (missing, a folder where a file was expected, no permission,
    a full disk) — those are the user's environment, never a bug in Assay. ``130`` when
    interrupted. ``3`` for anything else: a bug, reported without a traceback unless
    ``ASSAY_DEBUG=1``.
    """
    if isinstance(exc, AssayError):
        # The message is text, not markup: "[integrations.jira]" must print as written.
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
        return 2
    if isinstance(exc, KeyboardInterrupt):
        err.print("interrupted")
        return 130
    if isinstance(exc, OSError):
        err.print(f"[bold red]error:[/] {escape(os_error_message(exc))}", soft_wrap=True)
        return 2
    if os.environ.get("ASSAY_DEBUG") == "1":
        raise exc
    err.print(
        f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
        "This is a bug in Assay. Run again with ASSAY_DEBUG=1 to see the traceback, "
        "and report it with that output.",
        markup=True,
        soft_wrap=True,
    )
    return 3


def os_error_message(exc: OSError) -> str:
    """What the operating system refused, in words that say which path and what to do."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return f"{reason}."
    path = str(exc.filename)
    if isinstance(exc, FileNotFoundError):
        return f"'{path}' does not exist ({reason}). Check the path."
    if isinstance(exc, IsADirectoryError):
        return f"'{path}' is a folder; give the path of a file."
    if isinstance(exc, NotADirectoryError):
        return f"A part of '{path}' is a file, not a folder ({reason}). Check the path."
    if isinstance(exc, PermissionError):
        return f"No permission to use '{path}' ({reason}). Check its owner and mode."
    return f"'{path}': {reason}."


def main() -> None:
    """Entry point of the ``assay`` script."""
    err = Console(stderr=True, highlight=False)
    try:
        # Typer's standalone mode prints usage errors itself and exits with code 2.
        app()
    except (Exception, KeyboardInterrupt) as exc:
        sys.exit(exit_code_for(exc, err))
