"""Fixtures of the monitor tests: real servers on loopback (see monitor_servers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from monitor_servers import HttpReceiver, SmtpServer, start_http_receiver, start_smtp_server


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    """An HTTP server on 127.0.0.1 that records every POST."""
    yield from start_http_receiver()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server (aiosmtpd) on 127.0.0.1 that records every message."""
    yield from start_smtp_server()
