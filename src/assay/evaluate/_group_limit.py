"""How many groups a sensitive feature may have: one limit, one message, checked before the work.

A sensitive feature with more distinct values than :data:`MAX_GROUPS` is almost surely an
identifier or a continuous column; computing a profile or a table per value would take minutes and
say nothing. Fairness, quality and drift all refuse it with the same message, and count the
values in one cheap pass before the grouped computation starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw

from assay.errors import InputError

__all__ = ["MAX_GROUPS", "check_group_count", "check_group_counts"]

#: A sensitive feature with more distinct values than this is almost surely not a grouping.
MAX_GROUPS = 200


def check_group_count(feature: str, count: int, *, where: str = "") -> None:
    """Refuse a sensitive feature with more than :data:`MAX_GROUPS` distinct values."""
    if count > MAX_GROUPS:
        raise InputError(
            f"The sensitive feature '{feature}' has {count} distinct values{where}; more than "
            f"{MAX_GROUPS} groups usually means an identifier or a continuous column. Bin it "
            "first (for example age into bands)."
        )


def check_group_counts(
    frame: nw.LazyFrame[Any], features: Sequence[str], *, where: str = ""
) -> None:
    """Count each feature's distinct values in one pass and refuse any above the limit."""
    if not features:
        return
    row = frame.select([nw.col(f).n_unique().alias(f) for f in features]).collect().row(0)
    for feature, count in zip(features, row, strict=True):
        check_group_count(feature, int(count), where=where)
