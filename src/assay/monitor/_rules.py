"""Alert rules over a metric's time series: consecutive windows, de-duplication, auto-resolve.

An alert rule turns the series of one metric into *episodes*. Walking the windows in time order:

- a window *breaches* when its value meets the rule's condition; a window with no value (no data,
  too few rows, no labels yet) neither breaches nor clears and does not break a streak;
- the rule *fires* at the window that completes ``consecutive`` breaching windows in a row;
- while it fires, further breaches extend the same episode (one alert, not one per window: that is
  the de-duplication);
- it *resolves* at the window that completes ``resolve_after`` non-breaching windows in a row.

The episodes depend only on the series, so evaluating them again after a re-run finds the same
episodes, and an alert already recorded for an episode is updated, never duplicated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from assay.monitor._spec import AlertRule


@dataclass(frozen=True)
class Episode:
    """One period during which a rule fired."""

    rule: str
    first_breach: dt.datetime
    opened: dt.datetime
    opened_value: float
    last_breach: dt.datetime
    last_value: float | None
    resolved: dt.datetime | None
    breaches: int


@dataclass
class _Firing:
    first: dt.datetime
    opened: dt.datetime
    opened_value: float
    last: dt.datetime
    breaches: int

    def close(self, rule: AlertRule, last: float | None, resolved: dt.datetime | None) -> Episode:
        return Episode(
            rule.name,
            self.first,
            self.opened,
            self.opened_value,
            self.last,
            last,
            resolved,
            self.breaches,
        )


def episodes(rule: AlertRule, series: Sequence[tuple[dt.datetime, float | None]]) -> list[Episode]:
    """The episodes of ``rule`` over ``series`` (window start, value), in time order."""
    out: list[Episode] = []
    streak: list[dt.datetime] = []
    firing: _Firing | None = None
    clear = 0
    last_value: float | None = None
    for start, value in sorted(series, key=lambda p: p[0]):
        if value is None:
            continue
        last_value = value
        breach = rule.test(value)
        if firing is None:
            streak = [*streak, start] if breach else []
            if len(streak) >= rule.consecutive:
                firing = _Firing(streak[0], start, value, start, len(streak))
                clear = 0
            continue
        if breach:
            firing.last = start
            firing.breaches += 1
            clear = 0
            continue
        clear += 1
        if clear >= rule.resolve_after:
            out.append(firing.close(rule, value, start))
            firing, streak, clear = None, [], 0
    if firing is not None:
        out.append(firing.close(rule, last_value, None))
    return out
