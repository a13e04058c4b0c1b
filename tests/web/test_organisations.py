"""Organisations in the web app: every route × every role × another organisation's records.

Two organisations, ``retail`` (system ``cards``) and ``health`` (system ``claims``), each with
one user per role and a full set of records (risk, waivers, reviews with a packet, incident,
evidence, action). A member of ``retail`` gets 404 for every page, download, API call and write
that names a record of ``health`` — whatever their role — sees none of it in any list, and
changes nothing; a member of the main organisation (the programme) sees both. On SQLite and, in
the postgres lane, on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, ROLES, fairness_result, intake_answers, login

from assay import governance as g
from assay.web import create_app, set_password
from pg_schema import fresh_schema

MARK = {"retail": "RETAILONLY", "health": "HEALTHONLY"}
SYSTEM = {"retail": "cards", "health": "claims"}
SOON = (dt.date.today() + dt.timedelta(days=30)).isoformat()


@dataclass(frozen=True)
class Records:
    """One organisation's records, as references."""

    system: str
    risk: str
    waiver: str
    approved: str
    review: str
    ready: str
    packet: str
    incident: str
    evidence: str
    action: str


def _seed_org(root: Path, db_url: str | None, org: str) -> Records:
    from assay.documents import build_packet

    mark, system = MARK[org], SYSTEM[org]
    with g.open_workspace(root, user=f"{org}-admin", db_url=db_url) as ws:
        g.add_system(ws, system, purpose=f"{mark} purpose", owner=f"{org}-analyst")
        risk = g.add_risk(ws, system=system, title=f"{mark} bias", category="mit:1.3",
                          likelihood=3, severity=4, owner=f"{org}-analyst")  # fmt: skip
        terms: dict[str, Any] = {"compensating_controls": "cc", "residual_risk": "rr",
                                 "expires_on": SOON}  # fmt: skip
        waiver = g.request_waiver(ws, system=system, control=f"{mark} c1", rationale="r", **terms)
        approved = g.request_waiver(ws, system=system, control=f"{mark} c2", rationale="r", **terms)
        with g.open_workspace(root, user=f"{org}-approver", db_url=db_url) as approver:
            g.approve_waiver(approver, approved.ref, rationale="fine")
        answers = intake_answers(g.workspace_questionnaire(ws))
        review = g.open_review(ws, system, answers=answers, title=f"{mark} first review")
        ready = g.open_review(ws, system, answers=answers, title=f"{mark} launch")
        g.triage_review(ws, ready.ref, owner=f"{org}-analyst")
        g.advance_review(ws, ready.ref, "in_evaluation")
        packet = build_packet(ws, ready.ref)
        g.advance_review(ws, ready.ref, "ready_for_review", acknowledge_incomplete=True)
        incident = g.open_incident(ws, title=f"{mark} drift", severity="sev3",
                                   occurred_at="2026-01-05T10:00", systems=[system])  # fmt: skip
        g.add_model_version(ws, system, "1.0")
        evidence = g.record_evaluation(ws, fairness_result(), kind="fairness", system=system,
                                       model_version="1.0", title=f"{mark} fairness")  # fmt: skip
        action = g.add_action(ws, title=f"{mark} retrain", owner=f"{org}-analyst",
                              due_date=SOON, risk=risk.ref)  # fmt: skip
        spec = {"name": f"{system}-monitor", "system": system, "owner": f"{org}-analyst",
                "runbook": f"https://wiki.example.com/{mark}", "reference": {"profile": "p.json"},
                "data": {"timestamp": "t", "prediction": "score"}, "window": {"size": "weekly"},
                "metrics": [{"name": "rows", "kind": "quality", "statistic": "rows"}]}  # fmt: skip
        g.monitor_records.upsert_monitor(ws, f"{system}-monitor", system, spec)
    return Records(system, risk.ref, waiver.ref, approved.ref, review.ref, ready.ref,
                   packet.record.ref, incident.ref, evidence.ref, action.ref)  # fmt: skip


@dataclass(frozen=True)
class World:
    """The workspace with two organisations, and the app serving it."""

    root: Path
    db_url: str | None
    app: Any
    retail: Records
    health: Records


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with contextlib.ExitStack() as stack:
        postgres = request.param == "postgres"
        db_url = stack.enter_context(fresh_schema("assay_orgs")) if postgres else None
        yield _world(tmp_path_factory.mktemp(f"orgs-{request.param}"), db_url, stack)


def _world(root: Path, db_url: str | None, stack: contextlib.ExitStack) -> World:
    with g.init_workspace(root, user="alice", db_url=db_url) as ws:
        g.add_user(ws, "programme-viewer", role="viewer")
        set_password(ws, "programme-viewer", PASSWORD)
        for org in ("retail", "health"):
            g.add_org(ws, org, title=f"{org.title()} unit")
            for role in ROLES:
                g.add_user(ws, f"{org}-{role}", role=role, org=org)
                set_password(ws, f"{org}-{role}", PASSWORD)
    records = {org: _seed_org(root, db_url, org) for org in ("retail", "health")}
    app = create_app(root, db_url=db_url)
    stack.callback(app.state.base.close)
    return World(root, db_url, app, records["retail"], records["health"])


def _reads(r: Records) -> list[str]:
    """Every page, download and API call that names one record of an organisation."""
    return [
        f"/systems/{r.system}",
        f"/systems/{r.system}/coverage",
        f"/systems/{r.system}/documents/model-card/view",
        f"/systems/{r.system}/documents/risk-assessment/md",
        f"/risks/{r.risk}",
        f"/reviews/{r.review}",
        f"/reviews/{r.ready}",
        f"/waivers/{r.waiver}",
        f"/waivers/{r.approved}",
        f"/incidents/{r.incident}",
        f"/evidence/{r.evidence}",
        f"/evidence/{r.evidence}/view",
        f"/evidence/{r.evidence}/download",
        f"/packets/{r.packet}/view",
        f"/packets/{r.packet}/download/md",
        f"/packets/{r.packet}/download/json",
        f"/actions/{r.action}",
        f"/api/systems/{r.system}",
        f"/api/incidents/{r.incident}",
        f"/api/reviews/{r.ready}/packet",
        f"/api/packets/{r.packet}",
        f"/audit?entity={r.risk}",
        f"/api/audit?entity={r.risk}",
        f"/api/reviews/{r.review}",
        f"/api/risks/{r.risk}",
        f"/api/waivers/{r.waiver}",
        f"/monitors/{r.system}-monitor/view",
    ]


def _api_writes(r: Records) -> list[tuple[str, str, dict[str, Any], set[str]]]:
    """Every API write that names one record of an organisation: (method, path, JSON body, roles
    allowed); bodies are valid, so what is refused is the record."""
    writers = {"analyst", "reviewer", "approver", "admin"}
    approvers = {"approver", "admin"}
    waiver = {
        "system": r.system,
        "control": "fairness",
        "rationale": "r",
        "compensating_controls": "cc",
        "residual_risk": "rr",
        "expires_on": SOON,
    }
    return [
        ("POST", "/api/risks", {"system": r.system, "title": "t", "category": "mit:1.3",
                                "likelihood": 2, "severity": 2, "owner": "retail-analyst"},
         writers),
        ("PATCH", f"/api/risks/{r.risk}", {"likelihood": 1, "note": "n"}, writers),
        ("POST", "/api/waivers", waiver, writers),
        ("POST", f"/api/waivers/{r.waiver}/approve", {"rationale": "ok"}, approvers),
        ("POST", f"/api/waivers/{r.waiver}/reject", {"rationale": "no"}, approvers),
        ("POST", f"/api/waivers/{r.approved}/renew", {"expires_on": SOON}, writers),
        ("POST", f"/api/waivers/{r.approved}/revoke", {"rationale": "no"}, approvers),
        ("POST", "/api/incidents", {"title": "t", "severity": "sev4",
                                    "occurred_at": "2026-01-01T10:00:00Z",
                                    "systems": [r.system]}, writers),
        ("PATCH", f"/api/incidents/{r.incident}", {"summary": "s"}, writers),
        ("POST", f"/api/incidents/{r.incident}/timeline", {"entry": "e"}, writers),
        ("POST", f"/api/incidents/{r.incident}/close", {"root_cause": "rc", "postmortem": "pm"},
         writers),
        ("POST", f"/api/incidents/{r.incident}/bundle", {}, writers),
        ("POST", f"/api/reviews/{r.ready}/packet", {}, {"analyst", "admin"}),
        ("POST", f"/api/packets/{r.packet}/sign", {"decision": "returned_for_rework",
                                                  "rationale": "more"},
         {"reviewer", "approver", "admin"}),
    ]  # fmt: skip


#: Routes with a record in their path that the matrix does not request, and why.
NOT_A_RECORD = {
    ("GET", "/api/export/{table}"): "a table name: the lists are checked in LISTS",
    ("POST", "/api/tokens/{ref}/revoke"): "one's own API tokens (tests/web/test_security.py)",
}


def _writes(r: Records) -> list[tuple[str, dict[str, str], set[str]]]:
    """Every write that names one record of an organisation: (path, form, roles allowed)."""
    owner = "retail-analyst"  # a person the writer sees, so the record is what is refused
    writers = {"analyst", "reviewer", "approver", "admin"}
    deciders = {"reviewer", "approver", "admin"}
    inc = r.incident
    return [
        ("/risks", {"system": r.system, "category": "mit:1.3", "title": "t",
                    "likelihood": "2", "severity": "3", "owner": owner}, writers),
        (f"/risks/{r.risk}", {"likelihood": "2", "severity": "2", "note": "n"}, writers),
        (f"/risks/{r.risk}/actions", {"title": "t", "owner": owner, "due_date": SOON}, writers),
        ("/waivers", {"system": r.system, "control": "fairness", "rationale": "r",
                      "compensating_controls": "cc", "residual_risk": "rr",
                      "expires_on": SOON}, writers),
        (f"/waivers/{r.waiver}/approve", {"rationale": "ok"}, {"approver", "admin"}),
        (f"/waivers/{r.waiver}/reject", {"rationale": "no"}, {"approver", "admin"}),
        (f"/waivers/{r.approved}/renew", {"expires_on": SOON, "rationale": "s"}, writers),
        (f"/waivers/{r.approved}/revoke", {"rationale": "no"}, {"approver", "admin"}),
        (f"/reviews/{r.review}/triage", {"owner": owner}, {"analyst", "admin"}),
        (f"/reviews/{r.review}/advance", {"to": "withdrawn", "note": "d"}, {"analyst", "admin"}),
        (f"/reviews/{r.ready}/packet", {}, {"analyst", "admin"}),
        (f"/packets/{r.packet}/sign", {"decision": "returned_for_rework",
                                       "rationale": "more"}, deciders),
        ("/incidents", {"title": "t", "severity": "sev4", "occurred_at": "2026-01-01T10:00",
                        "systems": r.system}, writers),
        (f"/incidents/{inc}/timeline", {"entry": "e"}, writers),
        (f"/incidents/{inc}/update", {"status": "mitigated", "summary": "s"}, writers),
        (f"/incidents/{inc}/actions", {"title": "a", "owner": owner, "due_date": SOON}, writers),
        (f"/incidents/{inc}/bundle", {}, writers),
        (f"/incidents/{inc}/close", {"root_cause": "rc", "postmortem": "pm"}, writers),
        (f"/actions/{r.action}", {"status": "in_progress", "note": "n"}, writers),
        (f"/actions/{r.action}/close", {"evidence": r.evidence, "note": "done"}, writers),
        (f"/actions/{r.action}/push", {"to": "jira"}, writers),
    ]  # fmt: skip


LISTS = ["/", "/systems", "/risks", "/waivers", "/reviews", "/actions", "/actions?view=all",
         "/incidents", "/audit", "/search?q=o", "/api/systems", "/api/risks", "/api/waivers",
         "/api/reviews", "/api/kpis", "/api/audit", "/api/export/risks",
         "/api/export/actions?format=json", "/api/export/reviews", "/api/export/waivers",
         "/metrics"]  # fmt: skip


def _head(world: World) -> tuple[int, str]:
    with g.open_workspace(world.root, user="alice", db_url=world.db_url) as ws:
        return g.chain_head(ws)


@pytest.mark.parametrize("role", ROLES)
def test_another_organisations_records_are_not_found(role: str, world: World) -> None:
    before = _head(world)
    with TestClient(world.app) as client:
        csrf = login(client, f"retail-{role}")
        for path in _reads(world.health):
            r = client.get(path)
            assert r.status_code == 404, (role, path, r.status_code)
            assert MARK["health"] not in r.text, (role, path)
        for path, form, allowed in _writes(world.health):
            r = client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=False)
            # a role that may do this somewhere is told the record does not exist; a role that
            # may do it nowhere is refused for its role before anything is looked up
            expected = {404} if role in allowed else {403, 404}
            assert r.status_code in expected, (role, path, r.status_code, r.text[-300:])
            assert MARK["health"] not in r.text, (role, path)
        for method, path, body, allowed in _api_writes(world.health):
            r = client.request(method, path, json=body, headers={"X-CSRF-Token": csrf})
            expected = {404} if role in allowed else {403, 404}
            assert r.status_code in expected, (role, method, path, r.status_code, r.text[-300:])
        upload = client.post(
            f"/systems/{world.health.system}/evidence",
            data={"csrf_token": csrf},
            files={"result": ("r.json", b"{}", "application/json")},
        )
        analysts = {"analyst", "admin"}
        assert upload.status_code in ({404} if role in analysts else {403, 404}), role
        for path in _reads(world.retail):
            assert client.get(path).status_code == 200, (role, path)
    assert _head(world) == before  # nothing was written


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_ones_own_organisation(role: str, world: World) -> None:
    with TestClient(world.app) as client:
        login(client, f"retail-{role}")
        for path in LISTS:
            r = client.get(path, headers={"Authorization": ""})
            assert r.status_code == 200, (role, path, r.status_code)
            assert MARK["health"] not in r.text, (role, path)
            assert "claims" not in r.text, (role, path)
        assert "cards" in client.get("/systems").text
        assert MARK["retail"] in client.get("/risks").text
        assert client.get("/api/kpis?org=retail").status_code == 200
        assert client.get("/api/kpis?org=health").status_code == 404
        assert client.get("/?org=health").status_code == 404
        assert client.get("/api/kpis?org=main").status_code == 404


def test_the_programme_sees_every_organisation(world: World) -> None:
    with TestClient(world.app) as client:
        login(client, "programme-viewer")
        for records in (world.retail, world.health):
            for path in _reads(records):
                assert client.get(path).status_code == 200, path
        systems = client.get("/systems").text
        assert "programme-viewer · viewer</span>" in systems  # a role in every organisation
        assert "cards" in systems
        assert "claims" in systems
        whole = client.get("/api/kpis").json()
        per_org = [client.get(f"/api/kpis?org={o}").json() for o in ("retail", "health")]
        # KPIs per organisation and for the programme, from the same definitions: counts add up
        for key in ("reviews_completed", "waivers_granted"):
            total = next(k["n"] for k in whole["kpis"] if k["key"] == key)
            parts = [next(k["n"] for k in r["kpis"] if k["key"] == key) for r in per_org]
            assert total == sum(parts), key
        assert whole["org"] is None
        assert per_org[1]["org"] == "health"
        dashboard = client.get("/?org=health").text
        assert "Health unit dashboard" in dashboard


def test_a_granted_role_opens_one_more_organisation(world: World, tmp_path: Path) -> None:
    with g.open_workspace(world.root, user="alice", db_url=world.db_url) as ws:
        g.grant_org_role(ws, "retail-analyst", "health", "viewer")
        g.grant_org_role(ws, "retail-viewer", "health", "analyst")
    try:
        with TestClient(world.app) as client:
            csrf = login(client, "retail-analyst")
            assert client.get(f"/risks/{world.health.risk}").status_code == 200
            # a viewer in health: may read, may not write there (and still writes in retail)
            r = client.post(f"/risks/{world.health.risk}",
                            data={"likelihood": "1", "severity": "1", "note": "n",
                                  "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
            assert r.status_code == 403, r.text[-300:]
        with TestClient(world.app) as client:
            # a viewer at home and an analyst in health: the form is shown, and the write is
            # judged by the record's organisation
            csrf = login(client, "retail-viewer")
            risks = client.get("/risks").text
            assert 'action="/risks"' in risks
            assert "retail-viewer · viewer in retail, analyst in health</span>" in risks
            form = {"category": "mit:1.3", "title": "granted", "likelihood": "2",
                    "severity": "2", "owner": "health-analyst", "csrf_token": csrf}  # fmt: skip
            ok = client.post("/risks", data={**form, "system": world.health.system},
                             follow_redirects=False)  # fmt: skip
            assert ok.status_code == 303, ok.text[-300:]
            home = client.post("/risks", data={**form, "system": world.retail.system,
                                               "owner": "retail-analyst"},
                               follow_redirects=False)  # fmt: skip
            assert home.status_code == 403, home.text[-300:]
    finally:
        with g.open_workspace(world.root, user="alice", db_url=world.db_url) as ws:
            g.revoke_org_role(ws, "retail-analyst", "health")
            g.revoke_org_role(ws, "retail-viewer", "health")


def test_the_matrix_requests_every_route_that_names_a_record(world: World) -> None:
    """A route added with a record in its path must join the matrix (or say here why not)."""
    requested = {("GET", p.split("?")[0]) for p in _reads(world.health)}
    requested |= {("POST", p) for p, _, _ in _writes(world.health)}
    requested |= {(m, p) for m, p, _, _ in _api_writes(world.health)}
    requested.add(("POST", f"/systems/{world.health.system}/evidence"))
    missing = []
    routes = _record_routes(world.app)
    assert len(routes) >= 45  # the walk reached the app's routers
    for method, template in routes:
        pattern = re.compile("^" + re.sub(r"\\{[a-z_]+\\}", "[^/]+", re.escape(template)) + "$")
        hit = any(m == method and pattern.match(p) for m, p in requested)
        if not hit and (method, template) not in NOT_A_RECORD:
            missing.append((method, template))
    assert missing == []


def _record_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path template) of every route with a parameter in its path."""
    out: set[tuple[str, str]] = set()
    stack = list(app.router.routes)
    while stack:
        route = stack.pop()
        inner = getattr(route, "original_router", None)
        if inner is not None:
            stack.extend(inner.routes)
            continue
        path = getattr(route, "path", "")
        for method in getattr(route, "methods", None) or ():
            if "{" in path and method != "HEAD":
                out.add((method, path))
    return sorted(out)
