"""Freeze the wall clock of the process that runs ``assay demo`` for the golden tests.

The demo dates everything from the wall clock: due dates (today + 30 days), waiver expiry, the
quarter its KPIs cover and the quarters of their trends. Masking today's date would leave the
quarter, and the figures that depend on it, changing with the calendar; so the demo runs in a
process of its own (``cli_worker.py`` with ``GOLDEN_FROZEN_CLOCK`` set) whose ``datetime.date`` and
``datetime.datetime`` are replaced, *before anything else is imported*, by subclasses that answer
``today()``, ``now()`` and ``utcnow()`` with one fixed moment. Everything else about the classes is
the standard library's: real dates made by C extensions (polars, pydantic) still pass
``isinstance`` checks against them. Monotonic and performance clocks are left alone, so durations
are still measured (and masked by :mod:`normalise`).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

_REAL_DATE = _dt.date
_REAL_DATETIME = _dt.datetime


def freeze(moment: _dt.datetime) -> None:
    """Make ``date.today()`` and ``datetime.now()`` return ``moment`` (which names its zone)."""
    if moment.tzinfo is None:
        raise ValueError("the frozen moment must carry a time zone")
    utc = moment.astimezone(_dt.UTC)

    class _Meta(type):
        def __instancecheck__(cls, obj: object) -> bool:
            return isinstance(obj, cls.__mro__[1])

        def __subclasscheck__(cls, sub: type) -> bool:
            return issubclass(sub, cls.__mro__[1])

    class FrozenDate(_REAL_DATE, metaclass=_Meta):
        @classmethod
        def today(cls) -> Any:
            return _REAL_DATE(utc.year, utc.month, utc.day)

    class FrozenDatetime(_REAL_DATETIME, metaclass=_Meta):
        @classmethod
        def now(cls, tz: _dt.tzinfo | None = None) -> Any:
            if tz is None:
                return utc.replace(tzinfo=None)
            return utc.astimezone(tz)

        @classmethod
        def utcnow(cls) -> Any:
            return utc.replace(tzinfo=None)

        @classmethod
        def today(cls) -> Any:
            return utc.replace(tzinfo=None)

    _dt.date = FrozenDate  # type: ignore[misc]
    _dt.datetime = FrozenDatetime  # type: ignore[misc]
