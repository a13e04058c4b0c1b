"""How long requests take: a histogram per method, route and status, for ``/metrics``.

A plain ASGI middleware times each HTTP request from its arrival to its last body byte. Requests
are labelled by their route's template (``/api/risks/{ref}``), never the raw path, so the series
stay few whatever the clients send; a request no route matched counts as ``unmatched``, and a
method other than the standard ones as ``other``.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assay.web._exposition import Family, cumulative

__all__ = ["LATENCY_BUCKETS", "LatencyHistogram", "RequestTimer", "latency_of"]

#: Bucket upper bounds in seconds: Prometheus's default buckets.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)

Key = tuple[str, str, str]


@dataclass
class _Series:
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0


#: The methods counted under their own name; any other (a client may send any token) is
#: ``other``, so made-up methods cannot add series without end.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class LatencyHistogram:
    """Request durations by ``(method, route, status)``, since the app started."""

    def __init__(self) -> None:
        self._series: dict[Key, _Series] = {}
        self._lock = threading.Lock()

    def observe(self, key: Key, seconds: float) -> None:
        """Count one request that took ``seconds``."""
        with self._lock:
            series = self._series.setdefault(key, _Series())
            series.counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
            series.total += seconds

    def family(self) -> Family:
        """The histogram as a metric family (series in a stable order)."""
        fam = Family(
            "assay_http_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to the last byte of its answer, by route.",
        )
        with self._lock:
            snapshot = sorted((k, list(s.counts), s.total) for k, s in self._series.items())
        for (method, route, status), counts, total in snapshot:
            labels = {"method": method, "route": route, "status": status}
            for le, n in cumulative(LATENCY_BUCKETS, counts):
                fam.add({**labels, "le": le}, n, "_bucket")
            fam.add(labels, total, "_sum")
            fam.add(labels, sum(counts), "_count")
        return fam


def latency_of(app: Any) -> LatencyHistogram:
    """The histogram of ``app`` (a FastAPI application), made on first use."""
    found = getattr(app.state, "request_latency", None)
    if not isinstance(found, LatencyHistogram):
        found = LatencyHistogram()
        app.state.request_latency = found
    return found


class RequestTimer:
    """Time every HTTP request into :func:`latency_of` its application."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = ["500"]  # what an exception that escapes every handler becomes

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = str(scope["method"])
            key = (method if method in _METHODS else "other", str(route), status[0])
            latency_of(scope["app"]).observe(key, time.perf_counter() - started)
