"""Fixtures of the web tests: a workspace with one user per role, each with a password."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("argon2")

import uvicorn
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, ROLES, fairness_result, intake_answers, login

from assay import governance as g
from assay.web import _auth, create_app, set_password


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: the tests check the flow, not the cost of a guess."""
    monkeypatch.setattr(_auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web-template")
    _auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024)
    with g.init_workspace(root, user="alice") as ws:
        for role in ROLES:
            g.add_user(ws, role, role=role)
        for name in ("alice", *ROLES):
            set_password(ws, name, PASSWORD)
        g.add_system(ws, "credit", purpose="Scores loan applications", owner="alice")
    return root


@dataclass(frozen=True)
class Seeded:
    """Records made once per session in a copy of the template workspace, by ``alice``.

    ``review`` is at intake; ``ready`` is ready for review with a built ``packet``; ``ready2``
    is ready for review too but requested by the approver (separation of duties);
    ``waiver`` is requested; ``approved`` is an approved waiver; ``incident`` is an open sev3
    incident; ``evidence`` is a fairness evaluation recorded as JSON.
    """

    root: Path
    risk: str
    waiver: str
    approved: str
    review: str
    ready: str
    ready2: str
    packet: str
    incident: str
    evidence: str


@pytest.fixture(scope="session")
def _seeded(_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    from assay.documents import build_packet

    root = tmp_path_factory.mktemp("web-seeded") / "ws"
    shutil.copytree(_template, root)
    with g.open_workspace(root, user="alice") as ws:
        soon = ws.today() + dt.timedelta(days=30)
        risk = g.add_risk(ws, system="credit", title="Bias", category="mit:1.3",
                          likelihood=3, severity=4, owner="analyst")  # fmt: skip
        terms: dict[str, Any] = {
            "compensating_controls": "cc",
            "residual_risk": "rr",
            "expires_on": soon,
        }
        waiver = g.request_waiver(ws, system="credit", control="c1", rationale="r", **terms)
        approved = g.request_waiver(ws, system="credit", control="c2", rationale="r2", **terms)
        with g.open_workspace(root, user="approver") as approver:
            g.approve_waiver(approver, approved.ref, rationale="fine")
        answers = intake_answers(g.workspace_questionnaire(ws))
        review = g.open_review(ws, "credit", answers=answers, title="First review")
        refs, packets = [], []
        for opener in ("alice", "approver"):
            with g.open_workspace(root, user=opener) as who:
                rv = g.open_review(who, "credit", answers=answers, title=f"Launch by {opener}")
            g.triage_review(ws, rv.ref, owner="analyst")
            g.advance_review(ws, rv.ref, "in_evaluation")
            packets.append(build_packet(ws, rv.ref))
            # the packet is far below the policy's minimum: moved on with an acknowledgement
            g.advance_review(ws, rv.ref, "ready_for_review", acknowledge_incomplete=True)
            refs.append(rv.ref)
        packet = packets[0]
        incident = g.open_incident(ws, title="Scores drifted", severity="sev3",
                                   occurred_at="2026-01-05T10:00", systems=["credit"])  # fmt: skip
        g.add_model_version(ws, "credit", "1.0")
        evidence = g.record_evaluation(ws, fairness_result(), kind="fairness", system="credit",
                                       model_version="1.0", title="Fairness by sex")  # fmt: skip
    return Seeded(root, risk.ref, waiver.ref, approved.ref, review.ref, refs[0], refs[1],
                  packet.record.ref, incident.ref, evidence.ref)  # fmt: skip


@pytest.fixture
def seeded(_seeded: Seeded, tmp_path: Path) -> Seeded:
    """A fresh copy of the seeded workspace for one test."""
    target = tmp_path / "seeded"
    shutil.copytree(_seeded.root, target)
    return replace(_seeded, root=target)


@pytest.fixture
def workspace(_template: Path, tmp_path: Path) -> Path:
    """A workspace with users alice (admin), and one user per role named after it."""
    target = tmp_path / "ws"
    shutil.copytree(_template, target)
    return target


@pytest.fixture
def app_factory(request: pytest.FixtureRequest) -> Iterator[object]:
    """The app on the seeded workspace when the test asks for ``seeded``, else ``workspace``."""
    if "seeded" in request.fixturenames:
        root = request.getfixturevalue("seeded").root
    else:
        root = request.getfixturevalue("workspace")
    app = create_app(root)
    yield app
    app.state.base.close()


@pytest.fixture
def client_for(app_factory: object) -> Iterator[object]:
    clients: list[TestClient] = []

    def make(user: str | None = None) -> tuple[TestClient, str]:
        c = TestClient(app_factory)  # type: ignore[arg-type]
        clients.append(c)
        csrf = login(c, user) if user else ""
        return c, csrf

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1, on a free port (on the seeded workspace when the test
    asks for ``seeded``)."""
    if "seeded" in request.fixturenames:
        root = request.getfixturevalue("seeded").root
    else:
        root = request.getfixturevalue("workspace")
    app = create_app(root)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()
    app.state.base.close()
