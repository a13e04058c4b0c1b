"""The golden-file harness: compare an output with its stored file, or rewrite it.

``ASSAY_UPDATE_GOLDEN=1`` rewrites the goldens instead of comparing. Without it, a mismatch fails
with the first lines of a unified diff, named by the golden file's path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import hashlib
import json
import os
import re
import select
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from normalise import FLOAT_RULE, normalise

FILES = Path(__file__).resolve().parent / "files"
REPO = Path(__file__).resolve().parents[2]
UPDATE = os.environ.get("ASSAY_UPDATE_GOLDEN") == "1"
DIFF_LINES = 60

#: The environment of the CLI worker: a fixed terminal width, no colour, no workspace or user
#: leaking in from the shell, a fixed PII hashing key (None: unset).
CLI_ENV: dict[str, str | None] = {
    "COLUMNS": "200",
    "LINES": "50",
    "NO_COLOR": None,
    "FORCE_COLOR": None,
    "PY_COLORS": None,
    "TERM": "dumb",
    "ASSAY_DEBUG": None,
    "ASSAY_WORKSPACE": None,
    "ASSAY_DATABASE_URL": None,
    "ASSAY_USER": None,
    "ASSAY_PDF_ENGINE": None,
    "ASSAY_PII_HASH_KEY": "golden-files-key",
}


class Golden:
    """Checks outputs against ``tests/golden/files/NAME``.

    ``paths`` maps folder prefixes to placeholders (the temporary root to ``<TMP>``); ``digests``
    maps a sha256 (hex) to a name shown instead of it: the digests of files the tests make with
    third-party writers (a pickled model, whose bytes change with the library's version, not with
    Assay), and of content that holds a value the normaliser masks (see :meth:`add_if_varies`).
    """

    def __init__(self, paths: Mapping[str, str], digests: Mapping[str, str] | None = None) -> None:
        self.paths = dict(paths)
        self.digests = dict(digests or {})

    def text(self, output: str, *, exact_floats: bool = False) -> str:
        """``output`` as stored: normalised (``exact_floats``: by every rule but float rounding)."""
        for hexdigest, name in self.digests.items():
            # Reports abbreviate a digest as its first 8 and last 8 characters, or its first 12+.
            output = output.replace(f"{hexdigest[:8]}…{hexdigest[-8:]}", f"<{name}>")
            output = re.sub(rf"{hexdigest[:12]}[0-9a-f]{{0,52}}", f"<{name}>", output)
        skip = (FLOAT_RULE,) if exact_floats else ()
        return normalise(output, self.paths, skip=skip)

    def add_digest(self, path: Path, name: str) -> None:
        """Replace the sha256 of the file ``path`` by ``<name>`` in every output."""
        self.digests[hashlib.sha256(path.read_bytes()).hexdigest()] = name

    def add_if_varies(self, content: str, digests: Mapping[str, str]) -> bool:
        """Mask ``digests`` (hex -> name) when ``content``, what they hash, holds a masked value.

        A digest over a duration, a random id, a loopback port or another masked digest changes
        from run to run although nothing a user reads changed; every other digest is compared.
        Rounded floats are not counted: nearly every result holds floats of 17 digits, hashed
        reproducibly; a digest over a sum whose last bits vary would show as a diff between two
        runs of the suite (README: determinism).
        """
        if self.text(content, exact_floats=True) == content.rstrip("\n") + "\n":
            return False
        self.digests.update({h: n for h, n in digests.items() if h})
        return True

    def compare(self, name: str, output: str) -> str | None:
        """Compare ``output`` (normalised) with the golden file ``name``: None when it matches (or
        was rewritten, when updating), else the message of the failure with a unified diff."""
        path = FILES / name
        actual = self.text(output)
        if UPDATE:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != actual:
                path.write_text(actual, encoding="utf-8")
            return None
        if not path.exists():
            return (
                f"no golden file {path.relative_to(REPO)}; create it with "
                "ASSAY_UPDATE_GOLDEN=1 pytest tests/golden"
            )
        expected = path.read_text(encoding="utf-8")
        if expected == actual:
            return None
        return f"{path.relative_to(REPO)} differs from the output{_diff(name, expected, actual)}"

    def check(self, name: str, output: str) -> None:
        """Fail the test, with a diff, unless ``output`` matches the golden file ``name``."""
        failure = self.compare(name, output)
        if failure is not None:
            pytest.fail(f"{failure}\n{REWRITE}", pytrace=False)


#: How to accept an intended change, ending every failure.
REWRITE = (
    "If the change is intended, rewrite the goldens with "
    "ASSAY_UPDATE_GOLDEN=1 pytest tests/golden and review the diff (tests/golden/README.md)."
)


def _diff(name: str, expected: str, actual: str) -> str:
    note = ""
    old, new = expected.splitlines(), actual.splitlines()
    if len(old) < 3 and len(new) < 3:
        # Compact JSON is one line: diff it re-indented, so the diff shows where it differs.
        with contextlib.suppress(ValueError):
            old, new = (
                json.dumps(json.loads(t), indent=1, ensure_ascii=False).splitlines()
                for t in (expected, actual)
            )
            note = " (compact JSON, diffed re-indented)"
    diff = list(difflib.unified_diff(old, new, f"golden/{name}", f"actual/{name}", lineterm=""))
    shown = "\n".join(_excerpts(diff[:DIFF_LINES]))
    more = f"\n... {len(diff) - DIFF_LINES} more diff lines" if len(diff) > DIFF_LINES else ""
    return f"{note}:\n{shown}{more}"


#: Longer diff lines (minified HTML, an SVG, a table) are shown around their first difference.
LINE_CHARS = 240


def _excerpts(diff: list[str]) -> list[str]:
    """The diff lines, a long changed line cut to where it differs from the line it replaces."""
    removed = [line for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff if line.startswith("+") and not line.startswith("+++")]
    pairs = dict(zip(removed, added, strict=False)) | dict(zip(added, removed, strict=False))
    shown = []
    for line in diff:
        if len(line) <= LINE_CHARS:
            shown.append(line)
            continue
        other = pairs.get(line, "")
        pairs_of_chars = zip(line[1:], other[1:], strict=False)
        at = next((i for i, (a, b) in enumerate(pairs_of_chars, start=1) if a != b), 1)
        start = max(1, at - LINE_CHARS // 3)
        shown.append(f"{line[0]}[col {start}]…{line[start : start + LINE_CHARS]}…")
    return shown


@dataclass(frozen=True)
class Run:
    """One ``assay`` command: its arguments, exit code and what it printed."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def transcript(self) -> str:
        """The run as one text: command, exit code, stdout and stderr."""
        return (
            f"$ assay {shlex.join(self.args)}\n"
            f"exit code: {self.code}\n"
            f"--- stdout ---\n{self.out}"
            f"{'' if self.out.endswith(chr(10)) or not self.out else chr(10)}"
            f"--- stderr ---\n{self.err}"
        )


class CliWorker:
    """Runs ``assay`` commands in one long-lived process (``cli_worker.py``), in a clean
    environment: see that module for why not in the test process."""

    def __init__(self, log: Path, *, frozen_clock: dt.datetime | None = None) -> None:
        import assay

        env = {k: v for k, v in os.environ.items() if k not in CLI_ENV}
        env.update({k: v for k, v in CLI_ENV.items() if v is not None})
        if frozen_clock is not None:
            env["GOLDEN_FROZEN_CLOCK"] = frozen_clock.isoformat()
        env["TZ"] = "UTC"
        source = str(Path(assay.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
        self._read, write = os.pipe()
        self._log = log.open("w", encoding="utf-8")
        self._path = log
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("cli_worker.py")), str(write)],
            stdin=subprocess.PIPE,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            pass_fds=(write,),
            env=env,
            text=True,
        )
        os.close(write)
        self._answers = os.fdopen(self._read, "r", encoding="utf-8")

    def run(
        self,
        *args: str | Path,
        cwd: Path,
        env: Mapping[str, str | None] | None = None,
        clock: dt.datetime | None = None,
        timeout: float = 300,
    ) -> Run:
        """Run ``assay ARGS`` in ``cwd``; ``clock`` pins the clock of the workspaces it opens."""
        argv = self.submit(*args, cwd=cwd, env=env, clock=clock)
        return self.answer(argv, timeout=timeout)

    def submit(
        self,
        *args: str | Path,
        cwd: Path,
        env: Mapping[str, str | None] | None = None,
        clock: dt.datetime | None = None,
    ) -> tuple[str, ...]:
        """Start ``assay ARGS`` without waiting (see :meth:`answer`); returns the arguments."""
        argv = tuple(str(a) for a in args)
        request = {
            "args": argv,
            "cwd": str(cwd),
            "env": dict(env or {}),
            "clock": clock.isoformat() if clock else None,
        }
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return argv

    def answer(self, argv: tuple[str, ...], *, timeout: float = 300) -> Run:
        """Wait for the command submitted last (``argv``) to finish."""
        ready, _, _ = select.select([self._answers], [], [], timeout)
        line = self._answers.readline() if ready else ""
        if not line:
            self.close()
            log = self._path.read_text(encoding="utf-8")[-3000:]
            raise RuntimeError(f"the CLI worker gave no answer to assay {shlex.join(argv)}:\n{log}")
        answer = json.loads(line)
        return Run(argv, answer["code"], answer["out"], answer["err"])

    def close(self) -> None:
        """Stop the worker."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._answers.close()
        self._log.close()


class Outputs(dict[str, str]):
    """The outputs of one group of commands, by golden file name."""

    def run(self, name: str, run: Run) -> Run:
        """Keep the transcript of ``run`` (command, exit code, stdout, stderr) as ``name``."""
        self[name] = run.transcript()
        return run

    def file(self, name: str, path: Path) -> None:
        """Keep the text of the file ``path`` as ``name``."""
        self[name] = path.read_text(encoding="utf-8")
