"""Helpers of the sources tests: the command line as a user runs it, and the numbers to compare."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ASSAY = [sys.executable, "-m", "assay"]


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        assert self.code == 0, self.err
        parsed: dict[str, Any] = json.loads(self.out)
        return parsed


def run(*args: str | Path, env: dict[str, str] | None = None) -> Run:
    proc = subprocess.run(
        [*ASSAY, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def numbers(payload: dict[str, Any]) -> dict[str, Any]:
    """A result without its provenance: what must be identical wherever the data lives."""
    return {k: v for k, v in payload.items() if k != "provenance"}
