"""The one HTTP client (httpx): JSON and raw bodies over HTTP, retried by the one retry policy.

One ``httpx.Client``, made on first use, serves every call: its pool keeps connections open
between calls (a red-team run makes thousands) instead of a new client, TLS context and
connection per call.

:func:`request_once` makes one call and sorts its failures: HTTP 429 and 5xx, timeouts and dropped
connections are :class:`~assay.integrations.Transient` (worth another attempt); any other 4xx is
:class:`RefusedError` (credentials, project, fields: retrying will not help). :func:`send` and
:func:`post_json` retry under a :class:`~assay.integrations.RetryPolicy`.
"""

from __future__ import annotations

import email.utils
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from assay import __version__
from assay.errors import AssayError, InputError
from assay.integrations._retry import RetryPolicy, Transient, with_retries

__all__ = ["RETRY_STATUSES", "RefusedError", "post_json", "request_once", "send"]

#: Statuses worth retrying: rate limits and server-side failures.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_SECONDS = re.compile(r"\d+(?:\.\d+)?")


_CLIENT: dict[str, httpx.Client] = {}
_CLIENT_LOCK = threading.Lock()


def _client() -> httpx.Client:
    """The one client (thread-safe); no cap on connections, as callers bound their concurrency."""
    with _CLIENT_LOCK:
        if "client" not in _CLIENT:
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=32)
            _CLIENT["client"] = httpx.Client(limits=limits)
        return _CLIENT["client"]


class RefusedError(InputError):
    """The service refused the request (a 4xx other than 408 and 429)."""


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), if any.

    >>> retry_after("7"), retry_after("0.5"), retry_after(None), retry_after("soon")
    (7.0, 0.5, None, None)
    """
    if not value:
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):  # delay-seconds; some servers send a fraction of a second
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def request_once(
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    method: str = "POST",
) -> tuple[int, bytes]:
    """One HTTP call: its status and body, or :class:`Transient` / :class:`RefusedError`."""
    hdrs = {"User-Agent": f"assay/{__version__}", **(headers or {})}
    try:
        response = _client().request(method, url, content=body, headers=hdrs, timeout=timeout)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise RefusedError(f"{url} is not a usable URL: {exc}") from None
    except httpx.TimeoutException:
        raise Transient(f"no answer within {timeout:g} s", timed_out=True) from None
    except httpx.TransportError as exc:
        raise Transient(f"unreachable ({exc or type(exc).__name__})") from None
    status, content = response.status_code, response.content
    if status < 400:
        return status, content
    detail = " ".join(content.decode("utf-8", "replace")[:500].split())
    text = f"HTTP {status} {response.reason_phrase}" + (f": {detail}" if detail else "")
    if status in RETRY_STATUSES:
        raise Transient(text, retry_after=retry_after(response.headers.get("Retry-After")))
    raise RefusedError(text)


def send(
    url: str,
    body: bytes,
    *,
    what: str,
    headers: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
    wait: Callable[[float], object] | None = None,
) -> tuple[int, bytes]:
    """POST ``body``, retried under ``policy``; the status and response body.

    Raises
    ------
    InputError
        The service refused the request (credentials, project, fields) or the URL is unusable.
    AssayError
        The service could not be reached, or kept failing after every retry.
    """
    policy = policy or RetryPolicy()
    try:
        (status, content), _ = with_retries(
            lambda: request_once(url, body, headers=headers, timeout=policy.timeout),
            policy,
            wait=wait,
        )
    except RefusedError as exc:
        raise InputError(f"{what} refused the request to {url}: {exc}") from None
    except Transient as exc:
        raise AssayError(
            f"{what} at {url} failed after {exc.attempts} attempts: {exc.reason}."
        ) from None
    return status, content


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    what: str,
    policy: RetryPolicy | None = None,
    wait: Callable[[float], object] | None = None,
) -> tuple[int, bytes]:
    """POST ``payload`` as JSON (see :func:`send`); the status and response body."""
    hdrs = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
    body = json.dumps(payload).encode("utf-8")
    return send(url, body, what=what, headers=hdrs, policy=policy, wait=wait)
