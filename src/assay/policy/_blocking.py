"""Which open risks block a checkpoint: one rule for approval, the gate and the review packet.

A risk blocks when it is open (open or being mitigated), its current rating (residual when
assessed) is one the checkpoint's ``block_on_open_risks`` names, and no active waiver covers it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar

from assay.errors import InputError

if TYPE_CHECKING:
    from assay.policy._model import Policy

__all__ = ["OPEN_RISK_STATUSES", "RiskLike", "blocking_ratings", "blocking_risks"]

#: Risk statuses that count as open: found and not yet closed or accepted.
OPEN_RISK_STATUSES: tuple[str, ...] = ("open", "mitigating")


class RiskLike(Protocol):
    """What the rule needs to know of a risk."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def rating(self) -> str: ...


R = TypeVar("R", bound=RiskLike)


def blocking_ratings(policy: Policy, tier: str, checkpoint: str) -> tuple[str, ...]:
    """The ratings of open risks that block ``checkpoint`` of ``tier``.

    Raises
    ------
    InputError
        The tier or checkpoint is not in the policy (an unassessed or prohibited system has no
        checkpoint to pass).
    """
    if tier not in policy.tiers:
        raise InputError(
            f"The policy '{policy.name}' has no tier '{tier}' (it defines "
            f"{', '.join(policy.tiers)}): triage the system to one of them first."
        )
    return tuple(policy.checkpoint(tier, checkpoint).block_on_open_risks)


def blocking_risks(
    risks: Iterable[R], ratings: Collection[str], waived: Collection[int] = ()
) -> list[R]:
    """The risks that block: open, rated in ``ratings`` and not in ``waived`` (risk ids covered by
    an active waiver).

    >>> from types import SimpleNamespace as R
    >>> risks = [R(id=1, status="open", rating="high"), R(id=2, status="open", rating="low"),
    ...          R(id=3, status="closed", rating="critical"), R(id=4, status="mitigating",
    ...          rating="critical")]
    >>> [r.id for r in blocking_risks(risks, ("high", "critical"), waived={4})]
    [1]
    """
    return [
        r
        for r in risks
        if r.status in OPEN_RISK_STATUSES and r.rating in ratings and r.id not in waived
    ]
