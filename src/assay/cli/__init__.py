"""The ``assay`` command line: thin wrappers that parse, call the library and format."""

from __future__ import annotations

from assay.cli._app import app, main

__all__ = ["app", "main"]
