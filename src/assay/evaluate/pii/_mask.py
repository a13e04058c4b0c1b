"""Masking a value for display: enough shape to recognise the kind, never enough to recover it.

``mask("EMAIL_ADDRESS", "jane.doe@example.com")`` → ``"j***@e***.com"``. Every other entity keeps
its separators and at most its last two letters or digits (the last four of a payment card, as
card receipts do), and only when the value is long enough that they identify no one; vendor
secrets keep their public prefix (``AKIA****…``) and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac

_KEEP_PREFIX = {
    "AWS_ACCESS_KEY": 4,
    "GCP_API_KEY": 4,
    "GITHUB_TOKEN": 4,
    "SLACK_TOKEN": 5,
    "STRIPE_KEY": 8,
    "JWT": 3,
    "PRIVATE_KEY": 10,
}
_NO_TAIL = frozenset(
    {"PASSWORD", "SECRET", "AWS_SECRET_KEY", "URL_CREDENTIALS", "DATE_OF_BIRTH", "PERSON"}
)


def _star_alnum(text: str) -> str:
    return "".join("*" if ch.isalnum() else ch for ch in text)


def mask(entity: str, value: str) -> str:
    """A display form of ``value`` that does not reveal it.

    Examples
    --------
    >>> mask("EMAIL_ADDRESS", "jane.doe@example.com")
    'j***@e***.com'
    >>> mask("CREDIT_CARD", "4111 1111 1111 1111")
    '**** **** **** 1111'
    >>> mask("US_SSN", "078-05-1121")
    '***-**-**21'
    >>> mask("AWS_ACCESS_KEY", "AKIAZZZZZZZZZZZZZZZZ")
    'AKIA****************'
    """
    if entity == "EMAIL_ADDRESS" and "@" in value:
        local, _, domain = value.rpartition("@")
        labels = domain.split(".")
        tld = labels[-1] if len(labels) > 1 else ""
        return f"{local[:1]}***@{labels[0][:1]}***" + (f".{tld}" if tld else "")
    if entity in _KEEP_PREFIX:
        keep = _KEEP_PREFIX[entity]
        return value[:keep] + "*" * min(len(value) - keep, 16)
    if entity in _NO_TAIL:
        return _star_alnum(value)[:24]
    alnum = [i for i, ch in enumerate(value) if ch.isalnum()]
    keep = 4 if entity == "CREDIT_CARD" else 2
    if len(alnum) < 8:
        keep = 0
    shown = set(alnum[len(alnum) - keep :]) if keep else set()
    return "".join(ch if (i in shown or not ch.isalnum()) else "*" for i, ch in enumerate(value))


def pseudonym(entity: str, value: str, key: bytes) -> str:
    """A keyed hash token for ``value``: equal values give equal tokens under the same key.

    Examples
    --------
    >>> pseudonym("EMAIL_ADDRESS", "jane.doe@example.com", b"k")
    '<EMAIL_ADDRESS:ppqvnvgwwpmz>'
    """
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:12]
    # Letters only: a hex digest can be a run of digits that a later scan reads as a phone or
    # card number, so the token itself would look like personal data.
    return f"<{entity}:{digest.translate(_LETTERS)}>"


_LETTERS = str.maketrans("0123456789abcdef", "ghjkmnpqrstvwxyz")
