"""A process that runs ``assay`` commands on request, for the golden tests.

Each command runs through the real entry point (:func:`assay.cli.main`, error boundary included)
in this one long-lived process: a process per command would cost seconds of imports each, and the
test process itself is no clean room (other tests leave module-level consoles sized by their own
``COLUMNS``). Requests are JSON lines on stdin: ``{"args": [...], "cwd": ..., "env": {...},
"clock": ISO or null}``; each answer is one JSON line ``{"code", "out", "err"}`` on the file
descriptor named by the first argument.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def pinned_clock(clock: Callable[[], dt.datetime]) -> Iterator[None]:
    """Every :class:`assay.governance.Workspace` made inside uses ``clock``.

    The CLI and ``init_workspace`` open workspaces on the wall clock and take no clock; this is
    the one place the harness reaches past the public API, through the public class, so that
    ages, overdue counts and audit times are the same every day.
    """
    from assay.governance import Workspace

    original = Workspace.__init__

    def init(self: Workspace, *args: Any, **kwargs: Any) -> None:
        kwargs["clock"] = clock
        original(self, *args, **kwargs)

    Workspace.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        Workspace.__init__ = original  # type: ignore[method-assign]


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Run one command; return its exit code and what it printed."""
    from assay.cli import main

    saved = dict(os.environ)
    here = os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    code = 0
    moment = dt.datetime.fromisoformat(request["clock"]) if request.get("clock") else None
    pinned = pinned_clock(lambda: moment) if moment else contextlib.nullcontext()
    try:
        for key, value in request.get("env", {}).items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.chdir(request["cwd"])
        sys.argv = ["assay", *request["args"]]
        with pinned, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:
                code = -1
                err.write(traceback.format_exc())
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved)
    return {"code": code, "out": out.getvalue(), "err": err.getvalue()}


def serve() -> None:
    """Answer requests until stdin closes (on a frozen wall clock if ``GOLDEN_FROZEN_CLOCK`` names
    an ISO moment: see :mod:`frozen_clock`)."""
    frozen = os.environ.get("GOLDEN_FROZEN_CLOCK")
    if frozen:
        # pandas' compiled timestamp types derive from the real datetime at import: imported
        # after the freeze they crash the interpreter, so they see the real classes.
        import pandas  # noqa: F401
        from frozen_clock import freeze

        freeze(dt.datetime.fromisoformat(frozen))
    answers = os.fdopen(int(sys.argv[1]), "w", encoding="utf-8")
    for line in sys.stdin:
        answers.write(json.dumps(run(json.loads(line))) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()
