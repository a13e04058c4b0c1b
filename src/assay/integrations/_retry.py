"""The one retry policy: exponential backoff, capped, honouring the server's ``Retry-After``.

Every call Assay makes over the network (issue trackers, chat webhooks, monitoring notifiers, the
targets of a red-team run) is retried by :func:`with_retries` under a :class:`RetryPolicy`. A
failure worth retrying (HTTP 429 or 5xx, a dropped connection, a timeout) is raised as
:class:`Transient`; anything else ends the call at once. Waiting goes through ``wait``, so a run can
be interrupted between attempts and a test can count the waits instead of sleeping.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["RetryPolicy", "Transient", "with_retries"]

T = TypeVar("T")


class Transient(Exception):  # noqa: N818 (a condition, not an error the caller reports)
    """A failure that another attempt may not meet; ``retry_after`` is the server's wait."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, timed_out: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.timed_out = timed_out
        self.attempts = 0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a call is retried.

    ``retries`` attempts follow the first; the wait before attempt *k + 1* is
    ``backoff · 2^(k−1)`` seconds, capped at ``max_backoff`` (with ``jitter``, a uniform draw
    below that, so many clients do not retry in step); a ``Retry-After`` from the server is
    honoured up to the cap. ``timeout`` bounds each attempt.

    >>> [RetryPolicy(retries=4, backoff=0.5, max_backoff=3).delay(k) for k in (1, 2, 3, 4)]
    [0.5, 1.0, 2.0, 3.0]
    """

    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    timeout: float = 10.0
    jitter: bool = False

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait after failed attempt number ``attempt`` (1 for the first)."""
        wait = float(min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1)))
        if self.jitter:
            wait = random.uniform(0, wait)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_backoff))
        return wait


def with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    wait: Callable[[float], object] | None = None,
) -> tuple[T, int]:
    """``call()`` and the number of attempts it took, retrying each :class:`Transient` failure.

    Raises the last :class:`Transient` (with ``attempts`` set) when every attempt failed;
    any other exception at once. ``wait`` may return True to stop retrying (an interrupted run).

    >>> tries = []
    >>> def flaky() -> str:
    ...     tries.append(1)
    ...     if len(tries) < 3:
    ...         raise Transient("HTTP 503")
    ...     return "ok"
    >>> with_retries(flaky, RetryPolicy(retries=3), wait=lambda s: None)
    ('ok', 3)
    """
    pause = wait if wait is not None else time.sleep  # looked up per call, so tests can patch it
    attempt = 0
    while True:
        attempt += 1
        try:
            return call(), attempt
        except Transient as exc:
            exc.attempts = attempt
            if attempt > policy.retries or pause(policy.delay(attempt, exc.retry_after)) is True:
                raise
