"""API token lifetime: every token expires, by default :data:`DEFAULT_TOKEN_DAYS` days after it is
made; a policy may set another lifetime (``api_token_days``), and one token may ask for less."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assay.errors import InputError

if TYPE_CHECKING:
    from assay.policy._model import Policy

__all__ = ["DEFAULT_TOKEN_DAYS", "token_days"]

#: How long an API token lives when neither the policy nor the request says otherwise.
DEFAULT_TOKEN_DAYS = 90


def token_days(requested: int | None = None, policy: Policy | None = None) -> int:
    """The lifetime in days of a new token: ``requested``, at most the policy's limit.

    >>> token_days(), token_days(7)
    (90, 7)
    """
    limit = policy.api_token_days if policy is not None else DEFAULT_TOKEN_DAYS
    if requested is None:
        return limit
    if isinstance(requested, bool) or not 1 <= requested <= limit:
        raise InputError(
            f"A token may live 1 to {limit} days under this policy; {requested!r} was asked for. "
            "Pick fewer days (--days), or make a new token when it expires."
        )
    return requested
