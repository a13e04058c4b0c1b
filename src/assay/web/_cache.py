"""Computed page parts cached per process, keyed on the head of the audit chain.

Every governance write (the store's ``write`` transaction, monitoring and imports included) ends
with one audit event committed in the same transaction, so the head of the chain, its sequence
number and hash, changes with every change to the records the pages show. A request reads the
head first (one indexed query), then looks for what it needs under that head: a write committed by
any process, on any worker, changes the key of the very next request on every worker, and nothing
cached before the write can be shown after it.

The head is read *before* the part is computed: a part computed from a newer state than its head
may be filed under the older head (harmless: the next request reads the newer head and misses),
but never the other way round. Sessions, passwords and tokens are not governance records and are
not cached here.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import NamedTuple, TypeVar

from assay.governance import Workspace, chain_head

__all__ = ["Head", "PartCache", "audit_head"]

T = TypeVar("T")


class Head(NamedTuple):
    """The state of the records: the audit chain's head event and the workspace's date."""

    seq: int
    hash: str
    today: dt.date
    scope: frozenset[str] | None = None
    """The organisations the reader sees: a part cached for one scope is never shown to
    another."""


def audit_head(ws: Workspace) -> Head:
    """The newest audit event's sequence number and hash, the workspace's date and the
    organisations its user sees."""
    seq, digest = chain_head(ws)
    return Head(seq, digest, ws.today(), ws.store.scope)


class PartCache:
    """A bounded least-recently-used map shared by the app's threads.

    When several threads miss the same key at once, one computes and the others wait for its
    value: after a write, 20 concurrent requests for the dashboard compute it once, not 20 times.
    """

    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._flights: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def _hit(self, key: Hashable) -> tuple[bool, object]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return True, self._items[key]
        return False, None

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value under ``key``, computed by ``compute()`` on a miss."""
        found, value = self._hit(key)
        if found:
            return value  # type: ignore[return-value]
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            found, value = self._hit(key)
            if found:
                return value  # type: ignore[return-value]
            try:
                fresh = compute()
                with self._lock:
                    self._items[key] = fresh
                    while len(self._items) > self._size:
                        self._items.popitem(last=False)
            finally:
                with self._lock:
                    self._flights.pop(key, None)
        return fresh

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
