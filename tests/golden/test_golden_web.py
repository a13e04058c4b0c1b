"""Goldens of the web app: HTML pages and ``/api`` JSON, served by the real app (FastAPI's test
client) on a copy of the golden workspace with its clock pinned on the report day."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_worker import pinned_clock
from golden_house import REPORT_DAY, SYSTEM
from golden_support import Golden, Outputs

from assay import governance as g

pytest.importorskip("fastapi")
pytest.importorskip("argon2")

from fastapi.testclient import TestClient
from golden_web import PASSWORD, login, logout, shown

from assay.web import create_app, set_password

#: Page path -> golden name. Logged in as ada (admin) unless said otherwise.
PAGES = {
    "/": "web/dashboard.html",
    "/systems": "web/systems.html",
    f"/systems/{SYSTEM}": "web/system.html",
    f"/systems/{SYSTEM}/coverage": "web/system-coverage.html",
    "/risks": "web/risk-register.html",
    "/risks/RISK-1": "web/risk.html",
    "/waivers": "web/waivers.html",
    "/reviews": "web/reviews.html",
    "/reviews/REV-1": "web/review.html",
    "/incidents": "web/incidents.html",
    "/incidents/INC-1": "web/incident.html",
    "/evidence/EV-1": "web/evidence.html",
    "/audit": "web/audit.html",
    "/systems/nope": "web/error-404.html",
    "/actions?view=all": "web/actions.html",
    "/actions/ACT-1": "web/action.html",
    "/waivers/WVR-1": "web/waiver.html",
}
API = {
    "/api/me": "web/api-me.json",
    "/api/systems": "web/api-systems.json",
    f"/api/systems/{SYSTEM}": "web/api-system.json",
    "/api/risks": "web/api-risks.json",
    "/api/waivers": "web/api-waivers.json",
    "/api/reviews/REV-1": "web/api-review.json",
    "/api/incidents/INC-1": "web/api-incident.json",
    "/api/kpis": "web/api-kpis.json",
    "/api/risks/RISK-99": "web/api-error-404.json",
}
ANONYMOUS = {
    "/login": "web/login.html",
    "/api/systems": "web/api-anonymous-401.json",
    "/openapi.json": "web/openapi.json",
}

GOLDENS = [*PAGES.values(), *API.values(), *ANONYMOUS.values(), "web/viewer-dashboard.html"]


@pytest.fixture(scope="module")
def app_root(house: g.Workspace, root: Path) -> Path:
    """A copy of the golden workspace (logging in writes sessions), with passwords set."""
    copy = root / "house-web"
    shutil.copytree(house.root, copy)
    with pinned_clock(lambda: REPORT_DAY), g.open_workspace(copy, user="ada") as ws:
        for user in ("ada", "vi"):
            set_password(ws, user, PASSWORD)
    return copy


@pytest.fixture(scope="module")
def client(app_root: Path) -> Iterator[TestClient]:
    with pinned_clock(lambda: REPORT_DAY):
        app = create_app(app_root)
        with TestClient(app) as test_client:
            yield test_client
        app.state.base.close()


@pytest.fixture(scope="module")
def outputs(client: TestClient) -> Outputs:
    out = Outputs()
    for path, name in ANONYMOUS.items():
        out[name] = shown(client.get(path))
    login(client, "ada")
    for path, name in {**PAGES, **API}.items():
        out[name] = shown(client.get(path))
    logout(client)
    login(client, "vi")
    out["web/viewer-dashboard.html"] = shown(client.get("/"))
    return out


@pytest.mark.parametrize("name", GOLDENS)
def test_golden(name: str, outputs: Outputs, golden: Golden) -> None:
    golden.check(name, outputs[name])
