"""The consoles commands print to: the terminal's width on a terminal, wide in a log.

Rich lays tables out for 80 columns when it cannot ask a terminal, so in a CI log a table of
intervals came out squeezed and cut ("prevalen…", "[0.031,\\n 0.044]"). Off a terminal, and unless
``COLUMNS`` says otherwise, a console is :data:`WIDE` columns wide: tables keep their cells whole.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console

__all__ = ["WIDE", "is_terminal", "make_console"]

#: The width of a console that prints to a log or a pipe.
WIDE = 240


def is_terminal(*, stderr: bool = False) -> bool:
    """Whether standard output (or error) is an interactive terminal."""
    stream = sys.stderr if stderr else sys.stdout
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def make_console(*, stderr: bool = False, **options: Any) -> Console:
    """A :class:`rich.console.Console`; off a terminal, :data:`WIDE` columns wide."""
    if "width" not in options and "COLUMNS" not in os.environ and not is_terminal(stderr=stderr):
        options["width"] = WIDE
    return Console(stderr=stderr, **options)
