"""The public API of ``assay.genai``, its import cost, and the examples in its docstrings."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

import assay.genai

MODULES = [
    "assay.genai._cache",
    "assay.genai._compare",
    "assay.genai._detectors",
    "assay.genai._pii",
    "assay.genai._refusal",
    "assay.genai._refusal_languages",
    "assay.genai._canary",
    "assay.genai._leetspeak",
    "assay.genai._scan_logs",
    "assay.genai._report",
    "assay.genai._result",
    "assay.genai._runner",
    "assay.genai._strategies",
    "assay.genai._suite",
    "assay.genai._targets",
]


def test_all_is_sorted_and_complete() -> None:
    exported = list(assay.genai.__all__)
    assert exported == sorted(exported)
    for name in exported:
        assert hasattr(assay.genai, name), name
    public = {
        n
        for n, v in vars(assay.genai).items()
        if not n.startswith("_")
        and n != "annotations"
        and not isinstance(v, type(sys))
        and str(getattr(v, "__module__", "assay.genai")).startswith("assay.genai")
    }
    assert public - set(exported) == set()


def test_import_does_not_load_adapters_governance_or_the_server() -> None:
    code = (
        "import sys, assay.genai; "
        "bad = [m for m in ('assay.cli', 'assay.web', 'assay.governance', 'assay.store', "
        "'assay.demo', 'http.server') if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
