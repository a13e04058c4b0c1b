"""Workspace creation and opening, users and roles."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa
from gov_helpers import as_user, events

from assay import governance as g
from assay.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from assay.store import SCHEMA_REVISION
from assay.store._migrate import downgrade


def test_init_creates_the_workspace_like_git(tmp_path: Path) -> None:
    ws = g.init_workspace(tmp_path / "proj", user="ada")
    wdir = tmp_path / "proj" / ".assay"
    assert (wdir / "assay.db").is_file()
    assert (wdir / "blobs").is_dir()
    config = tomllib.loads((wdir / "config.toml").read_text())
    assert config["user"]["name"] == "ada"
    assert config["database"]["url"] == ""
    assert [(u.name, u.role) for u in g.list_users(ws)] == [("ada", "admin")]
    with ws.store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert g.verify_audit(ws).ok
    ws.close()
    with pytest.raises(ConflictError, match="already has an Assay workspace"):
        g.init_workspace(tmp_path / "proj", user="ada")


def test_open_finds_the_workspace_from_a_subfolder(tmp_path: Path) -> None:
    g.init_workspace(tmp_path, user="ada").close()
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    with g.open_workspace(sub) as ws:
        assert ws.root == tmp_path.resolve()
        assert ws.user == "ada"
    with pytest.raises(NotFoundError, match="assay init"):
        g.find_workspace(tmp_path.parent / "elsewhere-without-workspace")


def test_assay_user_overrides_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g.init_workspace(tmp_path, user="ada").close()
    monkeypatch.setenv("ASSAY_USER", "mallory")
    with g.open_workspace(tmp_path) as ws:
        assert ws.user == "mallory"
        with pytest.raises(PermissionDeniedError, match="assay user add mallory"):
            g.add_system(ws, "x", purpose="p", owner="ada")


def test_team_database_joins_without_a_second_bootstrap(db_url: str, tmp_path: Path) -> None:
    first = g.init_workspace(tmp_path / "a", db_url=db_url, user="ada")
    g.add_user(first, "bob", role="analyst")
    second = g.init_workspace(tmp_path / "b", db_url=db_url, user="bob")
    assert [u.name for u in g.list_users(second)] == ["ada", "bob"]
    assert g.add_system(second, "shared", purpose="p", owner="ada").created_by == "bob"
    assert [s.name for s in g.list_systems(first)] == ["shared"]
    first.close()
    second.close()


def test_password_is_not_written_to_config(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("passwords are part of PostgreSQL URLs")
    url = sa.make_url(db_url).set(password="s3cret").render_as_string(hide_password=False)
    ws = g.init_workspace(tmp_path, db_url=url, user="ada")
    text = (tmp_path / ".assay" / "config.toml").read_text()
    assert "s3cret" not in text
    assert "postgresql+psycopg://" in text
    ws.close()


def test_roles_are_checked_and_refusals_write_nothing(ws: g.Workspace) -> None:
    before = events(ws)
    with pytest.raises(PermissionDeniedError, match="'viewer'"):
        g.add_system(as_user(ws, "vi"), "x", purpose="p", owner="ada")
    with pytest.raises(PermissionDeniedError, match="manage users"):
        g.add_user(as_user(ws, "cy"), "zed")
    assert events(ws) == before
    assert g.set_role(ws, "vi", "analyst").role == "analyst"
    assert g.add_system(as_user(ws, "vi"), "x", purpose="p", owner="ada").created_by == "vi"


def test_users_are_validated(ws: g.Workspace) -> None:
    with pytest.raises(ConflictError, match="already exists"):
        g.add_user(ws, "bob")
    with pytest.raises(InputError, match="not a valid name"):
        g.add_user(ws, "two words")
    with pytest.raises(InputError, match="valid role"):
        g.add_user(ws, "zed", role="boss")
    with pytest.raises(InputError, match="last active admin"):
        g.set_role(ws, "ada", "analyst")
    g.deactivate_user(ws, "cy")
    with pytest.raises(PermissionDeniedError, match="deactivated"):
        g.add_system(as_user(ws, "cy"), "x", purpose="p", owner="ada")


def test_schema_is_checked_on_open(ws: g.Workspace) -> None:
    downgrade(ws.store.engine, "base")
    with pytest.raises(ConflictError, match="assay db upgrade"):
        g.open_workspace(ws.root, db_url=ws.store.url)
    assert g.upgrade_workspace(ws.root, db_url=ws.store.url) == SCHEMA_REVISION
    g.open_workspace(ws.root, db_url=ws.store.url, user="ada").close()
