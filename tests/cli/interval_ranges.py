"""Every interval a shipped artefact carries lies inside the range its quantity can take.

An interval is a JSON object with ``ci_low``/``ci_high``; its quantity is named by the key that
holds it (and, for deltas and robustness checks, by its parent). A quantity not listed here fails
the check, so a new interval has to be given its range before it ships.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

UNIT = (0.0, 1.0)
SIGNED_UNIT = (-1.0, 1.0)
NON_NEGATIVE = (0.0, math.inf)

#: rates, probabilities and scores of a probability model: in [0, 1]
BOUNDED = {
    "accuracy", "average_precision", "balanced_accuracy", "brier_score", "ece", "f1", "fdr",
    "fnr", "for", "fpr", "npv", "ppv", "prevalence", "roc_auc", "selection_rate", "tnr", "tpr",
    "flip_rate", "flip_to_negative", "flip_to_positive", "impact_ratio",
}  # fmt: skip


def quantity_range(path: tuple[str, ...]) -> tuple[float, float] | None:
    """The range of the quantity at ``path`` (keys from the document's root), or None if unknown."""
    key, parent = path[-1], path[-2] if len(path) > 1 else ""
    if key in BOUNDED or key.endswith(("_difference", "_ratio")):
        return UNIT  # a summary's max − min and min / max are both in [0, 1]
    if key in ("baseline", "probed") and parent in BOUNDED:
        return UNIT
    if key == "delta" and parent in BOUNDED:
        return SIGNED_UNIT
    if key == "mean_abs_score_change":
        return NON_NEGATIVE
    if key == "disparity":
        return UNIT  # a mitigation's constraint disparity: a summary's max − min difference
    if key in ("difference", "ratio"):
        # between the groups attaining the max and min: [0, 1]; against a reference group the
        # difference is signed and the ratio unbounded above
        if "vs_reference" in path:
            return SIGNED_UNIT if key == "difference" else NON_NEGATIVE
        return UNIT
    if key == "estimate" and "verdicts" in path:
        return UNIT  # every verdict judges a max − min difference or a min / max ratio
    if key == "estimate" and "checks" in path:
        return SIGNED_UNIT  # a robustness check's change of a rate
    if "metrics" in path and len(path) >= 2:
        return UNIT if key in BOUNDED else None
    return None


def intervals(document: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each interval in a JSON document, with the path of keys that leads to it."""
    if isinstance(document, dict):
        if "ci_low" in document or "ci_high" in document:
            yield path, document
            return
        for key, value in document.items():
            yield from intervals(value, (*path, str(key)))
    elif isinstance(document, list):
        for item in document:
            yield from intervals(item, path)


def out_of_range(folder: Path) -> list[str]:
    """Every interval under ``folder`` (JSON files and stored evidence) outside its range."""
    problems: list[str] = []
    files = [p for p in folder.rglob("*") if p.is_file() and p.suffix in ("", ".json")]
    for file in files:
        try:
            document = json.loads(file.read_bytes())
        except (UnicodeDecodeError, ValueError):
            continue
        for path, interval in intervals(document):
            where = f"{file.relative_to(folder)}: {'/'.join(path)}"
            bounds = quantity_range(path)
            if bounds is None:
                problems.append(f"{where}: no known range for this quantity")
                continue
            low, high = interval.get("ci_low"), interval.get("ci_high")
            if low is not None and high is not None and low > high:
                problems.append(f"{where}: ci_low {low} > ci_high {high}")
            for bound in (low, high):
                if bound is not None and not bounds[0] <= bound <= bounds[1]:
                    problems.append(f"{where}: {bound} outside [{bounds[0]}, {bounds[1]}]")
    return problems
