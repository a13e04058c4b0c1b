"""Cached pages are never stale: a write by one process shows on the next request of another.

The dashboard and the risk register are cached per worker process, keyed on the head of the audit
chain (``assay.web._cache``). These tests write through one server process (or through the
governance layer, as the CLI would) and read through another whose cache is warm.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_helpers import login

from assay import governance as g
from assay.web._cache import PartCache


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "assay", "serve", "--port", str(port), "--workspace", str(root)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    return proc, f"http://127.0.0.1:{port}"


def _wait_until_listening(proc: subprocess.Popen[bytes]) -> None:
    """Block until uvicorn logs that it listens (or the server exits); then keep draining stderr.

    Readiness is the server's own signal, read line by line: no clock, no polling.
    """
    assert proc.stderr is not None
    seen: list[bytes] = []
    for line in proc.stderr:
        seen.append(line)
        if b"Uvicorn running on" in line:
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return
    pytest.fail(f"assay serve exited: {b''.join(seen).decode(errors='replace')[-2000:]}")


@pytest.fixture
def two_servers(seeded: Any) -> Iterator[tuple[str, str]]:
    """Two ``assay serve`` processes on the same workspace: two workers with their own caches."""
    started = [_serve(seeded.root) for _ in range(2)]
    try:
        for proc, _url in started:
            _wait_until_listening(proc)
        yield started[0][1], started[1][1]
    finally:
        for proc, _ in started:
            if proc.poll() is None:
                os.killpg(proc.pid, 2)
        for proc, _ in started:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()


def _csrf(client: httpx.Client, user: str) -> str:
    return login(client, user)  # type: ignore[arg-type]


def test_a_write_on_one_worker_shows_on_the_next_request_of_the_other(
    seeded: Any, two_servers: tuple[str, str]
) -> None:
    url_a, url_b = two_servers
    with httpx.Client(base_url=url_a) as a, httpx.Client(base_url=url_b) as b:
        csrf_a, csrf_b = _csrf(a, "analyst"), _csrf(b, "analyst")
        for c in (a, b):  # both caches warm, twice (the second answer is the cached one)
            for _ in range(2):
                assert "1 system</a>" in c.get("/").text
                assert "1 open risk</a>" in c.get("/").text
                register = c.get("/risks").text
                assert "1 risk</p>" in register
                assert "<option>fresh-system</option>" not in register
        # A registers a system and files a critical risk on it.
        r = a.post(
            "/systems",
            data={"name": "fresh-system", "purpose": "p", "owner": "analyst", "csrf_token": csrf_a},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        r = a.post(
            "/risks",
            data={
                "system": "fresh-system",
                "category": "mit:1.3",
                "title": "Filed on worker A",
                "likelihood": "5",
                "severity": "5",
                "owner": "analyst",
                "csrf_token": csrf_a,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        ref = r.headers["location"].rsplit("/", 1)[1]
        # B's very next requests show both.
        dashboard = b.get("/").text
        assert "2 systems</a>" in dashboard
        assert "2 open risks</a>" in dashboard
        register = b.get("/risks").text
        assert "2 risks</p>" in register
        assert "Filed on worker A" in register
        assert "<option>fresh-system</option>" in register
        # And back: B renames and closes the risk's score down; A's next request shows it.
        r = b.post(
            f"/risks/{ref}",
            data={
                "title": "Renamed on worker B",
                "likelihood": "1",
                "severity": "1",
                "note": "retested",
                "csrf_token": csrf_b,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        register = a.get("/risks").text
        assert "Renamed on worker B" in register
        assert "Filed on worker A" not in register
        row = re.search(
            rf"{ref}</a></td><td>[^<]*</td><td>[^<]*</td>\s*<td><span class=\"pill (\w+)", register
        )
        assert row is not None
        assert row.group(1) == "low"


def test_a_write_by_another_program_shows_on_the_next_request(seeded: Any, client_for: Any) -> None:
    client, _ = client_for("viewer")
    for _ in range(2):
        page = client.get("/").text
        assert "1 system</a>" in page
        assert "Overdue remediation actions (0)" in page
    with g.open_workspace(seeded.root, user="alice") as cli:  # as `assay system add` would
        g.add_system(cli, "second", purpose="Routes claims", owner="analyst")
        risk = g.add_risk(cli, system="second", title="Late review", category="mit:1.3",
                          likelihood=2, severity=2, owner="analyst")  # fmt: skip
        g.add_action(cli, risk=risk.ref, title="Retrain", owner="analyst", due_date="2020-01-01")
    page = client.get("/").text
    assert "2 systems</a>" in page
    assert "Overdue remediation actions (1)" in page
    assert "Late review" in client.get("/risks").text


def test_a_role_change_takes_effect_on_the_next_request(seeded: Any, client_for: Any) -> None:
    client, csrf = client_for("analyst")
    body = {"system": "credit", "category": "mit:1.3", "title": "t", "likelihood": "1",
            "severity": "1", "owner": "analyst", "csrf_token": csrf}  # fmt: skip
    assert client.post("/risks", data=body, follow_redirects=False).status_code == 303
    assert "File a risk" in client.get("/risks").text
    with g.open_workspace(seeded.root, user="alice") as cli:
        g.set_role(cli, "analyst", "viewer")
    assert client.post("/risks", data=body, follow_redirects=False).status_code == 403
    assert "File a risk" not in client.get("/risks").text
    with g.open_workspace(seeded.root, user="alice") as cli:
        g.deactivate_user(cli, "analyst")
    gone = client.get("/risks", follow_redirects=False)
    assert gone.status_code == 303
    assert gone.headers["location"] == "/login"


class _CountingCache(PartCache):
    """A cache that tells the test when every thread has missed (a signal, not a clock)."""

    def __init__(self, threads: int) -> None:
        super().__init__(size=2)
        self.missed: set[int] = set()
        self.all_missed = threading.Condition()
        self.threads = threads

    def _hit(self, key: Any) -> tuple[bool, object]:
        found, value = super()._hit(key)
        if not found:
            with self.all_missed:
                self.missed.add(threading.get_ident())
                self.all_missed.notify_all()
        return found, value


def test_part_cache_computes_once_for_concurrent_misses() -> None:
    cache = _CountingCache(threads=8)
    calls: list[str] = []

    def slow() -> str:
        # Compute only once all eight threads have missed: each is now waiting for this value.
        with cache.all_missed:
            assert cache.all_missed.wait_for(lambda: len(cache.missed) == 8, timeout=120)
        calls.append("x")
        return "value"

    out: list[str] = []
    threads = [threading.Thread(target=lambda: out.append(cache.get("k", slow))) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert out == ["value"] * 8
    assert calls == ["x"]


def test_part_cache_is_bounded_and_keeps_no_failure() -> None:
    cache = PartCache(size=2)
    assert cache.get(1, lambda: "one") == "one"
    assert cache.get(2, lambda: "two") == "two"
    assert cache.get(1, lambda: "recomputed") == "one"  # 1 is now the most recent
    assert cache.get(3, lambda: "three") == "three"  # evicts 2, the least recently used
    assert len(cache) == 2
    assert cache.get(2, lambda: "two again") == "two again"

    def fail() -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cache.get("f", fail)
    assert cache.get("f", lambda: "fine") == "fine"
