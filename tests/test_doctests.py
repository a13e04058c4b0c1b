"""Every example in a docstring of ``src/assay`` runs, and shows what the code returns.

The examples are part of the documentation (the API reference shows them), so a wrong one is a
documentation bug; this test runs them all as ``make test`` runs the suite.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import assay

SRC = Path(assay.__file__).parent
#: Alembic's migration environment runs only inside Alembic.
NOT_IMPORTABLE = {"assay.store.migrations.env"}


def _modules_with_examples() -> list[str]:
    names = []
    for path in sorted(SRC.rglob("*.py")):
        if ">>> " not in path.read_text("utf-8"):
            continue
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in NOT_IMPORTABLE:
            names.append(name)
    return names


@pytest.mark.parametrize("name", _modules_with_examples())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name) if t.examples]
    assert tests, f"{name} has '>>> ' in its source but no docstring example was found"
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
