"""Notifiers against real servers on loopback: JSON webhook, Slack-compatible webhook, SMTP."""

from __future__ import annotations

import email
from email import policy
from typing import Any

import pytest
from monitor_servers import HttpReceiver, SmtpServer, closed_port

from assay.monitor._notify import deliver
from assay.monitor._spec import EmailRoute, RetrySpec, SlackRoute, WebhookRoute

FAST = RetrySpec(attempts=4, backoff_seconds=0.01, max_backoff_seconds=0.05, timeout_seconds=5)


def _event(status: str = "firing") -> dict[str, Any]:
    return {
        "event": "alert.opened",
        "alert": {
            "id": 7,
            "monitor": "credit-weekly",
            "system": "credit-scoring",
            "rule": "feature-drift",
            "metric": "drift_share",
            "condition": ">= 0.3",
            "severity": "high",
            "status": status,
            "value": 0.4,
            "window_start": "2026-03-16T00:00:00",
            "window_end": "2026-03-23T00:00:00",
            "owner": "risk-team@example.com",
            "runbook": "https://wiki.example.com/runbooks/credit",
            "message": "40% of columns drifted.",
        },
    }


def test_webhook_posts_the_event_as_json_with_headers(
    http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_TOKEN", "s3cret")
    route = WebhookRoute(
        name="hook",
        type="webhook",
        url=http_receiver.url + "/assay",
        headers={"Authorization": "Bearer ${HOOK_TOKEN}"},
    )
    result = deliver(route, _event(), FAST)
    assert (result.ok, result.attempts, result.error) == (True, 1, None)
    (req,) = http_receiver.requests
    assert req.path == "/assay"
    assert req.headers["Authorization"] == "Bearer s3cret"
    assert req.headers["Content-Type"] == "application/json"
    assert req.json() == _event()


def test_retries_with_backoff_then_succeeds(http_receiver: HttpReceiver) -> None:
    http_receiver.fail_next = 2
    waits: list[float] = []
    route = WebhookRoute(name="hook", type="webhook", url=http_receiver.url)
    result = deliver(route, _event(), FAST, sleep=waits.append)
    assert (result.ok, result.attempts) == (True, 3)
    assert waits == [0.01, 0.02]
    assert len(http_receiver.requests) == 3


def test_failure_is_reported_not_raised(http_receiver: HttpReceiver) -> None:
    http_receiver.fail_next = 10
    waits: list[float] = []
    route = WebhookRoute(name="hook", type="webhook", url=http_receiver.url)
    result = deliver(route, _event(), FAST, sleep=waits.append)
    assert (result.ok, result.attempts) == (False, 4)
    assert result.error == "HTTP 500 Internal Server Error: no"
    assert waits == [0.01, 0.02, 0.04]

    down = WebhookRoute(name="down", type="webhook", url=f"http://127.0.0.1:{closed_port()}/")
    result = deliver(down, _event(), FAST, sleep=lambda s: None)
    assert (result.ok, result.attempts) == (False, 4)
    assert "unreachable" in (result.error or ""), result.error


def test_client_errors_are_not_retried(http_receiver: HttpReceiver) -> None:
    http_receiver.fail_next = 1
    http_receiver.fail_status = 404
    route = WebhookRoute(name="hook", type="webhook", url=http_receiver.url)
    result = deliver(route, _event(), FAST, sleep=lambda s: None)
    assert (result.ok, result.attempts, result.error) == (False, 1, "HTTP 404 Not Found: no")


def test_unset_environment_variable_fails_without_retry(http_receiver: HttpReceiver) -> None:
    route = WebhookRoute(
        name="hook", type="webhook", url=http_receiver.url, headers={"X": "${ASSAY_NOT_SET_X}"}
    )
    result = deliver(route, _event(), FAST, sleep=lambda s: None)
    assert not result.ok
    assert result.attempts == 1
    assert "ASSAY_NOT_SET_X is not set" in (result.error or "")
    assert http_receiver.requests == []


def test_slack_message_has_text_and_blocks(http_receiver: HttpReceiver) -> None:
    route = SlackRoute(name="chat", type="slack", url=http_receiver.url + "/services/T/B/X")
    assert deliver(route, _event(), FAST).ok
    body = http_receiver.requests[0].json()
    assert body["text"].startswith("[HIGH] credit-scoring: feature-drift")
    assert body["blocks"][0]["type"] == "section"
    assert "runbooks/credit" in body["blocks"][2]["elements"][0]["text"]


def test_email_over_smtp(smtp_server: SmtpServer) -> None:
    route = EmailRoute.model_validate(
        {
            "name": "mail",
            "type": "email",
            "host": smtp_server.host,
            "port": smtp_server.port,
            "from": "assay@example.com",
            "to": ["rai@example.com", "oncall@example.com"],
        }
    )
    result = deliver(route, _event(), FAST)
    assert result.ok, result.error
    (envelope,) = smtp_server.messages
    assert envelope.mail_from == "assay@example.com"
    assert envelope.rcpt_tos == ["rai@example.com", "oncall@example.com"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"].startswith("[HIGH] credit-scoring: feature-drift")
    assert message["X-Assay-Alert"] == "7"
    body = message.get_content()
    assert "https://wiki.example.com/runbooks/credit" in body
    assert "assay monitor ack 7" in body


def test_email_server_down_is_retried_and_recorded() -> None:
    route = EmailRoute.model_validate(
        {
            "name": "mail",
            "type": "email",
            "host": "127.0.0.1",
            "port": closed_port(),
            "from": "assay@example.com",
            "to": ["rai@example.com"],
        }
    )
    result = deliver(route, _event(), FAST, sleep=lambda s: None)
    assert (result.ok, result.attempts) == (False, 4)
    assert "ConnectionRefusedError" in (result.error or "")
