"""The public API of assay.frameworks and assay.exports: complete __all__, runnable examples."""

from __future__ import annotations

import doctest
import importlib
import sys

import pytest

MODULES = [
    "assay.frameworks",
    "assay.frameworks._catalog",
    "assay.frameworks._crosswalk",
    "assay.frameworks._coverage",
    "assay.exports._common",
    "assay.exports._cyclonedx",
]


@pytest.mark.parametrize("name", ["assay.frameworks", "assay.exports"])
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported))  # order: ruff RUF022
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and n != "annotations"
        and not isinstance(v, type(sys))
        and str(getattr(v, "__module__", name)).startswith(name)
    }
    assert public <= set(exported), sorted(public - set(exported))
    assert all(hasattr(module, n) for n in exported)


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
