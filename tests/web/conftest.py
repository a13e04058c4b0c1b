"""Fixtures of the web tests: a workspace with one user per role, each with a password."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("argon2")

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, ROLES, login

from assay import governance as g
from assay.web import _auth, create_app
from assay.web._auth import set_password


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
        g.add_system(ws, "credit", purpose="Scores loan applications", owner="risk-team")
    return root


@pytest.fixture
def workspace(_template: Path, tmp_path: Path) -> Path:
    """A workspace with users alice (admin), and one user per role named after it."""
    target = tmp_path / "ws"
    shutil.copytree(_template, target)
    return target


@pytest.fixture
def app_factory(workspace: Path) -> Iterator[object]:
    app = create_app(workspace)
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
