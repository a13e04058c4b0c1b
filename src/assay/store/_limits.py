"""What a stored value may be: one set of limits, the same on SQLite and PostgreSQL.

PostgreSQL refuses a NUL character in text and a value longer than a VARCHAR column; SQLite stores
both, so a SQLite workspace could hold records that no PostgreSQL database accepts (and its backup
would not restore there). Python refuses dates past year 9999, so a far-future date overflows as
soon as a day is added to it. Every governed write (:class:`~assay.store.WriteTx`) and every
import checks its values against these limits before the database sees them, so both databases
refuse the same values with the same message; governance's validators use the same limits to name
the field in words.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from assay.errors import InputError
from assay.store._types import UTCDateTime

__all__ = [
    "EARLIEST_DATE",
    "JSON_MAX_DEPTH",
    "JSON_MAX_INT_DIGITS",
    "JSON_MAX_NODES",
    "LATEST_DATE",
    "NAME_MAX_CHARS",
    "TEXT_MAX_CHARS",
    "check_date_range",
    "check_json_shape",
    "check_json_value",
    "check_row",
    "check_text_value",
    "parse_json",
]

TEXT_MAX_CHARS = 100_000
"""The longest free text stored (a description, a rationale, a post-mortem): about 50 pages."""

NAME_MAX_CHARS = 100
"""The longest name of a record (a system, a dataset, a model version, a component)."""

JSON_MAX_DEPTH = 64
"""The deepest nesting of a JSON value (results nest a dozen levels at most)."""

JSON_MAX_NODES = 1_000_000
"""The most values (objects, lists and scalars) in one JSON value."""

JSON_MAX_INT_DIGITS = 1_000
"""The most decimal digits of an integer in a JSON value."""

EARLIEST_DATE = dt.date(1900, 1, 1)
"""The earliest date (or day of a time) stored."""

LATEST_DATE = dt.date(2999, 12, 31)
"""The latest date (or day of a time) stored: far from year 9999, where date arithmetic
overflows."""

_D = TypeVar("_D", bound=dt.date)
_INT_LIMIT = 10**JSON_MAX_INT_DIGITS
# NUL (PostgreSQL text cannot hold it) and lone surrogates (not text: UTF-8 cannot encode them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value: str, what: str) -> InputError | None:
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return InputError(
            f"The {what} holds a NUL character (\\x00), which Assay does not store; remove it."
        )
    return InputError(
        f"The {what} holds a lone surrogate ({char.encode('unicode_escape').decode()}), which "
        "is not text; send it as UTF-8."
    )


def check_text_value(value: str, *, what: str, max_chars: int = TEXT_MAX_CHARS) -> str:
    """Return ``value`` if it can be stored as text of at most ``max_chars`` characters.

    >>> check_text_value("fine", what="title")
    'fine'
    >>> check_text_value("a\\x00b", what="title")
    Traceback (most recent call last):
    ...
    assay.errors.InputError: The title holds a NUL character (\\x00), which Assay does not store; remove it.
    """  # noqa: E501
    problem = _unstorable(value, what)
    if problem is not None:
        raise problem
    if len(value) > max_chars:
        raise InputError(
            f"The {what} is {len(value):,} characters long; at most {max_chars:,} are stored. "
            "Shorten it (attach a longer text as evidence instead)."
        )
    return value


def check_date_range(value: _D, *, what: str) -> _D:
    """Return ``value`` (a date or datetime) if its day is within the stored range.

    >>> check_date_range(dt.date(9999, 12, 31), what="end date")
    Traceback (most recent call last):
    ...
    assay.errors.InputError: The end date 9999-12-31 is out of range; give a date from 1900-01-01 to 2999-12-31.
    """  # noqa: E501
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InputError(
            f"The {what} {value.isoformat()} is out of range; give a date from "
            f"{EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}."
        )
    return value


def _big_int(value: Any, path: str) -> None:
    if isinstance(value, int) and not -_INT_LIMIT < value < _INT_LIMIT:
        raise InputError(
            f"{path} holds an integer of more than {JSON_MAX_INT_DIGITS:,} digits; store it as "
            "a string, or round it to a float."
        )


def _scalar(value: Any, path: str) -> None:
    if isinstance(value, str):
        problem = _unstorable(value, f"value {path}")
        if problem is not None:
            raise problem
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(
                f"{path} contains the number {value!r}, which JSON cannot store. "
                "Replace it with null or a string."
            )
    elif isinstance(value, int):
        _big_int(value, path)
    elif value is not None:
        raise InputError(
            f"{path} holds a {type(value).__name__}, which is not JSON. "
            "Use dicts, lists, strings, numbers, booleans and null only."
        )


def _walk(value: Any, name: str, scalar: Callable[[Any, str], None]) -> None:
    """Check every value inside ``value`` without recursion: a deep value is refused, never a
    crash."""
    stack: list[tuple[Any, str, int]] = [(value, name, 0)]
    nodes = 0
    while stack:
        item, path, depth = stack.pop()
        nodes += 1
        if nodes > JSON_MAX_NODES:
            raise InputError(
                f"{name} holds more than {JSON_MAX_NODES:,} values; store it as a file "
                "(evidence) instead."
            )
        if isinstance(item, dict | list | tuple) and depth >= JSON_MAX_DEPTH:
            raise InputError(
                f"{name} is nested more than {JSON_MAX_DEPTH} levels deep (at {path}); flatten it."
            )
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise InputError(
                        f"{path} has the key {key!r}; JSON object keys must be strings."
                    )
                scalar(key, f"{path} (a key)")
                stack.append((child, f"{path}.{key}", depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        else:
            scalar(item, path)


def check_json_value(value: Any, *, name: str) -> None:
    """Refuse a value that JSON columns cannot hold the same way on both databases.

    Refused: NaN and infinity, integers of more than :data:`JSON_MAX_INT_DIGITS` digits, keys
    that are not strings, NUL characters and lone surrogates, nesting deeper than
    :data:`JSON_MAX_DEPTH`, more than :data:`JSON_MAX_NODES` values, and objects that are not
    JSON.

    Parameters
    ----------
    value
        The value to check.
    name
        What the value is, for the error message (for example ``"parameters"``).
    """
    _walk(value, name, _scalar)


def check_json_shape(value: Any, *, name: str) -> None:
    """Refuse JSON content (a file's, not a column's) that readers could not walk: nesting
    deeper than :data:`JSON_MAX_DEPTH`, more than :data:`JSON_MAX_NODES` values, integers of
    more than :data:`JSON_MAX_INT_DIGITS` digits, keys that are not strings."""
    _walk(value, name, _big_int)


def parse_json(data: bytes | str, *, what: str) -> Any:
    """Parse JSON text that came from outside, within :func:`check_json_shape`'s limits.

    Deep nesting, integers of thousands of digits (Python refuses to convert them) and invalid
    UTF-8 are refused with an :class:`InputError` naming ``what``, never a crash.

    >>> parse_json(b'{"n": 3}', what="The result")
    {'n': 3}
    >>> parse_json("[" * 5000 + "]" * 5000, what="The result")
    Traceback (most recent call last):
    ...
    assay.errors.InputError: The result is not JSON Assay can read: it is nested too deeply.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text)
    except RecursionError:
        raise InputError(f"{what} is not JSON Assay can read: it is nested too deeply.") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise InputError(f"{what} is not JSON Assay can read: {exc}.") from None
    check_json_shape(value, name=what)
    return value


def _limit(column: sa.Column[Any]) -> int:
    """A VARCHAR column's length; free text (TEXT, or anything else) :data:`TEXT_MAX_CHARS`."""
    length = getattr(column.type, "length", None)
    return int(length) if isinstance(length, int) else TEXT_MAX_CHARS


def check_row(table: sa.Table, values: Any) -> None:
    """Refuse a row whose values the databases would store differently or not at all.

    ``values`` maps column names to the values about to be written; columns of ``table`` only.
    """
    for key, value in values.items():
        if value is None or key not in table.c:
            continue
        column = table.c[key]
        what = f"{key.replace('_', ' ')} ({table.name})"
        if isinstance(value, str):
            check_text_value(value, what=what, max_chars=_limit(column))
        elif isinstance(column.type, sa.JSON):
            check_json_value(value, name=key)
        elif isinstance(column.type, UTCDateTime | sa.Date) and isinstance(value, dt.date):
            check_date_range(value, what=what)
