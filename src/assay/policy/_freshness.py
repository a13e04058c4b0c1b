"""Evidence freshness: whether a record still counts for a requirement with ``max_age_days``.

A record counts while it is not past its ``valid_until`` and, when the requirement sets
``max_age_days``, is at most that many whole days old (the day it was recorded is day 0). The gate,
completeness, the model card and framework coverage all decide with :func:`evidence_is_fresh`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from assay.policy._model import Policy

__all__ = ["Dated", "evidence_age_days", "evidence_is_fresh", "max_age_days"]


class Dated(Protocol):
    """What the rule needs to know of a record."""

    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def valid_until(self) -> dt.date | None: ...


def evidence_age_days(record: Dated, today: dt.date) -> int:
    """Whole days from the day a record was made to ``today``.

    >>> from types import SimpleNamespace as R
    >>> evidence_age_days(R(created_at=dt.datetime(2026, 1, 1, 23, 0), valid_until=None),
    ...                   dt.date(2026, 1, 31))
    30
    """
    return (today - record.created_at.date()).days


def evidence_is_fresh(record: Dated, max_age_days: int | None, today: dt.date) -> bool:
    """Whether a record still counts: not past ``valid_until``, at most ``max_age_days`` old.

    >>> from types import SimpleNamespace as R
    >>> made = dt.datetime(2026, 1, 1, 12, 0)
    >>> evidence_is_fresh(R(created_at=made, valid_until=None), 30, dt.date(2026, 1, 31))
    True
    >>> evidence_is_fresh(R(created_at=made, valid_until=None), 30, dt.date(2026, 2, 1))
    False
    >>> evidence_is_fresh(R(created_at=made, valid_until=dt.date(2026, 1, 5)), None,
    ...                   dt.date(2026, 1, 6))
    False
    """
    if record.valid_until is not None and record.valid_until < today:
        return False
    return max_age_days is None or evidence_age_days(record, today) <= max_age_days


def max_age_days(policy: Policy, tier: str | None, kind: str, checkpoint: str) -> int | None:
    """The ``max_age_days`` the policy sets for evidence of ``kind`` at a tier's checkpoint (None
    when it sets none, or the tier or checkpoint is not in the policy).

    >>> from assay.policy import load_policy
    >>> max_age_days(load_policy(), "limited", "fairness", "pre-launch")
    180
    """
    tier_spec = policy.tiers.get(tier) if tier is not None else None
    point = tier_spec.checkpoints.get(checkpoint) if tier_spec is not None else None
    ages = [r.max_age_days for r in (point.evidence if point else ()) if r.kind == kind]
    return min((a for a in ages if a is not None), default=None)
