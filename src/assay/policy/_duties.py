"""Separation of duties: the one rule of who may decide on what.

Every approval path — waivers and their renewals, review decisions and packet signatures, risk
acceptance — calls these functions inside its write transaction, whichever front end (Python,
CLI, web, API) asked. The rule:

- each approval round has its own requester: a waiver's renewal is a new round, requested by
  whoever renewed it;
- nobody decides on a round they requested (or on a renewal of something they requested), nor
  signs a packet they built;
- nobody accepts a risk they filed when its rating needs independent acceptance
  (:data:`INDEPENDENT_ACCEPTANCE`, or the policy's ``independent_acceptance``);
- a round that needs several approvals needs as many distinct people, none of them the requester.

The functions raise :class:`~assay.errors.TransitionError` with a message that names the person,
the record and what to do instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from assay.errors import TransitionError

if TYPE_CHECKING:
    from assay.policy._model import Policy

__all__ = [
    "INDEPENDENT_ACCEPTANCE",
    "check_packet_signer",
    "check_risk_acceptance",
    "check_round_decision",
    "needs_independent_acceptance",
]

#: Ratings at which a risk must be accepted by someone other than the person who filed it, when
#: the policy does not say otherwise (``independent_acceptance`` in the policy file).
INDEPENDENT_ACCEPTANCE: tuple[str, ...] = ("critical", "high")


def check_round_decision(
    actor: str,
    *,
    subject: str,
    requester: str,
    earlier_requesters: Iterable[str] = (),
    earlier_signers: Iterable[str] = (),
    verb: str = "decide on",
) -> None:
    """Refuse a decision on an approval round by its requester or by someone who already decided.

    Parameters
    ----------
    actor
        Who is deciding.
    subject
        The round, as people read it: ``"round 2 of WVR-3"``, ``"REV-4"``.
    requester
        Who requested this round (for a renewal: who renewed).
    earlier_requesters
        Who requested the earlier rounds of the same subject (a waiver's first request and its
        renewals): whoever asked for the exception never extends it on their own either.
    earlier_signers
        Who already decided on this round; each person counts once towards the approvals a
        round needs.
    verb
        What the actor tries to do (``"approve"``, ``"reject"``).

    Examples
    --------
    >>> check_round_decision("ada", subject="round 1 of WVR-1", requester="sam")
    >>> check_round_decision("sam", subject="round 1 of WVR-1", requester="sam")
    Traceback (most recent call last):
    ...
    assay.errors.TransitionError: 'sam' requested round 1 of WVR-1 and cannot decide on it: ...
    """
    if actor == requester:
        raise TransitionError(
            f"{actor!r} requested {subject} and cannot {verb} it: the requester can never "
            "decide on their own request (separation of duties). Ask another approver."
        )
    if actor in set(earlier_requesters):
        raise TransitionError(
            f"{actor!r} requested an earlier round of {subject.rpartition(' of ')[2]} and cannot "
            f"{verb} {subject}: whoever asked for an exception never extends it on their own "
            "(separation of duties). Ask another approver."
        )
    if actor in set(earlier_signers):
        raise TransitionError(
            f"{actor!r} already decided on {subject}; each approval of a round must come from "
            "a different person. Another approver must add theirs."
        )


def check_packet_signer(actor: str, *, packet: str, built_by: str) -> None:
    """Refuse a signature on a review packet by the person who built it.

    >>> check_packet_signer("rex", packet="EV-9", built_by="cy")
    >>> check_packet_signer("cy", packet="EV-9", built_by="cy")
    Traceback (most recent call last):
    ...
    assay.errors.TransitionError: 'cy' built the packet EV-9 and cannot sign it: ...
    """
    if actor == built_by:
        raise TransitionError(
            f"{actor!r} built the packet {packet} and cannot sign it: whoever assembles what a "
            "board reads never signs it (separation of duties). Ask another reviewer or approver."
        )


def needs_independent_acceptance(rating: str, policy: Policy | None = None) -> bool:
    """Whether a risk of this rating must be accepted by someone other than its filer.

    >>> needs_independent_acceptance("critical"), needs_independent_acceptance("low")
    (True, False)
    """
    ratings = policy.independent_acceptance if policy is not None else INDEPENDENT_ACCEPTANCE
    return rating in ratings


def check_risk_acceptance(
    actor: str, *, risk: str, filed_by: str, rating: str, policy: Policy | None = None
) -> None:
    """Refuse the acceptance of a risk by the person who filed it, at the ratings that need an
    independent acceptance.

    >>> check_risk_acceptance("mia", risk="RISK-2", filed_by="mia", rating="low")
    >>> check_risk_acceptance("mia", risk="RISK-2", filed_by="mia", rating="critical")
    Traceback (most recent call last):
    ...
    assay.errors.TransitionError: 'mia' filed RISK-2 (rated critical) and cannot accept it: ...
    """
    if actor == filed_by and needs_independent_acceptance(rating, policy):
        raise TransitionError(
            f"{actor!r} filed {risk} (rated {rating}) and cannot accept it: a {rating} risk is "
            "accepted by someone other than the person who filed it (separation of duties). "
            "Ask another approver."
        )
