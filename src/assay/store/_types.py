"""Column types, and the conversion of values to the JSON the store keeps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from assay.errors import InputError

__all__ = ["JSONValue", "UTCDateTime", "to_jsonable", "utc"]

JSONValue = Any
"""A value that :func:`assay.canonical.canonical_json` accepts: dict, list, str, int, finite float,
bool or None."""


def utc(value: dt.datetime) -> dt.datetime:
    """Return ``value`` as an aware datetime in UTC; naive datetimes are refused.

    >>> utc(dt.datetime(2025, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))).hour
    10
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(
            f"The time {value.isoformat()} has no time zone. Give an aware datetime "
            "(for example datetime.now(timezone.utc)) so that it is stored unambiguously."
        )
    return value.astimezone(dt.UTC)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back as an aware UTC datetime.

    SQLite has no time zone type, so the value is stored as naive UTC text there; PostgreSQL keeps
    a ``timestamptz``. Both read back the same aware value, which keeps row hashes identical.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        value = utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def to_jsonable(value: Any) -> JSONValue:
    """Convert a column value to the JSON form used in row images and exports.

    Dates become ``YYYY-MM-DD``; datetimes become ISO 8601 in UTC with microseconds.

    >>> to_jsonable(dt.date(2025, 3, 1))
    '2025-03-01'
    >>> to_jsonable(dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC))
    '2025-03-01T08:30:00.000000+00:00'
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is not dt.UTC:
            value = utc(value)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
