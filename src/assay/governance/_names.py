"""Names of records (systems, datasets, model versions, components, monitors), and the file names
made from them.

A name is shown in terminals, web pages and documents, and files are named after it; so it never
holds a path separator, ``..``, a control character or an invisible formatting character (the
bidirectional overrides U+202A–U+202E and U+2066–U+2069 can make ``credit‮gpj.exe`` read as
something else), and it is at most :data:`assay.store.NAME_MAX_CHARS` characters long. Every
create path checks names with :func:`check_record_name`; every file named after a record uses
:func:`file_slug`, never the raw name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from assay.errors import InputError
from assay.store import NAME_MAX_CHARS

__all__ = ["check_record_name", "file_slug"]

# Control (Cc), format (Cf: bidi overrides, zero-width characters), surrogate (Cs), private-use
# (Co) and line/paragraph separator (Zl, Zp) characters: invisible, or they reorder the text.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_SEPARATORS = frozenset("/\\")
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SLUG_MAX = 80


def _refused(char: str) -> str | None:
    if char in _SEPARATORS:
        return "a path separator"
    if unicodedata.category(char) in _REFUSED_CATEGORIES:
        return "an invisible control or formatting character"
    return None


def check_record_name(value: object, *, what: str) -> str:
    """A record's name, stripped: refused when empty, too long, or holding a path separator,
    ``..``, a control character or a bidirectional override.

    >>> check_record_name("  credit scoring v2 ", what="system name")
    'credit scoring v2'
    >>> check_record_name("../etc", what="system name")
    Traceback (most recent call last):
    ...
    assay.errors.InputError: The system name '../etc' holds a path separator ('/'); use letters, digits, spaces and . _ - @ + only.
    """  # noqa: E501
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"The {what} is required and cannot be empty.")
    name = value.strip()
    if len(name) > NAME_MAX_CHARS:
        raise InputError(
            f"The {what} is {len(name):,} characters long; names have at most "
            f"{NAME_MAX_CHARS}. Shorten it."
        )
    for char in name:
        reason = _refused(char)
        if reason is not None:
            shown = char.encode("unicode_escape").decode("ascii")
            raise InputError(
                f"The {what} {name!r} holds {reason} ({shown!r}); use letters, digits, spaces "
                "and . _ - @ + only."
            )
    if ".." in name or name == ".":
        raise InputError(f"The {what} {name!r} holds '..' or is '.'; name it with letters too.")
    return name


def file_slug(name: str) -> str:
    """A file-name stem for a record called ``name``: the name itself when it is made of
    letters, digits and ``._-`` only; otherwise those characters with a short hash of the name,
    so two names never share a file.

    >>> file_slug("credit-scoring")
    'credit-scoring'
    >>> file_slug("../../etc/passwd")
    'etc-passwd-3754d6cb'
    """
    slug = _SLUG_UNSAFE.sub("-", name).strip(".-")[:_SLUG_MAX].strip(".-")
    if slug == name:
        return slug
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else digest
