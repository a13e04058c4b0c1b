"""Assay: Responsible AI assurance — evaluate, record evidence, document, govern, gate, monitor.

The public API is what ``__all__`` lists; submodules starting with ``_`` are private. The
submodules are imported when first used, so ``import assay`` (and every ``assay`` command) starts
without loading the dataframe and statistics libraries it does not need.
"""

from __future__ import annotations

import importlib
import typing
from typing import Any

from assay._version import __version__

if typing.TYPE_CHECKING:
    from assay import datasets, errors, evaluate
    from assay.evaluate import FairnessResult, fairness

__all__ = [
    "FairnessResult",
    "__version__",
    "datasets",
    "errors",
    "evaluate",
    "fairness",
]

_LAZY = {
    "datasets": ("assay.datasets", None),
    "errors": ("assay.errors", None),
    "evaluate": ("assay.evaluate", None),
    "FairnessResult": ("assay.evaluate", "FairnessResult"),
    "fairness": ("assay.evaluate", "fairness"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'assay' has no attribute {name!r}") from None
    loaded = importlib.import_module(module)
    value = loaded if attribute is None else getattr(loaded, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
