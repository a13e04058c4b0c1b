"""The package version: the one place it is written (``pyproject.toml`` reads it from here).

A constant rather than a look-up in the installed distribution's metadata: importing
``importlib.metadata`` costs every command ~25 ms of start-up, and the two cannot disagree
because the build takes the distribution's version from this line.
"""

from __future__ import annotations

__version__ = "0.1.0"
