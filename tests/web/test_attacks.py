"""Issue 16 attacks on the web app and its API, on SQLite and PostgreSQL: separation of duties
(H1), API tokens (M1), forged packets (H2), login lockout (M3), a blocked event loop (M4)."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, intake_answers, login

from assay import governance as g
from assay.errors import InputError
from assay.web import _auth, create_app, set_password
from assay.web._auth import MAX_FAILURES

Client = tuple[TestClient, dict[str, str]]


@pytest.fixture
def team(db_url: str, tmp_path: Path) -> Iterator[Callable[[str], Client]]:
    """A workspace on each database lane with sam (analyst), ada (admin) and mia, bob
    (approvers); ``team(name)`` logs that person in and returns the client and CSRF header."""
    root = tmp_path / "ws"
    with g.init_workspace(root, db_url=db_url, user="ada") as ws:
        for name, role in (("sam", "analyst"), ("mia", "approver"), ("bob", "approver")):
            g.add_user(ws, name, role=role)
        for name in ("ada", "sam", "mia", "bob"):
            set_password(ws, name, PASSWORD)
        g.add_system(ws, "credit", purpose="Scores loan applications", owner="ada")
    app = create_app(root)
    clients: list[TestClient] = []

    def make(name: str) -> Client:
        client = TestClient(app)
        clients.append(client)
        return client, {"X-CSRF-Token": login(client, name)}

    yield make
    for c in clients:
        c.close()
    app.state.base.close()


def _days(n: int) -> str:
    return (dt.date.today() + dt.timedelta(days=n)).isoformat()


def test_h1_renewer_cannot_approve_her_renewal_through_the_api(team: Any) -> None:
    sam, sam_h = team("sam")
    ada, ada_h = team("ada")
    mia, mia_h = team("mia")
    r = sam.post("/api/waivers", headers=sam_h, json={
        "system": "credit", "control": "fairness.demographic_parity_ratio",
        "rationale": "Original reason",
        "compensating_controls": "manual review", "residual_risk": "medium",
        "expires_on": _days(30),
    })  # fmt: skip
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    assert ada.post(f"/api/waivers/{ref}/approve", headers=ada_h,
                    json={"rationale": "ok"}).status_code == 200  # fmt: skip
    r = mia.post(f"/api/waivers/{ref}/renew", headers=mia_h,
                 json={"expires_on": _days(365), "rationale": "One more year"})  # fmt: skip
    assert r.status_code == 200, r.text
    r = mia.post(f"/api/waivers/{ref}/approve", headers=mia_h, json={"rationale": "mine"})
    assert r.status_code == 409, r.text
    assert "'mia' requested round 2" in r.json()["detail"]
    shown = ada.get(f"/api/waivers/{ref}").json()
    assert (shown["status"], shown["rationale"]) == ("renewal_requested", "Original reason")
    assert [x["requester"] for x in shown["rounds"]] == ["sam", "mia"]
    bob, bob_h = team("bob")
    r = bob.post(f"/api/waivers/{ref}/approve", headers=bob_h, json={"rationale": "fine"})
    assert (r.status_code, r.json()["status"]) == (200, "approved")


def test_h1_the_waiver_form_refuses_it_too(team: Any) -> None:
    sam, sam_h = team("sam")
    ada, ada_h = team("ada")
    mia, mia_h = team("mia")
    ref = sam.post("/api/waivers", headers=sam_h, json={
        "system": "credit", "control": "fairness", "rationale": "r", "compensating_controls": "cc",
        "residual_risk": "rr", "expires_on": _days(30),
    }).json()["ref"]  # fmt: skip
    ada.post(f"/api/waivers/{ref}/approve", headers=ada_h, json={"rationale": "ok"})
    csrf = {"csrf_token": mia_h["X-CSRF-Token"]}
    r = mia.post(f"/waivers/{ref}/renew", data={"expires_on": _days(365), **csrf},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = mia.get("/waivers").text
    assert f'action="/waivers/{ref}/approve"' not in page  # no button for her own round
    r = mia.post(f"/waivers/{ref}/approve", data={"rationale": "mine", **csrf})
    assert r.status_code == 409
    assert ada.get(f"/api/waivers/{ref}").json()["status"] == "renewal_requested"


def test_a_critical_risk_is_not_accepted_by_its_filer(team: Any) -> None:
    mia, mia_h = team("mia")
    r = mia.post("/api/risks", headers=mia_h, json={
        "system": "credit", "title": "Denials", "category": "mit:1.1", "likelihood": 5,
        "severity": 5, "owner": "ada",
    })  # fmt: skip
    ref = r.json()["ref"]
    r = mia.patch(f"/api/risks/{ref}", headers=mia_h,
                  json={"status": "accepted", "note": "mine"})  # fmt: skip
    assert r.status_code == 409
    assert "cannot accept it" in r.json()["detail"]
    bob, bob_h = team("bob")
    r = bob.patch(f"/api/risks/{ref}", headers=bob_h, json={"status": "accepted", "note": "ok"})
    assert (r.status_code, r.json()["status"]) == (200, "accepted")


def test_tokens_are_listed_revoked_and_noted_on_use(team: Any) -> None:
    ada, ada_h = team("ada")
    sam, sam_h = team("sam")
    made = sam.post("/api/tokens", headers=sam_h, json={"label": "laptop", "days": 7})
    assert made.status_code == 201, made.text
    token, ref = made.json()["token"], made.json()["ref"]
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(ada.app) as ci:
        assert ci.get("/api/me", headers=bearer).json()["user"] == "sam"
        # a token never makes another token
        assert ci.post("/api/tokens", headers=bearer, json={}).status_code == 403
        listed = sam.get("/api/tokens").json()
        assert [(t["ref"], t["label"]) for t in listed] == [(ref, "laptop")]
        assert listed[0]["last_used_at"] is not None
        assert "token" not in listed[0]
        assert "token_sha256" not in listed[0]
        # sam cannot revoke ada's token; ada (admin) can revoke sam's
        adas = ada.post("/api/tokens", headers=ada_h, json={}).json()["ref"]
        assert sam.post(f"/api/tokens/{adas}/revoke", headers=sam_h, json={}).status_code == 403
        r = ada.post(f"/api/tokens/{ref}/revoke", headers=ada_h, json={"reason": "lost laptop"})
        assert (r.status_code, r.json()["active"]) == (200, False)
        assert ci.get("/api/me", headers=bearer).status_code == 401


def test_a_token_dies_with_a_password_change_and_a_deactivation(team: Any, tmp_path: Any) -> None:
    ada, ada_h = team("ada")
    sam, sam_h = team("sam")
    first = sam.post("/api/tokens", headers=sam_h, json={}).json()["token"]
    ws = ada.app.state.base
    set_password(g.Workspace(ws.root, ws.store, user="sam", config=ws.config), "sam",
                 "a brand new password")  # fmt: skip
    with TestClient(ada.app) as ci:
        assert ci.get("/api/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
        bob, bob_h = team("bob")
        second = bob.post("/api/tokens", headers=bob_h, json={}).json()["token"]
        admin = g.Workspace(ws.root, ws.store, user="ada", config=ws.config)
        g.deactivate_user(admin, "bob")
        assert ci.get("/api/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
        r = ada.post("/api/tokens", headers=ada_h, json={"user": "bob"})
        assert r.status_code == 422
        assert "deactivated" in r.json()["detail"]
    assert g.verify_audit(admin).ok


def test_h2_a_forged_packet_is_not_served_as_verified(team: Any) -> None:
    from assay.canonical import canonical_json
    from assay.documents import build_packet
    from assay.documents._packet import item_hashes
    from assay.store import row_image, tables

    ada, _ = team("ada")
    ws = ada.app.state.base
    admin = g.Workspace(ws.root, ws.store, user="ada", config=ws.config)
    sam = g.Workspace(ws.root, ws.store, user="sam", config=ws.config)
    g.add_risk(admin, system="credit", title="Denials", category="mit:1.1", likelihood=5,
               severity=5, owner="ada")  # fmt: skip
    answers = intake_answers(g.workspace_questionnaire(admin))
    review = g.open_review(admin, "credit", answers=answers)
    g.triage_review(admin, review.ref, owner="sam")
    g.advance_review(admin, review.ref, "in_evaluation")
    g.advance_review(admin, review.ref, "ready_for_review", acknowledge_incomplete=True)
    real = build_packet(sam, review.ref)
    forged = {**real.content, "risks": [], "waivers": [], "built": {"by": "ada"}}
    data = canonical_json(forged).encode()
    with pytest.raises(InputError, match="written only by its builder"):
        g.add_evidence(sam, kind="review_packet", data=data, system="credit")
    # a row written straight into the database
    image = row_image(tables.evidence, {**real.record.to_dict(), "id": None, "system_id": 1,
                      "model_version_id": None, "dataset_version_id": None,
                      "supersedes_id": None, "content_hash": "0" * 64})  # fmt: skip
    values = {k: v for k, v in image.items() if k != "id"}
    values.update(blob_sha256=ws.blobs.put_bytes(data), size_bytes=len(data), created_by="ada",
                  created_at=real.record.created_at, valid_until=None, observed_from=None,
                  observed_to=None)  # fmt: skip
    values["summary"] = {**real.record.summary, "items": item_hashes(forged)}
    with ws.store.engine.begin() as conn:
        conn.execute(tables.evidence.insert().values(**values))
    served = ada.get(f"/api/reviews/{review.ref}/packet").json()
    assert served["record"] != real.record.ref
    assert served["verification"]["ok"] is False
    assert any("no audit event wrote it" in p for p in served["verification"]["problems"])
    bob, bob_h = team("bob")
    r = bob.post(f"/api/packets/{served['record']}/sign", headers=bob_h,
                 json={"decision": "approved", "rationale": "looks complete"})  # fmt: skip
    assert r.status_code in (400, 409, 422), r.text
    assert g.get_review(admin, review.ref).status == "ready_for_review"
    real_served = ada.get(f"/api/packets/{real.record.ref}").json()
    assert (real_served["verification"]["ok"], real_served["built_by"]) == (True, "sam")


def _try_login(client: TestClient, user: str, password: str) -> Any:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    form = {"user": user, "password": password, "csrf_token": csrf.group(1)}
    return client.post("/login", data=form, follow_redirects=False)


class _Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def test_m3_failures_lock_one_address_out_for_one_user_with_backoff(team: Any) -> None:
    ada, _ = team("ada")
    clock = _Clock()
    ada.app.state.base.clock = clock
    attacker = TestClient(ada.app, client=("10.0.0.66", 4000))
    for _ in range(MAX_FAILURES):
        assert _try_login(attacker, "sam", "guess").status_code == 401
    # sam, elsewhere, is not locked out ...
    sam = TestClient(ada.app, client=("10.0.0.7", 5000))
    assert _try_login(sam, "sam", PASSWORD).status_code == 303
    # ... while from the attacker's address even the right password waits
    locked = _try_login(attacker, "sam", PASSWORD)
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "30"
    # each further failure doubles the wait
    clock.now += dt.timedelta(seconds=31)
    assert _try_login(attacker, "sam", "guess").status_code == 401
    assert _try_login(attacker, "sam", "guess").headers["Retry-After"] == "60"
    clock.now += dt.timedelta(seconds=61)
    assert _try_login(attacker, "sam", PASSWORD).status_code == 303
    attacker.close()
    sam.close()


def test_m4_argon2_runs_off_the_event_loop(team: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ada, _ = team("ada")
    entered, release = threading.Event(), threading.Event()

    class Gated(PasswordHasher):
        """The real argon2 hasher, held at a signal while a login verifies a password."""

        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            entered.set()
            release.wait(30)
            return super().verify(hash, password)

    monkeypatch.setattr(_auth, "_hasher", Gated(time_cost=1, memory_cost=1024))
    with TestClient(ada.app) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        logins: list[int] = []
        login = threading.Thread(target=lambda: logins.append(client.post(
            "/login", data={"user": "sam", "password": PASSWORD, "csrf_token": csrf.group(1)},
            follow_redirects=False).status_code))  # fmt: skip
        login.start()
        assert entered.wait(30)
        served: list[int] = []
        static = threading.Thread(
            target=lambda: served.append(client.get("/static/htmx.min.js").status_code)
        )
        static.start()
        static.join(20)  # a bound on failure only: it returns at once unless the loop is blocked
        assert served == [200], "a login's password check blocked the event loop"
        assert not release.is_set()
        release.set()
        login.join(30)
        assert logins == [303]


def test_a_waiver_names_a_control_the_gate_knows_on_every_web_path(team: Any) -> None:
    """Free text ("dp >= 0.8") covers nothing the gate checks: refused by the form and the API."""
    sam, sam_h = team("sam")
    body = {
        "system": "credit", "control": "dp >= 0.8", "rationale": "r",
        "compensating_controls": "cc", "residual_risk": "rr", "expires_on": _days(30),
    }  # fmt: skip
    r = sam.post("/api/waivers", headers=sam_h, json=body)
    assert r.status_code == 422, r.text
    assert "is not a control Assay knows" in r.json()["detail"]
    csrf = {"csrf_token": sam_h["X-CSRF-Token"]}
    page = sam.post("/waivers", data={**body, **csrf}, follow_redirects=False)
    assert page.status_code == 422, page.text
    assert "is not a control Assay knows" in page.text
    assert sam.get("/api/waivers", headers=sam_h).json() == []
