"""Fairness limits: the threshold names a caller may set and how each is judged.

Pure Python (no NumPy), so a policy can validate its limits without loading the statistics stack.
"""

from __future__ import annotations

import math

from assay.errors import InputError

__all__ = [
    "RATES",
    "REGRESSION_RULES",
    "SUMMARY_RULES",
    "parse_rule",
    "regression_rule_names",
    "rule_names",
    "validate_thresholds",
]

#: rate name → (numerator cells, denominator cells, what an empty denominator means)
RATES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "prevalence": (("tp", "fn"), ("tp", "fp", "fn", "tn"), "no rows"),
    "selection_rate": (("tp", "fp"), ("tp", "fp", "fn", "tn"), "no rows"),
    "accuracy": (("tp", "tn"), ("tp", "fp", "fn", "tn"), "no rows"),
    "tpr": (("tp",), ("tp", "fn"), "no positives (y_true = pos_label)"),
    "fnr": (("fn",), ("tp", "fn"), "no positives (y_true = pos_label)"),
    "tnr": (("tn",), ("tn", "fp"), "no negatives (y_true ≠ pos_label)"),
    "fpr": (("fp",), ("tn", "fp"), "no negatives (y_true ≠ pos_label)"),
    "ppv": (("tp",), ("tp", "fp"), "no predicted positives"),
    "fdr": (("fp",), ("tp", "fp"), "no predicted positives"),
    "npv": (("tn",), ("tn", "fn"), "no predicted negatives"),
    "for": (("fn",), ("tn", "fn"), "no predicted negatives"),
}

SUMMARY_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "demographic_parity_difference": ("difference", ("selection_rate",)),
    "demographic_parity_ratio": ("ratio", ("selection_rate",)),
    "equalized_odds_difference": ("difference", ("tpr", "fpr")),
    "equalized_odds_ratio": ("ratio", ("tpr", "fpr")),
    "equal_opportunity_difference": ("difference", ("tpr",)),
    "equal_opportunity_ratio": ("ratio", ("tpr",)),
}


#: Limits on a regression result: gaps in error and in mean prediction between groups, in the
#: target's units (differences) or as min / max (ratios of non-negative errors).
REGRESSION_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "mae_difference": ("difference", ("mae",)),
    "mae_ratio": ("ratio", ("mae",)),
    "rmse_difference": ("difference", ("rmse",)),
    "rmse_ratio": ("ratio", ("rmse",)),
    "mean_residual_difference": ("difference", ("mean_residual",)),
    "mean_prediction_difference": ("difference", ("mean_prediction",)),
}


def regression_rule_names() -> list[str]:
    """Every threshold name a caller may set on a regression result."""
    return list(REGRESSION_RULES)


def rule_names() -> list[str]:
    """Every threshold name a caller may set on a classification (binary or multiclass) result."""
    names = list(SUMMARY_RULES)
    for rate in RATES:
        names += [f"{rate}_difference", f"{rate}_ratio"]
    return names


def parse_rule(name: str, task: str = "classification") -> tuple[str, tuple[str, ...]]:
    """(kind, metrics) of a threshold name for ``task``, or an InputError naming the valid ones."""
    if task == "regression":
        if name in REGRESSION_RULES:
            return REGRESSION_RULES[name]
        raise InputError(
            f"'{name}' is not a limit on a regression result. Regression limits are: "
            f"{', '.join(regression_rule_names())}."
        )
    if name in REGRESSION_RULES:
        raise InputError(
            f"'{name}' is a limit on a regression result; a {task} result takes limits on rates: "
            f"{', '.join(rule_names())}."
        )
    if name in SUMMARY_RULES:
        return SUMMARY_RULES[name]
    for kind in ("difference", "ratio"):
        metric = name.removesuffix(f"_{kind}")
        if name.endswith(f"_{kind}") and metric in RATES:
            return kind, (metric,)
    raise InputError(
        f"Unknown threshold '{name}'. Thresholds can be set on: {', '.join(rule_names())}."
    )


def validate_thresholds(thresholds: dict[str, float], task: str = "classification") -> None:
    """Check names and ranges of every threshold for ``task`` before anything is computed."""
    for name, limit in thresholds.items():
        kind, _ = parse_rule(name, task)
        if (
            not isinstance(limit, int | float)
            or isinstance(limit, bool)
            or not math.isfinite(limit)
        ):
            raise InputError(f"The threshold for '{name}' must be a number, got {limit!r}.")
        if task == "regression" and kind == "difference" and limit < 0:
            raise InputError(
                f"The threshold for '{name}' is a largest allowed gap between groups, in the "
                f"target's units, so it must be at least 0; got {limit}."
            )
        if task != "regression" and kind == "difference" and not 0 <= limit <= 1:
            raise InputError(
                f"The threshold for '{name}' is a largest allowed difference of rates, "
                f"so it must lie in [0, 1]; got {limit}."
            )
        if kind == "ratio" and not 0 < limit <= 1:
            raise InputError(
                f"The threshold for '{name}' is a smallest allowed ratio (min/max), "
                f"so it must lie in (0, 1]; got {limit}."
            )
