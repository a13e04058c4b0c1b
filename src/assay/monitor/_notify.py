"""Notifiers: a generic JSON webhook, a Slack-compatible webhook, and e-mail over SMTP.

Each delivery is tried up to ``retry.attempts`` times, waiting ``backoff_seconds`` before the
second attempt and doubling up to ``max_backoff_seconds``; connection errors, timeouts, HTTP 429
and 5xx are retried, other HTTP errors are not (they will not heal by waiting). Whatever happens,
:func:`deliver` returns a :class:`Delivery` that says so — the caller records it, so a failed
notification is never silently dropped, and the monitor retries failed ones on its next run.
"""

from __future__ import annotations

import datetime as dt
import json
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from assay.errors import InputError
from assay.integrations import RefusedError, RetryPolicy, Transient, request_once, with_retries
from assay.monitor._spec import EmailRoute, RetrySpec, SlackRoute, WebhookRoute, expand_env

RouteT = WebhookRoute | SlackRoute | EmailRoute
_SEVERITY_MARK = {"low": "🔵", "medium": "🟡", "high": "🟠", "critical": "🔴"}


@dataclass(frozen=True)
class Delivery:
    """The outcome of sending one notification over one route."""

    route: str
    kind: str
    ok: bool
    attempts: int
    error: str | None
    at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        """As recorded in the store and in run results."""
        return {
            "route": self.route,
            "kind": self.kind,
            "ok": self.ok,
            "attempts": self.attempts,
            "error": self.error,
            "at": self.at.isoformat(timespec="seconds"),
        }


class _PermanentError(Exception):
    """A failure that retrying will not fix."""


def summary_line(event: Mapping[str, Any]) -> str:
    """One line describing the event, for chat and subject lines."""
    a = event["alert"]
    state = "RESOLVED" if event["event"] == "alert.resolved" else a["severity"].upper()
    value = a.get("value")
    shown = "no value" if value is None else f"{value:.4g}"
    return (
        f"[{state}] {a['system']}: {a['rule']} — {a['metric']} = {shown} "
        f"({a['condition']}, window {a['window_start'][:16]})"
    )


def webhook_body(event: Mapping[str, Any]) -> bytes:
    """The generic webhook's JSON body: the event as it is."""
    return json.dumps(event, ensure_ascii=False, sort_keys=True).encode("utf-8")


def slack_body(event: Mapping[str, Any]) -> bytes:
    """A Slack incoming-webhook message: ``text`` (the fallback) and ``blocks``."""
    a = event["alert"]
    line = summary_line(event)
    mark = "✅" if event["event"] == "alert.resolved" else _SEVERITY_MARK.get(a["severity"], "")
    fields = [
        f"*Monitor*\n{a['monitor']}",
        f"*Owner*\n{a['owner']}",
        f"*Window*\n{a['window_start']} – {a['window_end']}",
        f"*Alert*\n#{a['id']} ({a['status']})",
    ]
    body = {
        "text": line,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{mark} *{line}*"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"Runbook: <{a['runbook']}>"}],
            },
        ],
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def email_message(event: Mapping[str, Any], route: EmailRoute) -> EmailMessage:
    """A plain-text e-mail with the alert's details."""
    a = event["alert"]
    msg = EmailMessage()
    msg["Subject"] = summary_line(event)
    msg["From"] = route.sender
    msg["To"] = ", ".join(route.to)
    msg["X-Assay-Alert"] = str(a["id"])
    lines = [
        summary_line(event),
        "",
        f"Monitor:   {a['monitor']}",
        f"System:    {a['system']}",
        f"Rule:      {a['rule']} ({a['metric']} {a['condition']}, severity {a['severity']})",
        f"Window:    {a['window_start']} – {a['window_end']}",
        f"Owner:     {a['owner']}",
        f"Runbook:   {a['runbook']}",
        f"Alert:     #{a['id']} ({a['status']})",
        "",
        a.get("message") or "",
        "",
        f"Acknowledge with: assay monitor ack {a['id']} --meaningful | --noise",
    ]
    msg.set_content("\n".join(lines))
    return msg


def _post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> None:
    hdrs = {"Content-Type": "application/json", **{k: expand_env(v) for k, v in headers.items()}}
    try:
        request_once(expand_env(url), body, headers=hdrs, timeout=timeout)
    except RefusedError as exc:
        raise _PermanentError(str(exc)) from None


def _send_email(route: EmailRoute, event: Mapping[str, Any], timeout: float) -> None:
    host = expand_env(route.host)
    msg = email_message(event, route)
    client: smtplib.SMTP
    if route.ssl:
        client = smtplib.SMTP_SSL(host, route.port, timeout=timeout)
    else:
        client = smtplib.SMTP(host, route.port, timeout=timeout)
    with client:
        if route.starttls:
            client.starttls(context=ssl.create_default_context())
        if route.username:
            client.login(expand_env(route.username), expand_env(route.password or ""))
        try:
            client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _PermanentError(f"recipients refused: {exc.recipients}") from None


def _once(route: RouteT, event: Mapping[str, Any], timeout: float) -> None:
    if isinstance(route, WebhookRoute):
        _post(route.url, webhook_body(event), route.headers, timeout)
    elif isinstance(route, SlackRoute):
        _post(route.url, slack_body(event), {}, timeout)
    else:
        _send_email(route, event, timeout)


def deliver(
    route: RouteT,
    event: Mapping[str, Any],
    retry: RetrySpec,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Delivery:
    """Send ``event`` over ``route``, retrying under the one retry policy; never raises for a
    failed delivery (the :class:`Delivery` says what happened)."""
    policy = RetryPolicy(
        retries=retry.attempts - 1,
        backoff=retry.backoff_seconds,
        max_backoff=retry.max_backoff_seconds,
        timeout=retry.timeout_seconds,
    )
    attempts = 0

    def once() -> None:
        nonlocal attempts
        attempts += 1
        try:
            _once(route, event, retry.timeout_seconds)
        except (OSError, smtplib.SMTPException) as exc:  # the mail server: worth another try
            raise Transient(f"{type(exc).__name__}: {exc}") from None

    try:
        with_retries(once, policy, wait=sleep)
    except (InputError, _PermanentError) as exc:  # an unset variable, a refusal: no use retrying
        return Delivery(route.name, route.type, False, attempts, str(exc), clock())
    except Transient as exc:
        return Delivery(route.name, route.type, False, attempts, exc.reason, clock())
    return Delivery(route.name, route.type, True, attempts, None, clock())
