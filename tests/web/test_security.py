"""Security of the web app: login, sessions, CSRF, throttling, headers, roles, escaping, tokens."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, ROLES, intake_answers, login

from assay import governance as g
from assay.web._auth import MAX_FAILURES, create_token
from assay.web._flash import FLASH_COOKIE

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
LATER = (dt.date.today() + dt.timedelta(days=60)).isoformat()
ACTION = "ACT-1"  # made by the matrix test before it starts


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
    for path in ("/actions", "/actions/ACT-1", "/waivers/WVR-1"):
        r = client.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login"), path
    for path in ("/api/soa", "/api/export/risks", "/metrics"):
        assert client.get(path).status_code == 401, path
    for path in (
        "/actions/ACT-1",
        "/actions/ACT-1/close",
        "/actions/ACT-1/push",
        "/risks/RISK-1/actions",
        "/waivers/WVR-1/approve",
        "/waivers/WVR-1/renew",
    ):
        r = client.post(path, data={"csrf_token": "x"}, follow_redirects=False)
        assert r.status_code in (303, 401, 403), (path, r.status_code)
        assert r.headers.get("location", "/login") == "/login", path


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


WRITERS = {"analyst", "reviewer", "approver", "admin"}
DECIDERS = {"reviewer", "approver", "admin"}


def _writes(sd: Any) -> list[tuple[str, dict[str, str], set[str]]]:
    """(path, form, roles allowed) for every write route, in an order that keeps each
    allowed step valid (the incident is closed last, the waiver renewed before it is revoked)."""
    inc = sd.incident
    return [
        ("/systems", {"name": "sys-new", "purpose": "p", "owner": "analyst"},
         {"analyst", "admin"}),
        ("/risks", {"system": "credit", "category": "mit:1.3", "title": "t",
                    "likelihood": "2", "severity": "3", "owner": "analyst"}, WRITERS),
        (f"/risks/{sd.risk}", {"likelihood": "2", "severity": "2", "note": "n"}, WRITERS),
        ("/waivers", {"system": "credit", "control": "fairness", "rationale": "r",
                      "compensating_controls": "cc", "residual_risk": "rr",
                      "expires_on": SOON}, WRITERS),
        (f"/waivers/{sd.waiver}/approve", {"rationale": "ok"}, {"approver", "admin"}),
        (f"/waivers/{sd.approved}/renew", {"expires_on": SOON, "rationale": "still"}, WRITERS),
        (f"/waivers/{sd.approved}/revoke", {"rationale": "no longer"}, {"approver", "admin"}),
        (f"/reviews/{sd.review}/triage", {"owner": "analyst"}, {"analyst", "admin"}),
        (f"/reviews/{sd.review}/advance", {"to": "withdrawn", "note": "dup"}, {"analyst", "admin"}),
        (f"/reviews/{sd.ready}/packet", {}, {"analyst", "admin"}),
        (f"/packets/{sd.packet}/sign", {"decision": "returned_for_rework",
                                        "rationale": "more data"}, DECIDERS),
        ("/incidents", {"title": "t", "severity": "sev4", "occurred_at": "2026-01-01T10:00",
                        "systems": "credit"}, WRITERS),
        (f"/incidents/{inc}/timeline", {"entry": "paged on-call"}, WRITERS),
        (f"/incidents/{inc}/update", {"status": "mitigated", "summary": "s"}, WRITERS),
        (f"/incidents/{inc}/actions", {"title": "a", "owner": "analyst", "due_date": SOON},
         WRITERS),
        (f"/incidents/{inc}/bundle", {}, WRITERS),
        (f"/incidents/{inc}/close", {"root_cause": "rc", "postmortem": "pm"}, WRITERS),
        (f"/risks/{sd.risk}/actions", {"title": "fix it", "owner": "analyst", "due_date": SOON},
         WRITERS),
        (f"/actions/{ACTION}", {"owner": "reviewer", "due_date": LATER, "status": "in_progress",
                                "note": "moved"}, WRITERS),
        (f"/actions/{ACTION}/close", {"evidence": sd.evidence, "note": "done"}, WRITERS),
    ]  # fmt: skip


def _reads(sd: Any) -> list[str]:
    return [
        *PAGES,
        f"/reviews/{sd.review}",
        f"/reviews/{sd.ready}",
        f"/incidents/{sd.incident}",
        "/incidents?show=open",
        f"/evidence/{sd.evidence}",
        f"/evidence/{sd.evidence}/view",
        f"/evidence/{sd.evidence}/download",
        f"/packets/{sd.packet}/view",
        f"/packets/{sd.packet}/download/md",
        f"/packets/{sd.packet}/download/json",
        "/systems/credit/coverage",
        "/systems/credit/documents/model-card/view",
        "/systems/credit/documents/risk-assessment/md",
        "/waivers?sort=age",
        f"/api/incidents/{sd.incident}",
        f"/api/reviews/{sd.ready}/packet",
        f"/api/packets/{sd.packet}",
        "/actions",
        "/actions?view=mine",
        f"/actions/{ACTION}",
        f"/waivers/{sd.waiver}",
        f"/waivers/{sd.approved}",
        "/api/soa",
        "/api/soa?format=csv",
        "/api/export/risks",
        "/api/export/actions?format=json",
        "/metrics",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_as_every_role(role: str, seeded: Any, client_for: Any) -> None:
    with g.open_workspace(seeded.root, user="alice") as ws:
        made = g.add_action(ws, title="Retrain", owner="analyst", due_date=SOON, risk=seeded.risk)
        assert made.ref == ACTION
    client, csrf = client_for(role)
    for path in [*_reads(seeded), *API]:
        assert client.get(path).status_code == 200, (role, path)
    for path, form, allowed in _writes(seeded):
        # Without the CSRF token: always refused, whatever the role.
        assert client.post(path, data=form, follow_redirects=False).status_code == 403, path
        r = client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=False)
        expected = 303 if role in allowed else 403
        assert r.status_code == expected, (role, path, r.status_code, r.text[-400:])
    # No tracker is set up and the waiver is decided by now: refused for every role, but a
    # viewer for their role and everyone else for the reason, never a 500 or a redirect.
    for path, form, allowed in (
        (f"/actions/{ACTION}/push", {"to": "jira"}, WRITERS),
        (f"/waivers/{seeded.waiver}/reject", {"rationale": "no"}, {"approver", "admin"}),
        (f"/waivers/{seeded.waiver}/bogus", {"rationale": "no"}, set(ROLES)),
    ):
        assert client.post(path, data=form).status_code == 403, path
        r = client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=False)
        assert (r.status_code == 403) == (role not in allowed), (role, path, r.status_code)
        assert r.status_code in (400, 403, 404, 409), (role, path, r.status_code)
    with g.open_workspace(seeded.root, user="alice") as ws:
        incident = g.get_incident(ws, seeded.incident)
        assert incident.status == ("closed" if role in WRITERS else "open")
        assert [t.entry for t in incident.timeline] == (
            ["paged on-call"] if role in WRITERS else []
        )
        assert g.get_waiver(ws, seeded.approved).status == (
            "revoked" if role in ("approver", "admin") else
            "renewal_requested" if role in WRITERS else "approved"
        )  # fmt: skip
        action = g.get_action(ws, ACTION)
        assert (action.status, action.owner) == (
            ("done", "reviewer") if role in WRITERS else ("open", "analyst")
        )
        assert g.verify_audit(ws).ok


def test_new_pages_show_their_records(seeded: Any, client_for: Any) -> None:
    client, csrf = client_for("analyst")
    page = client.get(f"/incidents/{seeded.incident}").text
    assert "Scores drifted" in page
    assert "Add to timeline" in page
    review = client.get(f"/reviews/{seeded.ready}").text
    assert seeded.packet in review
    assert "verified" in review
    assert f'src="/packets/{seeded.packet}/view"' in review
    for fmt in ("pdf", "html", "md", "json"):
        assert f"/packets/{seeded.packet}/download/{fmt}" in review
    # The analyst may not decide: no sign form, only the explanation.
    assert f"/packets/{seeded.packet}/sign" not in review
    assert client.get(f"/packets/{seeded.packet}/download/md").text.startswith("#")
    pdf = client.get(f"/packets/{seeded.packet}/download/pdf")
    assert pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    view = client.get(f"/evidence/{seeded.evidence}/view")
    assert "Fairness by sex" in view.text
    assert "sandbox" in view.headers["content-security-policy"]
    assert view.headers["x-frame-options"] == "SAMEORIGIN"
    system = client.get("/systems/credit").text
    for doc in ("model-card", "risk-assessment"):
        assert f"/systems/credit/documents/{doc}/pdf" in system
    coverage = client.get("/systems/credit/coverage", headers={"HX-Request": "true"}).text
    assert "NIST AI Risk Management Framework" in coverage
    assert "<html" not in coverage
    dashboard = client.get("/").text
    assert dashboard.count('<svg class="trend"') == 18  # one chart per KPI
    r = client.post(f"/incidents/{seeded.incident}/bundle", data={"csrf_token": csrf})
    assert r.status_code == 200
    assert "is ready" in r.text
    link = re.search(r'href="(/evidence/EV-\d+/download)">download the zip', r.text)
    assert link
    archive = client.get(link.group(1))
    assert archive.headers["content-type"] == "application/zip"
    assert archive.content.startswith(b"PK")


def test_requester_cannot_sign_the_packet_of_their_own_review(seeded: Any, client_for: Any) -> None:
    from assay.documents import find_packet

    with g.open_workspace(seeded.root, user="alice") as ws:
        packet = find_packet(ws, seeded.ready2).ref
    form = {"decision": "approved", "rationale": "mine"}
    approver, csrf = client_for("approver")  # the approver opened ready2
    page = approver.get(f"/reviews/{seeded.ready2}").text
    assert "cannot decide on it" in page  # the policy's own words
    assert f"/packets/{packet}/sign" not in page
    r = approver.post(f"/packets/{packet}/sign", data={**form, "csrf_token": csrf})
    assert r.status_code == 409
    assert "requester" in r.text
    typed = {**form, "confirm_incomplete": seeded.ready2, "csrf_token": csrf}
    r = approver.post(f"/packets/{packet}/sign", data=typed)  # typing it is no way round
    assert r.status_code == 409
    assert "requester" in r.text
    reviewer, csrf2 = client_for("reviewer")
    page = reviewer.get(f"/reviews/{seeded.ready2}").text
    assert f"/packets/{packet}/sign" in page
    assert 'name="confirm_incomplete"' in page  # the packet is below the minimum
    assert "below the policy's minimum" in page  # and the signer is warned
    r = reviewer.post(f"/packets/{packet}/sign", data={**form, "csrf_token": csrf2})
    assert r.status_code == 409
    assert "below the policy minimum" in r.text
    # a ticked box no longer counts: the signer types the review's reference
    for typed in ("yes", "REV-999"):
        mistyped = {**form, "confirm_incomplete": typed, "csrf_token": csrf2}
        r = reviewer.post(f"/packets/{packet}/sign", data=mistyped)
        assert r.status_code == 422
        assert f"type the review&#39;s reference {seeded.ready2}" in r.text
    r = reviewer.post(f"/packets/{packet}/sign", data={"rationale": "x", "csrf_token": csrf2})
    assert r.status_code == 422  # no default decision
    assert "Choose a decision" in r.text
    acknowledged = {**form, "confirm_incomplete": seeded.ready2.lower(), "csrf_token": csrf2}
    r = reviewer.post(f"/packets/{packet}/sign", data=acknowledged, follow_redirects=False)
    assert r.status_code == 303
    api = reviewer.get(f"/api/reviews/{seeded.ready2}/packet").json()
    assert [a["signer"] for a in api["approvals"]] == ["reviewer"]
    assert api["approvals"][0]["subject_sha256"] == api["sha256"]
    assert api["verification"]["ok"] is True


def test_guessed_ids_are_404_not_500(seeded: Any, client_for: Any) -> None:
    client, csrf = client_for("admin")
    for path in ["/systems/nope", "/risks/RISK-999", "/reviews/REV-999", "/evidence/EV-999/view",
                 "/api/risks/RISK-999", "/api/waivers/999", "/api/reviews/REV-999",
                 "/risks/../../etc/passwd", "/risks/RISK-1%27%20OR%201=1",
                 "/incidents/INC-999", "/incidents/RISK-1", "/evidence/EV-999",
                 "/packets/EV-999/view", "/packets/EV-999/download/pdf", "/api/incidents/INC-999",
                 "/api/packets/EV-999", f"/api/reviews/{seeded.review}/packet",
                 f"/packets/{seeded.packet}/download/exe", "/systems/credit/documents/nope/html",
                 "/systems/credit/documents/datasheet-x@1/md", "/monitors/nope/view",
                 # an evidence id that exists, but is not a packet, is not a packet either
                 f"/packets/{seeded.evidence}/view", f"/api/packets/{seeded.evidence}",
                 "/systems/nope/coverage", "/api/incidents/%C2%B9",
                 "/incidents/INC-%C2%B2", "/actions/ACT-999", "/actions/RISK-1",
                 "/actions/ACT-99999999999999999999999", "/waivers/WVR-999", "/waivers/ACT-1",
                 "/waivers/WVR-%C2%B9", "/api/export/users", "/api/export/..%2Fkpis"]:  # fmt: skip
        assert client.get(path).status_code in (404, 422), path
    for path, form in [("/waivers/WVR-999/approve", {"rationale": "x"}),
                       ("/waivers/WVR-999/renew", {"expires_on": SOON}),
                       (f"/waivers/{seeded.waiver}/extend", {"rationale": "x"}),
                       ("/incidents/INC-999/timeline", {"entry": "x"}),
                       ("/incidents/INC-999/bundle", {}),
                       (f"/packets/{seeded.evidence}/sign", {"decision": "approved",
                                                             "rationale": "x"}),
                       ("/reviews/REV-999/packet", {}),
                       ("/actions/ACT-999", {"note": "x"}),
                       ("/actions/ACT-999/close", {"evidence": seeded.evidence}),
                       ("/actions/ACT-999/push", {"to": "jira"}),
                       ("/risks/RISK-999/actions", {"title": "t", "owner": "analyst",
                                                    "due_date": SOON}),
                       ("/waivers/WVR-99999999999/approve", {"rationale": "x"})]:  # fmt: skip
        r = client.post(path, data={**form, "csrf_token": csrf})
        assert r.status_code == 404, (path, r.status_code)


def test_requester_cannot_approve_own_waiver(workspace: Any, client_for: Any) -> None:
    approver, csrf = client_for("approver")
    page = approver.post(
        "/waivers",
        data={"system": "credit", "control": "fairness", "rationale": "r",
              "compensating_controls": "c", "residual_risk": "r", "expires_on": SOON,
              "csrf_token": csrf},
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
        # an owner is a user name (no markup can get in); every free-text field carries XSS
        data={
            "name": "xss",
            "purpose": XSS,
            "owner": "admin",
            "intended_use": XSS,
            "csrf_token": csrf,
        },
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
        data={"system": "xss", "control": "fairness", "rationale": XSS,
              "compensating_controls": XSS, "residual_risk": XSS, "expires_on": SOON,
              "csrf_token": csrf},
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


def test_risk_edit_is_in_the_audit_chain(seeded: Any, client_for: Any) -> None:
    risk = seeded.risk
    client, csrf = client_for("analyst")
    client.post(f"/risks/{risk}", data={"likelihood": "1", "severity": "2", "note": "retested",
                                        "csrf_token": csrf})  # fmt: skip
    with g.open_workspace(seeded.root, user="alice") as ws:
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


def test_script_in_every_new_text_field_comes_back_escaped(seeded: Any, client_for: Any) -> None:
    client, csrf = client_for("admin")
    r = client.post(
        "/incidents",
        data={"title": XSS, "severity": "sev2", "occurred_at": "2026-01-01T10:00",
              "systems": "credit", "cohorts": XSS, "summary": XSS, "commander": XSS,
              "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[-300:]
    inc = r.headers["location"].rsplit("/", 1)[-1]
    for path, form in [
        (f"/incidents/{inc}/timeline", {"entry": XSS}),
        (f"/incidents/{inc}/update", {"immediate_mitigations": XSS, "root_cause": XSS,
                                      "postmortem": XSS, "add_cohorts": "x" + XSS,
                                      "note": XSS}),
        (f"/incidents/{inc}/actions", {"title": XSS, "owner": "analyst", "due_date": SOON,
                                       "description": XSS}),
        (f"/waivers/{seeded.approved}/renew", {"expires_on": SOON, "rationale": XSS}),
        (f"/waivers/{seeded.approved}/revoke", {"rationale": XSS}),
        (f"/packets/{seeded.packet}/sign", {"decision": "approved_with_conditions",
                                            "rationale": XSS, "conditions": XSS,
                                            "confirm_incomplete": seeded.ready}),
    ]:  # fmt: skip
        r = client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303, (path, r.text[-300:])
    for path in ["/", "/incidents", f"/incidents/{inc}", "/waivers", f"/reviews/{seeded.ready}",
                 "/systems/credit", "/audit", f"/audit?entity={inc}",
                 f"/search?q={XSS}", "/actions", "/actions/ACT-1",
                 f"/waivers/{seeded.approved}"]:  # fmt: skip
        text = client.get(path).text
        assert "<script>alert" not in text, path
    assert "&lt;script&gt;alert" in client.get("/actions/ACT-1").text
    assert "&lt;script&gt;alert" in client.get(f"/waivers/{seeded.approved}").text
    page = client.get(f"/incidents/{inc}").text
    assert page.count("&lt;script&gt;alert") >= 8
    assert "&lt;script&gt;alert" in client.get(f"/reviews/{seeded.ready}").text
    # The rendered packet (its approvals page) escapes the rationale too.
    assert "<script>alert" not in client.get(f"/packets/{seeded.packet}/view").text


def test_incident_and_packet_api(seeded: Any, client_for: Any) -> None:
    with g.open_workspace(seeded.root, user="alice") as ws:
        analyst = {"Authorization": f"Bearer {create_token(ws, 'analyst', 'ci')}"}
        reviewer = {"Authorization": f"Bearer {create_token(ws, 'reviewer', 'ci')}"}
        viewer = {"Authorization": f"Bearer {create_token(ws, 'viewer', 'ci')}"}
    client, _ = client_for()
    body = {"title": "Toxic replies", "severity": "sev1", "occurred_at": "2026-01-02T08:00:00Z",
            "systems": ["credit"], "cohorts": ["age<25"]}  # fmt: skip
    assert client.post("/api/incidents", json=body, headers=viewer).status_code == 403
    made = client.post("/api/incidents", json=body, headers=analyst)
    assert made.status_code == 201, made.text
    ref = made.json()["ref"]
    r = client.post(f"/api/incidents/{ref}/timeline", json={"entry": "rolled back"},
                    headers=analyst)  # fmt: skip
    assert [t["entry"] for t in r.json()["timeline"]] == ["rolled back"]
    r = client.patch(f"/api/incidents/{ref}", json={"status": "mitigated"}, headers=analyst)
    assert r.json()["status"] == "mitigated"
    # sev1 needs a corrective action before closing: a workflow conflict, not a crash.
    r = client.post(f"/api/incidents/{ref}/close", json={"root_cause": "rc", "postmortem": "pm"},
                    headers=analyst)  # fmt: skip
    assert r.status_code == 409
    assert "corrective action" in r.json()["detail"]
    zipped = client.post(f"/api/incidents/{ref}/bundle", headers=analyst)
    assert zipped.status_code == 200
    assert zipped.content.startswith(b"PK")
    import hashlib

    assert hashlib.sha256(zipped.content).hexdigest() == zipped.headers["x-assay-sha256"]
    assert client.get(f"/api/incidents/{ref}", headers=viewer).json()["first_bundle_at"]
    # Packets: build as the analyst, sign as the reviewer.
    assert client.post(f"/api/reviews/{seeded.ready}/packet", headers=viewer).status_code == 403
    built = client.post(f"/api/reviews/{seeded.ready}/packet", headers=analyst)
    assert built.status_code == 201
    sha, record = built.json()["sha256"], built.json()["record"]
    bad = client.post(f"/api/packets/{record}/sign", headers=reviewer,
                      json={"decision": "maybe", "rationale": "x"})  # fmt: skip
    assert bad.status_code == 422
    below = client.post(f"/api/packets/{record}/sign", headers=reviewer,
                        json={"decision": "approved", "rationale": "complete"})  # fmt: skip
    assert below.status_code == 409
    assert "below the policy minimum" in below.json()["detail"]
    signed = client.post(f"/api/packets/{record}/sign", headers=reviewer,
                         json={"decision": "approved", "rationale": "incomplete, accepted",
                               "acknowledge_incomplete": True})  # fmt: skip
    assert signed.status_code == 200, signed.text
    assert signed.json()["subject_sha256"] == sha
    assert client.get(f"/api/reviews/{seeded.ready}", headers=viewer).json()["status"] == "approved"
    # Waivers: renew as the analyst, revoke as an approver only.
    r = client.post(f"/api/waivers/{seeded.approved}/renew", headers=analyst,
                    json={"expires_on": SOON, "rationale": "still needed"})  # fmt: skip
    assert r.json()["status"] == "renewal_requested"
    r = client.post(f"/api/waivers/{seeded.approved}/revoke", headers=analyst,
                    json={"rationale": "x"})  # fmt: skip
    assert r.status_code == 403


def test_risk_register_pages_in_the_database(seeded: Any, client_for: Any) -> None:
    with g.open_workspace(seeded.root, user="alice") as ws:
        for i in range(3):
            g.add_user(ws, f"o{i}", role="viewer")  # owners are users
        for i in range(101):
            g.add_risk(ws, system="credit", title=f"Risk number {i}", category="mit:1.3",
                       likelihood=1 + i % 5, severity=1, owner=f"o{i % 3}")  # fmt: skip
    client, _ = client_for("viewer")
    first = client.get("/risks?sort=ref").text
    assert "102 risks, 1–100 shown" in first
    assert first.count('<tr><td><a href="/risks/RISK-') == 100
    assert 'href="/risks?sort=ref&amp;page=2"' in first
    second = client.get("/risks?sort=ref&page=2").text
    assert "101–102 shown" in second
    assert second.count('<tr><td><a href="/risks/RISK-') == 2
    assert "RISK-102" in second  # the newest, last by ref
    owned = client.get("/risks?owner=o1").text
    assert "34 risks" in owned  # i % 3 == 1 for 34 of 0..100
    # The API pages by reference.
    api = client.get("/api/risks?limit=5&offset=100").json()
    assert [r["ref"] for r in api] == ["RISK-101", "RISK-102"]


def _flash_cookie(key: str, message: str, kind: str) -> str:
    """A flash cookie as the app writes one, signed with ``key``."""
    body = base64.urlsafe_b64encode(json.dumps([message, kind]).encode()).decode()
    return f"{body}.{hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()}"


def test_flash_messages_are_escaped_and_bound_to_their_session(
    seeded: Any, client_for: Any
) -> None:
    """A flash cookie is honoured only in the session whose token signed it (not another
    user's, not a forged one), its kind only from the list, and its text escaped with the
    record references in it made links."""
    analyst, csrf = client_for("analyst")
    r = analyst.post(f"/risks/{seeded.risk}", data={"likelihood": "2", "severity": "2",
                     "note": "n", "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    stolen = r.cookies[FLASH_COOKIE]
    reviewer, other = client_for("reviewer")
    reviewer.cookies.set(FLASH_COOKIE, stolen)
    assert "Saved the changes" not in reviewer.get("/risks").text  # another session's message
    reviewer.cookies.set(FLASH_COOKIE, _flash_cookie(csrf, "Approved everything", "ok"))
    assert "Approved everything" not in reviewer.get("/risks").text  # signed with another key
    evil = f"{seeded.risk}{XSS}<a href=//evil.example>x</a>"
    reviewer.cookies.set(FLASH_COOKIE, _flash_cookie(other, evil, "ok"))
    page = reviewer.get("/risks").text
    assert "<script>alert" not in page
    assert "<a href=//evil.example>" not in page
    assert f'<a href="/risks/{seeded.risk}">{seeded.risk}</a>&lt;script&gt;' in page
    reviewer.cookies.set(FLASH_COOKIE, _flash_cookie(other, "hi", 'ok" onclick="alert(1)'))
    assert "onclick" not in reviewer.get("/risks").text


def test_renewing_a_waiver_does_not_let_the_renewer_approve_it(
    seeded: Any, client_for: Any
) -> None:
    """Separation of duties through the waiver page: the approver who renews a waiver is the
    renewal's requester, so neither they nor the first round's requester may approve it; the
    page does not offer them the approve form either."""
    approver, csrf = client_for("approver")
    ref = seeded.approved
    r = approver.post(f"/waivers/{ref}/renew", data={"expires_on": SOON, "rationale": "still",
                      "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert f'action="/waivers/{ref}/approve"' not in approver.get(f"/waivers/{ref}").text
    r = approver.post(f"/waivers/{ref}/approve", data={"rationale": "mine", "csrf_token": csrf})
    assert r.status_code == 409
    alice, csrf_alice = client_for("alice")  # requested round 1
    r = alice.post(f"/waivers/{ref}/approve", data={"rationale": "mine", "csrf_token": csrf_alice})
    assert r.status_code == 409
    with g.open_workspace(seeded.root, user="alice") as ws:
        assert g.get_waiver(ws, ref).status == "renewal_requested"


def test_an_action_is_not_closed_with_another_systems_evidence(
    seeded: Any, client_for: Any
) -> None:
    """IDOR on the close form: the page offers only the evidence of the action's system, and the
    rule (in governance) refuses a posted reference to another system's record."""
    with g.open_workspace(seeded.root, user="alice") as ws:
        g.add_system(ws, "other", purpose="Another team's system", owner="alice")
        foreign = g.add_evidence(ws, kind="attachment", data=b"not about credit", title="Other",
                                 system="other")  # fmt: skip
        action = g.add_action(ws, title="Retrain", owner="analyst", due_date=SOON, risk=seeded.risk)
    client, csrf = client_for("analyst")
    assert f'value="{foreign.ref}"' not in client.get(f"/actions/{action.ref}").text
    r = client.post(f"/actions/{action.ref}/close",
                    data={"evidence": foreign.ref, "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 409
    assert "another system" in r.text
    r = client.post(f"/actions/{action.ref}/close", data={"evidence": seeded.evidence,
                    "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    with g.open_workspace(seeded.root, user="alice") as ws:
        assert g.get_action(ws, action.ref).status == "done"
