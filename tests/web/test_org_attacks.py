"""Attacks across organisations through the web app: what a member of ``retail`` may not learn
about ``health`` beyond the routes of the organisation matrix (test_organisations.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, login

from assay import governance as g
from assay.web import create_app, set_password


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """A workspace with retail (retail-admin) and health (health-analyst, who has a token)."""
    with g.init_workspace(tmp_path, user="alice") as ws:
        for org, name, role in (("retail", "retail-admin", "admin"),
                                ("health", "health-analyst", "analyst")):  # fmt: skip
            g.add_org(ws, org, title=org.title())
            g.add_user(ws, name, role=role, org=org)
            set_password(ws, name, PASSWORD)
        g.mint_token(ws.as_user("health-analyst"), "health-analyst", label="HEALTHONLY ci")
    app = create_app(tmp_path)
    try:
        with TestClient(app) as c:
            yield c
    finally:
        app.state.base.close()


def test_an_organisation_admin_lists_no_token_of_another_organisation(
    client: TestClient,
) -> None:
    login(client, "retail-admin")
    for url in ("/api/tokens", "/api/tokens?user=health-analyst"):
        r = client.get(url)
        assert r.status_code == 200, r.text
        assert "HEALTHONLY" not in r.text, url
        assert "health-analyst" not in r.text, url
