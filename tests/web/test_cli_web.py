"""``assay user passwd``, ``assay user token`` and ``assay serve --help``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from assay import governance as g
from assay.cli._app import app
from assay.errors import InputError, PermissionDeniedError
from assay.web._auth import check_login, user_for_token

runner = CliRunner()


def test_passwd_and_token(workspace: Path) -> None:
    env = {"ASSAY_WORKSPACE": str(workspace), "ASSAY_USER": "alice"}
    r = runner.invoke(
        app,
        ["user", "passwd", "analyst", "--password-stdin"],
        input="a new long password\n",
        env=env,
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["user", "token", "analyst", "--label", "ci"], env=env)
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    with g.open_workspace(workspace, user="alice") as ws:
        assert check_login(ws, "analyst", "a new long password")
        assert not check_login(ws, "analyst", "correct horse battery")
        assert user_for_token(ws, token) == "analyst"


def test_only_self_or_admin_sets_a_password(workspace: Path) -> None:
    env = {"ASSAY_WORKSPACE": str(workspace), "ASSAY_USER": "analyst"}
    r = runner.invoke(
        app, ["user", "passwd", "viewer", "--password-stdin"], input="another long one\n", env=env
    )
    assert isinstance(r.exception, PermissionDeniedError)
    r = runner.invoke(
        app, ["user", "passwd", "analyst", "--password-stdin"], input="short\n", env=env
    )
    assert isinstance(r.exception, InputError)
    assert "at least 10" in str(r.exception)


def test_serve_help() -> None:
    r = runner.invoke(app, ["serve", "--help"])
    assert r.exit_code == 0
    assert "--workers" in r.output
