"""Naming a source without its secrets: what messages and provenance may show."""

from __future__ import annotations

import re

__all__ = ["redact_url", "scrub"]

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@")


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (the user name stays: it helps to debug).

    >>> redact_url("postgresql+psycopg://ana:s3cret@db:5432/risk")
    'postgresql+psycopg://ana:***@db:5432/risk'
    """
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every secret and every password in a URL replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return redact_url(text)
