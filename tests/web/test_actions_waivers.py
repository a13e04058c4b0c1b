"""The analyst's remediation and waiver journeys through the pages (TestClient): actions added
from a risk, assigned, closed only with evidence; one waiver's page with every field; flash
messages after writes; references as links; triage's tier and priority; the evaluation's commit."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from web_helpers import fairness_result, pin_today

from assay import governance as g
from assay.web._flash import FLASH_COOKIE


def _flash(page: str) -> str:
    found = re.search(r'<p class="flash (?:ok|warn|error)" role="status">(.*?)</p>', page)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else ""  # the text, links unwrapped


def test_an_action_is_added_assigned_and_closed_only_with_evidence(
    seeded: Any, client_for: Any, app_factory: Any
) -> None:
    today = pin_today(app_factory)
    client, csrf = client_for("analyst")
    risk = client.get(f"/risks/{seeded.risk}").text
    assert "Remediation actions (0)" in risk
    past = (today - dt.timedelta(days=3)).isoformat()
    form = {"title": "Reweigh the training data", "owner": "analyst", "due_date": past}
    r = client.post(f"/risks/{seeded.risk}/actions", data={**form, "csrf_token": csrf})
    assert r.status_code == 200  # followed to the risk page
    assert "Added ACT-1 to RISK-1" in _flash(r.text)
    assert '<a href="/actions/ACT-1">ACT-1</a>' in r.text
    assert client.cookies.get(FLASH_COOKIE) is None  # shown once
    assert "Added ACT-1" not in _flash(client.get(f"/risks/{seeded.risk}").text)

    overdue = client.get("/actions?view=overdue").text
    assert "ACT-1" in overdue
    assert "overdue 3 d" in overdue
    assert "ACT-1" not in client.get("/actions?view=all&owner=reviewer").text
    assert "ACT-1" in client.get("/actions?view=all&status=open&owner=analyst").text

    r = client.post("/actions/ACT-1", data={"owner": "reviewer", "status": "in_progress",
                                            "due_date": past, "csrf_token": csrf})  # fmt: skip
    assert "in progress, owned by reviewer" in _flash(r.text)
    page = client.get("/actions/ACT-1").text
    assert "Jira</strong> is not set up" in page  # the push button explains itself
    assert f'<option value="{seeded.evidence}">' in page  # the evidence picker

    r = client.post("/actions/ACT-1/close", data={"evidence": "", "csrf_token": csrf})
    assert r.status_code == 422
    assert "Choose the evidence" in r.text
    r = client.post("/actions/ACT-1/close", data={"evidence": seeded.evidence, "csrf_token": csrf})
    assert f"Closed ACT-1 (late) with the evidence {seeded.evidence}" in _flash(r.text)
    with g.open_workspace(seeded.root, user="alice") as ws:
        action = g.get_action(ws, "ACT-1")
    assert action.status == "done"
    assert action.owner == "reviewer"


def test_a_viewer_reads_actions_but_cannot_add_one(seeded: Any, client_for: Any) -> None:
    client, csrf = client_for("viewer")
    assert "Add an action" not in client.get(f"/risks/{seeded.risk}").text
    form = {"title": "t", "owner": "analyst", "due_date": "2030-01-01", "csrf_token": csrf}
    r = client.post(f"/risks/{seeded.risk}/actions", data=form)
    assert r.status_code == 403
    assert client.get("/actions").status_code == 200


def test_the_waiver_page_shows_every_field_and_enforces_separation_of_duties(
    seeded: Any, client_for: Any
) -> None:
    alice, csrf = client_for("alice")  # alice requested the waiver
    page = alice.get(f"/waivers/{seeded.waiver}").text
    for field in ("Rationale", "Compensating controls", "Residual risk", "Rounds and approvals"):
        assert field in page
    assert "<dd>cc</dd>" in page
    assert "<dd>rr</dd>" in page
    assert "cannot decide on it" in page  # governance's own words, not a copy
    assert f"/waivers/{seeded.waiver}/approve" not in page
    r = alice.post(f"/waivers/{seeded.waiver}/approve", data={"rationale": "x", "csrf_token": csrf})
    assert r.status_code == 409

    approver, csrf2 = client_for("approver")
    page = approver.get(f"/waivers/{seeded.waiver}").text
    assert f"/waivers/{seeded.waiver}/approve" in page
    r = approver.post(f"/waivers/{seeded.waiver}/approve",
                      data={"rationale": "Compensated.", "csrf_token": csrf2})  # fmt: skip
    assert f"{seeded.waiver} is now approved" in _flash(r.text)
    assert "<strong>approved</strong> by approver" in r.text
    assert "waiver.approve" in r.text  # its history


def test_a_forged_flash_cookie_is_ignored(seeded: Any, client_for: Any) -> None:
    import base64

    client, _ = client_for("analyst")
    body = base64.urlsafe_b64encode(json.dumps(["Phishing", "ok"]).encode()).decode()
    client.cookies.set(FLASH_COOKIE, f"{body}.{'0' * 64}")
    assert "Phishing" not in client.get("/").text


def test_the_audit_log_links_its_records(seeded: Any, client_for: Any) -> None:
    client, _ = client_for("analyst")
    page = client.get("/audit").text
    assert f'<a href="/risks/{seeded.risk}">{seeded.risk}</a>' in page
    assert f'<a href="/waivers/{seeded.approved}">{seeded.approved}</a>' in page
    assert "<td>risk 1</td>" not in page


def test_triage_sets_tier_priority_owner_and_date(seeded: Any, client_for: Any) -> None:
    client, csrf = client_for("analyst")
    with g.open_workspace(seeded.root, user="alice") as ws:
        suggested = g.get_review(ws, seeded.review).suggested_tier
    tier = next(t for t in ("high", "medium", "low") if t != suggested)
    form = {"owner": "analyst", "tier": tier, "priority": "P1", "due_date": "2030-01-31",
            "csrf_token": csrf}  # fmt: skip
    r = client.post(f"/reviews/{seeded.review}/triage", data=form)
    assert r.status_code == 422  # a tier other than the suggestion needs a note
    r = client.post(f"/reviews/{seeded.review}/triage", data={**form, "note": "Vulnerable users."})
    assert f"tier {tier}, priority P1" in _flash(r.text)
    with g.open_workspace(seeded.root, user="alice") as ws:
        review = g.get_review(ws, seeded.review)
    assert (review.tier, review.priority, str(review.due_date)) == (tier, "P1", "2030-01-31")


def test_the_risk_form_preselects_no_category(seeded: Any, client_for: Any) -> None:
    client, csrf = client_for("analyst")
    page = client.get("/risks").text
    select = page[page.index('id="r-category"') :]
    assert re.match(r'id="r-category" name="category" required><option value="" selected>', select)
    form = {"system": "credit", "title": "t", "category": "", "likelihood": "3", "severity": "3",
            "owner": "analyst", "csrf_token": csrf}  # fmt: skip
    assert client.post("/risks", data=form).status_code == 422


def test_an_uploaded_evaluation_with_its_commit_is_traceable(seeded: Any, client_for: Any) -> None:
    client, csrf = client_for("analyst")
    files = {"result": ("r.json", json.dumps(fairness_result()), "application/json")}
    data = {"model_version": "1.0", "code_commit": "not-a-commit", "csrf_token": csrf}
    r = client.post("/systems/credit/evidence", data=data, files=files)
    assert r.status_code == 422
    assert "7 to 40 hexadecimal" in r.text
    data["code_commit"] = "ABCDEF1234567"
    r = client.post("/systems/credit/evidence", data=data, files=files, follow_redirects=False)
    ref = r.headers["location"].rsplit("/", 1)[-1]
    with g.open_workspace(seeded.root, user="alice") as ws:
        record = g.get_evidence(ws, ref)
    assert record.code_commit == "abcdef1234567"


class _GitHub:
    """A stand-in for GitHub's issues API on loopback: records each issue asked for."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.issues: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.issues.append({"path": self.path, **body})
                data = json.dumps({"number": 42, "html_url": "https://github.test/a/b/issues/42"})
                self.send_response(201)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_an_action_is_pushed_to_a_configured_tracker(
    seeded: Any, client_for: Any, monkeypatch: Any
) -> None:
    github = _GitHub()
    try:
        with (seeded.root / ".assay" / "config.toml").open("a", encoding="utf-8") as fh:
            fh.write(f'\n[integrations.github]\nrepo = "a/b"\napi_url = "{github.url}"\n'
                     'token_env = "T_GH_TOKEN"\n')  # fmt: skip
        monkeypatch.setenv("T_GH_TOKEN", "t0ken")
        with g.open_workspace(seeded.root, user="alice") as ws:
            g.add_action(ws, title="Reweigh", owner="analyst", due_date="2030-01-01",
                         risk=seeded.risk)  # fmt: skip
        client, csrf = client_for("analyst")
        page = client.get("/actions/ACT-1").text
        assert "Push to GitHub</button>" in page
        assert "Jira</strong> is not set up" in page
        r = client.post("/actions/ACT-1/push", data={"to": "github", "csrf_token": csrf})
        assert "Pushed ACT-1 to github issue 42" in _flash(r.text)
        assert 'href="https://github.test/a/b/issues/42"' in r.text
        assert [i["path"] for i in github.issues] == ["/repos/a/b/issues"]
        r = client.post("/actions/ACT-1/push", data={"to": "github", "csrf_token": csrf})
        assert "ACT-1 is already linked to github issue 42" in _flash(r.text)  # nothing sent twice
        assert len(github.issues) == 1
    finally:
        github.httpd.shutdown()
        github.httpd.server_close()
