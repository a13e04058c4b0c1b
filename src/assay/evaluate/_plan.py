"""``assay.evaluate.plan_sample_size``: rows per group a fairness verdict needs, before collection.

The same computation as the sample-size advice every *insufficient evidence* verdict carries
(:mod:`assay.evaluate._sample_size`), from rates the analyst expects instead of rates observed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from assay.errors import InputError
from assay.evaluate._group_limit import MAX_GROUPS
from assay.evaluate._sample_size import MAX_ROWS, POWER, Design, rows_needed

__all__ = ["SampleSizePlan", "plan_sample_size"]

METHOD = (
    "power of Assay's verdict tests (pairwise one-sided z-tests, Agresti–Caffo standard error "
    "for differences, Katz log for ratios; Holm for fail, intersection–union for pass) at the "
    "expected rates, by a fixed set of normal draws of each group's count"
)


@dataclass(frozen=True)
class SampleSizePlan:
    """How many rows per group a verdict needs to decide with the asked power.

    ``rows_per_group`` is ``None`` when even ``more_than`` rows per group would not do.
    ``decision`` is the verdict the rows are planned for: ``"pass"`` when every pair of expected
    rates is within the limit, ``"fail"`` when some pair is beyond it. ``achieved_power`` is the
    computed power at ``rows_per_group`` (just above the target).
    """

    rows_per_group: int | None
    more_than: int | None
    decision: str
    achieved_power: float
    rates: tuple[float, ...]
    rule: str
    limit: float
    power: float
    ci_level: float
    min_group_size: int
    share: float
    method: str = METHOD

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain JSON."""
        out = asdict(self)
        out["rates"] = list(self.rates)
        return out


def plan_sample_size(
    rates: Sequence[float] | None = None,
    *,
    limit: float,
    rule: Literal["difference", "ratio"] = "difference",
    rate: float | None = None,
    gap: float = 0.0,
    groups: int | None = None,
    power: float = POWER,
    ci_level: float = 0.95,
    min_group_size: int = 30,
    share: float = 1.0,
) -> SampleSizePlan:
    """Rows per group a fairness verdict needs to decide with ``power``, before collecting data.

    Assay's verdicts pass only when every pair of groups is *significantly* within the limit; with
    a strict limit that takes thousands of rows per group. This function answers the question
    before the data is collected, by the same tests the verdicts use
    (:func:`assay.evaluate.judge`), at the rates the analyst expects.

    Parameters
    ----------
    rates
        The expected rate of each group (selection rate, true positive rate, ...); or give
        ``rate``, ``gap`` and ``groups`` instead.
    limit
        The limit: the largest allowed difference (``rule="difference"``, in [0, 1]) or the
        smallest allowed ratio (``rule="ratio"``, in (0, 1]).
    rule
        ``"difference"`` or ``"ratio"``.
    rate, gap, groups
        ``groups − 1`` groups at ``rate`` and one at ``rate + gap`` (``groups`` defaults to 2).
    power
        The probability of a decision to plan for, in (0, 1).
    ci_level
        ``1 − α`` of the verdict's tests, as in :func:`assay.evaluate.fairness`.
    min_group_size
        The verdict's minimum group size; the answer is never below it.
    share
        The share of a group's rows in the rate's denominator, in (0, 1]: 1 for the selection
        rate, the expected share of positives for the true positive rate. Rows are counted
        before it is applied.

    Returns
    -------
    SampleSizePlan

    Examples
    --------
    >>> from assay.evaluate import plan_sample_size
    >>> plan = plan_sample_size(rate=0.3, gap=0.02, limit=0.1)
    >>> plan.decision, plan.rows_per_group
    ('pass', 426)
    >>> plan_sample_size([0.5, 0.5, 0.5, 0.5, 0.5], limit=0.8, rule="ratio").rows_per_group
    578
    """
    expected = _rates(rates, rate, gap, groups)
    _check(expected, rule, limit, power, ci_level, min_group_size, share)
    row = np.array([expected], dtype=np.float64)
    design = Design(
        row, np.full_like(row, share), np.zeros(len(expected)), rule, float(limit),
        1.0 - ci_level, min_group_size,
    )  # fmt: skip
    need = rows_needed(design, power)
    return SampleSizePlan(
        rows_per_group=need.rows,
        more_than=MAX_ROWS if need.rows is None else None,
        decision=need.decision,
        achieved_power=need.achieved,
        rates=tuple(expected),
        rule=rule,
        limit=float(limit),
        power=float(power),
        ci_level=float(ci_level),
        min_group_size=int(min_group_size),
        share=float(share),
    )


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{name} must be a number; got {value!r}.")
    return float(value)


def _rates(
    rates: Sequence[float] | None, rate: float | None, gap: float, groups: int | None
) -> list[float]:
    """The expected rate of each group, from ``rates`` or from ``rate``, ``gap`` and ``groups``."""
    if (rates is None) == (rate is None):
        raise InputError(
            "Give the expected rates either one per group (rates=[0.3, 0.25, ...]) or as one "
            "rate with a gap and a number of groups (rate=0.3, gap=0.05, groups=4): exactly one "
            "of the two."
        )
    if rates is not None:
        out = [_number("Each rate", r) for r in rates]
        if groups is not None and groups != len(out):
            raise InputError(
                f"groups={groups} but {len(out)} rates were given; give one rate per group."
            )
    else:
        count = 2 if groups is None else groups
        if isinstance(count, bool) or not isinstance(count, int):
            raise InputError(f"groups must be a whole number; got {count!r}.")
        base, step = _number("rate", rate), _number("gap", gap)
        out = [base] * (count - 1) + [base + step] if count >= 1 else []
    if not 2 <= len(out) <= MAX_GROUPS:
        raise InputError(
            f"A verdict compares groups, so it needs 2 to {MAX_GROUPS} of them; got {len(out)}."
        )
    bad = [r for r in out if not 0.0 <= r <= 1.0]
    if bad:
        named = "Each rate" if rates is not None else "rate and rate + gap"
        raise InputError(f"{named} must lie in [0, 1] (a rate is a share of rows); got {bad[0]:g}.")
    return out


def _check(
    rates: list[float],
    rule: str,
    limit: float,
    power: float,
    ci_level: float,
    min_group_size: int,
    share: float,
) -> None:
    if rule not in ("difference", "ratio"):
        raise InputError(f"rule must be 'difference' or 'ratio'; got {rule!r}.")
    limit = _number("limit", limit)
    if rule == "difference" and not 0.0 <= limit <= 1.0:
        raise InputError(
            f"A difference limit is the largest allowed gap between two rates, so it must lie in "
            f"[0, 1]; got {limit:g}."
        )
    if rule == "ratio" and not 0.0 < limit <= 1.0:
        raise InputError(
            f"A ratio limit is the smallest allowed ratio of two rates (min/max), so it must lie "
            f"in (0, 1]; got {limit:g}."
        )
    if not 0.0 < _number("power", power) < 1.0:
        raise InputError(f"power is a probability and must lie in (0, 1); got {power:g}.")
    if not 0.5 <= _number("ci_level", ci_level) < 1.0:
        raise InputError(f"ci_level must lie in [0.5, 1); got {ci_level:g}.")
    if (
        isinstance(min_group_size, bool)
        or not isinstance(min_group_size, int)
        or min_group_size < 1
    ):
        raise InputError(
            f"min_group_size must be a whole number of at least 1; got {min_group_size!r}."
        )
    if not 0.0 < _number("share", share) <= 1.0:
        raise InputError(
            f"share is the part of a group's rows in the rate's denominator, so it must lie in "
            f"(0, 1]; got {share:g}."
        )
