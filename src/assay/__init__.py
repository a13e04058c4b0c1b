"""Assay: Responsible AI assurance — evaluate, record evidence, document, govern, gate, monitor.

The public API is what ``__all__`` lists; submodules starting with ``_`` are private.
"""

from __future__ import annotations

from assay import datasets, errors, evaluate
from assay._version import __version__
from assay.evaluate import FairnessResult, fairness

__all__ = [
    "FairnessResult",
    "__version__",
    "datasets",
    "errors",
    "evaluate",
    "fairness",
]
