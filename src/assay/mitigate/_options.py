"""What a mitigation run may be asked for: the methods, the constraints, their settings, and the
checks that turn a wrong value into a message naming the option and its range."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from assay.errors import InputError

__all__ = [
    "CONSTRAINTS",
    "DEFAULT_STRENGTHS",
    "DEFAULT_TOLERANCES",
    "METHODS",
    "MISSING_EXTRA",
    "MitigationOptions",
    "check_options",
    "require_fairlearn",
]

#: Method → what it does, as ``assay mitigate --help`` and the docs list them.
METHODS: dict[str, str] = {
    "threshold": "post-processing: per-group thresholds on the model's score (Fairlearn's "
    "ThresholdOptimizer); the model is not refitted",
    "exponentiated_gradient": "reductions: refit the model as a randomized mixture under the "
    "constraint (Fairlearn's ExponentiatedGradient)",
    "grid_search": "reductions: refit the model once per point of a grid of Lagrange "
    "multipliers and keep the best trade-off (Fairlearn's GridSearch)",
    "reweighing": "pre-processing: refit the model with Kamiran–Calders weights that make the "
    "label independent of the group in the training data",
}

#: Fairlearn constraint → the disparity Assay's fairness evaluation reports for it.
CONSTRAINTS: dict[str, str] = {
    "demographic_parity": "demographic_parity_difference",
    "equalized_odds": "equalized_odds_difference",
    "true_positive_rate_parity": "equal_opportunity_difference",
}

#: The tolerances the frontier is drawn over when none are given.
DEFAULT_TOLERANCES: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.2)
#: The reweighing strengths (weights raised to this power) of the frontier when none are given.
DEFAULT_STRENGTHS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)

MISSING_EXTRA = (
    "Mitigation needs Fairlearn and scikit-learn, which are not installed; install the "
    "extra with `pip install 'assay-rai[mitigate]'`."
)


@dataclass(frozen=True)
class MitigationOptions:
    """A checked request: the method, the constraint and the settings it is run at."""

    method: str
    constraint: str
    tolerance: float | None
    """The chosen setting: a tolerance (threshold, exponentiated_gradient), a strength in (0, 1]
    (reweighing); None for grid_search (Fairlearn's choice) and for exact thresholds."""
    tolerances: tuple[float, ...]
    """The settings of the frontier (the chosen one among them)."""
    grid_size: int

    @property
    def disparity(self) -> str:
        """The disparity the constraint bounds, by its name in the fairness result."""
        return CONSTRAINTS[self.constraint]


def _check_unit(value: float, option: str) -> float:
    """A value in (0, 1], or an error naming the option and its range."""
    if not (isinstance(value, int | float) and math.isfinite(value) and 0 < value <= 1):
        raise InputError(f"{option} must be in (0, 1] (greater than 0, at most 1); got {value}.")
    return float(value)


def check_options(
    method: str,
    constraint: str,
    tolerance: float | None,
    tolerances: Sequence[float] | None,
    grid_size: int,
) -> MitigationOptions:
    """Check a request, naming the option and its range when a value is wrong.

    >>> check_options("reweighing", "demographic_parity", None, None, 10).tolerance
    1.0
    >>> check_options("threshold", "demographic_parity", None, [0.05, 0.1], 10).tolerances
    (0.05, 0.1)
    """
    if method not in METHODS:
        raise InputError(f"method (--method) must be one of {', '.join(METHODS)}; got {method!r}.")
    if constraint not in CONSTRAINTS:
        raise InputError(
            f"constraint (--constraint) must be one of {', '.join(CONSTRAINTS)}; "
            f"got {constraint!r}."
        )
    if not isinstance(grid_size, int) or not 2 <= grid_size <= 200:
        raise InputError(
            f"grid_size (--grid-size) must be an integer from 2 to 200; got {grid_size}."
        )
    grid = tuple(_check_unit(t, "tolerances (--tolerances)") for t in (tolerances or ()))
    if method == "grid_search":
        return MitigationOptions(method, constraint, None, (), grid_size)
    if method == "threshold" and constraint == "equalized_odds":
        if tolerance is not None or grid:
            raise InputError(
                "The threshold method meets equalized_odds exactly (Fairlearn cannot relax it): "
                "drop tolerance and tolerances (--tolerance, --tolerances), or choose another "
                "constraint."
            )
        return MitigationOptions(method, constraint, None, (), grid_size)
    reweighing = method == "reweighing"
    default = 1.0 if reweighing else 0.05
    chosen = _check_unit(tolerance, "tolerance (--tolerance)") if tolerance is not None else default
    settings = tuple(
        sorted({*(grid or (DEFAULT_STRENGTHS if reweighing else DEFAULT_TOLERANCES)), chosen})
    )
    return MitigationOptions(method, constraint, chosen, settings, grid_size)


def require_fairlearn() -> None:
    """Raise :class:`InputError` (exit 2) when Fairlearn or scikit-learn is missing."""
    try:
        import fairlearn  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError:
        raise InputError(MISSING_EXTRA) from None
