"""One run of ``assay demo`` per test session, on a frozen wall clock, started as early as possible.

The demo takes most of a minute (it trains a model), so it runs in a CLI worker of its own while
the other golden tests run: ``conftest.py`` starts it as soon as collection shows that
``test_golden_demo.py`` will run. Under pytest-xdist each worker is a session of its own, so the
demo is started only when its test asks for it (and runs on that worker alone).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from golden_support import CliWorker, Run

#: The demo's "today": a Wednesday in the middle of a quarter, after the weeks its monitoring
#: simulates (from 2026-01-05), so that its dates, due dates and KPI quarter never move.
DEMO_DAY = dt.datetime(2026, 5, 13, 10, 0, tzinfo=dt.UTC)
#: The demo writes into this folder, relative to its run's root (so results name relative paths).
FOLDER = "demo"


def temporary_root(prefix: str) -> Path:
    """A new folder under ``/tmp`` (not ``$TMPDIR``): a path's length decides where tables wrap."""
    base = "/tmp" if os.path.isdir("/tmp") else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base)).resolve()


@dataclass
class DemoRun:
    """The demo, started in its own worker: :meth:`result` waits for it."""

    root: Path = field(default_factory=lambda: temporary_root("assay-golden-demo-"))
    _run: Run | None = None

    def __post_init__(self) -> None:
        self._worker = CliWorker(self.root / "demo-worker.log", frozen_clock=DEMO_DAY)
        self._argv = self._worker.submit("demo", "--output", FOLDER, cwd=self.root)

    @property
    def folder(self) -> Path:
        """The folder the demo wrote."""
        return self.root / FOLDER

    def result(self) -> Run:
        """The demo's exit code and what it printed (waits for it to finish)."""
        if self._run is None:
            self._run = self._worker.answer(self._argv, timeout=900)
        return self._run

    def close(self) -> None:
        """Stop the worker and remove the folder."""
        self._worker.close()
        shutil.rmtree(self.root, ignore_errors=True)
