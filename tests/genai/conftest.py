"""Fixtures of the generative-AI tests: Assay's own OpenAI-compatible chat server on loopback.

The server (:mod:`assay.demo.chat_server`) binds port 0, so tests run in parallel safely. Its
behaviour is chosen per request by the ``model`` field (``weak``, ``guarded``, ``unsafe``,
``refuse``, ``echo``); faults are triggered by markers in the prompt (``[[timeout]]``,
``[[malformed]]``, ``[[http500]]``, ``[[flaky]]``, ``[[ratelimit]]``, ``[[empty]]``,
``[[drop]]``). No test reaches outside the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.demo.chat_server import ChatServer

DATA = Path(__file__).parent / "data"


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    """A fresh server per test (its fault memory and statistics start empty)."""
    # [[timeout]] requests are held until the server stops: a client timeout always fires first.
    with ChatServer(slow_seconds=3600, retry_after=0.01) as server:
        yield server


@pytest.fixture(scope="module")
def shared_server() -> Iterator[ChatServer]:
    """One server for a module's read-only tests."""
    # [[timeout]] requests are held until the server stops: a client timeout always fires first.
    with ChatServer(slow_seconds=3600, retry_after=0.01) as server:
        yield server


def write_suite(path: Path, text: str) -> Path:
    """Write a suite file and return its path."""
    path.write_text(text, encoding="utf-8")
    return path
