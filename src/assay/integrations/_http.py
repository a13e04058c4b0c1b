"""JSON over HTTP with the standard library, retried with exponential backoff."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from assay.errors import AssayError, InputError

__all__ = ["post_json"]

#: Statuses worth retrying: rate limits and server-side failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    what: str,
    retries: int = 3,
    backoff: float = 0.5,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    """POST ``payload`` as JSON; retry on 429, 5xx and connection errors.

    Parameters
    ----------
    url
        The endpoint.
    payload
        The JSON body.
    headers
        Extra headers (authorisation, API version).
    what
        The service's name for messages, ``Jira``, ``GitHub``...
    retries
        Attempts after the first; the wait doubles from ``backoff`` seconds, or follows the
        server's ``Retry-After`` (capped at 30 s).
    backoff, timeout
        The first wait and the per-request timeout, in seconds.

    Returns
    -------
    tuple of int and bytes
        The HTTP status and the response body.

    Raises
    ------
    InputError
        The service refused the request (a 4xx other than 429): credentials, project, fields.
    AssayError
        The service could not be reached or kept failing after every retry.
    """
    data = json.dumps(payload).encode("utf-8")
    hdrs = {"Content-Type": "application/json", "Accept": "application/json"}
    hdrs.update(headers or {})
    last = ""
    for attempt in range(retries + 1):
        request = urllib.request.Request(url, data=data, headers=hdrs, method="POST")
        wait = backoff * (2**attempt)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")[:500]
            if exc.code not in RETRY_STATUSES:
                raise InputError(
                    f"{what} refused the request to {url}: HTTP {exc.code} {body}".strip()
                ) from None
            last = f"HTTP {exc.code} {body}".strip()
            after = exc.headers.get("Retry-After") if exc.headers else None
            if after and after.isdigit():
                wait = min(float(after), 30.0)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            last = f"unreachable ({reason})"
        if attempt < retries:
            time.sleep(wait)
    raise AssayError(f"{what} at {url} failed after {retries + 1} attempts: {last}.")
