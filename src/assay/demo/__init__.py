"""The demo: everything ``assay demo`` needs, in one place; the CLI only calls it.

:func:`run_demo` runs the whole workflow on UCI Adult in a folder (it trains a model with
:func:`train_adult_model`, evaluates it, files evidence, opens risks, checks data, personal data
and robustness, monitors :func:`simulated weeks <simulate_production_batches>`, red-teams the
local chat server, runs the gate, writes documents and exports) and returns what it made;
:func:`print_story` prints it; :func:`serve_demo` starts the web app on it with demo logins
(:data:`DEMO_LOGINS`, one per role). Before its own system the demo writes four quarters of a
program's history with :func:`seed_history`, on a :class:`DemoClock` set to when each step
happened, so the dashboard's KPIs have values and trends.

:mod:`assay.demo.chat_server` is the local OpenAI-compatible chat server with scripted safety
behaviour: the demo's "weakly guarded assistant", the tests' fixture and the benchmark's target
(``assay.demo.chat_server:weak_assistant`` names one of its behaviours as a red-team target).

Library packages never import this package (an import-linter layer sits it just below the CLI).
Its submodules are imported when first used, so the chat server starts without loading the
rest of the demo.
"""

from __future__ import annotations

import importlib
import typing
from typing import Any

if typing.TYPE_CHECKING:
    from assay.demo._clock import DemoClock
    from assay.demo._history import History, seed_history
    from assay.demo._model import (
        DEMO_LIMITS,
        SEED,
        DemoModel,
        evaluate_demo,
        model_sha256,
        train_adult_model,
    )
    from assay.demo._monitoring import (
        run_demo_monitoring,
        simulate_production_batches,
        write_demo_spec,
    )
    from assay.demo._population import US_CENSUS_1990
    from assay.demo._run import DemoRun, run_demo
    from assay.demo._serve import DEMO_LOGINS, DEMO_PASSWORDS, serve_demo, web_installed
    from assay.demo._story import print_story
    from assay.demo._support_log import demo_support_log

__all__ = [
    "DEMO_LIMITS",
    "DEMO_LOGINS",
    "DEMO_PASSWORDS",
    "SEED",
    "US_CENSUS_1990",
    "DemoClock",
    "DemoModel",
    "DemoRun",
    "History",
    "demo_support_log",
    "evaluate_demo",
    "model_sha256",
    "print_story",
    "run_demo",
    "run_demo_monitoring",
    "seed_history",
    "serve_demo",
    "simulate_production_batches",
    "train_adult_model",
    "web_installed",
    "write_demo_spec",
]

_LAZY = {
    "DEMO_LIMITS": "assay.demo._model",
    "DEMO_LOGINS": "assay.demo._serve",
    "DEMO_PASSWORDS": "assay.demo._serve",
    "SEED": "assay.demo._model",
    "US_CENSUS_1990": "assay.demo._population",
    "DemoClock": "assay.demo._clock",
    "DemoModel": "assay.demo._model",
    "DemoRun": "assay.demo._run",
    "History": "assay.demo._history",
    "demo_support_log": "assay.demo._support_log",
    "evaluate_demo": "assay.demo._model",
    "model_sha256": "assay.demo._model",
    "print_story": "assay.demo._story",
    "run_demo": "assay.demo._run",
    "run_demo_monitoring": "assay.demo._monitoring",
    "seed_history": "assay.demo._history",
    "serve_demo": "assay.demo._serve",
    "simulate_production_batches": "assay.demo._monitoring",
    "train_adult_model": "assay.demo._model",
    "web_installed": "assay.demo._serve",
    "write_demo_spec": "assay.demo._monitoring",
}


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'assay.demo' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
