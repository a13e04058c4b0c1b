"""Labels and reference groups of :func:`assay.evaluate.fairness`: which label is the positive
outcome, and which group every other group of a grouping is compared with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from assay.errors import InputError
from assay.evaluate import _aggregate as agg
from assay.evaluate._groups import Grouping


def coerce(value: Any, like: list[Any]) -> Any:
    """Match a label given as text (from the command line) to the column's value type."""
    if not isinstance(value, str) or not like or all(isinstance(v, str) for v in like):
        return value
    if all(isinstance(v, bool) for v in like):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


def resolve_labels(
    table: pl.DataFrame,
    prof: agg.Profile,
    schema: dict[str, Any],
    y_true: str,
    y_pred: str | None,
    pos_label: Any,
) -> tuple[Any, Any]:
    """The positive label for y_true and the value of y_pred that means 'predicted positive'."""
    if prof.n_unique[y_true] > 2:
        values = table.get_column(y_true)
        shown = agg.sorted_values(values)[:10] if prof.n_unique[y_true] <= 50 else []
        raise InputError(
            f"y_true '{y_true}' has {prof.n_unique[y_true]} distinct values"
            + (
                f" ({', '.join(map(repr, shown))}{', ...' if prof.n_unique[y_true] > 10 else ''})"
                if shown
                else ""
            )
            + "; fairness evaluation needs binary labels. Map them to two classes, or use "
            "task='regression' for a numeric target."
        )
    true_values = agg.sorted_values(table.get_column(y_true))
    pred_values: list[Any] = []
    if y_pred is not None:
        if prof.n_unique[y_pred] > 2:
            raise InputError(
                f"y_pred '{y_pred}' has {prof.n_unique[y_pred]} distinct values; it must hold "
                "predicted "
                "labels. For scores or probabilities use y_score with a threshold."
            )
        pred_values = agg.sorted_values(table.get_column(y_pred))
    labels = list(dict.fromkeys(true_values + pred_values))
    if pos_label is None:
        if all(isinstance(v, bool) for v in labels):
            positive: Any = True
        elif all(
            isinstance(v, int | float) and not isinstance(v, bool) and v in (0, 1) for v in labels
        ):
            positive = 1
        else:
            raise InputError(
                f"The labels of '{y_true}' are {', '.join(map(repr, true_values))}, not 0/1: say "
                "which "
                "one is the positive outcome with pos_label (on the command line: --pos-label)."
            )
    else:
        positive = coerce(pos_label, true_values)
        if positive not in labels:
            raise InputError(
                f"pos_label {pos_label!r} is not a value of '{y_true}'"
                + (f" or '{y_pred}'" if y_pred else "")
                + f"; the values are {', '.join(map(repr, labels))}."
            )
    if len(labels) > 2:
        raise InputError(
            f"y_true '{y_true}' and y_pred '{y_pred}' together hold {len(labels)} different labels "
            f"({', '.join(map(repr, labels))}); both must use the same two labels."
        )
    if (
        y_pred is not None
        and schema[y_true] != schema[y_pred]
        and not (schema[y_true].is_numeric() and schema[y_pred].is_numeric())
    ):
        raise InputError(
            f"y_true '{y_true}' is {schema[y_true]} but y_pred '{y_pred}' is {schema[y_pred]}; "
            "use the same label type."
        )
    return positive, positive


def references(
    groupings: list[Grouping], stats: pl.DataFrame, reference: Any, features: list[str]
) -> dict[tuple[str, ...], int]:
    """Index of the reference group in each grouping: the one given, else the largest."""
    out: dict[tuple[str, ...], int] = {}
    given: dict[str, Any] = {}
    if reference is not None:
        if isinstance(reference, Mapping):
            given = dict(reference)
            unknown = [k for k in given if k not in features]
            if unknown:
                raise InputError(
                    f"reference_group names {unknown}, which are not sensitive features {features}."
                )
        elif len(features) == 1:
            given = {features[0]: reference}
        else:
            raise InputError(
                "With several sensitive features, give reference_group as {feature: value}, "
                f"for example {{{features[0]!r}: ...}}."
            )
    for grouping in groupings:
        if not grouping.features:
            continue
        counts = stats.group_by(list(grouping.features)).agg(pl.col(agg.COUNT).sum())
        size = {row[:-1]: row[-1] for row in counts.rows()}
        if all(f in given for f in grouping.features):
            values = [
                coerce(given[f], [k[i] for k in grouping.keys])
                for i, f in enumerate(grouping.features)
            ]
            key = tuple(values)
            if key not in grouping.keys:
                shown = ", ".join(
                    group_label(dict(zip(grouping.features, k, strict=True)))
                    for k in grouping.keys[:20]
                )
                raise InputError(
                    f"reference_group {dict(zip(grouping.features, key, strict=True))} is not a "
                    f"group in the data; groups are: {shown}."
                )
            out[grouping.features] = grouping.keys.index(key)
        else:
            out[grouping.features] = max(
                range(len(grouping)), key=lambda i: size.get(grouping.keys[i], 0)
            )
    return out


def group_label(group: Mapping[str, Any]) -> str:
    """``feature=value, ...`` of a group, as messages and notes name it."""
    return ", ".join(f"{k}={'(missing)' if v is None else v}" for k, v in group.items())
