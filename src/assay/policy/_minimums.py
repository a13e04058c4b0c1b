"""Completeness minimums: when a review's documents and evidence are complete enough.

The policy's ``minimum_completeness`` (a share, 0–1) is the only minimum; every consumer — the
packet's badge and headline, the gate's ``completeness`` rule, the review page and the approval
warning — decides with :func:`meets_minimum`.
"""

from __future__ import annotations

__all__ = ["DEFAULT_MINIMUM_COMPLETENESS", "meets_minimum", "minimum_percent"]

#: The minimum a policy has when it does not set one.
DEFAULT_MINIMUM_COMPLETENESS = 0.9


def minimum_percent(minimum: float) -> float:
    """A minimum share as the percentage completeness scores are shown in.

    >>> minimum_percent(0.9)
    90.0
    """
    return round(100.0 * minimum, 1)


def meets_minimum(score_percent: float, minimum: float, *, consistent: bool = True) -> bool:
    """Whether a completeness score (percent, as shown) meets a minimum share; documents that
    contradict each other (``consistent`` False) never do.

    >>> meets_minimum(90.0, 0.9), meets_minimum(89.9, 0.9)
    (True, False)
    >>> meets_minimum(95.0, 0.9, consistent=False)
    False
    """
    return consistent and score_percent >= minimum_percent(minimum) - 1e-9
