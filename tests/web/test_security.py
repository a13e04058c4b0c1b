"""Security of the web app: login, sessions, CSRF, throttling, headers, roles, escaping, tokens."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, ROLES, intake_answers, login

from assay import governance as g
from assay.web._auth import MAX_FAILURES, create_token

PAGES = [
    "/",
    "/systems",
    "/systems/credit",
    "/risks",
    "/waivers",
    "/reviews",
    "/audit",
    "/search?q=a",
]
API = ["/api/me", "/api/systems", "/api/systems/credit", "/api/risks", "/api/waivers",
       "/api/reviews", "/api/kpis", "/api/audit"]  # fmt: skip
XSS = "<script>alert('x')</script>"
SOON = (dt.date.today() + dt.timedelta(days=30)).isoformat()


def _csrf_of(page: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    return m.group(1)


def test_anonymous_is_sent_to_login_and_api_says_401(client_for: Any) -> None:
    client, _ = client_for()
    for path in PAGES:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/login", path
    for path in API:
        assert client.get(path).status_code == 401, path


def test_session_cookie_flags_and_security_headers(client_for: Any) -> None:
    client, _ = client_for()
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"user": "analyst", "password": PASSWORD, "csrf_token": _csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"].lower()
    assert "assay_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP on loopback; Secure is set behind TLS
    home = client.get("/")
    csp = home.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert home.headers["x-frame-options"] == "DENY"
    assert home.headers["x-content-type-options"] == "nosniff"
    assert home.headers["referrer-policy"] == "same-origin"
    # No inline script or style in our pages: everything comes from /static.
    assert "<script>" not in home.text
    assert " style=" not in home.text


def test_secure_cookie_behind_tls(app_factory: Any) -> None:
    client = TestClient(app_factory, base_url="https://testserver")
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"user": "analyst", "password": PASSWORD, "csrf_token": _csrf_of(page.text)},
        follow_redirects=False,
    )
    assert "secure" in r.headers["set-cookie"].lower()


def test_wrong_password_then_throttled(client_for: Any) -> None:
    client, _ = client_for()
    token = _csrf_of(client.get("/login").text)
    for _ in range(MAX_FAILURES):
        r = client.post("/login", data={"user": "analyst", "password": "nope", "csrf_token": token})
        assert r.status_code == 401
    r = client.post("/login", data={"user": "analyst", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429  # even the right password waits out the window


def test_login_without_csrf_is_refused(client_for: Any) -> None:
    client, _ = client_for()
    client.get("/login")
    r = client.post("/login", data={"user": "analyst", "password": PASSWORD})
    assert r.status_code == 403


def test_logout_ends_the_session(client_for: Any) -> None:
    client, csrf = client_for("analyst")
    assert (
        client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    )
    assert client.get("/", follow_redirects=False).status_code == 303


# (path, form) for every write route; ids of records made in _seed.
def _writes(risk: str, waiver: str, review: str) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/systems", {"name": "sys-new", "purpose": "p", "owner": "o"}),
        ("/risks", {"system": "credit", "category": "mit:1.3", "title": "t",
                    "likelihood": "2", "severity": "3", "owner": "o"}),
        (f"/risks/{risk}", {"likelihood": "2", "severity": "2", "note": "n"}),
        ("/waivers", {"system": "credit", "control": "c", "rationale": "r",
                      "compensating_controls": "cc", "residual_risk": "rr",
                      "expires_on": SOON}),
        (f"/waivers/{waiver}/approve", {"rationale": "ok"}),
        (f"/reviews/{review}/triage", {"owner": "analyst"}),
    ]  # fmt: skip


def _seed(workspace: Any) -> tuple[str, str, str]:
    with g.open_workspace(workspace, user="alice") as ws:
        risk = g.add_risk(ws, system="credit", title="Bias", category="mit:1.3",
                          likelihood=3, severity=4, owner="analyst")  # fmt: skip
        waiver = g.request_waiver(
            ws, system="credit", control="c1", rationale="r", compensating_controls="cc",
            residual_risk="rr", expires_on=ws.today() + dt.timedelta(days=30),
        )  # fmt: skip
        answers = intake_answers(g.workspace_questionnaire(ws))
        review = g.open_review(ws, "credit", answers=answers, title="First review")
    return risk.ref, waiver.ref, review.ref


ALLOWED = {
    "/systems": {"analyst", "admin"},
    "/risks": {"analyst", "reviewer", "approver", "admin"},
    "/risks/R": {"analyst", "reviewer", "approver", "admin"},
    "/waivers": {"analyst", "reviewer", "approver", "admin"},
    "/waivers/W/approve": {"approver", "admin"},
    "/reviews/V/triage": {"analyst", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
def test_every_write_route_as_every_role(role: str, workspace: Any, client_for: Any) -> None:
    risk, waiver, review = _seed(workspace)
    client, csrf = client_for(role)
    for path in PAGES:
        assert client.get(path).status_code == 200, (role, path)
    for path in API:
        assert client.get(path).status_code == 200, (role, path)
    generic = {"/systems": "/systems", "/risks": "/risks", f"/risks/{risk}": "/risks/R",
               "/waivers": "/waivers", f"/waivers/{waiver}/approve": "/waivers/W/approve",
               f"/reviews/{review}/triage": "/reviews/V/triage"}  # fmt: skip
    for path, form in _writes(risk, waiver, review):
        # Without the CSRF token: always refused, whatever the role.
        assert client.post(path, data=form, follow_redirects=False).status_code == 403, path
        r = client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=False)
        expected = 303 if role in ALLOWED[generic[path]] else 403
        assert r.status_code == expected, (role, path, r.status_code, r.text[-400:])


def test_guessed_ids_are_404_not_500(client_for: Any) -> None:
    client, csrf = client_for("admin")
    for path in ["/systems/nope", "/risks/RISK-999", "/reviews/REV-999", "/evidence/EV-999/view",
                 "/api/risks/RISK-999", "/api/waivers/999", "/api/reviews/REV-999",
                 "/risks/../../etc/passwd", "/risks/RISK-1%27%20OR%201=1"]:  # fmt: skip
        assert client.get(path).status_code in (404, 422), path
    r = client.post("/waivers/WVR-999/approve", data={"rationale": "x", "csrf_token": csrf})
    assert r.status_code == 404


def test_requester_cannot_approve_own_waiver(workspace: Any, client_for: Any) -> None:
    approver, csrf = client_for("approver")
    page = approver.post(
        "/waivers",
        data={"system": "credit", "control": "c", "rationale": "r", "compensating_controls": "c",
              "residual_risk": "r", "expires_on": SOON, "csrf_token": csrf},
    )  # fmt: skip
    assert page.status_code == 200
    ref = approver.get("/api/waivers").json()[0]["ref"]
    r = approver.post(f"/waivers/{ref}/approve", data={"rationale": "mine", "csrf_token": csrf})
    # The governance layer refuses it as a conflict of interest (ConflictError -> 409).
    assert r.status_code == 409
    assert "approver" in r.text
    admin, csrf2 = client_for("admin")
    r = admin.post(f"/waivers/{ref}/approve", data={"rationale": "ok", "csrf_token": csrf2})
    assert r.status_code == 200
    assert admin.get(f"/api/waivers/{ref}").json()["status"] == "approved"


def test_script_in_every_text_field_comes_back_escaped(workspace: Any, client_for: Any) -> None:
    client, csrf = client_for("admin")
    r = client.post(
        "/systems",
        data={"name": "xss", "purpose": XSS, "owner": XSS, "intended_use": XSS, "csrf_token": csrf},
    )
    assert r.status_code == 200
    client.post(
        "/risks",
        data={"system": "xss", "category": "mit:1.3", "title": XSS, "likelihood": "5",
              "severity": "5", "owner": "admin", "description": XSS, "mitigations": XSS,
              "csrf_token": csrf},
    )  # fmt: skip
    client.post(
        "/waivers",
        data={"system": "xss", "control": XSS, "rationale": XSS, "compensating_controls": XSS,
              "residual_risk": XSS, "expires_on": SOON, "csrf_token": csrf},
    )  # fmt: skip
    risk = client.get("/api/risks").json()[0]["ref"]
    client.post(f"/risks/{risk}", data={"note": XSS, "likelihood": "4", "severity": "4",
                                         "csrf_token": csrf})  # fmt: skip
    for path in ["/", "/systems", "/systems/xss", "/risks", f"/risks/{risk}", "/waivers",
                 "/audit", "/search?q=script", f"/search?q={XSS}"]:  # fmt: skip
        text = client.get(path).text
        assert "<script>alert" not in text, path
    assert "&lt;script&gt;alert" in client.get(f"/risks/{risk}").text


def test_api_token_auth_and_session_csrf_for_api_writes(workspace: Any, client_for: Any) -> None:
    with g.open_workspace(workspace, user="alice") as ws:
        token = create_token(ws, "analyst", "ci")
    anon, _ = client_for()
    auth = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/me", headers=auth).json()["user"] == "analyst"
    assert anon.get("/api/me", headers={"Authorization": "Bearer assay_wrong"}).status_code == 401
    body = {"system": "credit", "title": "Drift", "category": "mit:1.3", "likelihood": 2,
            "severity": 2, "owner": "analyst"}  # fmt: skip
    assert anon.post("/api/risks", json=body, headers=auth).status_code == 201
    # A token never opens the HTML pages (no session, no CSRF token there).
    assert anon.get("/", headers=auth, follow_redirects=False).status_code == 303
    session, csrf = client_for("analyst")
    assert session.post("/api/risks", json=body).status_code == 403
    assert session.post("/api/risks", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    viewer, vcsrf = client_for("viewer")
    assert viewer.post("/api/risks", json=body, headers={"X-CSRF-Token": vcsrf}).status_code == 403


def test_risk_edit_is_in_the_audit_chain(workspace: Any, client_for: Any) -> None:
    risk, _, _ = _seed(workspace)
    client, csrf = client_for("analyst")
    client.post(f"/risks/{risk}", data={"likelihood": "1", "severity": "2", "note": "retested",
                                        "csrf_token": csrf})  # fmt: skip
    with g.open_workspace(workspace, user="alice") as ws:
        events = g.audit_log(ws, entity=risk)
        assert events[-1].actor == "analyst"
        assert events[-1].note == "retested"
        assert g.get_risk(ws, risk).inherent_likelihood == 1
        assert g.verify_audit(ws).ok


def test_deactivated_user_loses_session(workspace: Any, client_for: Any) -> None:
    client, _ = client_for("analyst")
    with g.open_workspace(workspace, user="alice") as ws:
        g.deactivate_user(ws, "analyst")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_helper_roundtrip(client_for: Any) -> None:
    client, _ = client_for()
    assert login(client, "viewer")


def test_intake_form_files_a_review_for_any_role(workspace: Any, client_for: Any) -> None:
    with g.open_workspace(workspace, user="alice") as ws:
        questionnaire = g.workspace_questionnaire(ws)
    form: dict[str, Any] = {"system": "credit", "title": XSS}
    for key, value in intake_answers(questionnaire).items():
        form[f"q_{key}"] = "no" if value is False else value
    client, csrf = client_for("viewer")
    r = client.post("/reviews", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text[-300:]
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "intake" in page.text
