"""Risk tiers: the ones triage assigns, and the ones a policy can set requirements for."""

from __future__ import annotations

__all__ = ["ASSESSED_TIERS", "DEFAULT_CHECKPOINT", "POLICY_TIERS", "RISK_TIERS", "UNASSESSED"]

#: A system no triage has rated yet.
UNASSESSED = "unassessed"
#: Every tier a system can have, in order (EU AI Act-aligned; ``prohibited`` never passes).
RISK_TIERS: tuple[str, ...] = (UNASSESSED, "minimal", "limited", "high", "prohibited")
#: The tiers triage can assign.
ASSESSED_TIERS: tuple[str, ...] = RISK_TIERS[1:]
#: The checkpoint a review prepares unless triage names another.
DEFAULT_CHECKPOINT = "pre-launch"
#: The tiers a policy may define checkpoints for.
POLICY_TIERS: tuple[str, ...] = ("high", "limited", "minimal")
