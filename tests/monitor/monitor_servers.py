"""Real servers on 127.0.0.1 for the monitor tests: an HTTP receiver and an SMTP server.

Both run in threads of the test process, bind to free ports, and record what they receive, so
tests can run in parallel (pytest-xdist) without sharing anything.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Answers 200, or ``fail_status`` for the next ``fail_next`` requests."""

    url: str
    requests: list[Received] = field(default_factory=list)
    fail_next: int = 0
    fail_status: int = 500
    lock: threading.Lock = field(default_factory=threading.Lock)


def start_http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.requests.append(Received(self.path, dict(self.headers), body))
                failing = receiver.fail_next > 0
                if failing:
                    receiver.fail_next -= 1
            self.send_response(receiver.fail_status if failing else 200)
            self.end_headers()
            self.wfile.write(b"no" if failing else b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield receiver
    server.shutdown()
    server.server_close()


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Any]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_smtp_server() -> Iterator[SmtpServer]:
    controller_mod = pytest.importorskip("aiosmtpd.controller")
    messages: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
            messages.append(envelope)
            return "250 Message accepted"

    for _ in range(5):  # another process may take the port between choosing and binding it
        port = _free_port()
        controller = controller_mod.Controller(Handler(), hostname="127.0.0.1", port=port)
        try:
            controller.start()
        except OSError:
            continue
        break
    else:
        pytest.fail("could not start the SMTP server on a free port")
    yield SmtpServer("127.0.0.1", port, messages)
    controller.stop()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    return _free_port()
