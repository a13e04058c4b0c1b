"""The public API of assay.evaluate.pii: a complete __all__; the doctests run."""

from __future__ import annotations

import doctest

import assay.evaluate.pii as pii
from assay.evaluate.pii import _mask, _minimise, _risk, _scan


def test_all_is_sorted_and_complete() -> None:
    # The order is ruff's RUF022 (isort-style), checked by ruff; here: no repeats.
    assert len(set(pii.__all__)) == len(pii.__all__)
    for name in pii.__all__:
        assert hasattr(pii, name)
    public = {n for n in vars(pii) if not n.startswith("_") and n != "annotations"}
    assert public == set(pii.__all__)


def test_docstring_examples() -> None:
    for module in (_mask, _minimise, _risk, _scan):
        failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failed == 0, module.__name__
