"""Options and output helpers shared by the governance command groups: parse, call, format."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from assay import governance as g
from assay.cli._console import make_console
from assay.errors import InputError
from assay.store import to_jsonable

__all__ = [
    "DbOpt",
    "JsonOpt",
    "WorkspaceOpt",
    "console",
    "emit",
    "key_values",
    "list_table",
    "opened",
    "print_json",
    "record_table",
]

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar="ASSAY_WORKSPACE",
        help="A folder inside the workspace (default: the current folder, searched upwards).",
        show_default=False,
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="ASSAY_DATABASE_URL",
        help="Database URL overriding config.toml (postgresql+psycopg://USER@HOST/DB).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

console = make_console(highlight=False, soft_wrap=True)


@contextmanager
def opened(workspace: Path | None, db: str | None) -> Iterator[g.Workspace]:
    """Open the workspace for one command and close it afterwards."""
    ws = g.open_workspace(workspace, db_url=db)
    try:
        yield ws
    finally:
        ws.close()


def _plain(value: Any) -> Any:
    if isinstance(value, g.Workspace):
        return repr(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return to_jsonable(value)


def print_json(value: Any) -> None:
    """Print a record, a list of records or plain data as indented JSON."""
    typer.echo(json.dumps(_plain(value), indent=2, ensure_ascii=False, default=str))


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return f"{len(value)} item(s)"
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and len(value) == 32 and value[10] == "T" and value[-6:] == "+00:00":
        return value[:16].replace("T", " ")  # a UTC timestamp: minutes are enough in a table
    return str(value)


def record_table(title: str, record: Any, *, skip: Sequence[str] = ()) -> Table:
    """A two-column table of a record's fields."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in _plain(record).items():
        if key not in skip:
            table.add_row(key, _cell(value))
    return table


def list_table(title: str, rows: Sequence[Any], columns: Sequence[str]) -> Table:
    """A table with one row per record and the given columns."""
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        data = _plain(row)
        table.add_row(*(_cell(data.get(col)) for col in columns))
    return table


def emit(value: Any, as_json: bool, *tables: Table, message: str | None = None) -> None:
    """Print JSON, or the tables and a closing message."""
    if as_json:
        print_json(value)
        return
    for table in tables:
        console.print(table)
    if message:
        console.print(message)


def key_values(items: Sequence[str] | None, *, what: str) -> dict[str, Any]:
    """Parse repeated ``KEY=VALUE`` options; values are read as YAML scalars (numbers, true...)."""
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{what} {item!r} must be written KEY=VALUE.")
        out[key.strip()] = yaml.safe_load(value) if value.strip() else ""
    return out


def read_mapping(path: Path, *, what: str) -> Mapping[str, Any]:
    """Read a YAML or JSON file holding a mapping."""
    if not path.is_file():
        raise InputError(f"The {what} file {str(path)!r} does not exist.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML or JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"The {what} file {path} must hold a mapping of KEY: VALUE.")
    return data
