"""The decision-threshold rule: a threshold must split the observed scores.

A threshold at or below the lowest score makes every row positive; above the highest, every row
negative. Either way every decision is the same, and rates computed from them (a parity gap, an
accuracy drop under noise) say nothing about the model. Every command that turns scores into
decisions (``evaluate fairness``, ``robustness run``) applies this one rule.
"""

from __future__ import annotations

import math

from assay.errors import InputError

__all__ = ["check_threshold"]


def check_threshold(threshold: float, low: float, high: float, *, scores: str) -> float:
    """``threshold`` when ``low < threshold <= high``; an :class:`InputError` otherwise.

    Parameters
    ----------
    threshold
        Rows with ``score >= threshold`` are positive.
    low, high
        The smallest and largest score observed.
    scores
        What the scores are, for the message (``"y_score 'score'"``).

    Examples
    --------
    >>> check_threshold(0.5, 0.01, 0.98, scores="y_score 'p'")
    0.5
    >>> check_threshold(7, 0.01, 0.98, scores="y_score 'p'")
    Traceback (most recent call last):
    ...
    assay.errors.InputError: threshold 7 is outside the range of y_score 'p' (0.01 to 0.98): ...
    """
    if not math.isfinite(threshold) or not low < threshold <= high:
        raise InputError(
            f"threshold {threshold:g} is outside the range of {scores} ({low:.6g} to {high:.6g}): "
            "every row would get the same prediction. Pick a threshold inside that range."
        )
    return float(threshold)
