"""Waiver aging: how old an open waiver is, and when it counts as over-aged.

A waiver's age runs from the day it was granted (from the request while it still waits for a
decision). The program target is that no open waiver reaches :data:`WAIVER_AGING_DAYS`; the KPIs,
the dashboard, the waivers page and the program report all age waivers with these functions.
"""

from __future__ import annotations

import datetime as dt

__all__ = [
    "WAIVER_AGE_BANDS",
    "WAIVER_AGING_DAYS",
    "waiver_age_band",
    "waiver_age_days",
    "waiver_over_aged",
]

#: An open waiver this many days old or older is over-aged.
WAIVER_AGING_DAYS = 90
#: (upper bound in days, exclusive; label) of the bands open waivers are shown in; None = no bound.
WAIVER_AGE_BANDS: tuple[tuple[int | None, str], ...] = (
    (30, "under 30 days"),
    (WAIVER_AGING_DAYS, f"30–{WAIVER_AGING_DAYS - 1} days"),
    (None, f"{WAIVER_AGING_DAYS} days or more"),
)


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def waiver_age_days(
    requested_at: dt.date | dt.datetime,
    granted_at: dt.date | dt.datetime | None,
    today: dt.date,
) -> int:
    """Whole days from the grant (or, while undecided, the request) to ``today``.

    >>> waiver_age_days(dt.date(2026, 1, 1), dt.date(2026, 1, 11), dt.date(2026, 4, 11))
    90
    """
    since = _day(granted_at if granted_at is not None else requested_at)
    return max((today - since).days, 0)


def waiver_age_band(days: int) -> str:
    """The label of the band an age falls in.

    >>> waiver_age_band(29), waiver_age_band(30), waiver_age_band(90)
    ('under 30 days', '30–89 days', '90 days or more')
    """
    return next(label for top, label in WAIVER_AGE_BANDS if top is None or days < top)


def waiver_over_aged(days: int) -> bool:
    """Whether an open waiver of this age misses the aging target.

    >>> waiver_over_aged(89), waiver_over_aged(90)
    (False, True)
    """
    return days >= WAIVER_AGING_DAYS
