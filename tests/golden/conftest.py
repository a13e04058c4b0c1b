"""Fixtures of the golden-file tests: a fixed temporary root, small input files, the CLI runner.

Inputs are small and deterministic (slices of the shipped datasets, fixed seeds) so that every
output is the same on every run and machine, once :mod:`normalise` has replaced what may not be.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from golden_demo import DemoRun, temporary_root
from golden_house import REPORT_DAY, build_house, evaluations
from golden_inputs import write_inputs
from golden_support import CliWorker, Golden, Run

from assay import governance as g

_DEMO = pytest.StashKey[DemoRun]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the demo now if its test will run, so that it runs while the other tests do."""
    if os.environ.get("PYTEST_XDIST_WORKER") or session.config.option.collectonly:
        return
    if any(item.path.name == "test_golden_demo.py" for item in session.items):
        session.config.stash[_DEMO] = DemoRun()


def pytest_sessionfinish(session: pytest.Session) -> None:
    demo = session.config.stash.get(_DEMO, None)
    if demo is not None:
        demo.close()


@pytest.fixture(scope="session")
def demo(request: pytest.FixtureRequest) -> DemoRun:
    """The session's run of ``assay demo`` (started at collection, or now)."""
    stash = request.config.stash
    if _DEMO not in stash:
        stash[_DEMO] = DemoRun()
    return stash[_DEMO]


@pytest.fixture(scope="session")
def root() -> Iterator[Path]:
    """A temporary folder whose path is replaced by ``<TMP>`` in every golden.

    Not pytest's ``tmp_path``: its length varies (``pytest-7``, ``popen-gw1``), and a path's length
    decides where a terminal table wraps.
    """
    path = temporary_root("assay-golden-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def golden(root: Path) -> Golden:
    """Compares outputs with their golden files (``ASSAY_UPDATE_GOLDEN=1`` rewrites them)."""
    from golden_support import REPO

    return Golden({str(root): "<TMP>", str(REPO): "<REPO>"})


@pytest.fixture(scope="session")
def inputs(root: Path, golden: Golden) -> Path:
    """The folder of input files (``data/...``); commands run in it and name files relatively."""
    folder = root / "work"
    write_inputs(folder)
    golden.add_digest(folder / "data" / "credit-model.joblib", "MODEL_FILE_SHA256")
    return folder


@pytest.fixture(scope="session")
def worker(root: Path) -> Iterator[CliWorker]:
    """The process that runs the ``assay`` commands (its log: ``<TMP>/cli-worker.log``)."""
    process = CliWorker(root / "cli-worker.log")
    yield process
    process.close()


@pytest.fixture(scope="session")
def cli(inputs: Path, worker: CliWorker) -> Callable[..., Run]:
    """Run ``assay ARGS`` from the input folder (which holds ``data/`` and ``out/``)."""

    def run(
        *args: str | Path, cwd: Path | None = None, env: dict[str, str | None] | None = None
    ) -> Run:
        return worker.run(*args, cwd=cwd or inputs, env=env)

    return run


@pytest.fixture(scope="session")
def api_results(inputs: Path) -> dict[str, Any]:
    """The results of each evaluation on the golden inputs, from the Python API."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # loading a pickled model warns that pickles run code
        return evaluations(inputs)


@pytest.fixture(scope="session")
def house(root: Path, inputs: Path, api_results: dict[str, Any]) -> Iterator[g.Workspace]:
    """The governance workspace (SQLite) of :mod:`golden_house`, its clock on the report day.

    Tests only read it; those that write (the web app logs in, the gate records) use a copy.
    """
    ws = build_house(root / "house", inputs, api_results)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def house_cli(house: g.Workspace, worker: CliWorker) -> Callable[..., Run]:
    """Run ``assay ARGS`` in the golden workspace, its clock pinned on the report day."""

    def run(*args: str | Path, env: dict[str, str | None] | None = None) -> Run:
        return worker.run(*args, cwd=house.root, env=env, clock=REPORT_DAY)

    return run
