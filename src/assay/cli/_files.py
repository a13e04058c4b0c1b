"""Files the commands read and write: checked up front, written whole or not at all.

An output file is written to ``NAME.part`` beside it and renamed into place, so a command that
fails half-way never leaves a truncated report where a CI step would pick it up; its folder is
created when missing. An input file that is missing, or a folder where a file is expected, is an
:class:`~assay.errors.InputError` naming the option, never an internal error.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import typer
from rich.console import Console

from assay.errors import InputError, NotFoundError

__all__ = ["append_output", "emit_text", "format_for", "input_file", "write_output"]


#: The format a file's suffix names, for ``-o result.json`` without ``--format``.
SUFFIX_FORMATS = {".json": "json", ".html": "html", ".htm": "html", ".md": "md", ".xml": "junit"}


def format_for(fmt: str, output: Path | None, formats: Sequence[str], *, default: str) -> str:
    """The format to write: ``fmt`` as given; or, when it was left at ``default`` and ``output``
    ends in the suffix of a format the command writes, that format (``-o result.json`` is JSON).
    """
    if output is None or fmt != default:
        return fmt
    inferred = SUFFIX_FORMATS.get(output.suffix.lower(), fmt)
    return inferred if inferred in formats else fmt


def _target(path: Path, option: str) -> None:
    if path.is_dir():
        raise InputError(
            f"{option} '{path}' is a folder; give the path of a file inside it, "
            f"e.g. {path / 'out'}."
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"The folder '{path.parent}' for {option} cannot be created: "
            f"{exc.strerror or exc}. Choose a folder you can write to."
        ) from None


def write_output(path: Path, data: str | bytes, *, option: str = "--output") -> None:
    """Write ``data`` to ``path`` whole: create its folder, write ``NAME.part``, rename.

    Raises
    ------
    InputError
        ``path`` is a folder, or it (or its folder) cannot be written.
    """
    _target(path, option)
    part = path.with_name(path.name + ".part")
    try:
        if isinstance(data, bytes):
            part.write_bytes(data)
        else:
            part.write_text(data, encoding="utf-8")
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise InputError(
            f"{option} '{path}' cannot be written: {exc.strerror or exc}. "
            "Choose a file in a folder you can write to."
        ) from None


def emit_text(
    text: str, output: Path | None, console: Console, *, option: str = "--output"
) -> None:
    """Print ``text`` to standard output, or write it whole to ``output`` and say so."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    write_output(output, text, option=option)
    console.print(f"wrote {output}")


def append_output(path: Path, text: str, *, option: str) -> None:
    """Append ``text`` to ``path`` (a CI step summary is appended to), creating its folder."""
    _target(path, option)
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise InputError(
            f"{option} '{path}' cannot be written: {exc.strerror or exc}. "
            "Choose a file in a folder you can write to."
        ) from None


def input_file(path: Path, *, option: str) -> Path:
    """``path`` when it is a readable file; a clear error naming ``option`` otherwise.

    Raises
    ------
    NotFoundError
        Nothing exists at ``path``.
    InputError
        ``path`` is a folder.
    """
    if path.is_dir():
        raise InputError(f"{option} '{path}' is a folder; give the path of a file.")
    if not path.exists():
        raise NotFoundError(f"{option} '{path}' does not exist. Check the path.")
    return path
