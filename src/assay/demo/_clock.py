"""The demo's clock: the program's history is written at the moments it happened, then the demo
goes on at the wall clock's time.

Every workspace the demo opens is given this clock (``open_workspace(..., clock=clock)``), so each
record and each audit event is stamped with the moment the clock was set to. It only moves
forward, so the audit chain's times are in order, and it never runs ahead of the wall clock.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["DemoClock"]


class DemoClock:
    """Returns the moment it was set to (:meth:`set`), or the wall clock's time after
    :meth:`release`."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._at: dt.datetime | None = None
        if start is not None:
            self.set(start)

    def __call__(self) -> dt.datetime:
        return self._at if self._at is not None else dt.datetime.now(dt.UTC)

    def set(self, at: dt.datetime) -> None:
        """Move the clock to ``at`` (aware): never back, and never past the wall clock."""
        at = at.astimezone(dt.UTC)
        if self._at is not None and at < self._at:
            raise ValueError(f"The demo's clock only moves forward: {at} is before {self._at}.")
        if at > dt.datetime.now(dt.UTC):
            raise ValueError(f"The demo's clock never runs ahead of the wall clock: {at}.")
        self._at = at

    def release(self) -> None:
        """From now on, return the wall clock's time."""
        self._at = None
