"""The analyst's week in Debian's chromium, each journey by the role that owns it, with no CLI:
on SQLite and on PostgreSQL (the postgres lane).

The analyst triages an intake (tier, priority, owner, date), records an evaluation with its
commit, files a risk, adds a remediation action, assigns it and closes it with evidence, requests
a waiver and builds the packet; the approver approves the waiver and signs the packet with an
explicit decision and a typed confirmation; the audit log's references lead to the records; a
viewer reads the result. Then every page visited is checked by axe (no serious or critical
violation) and photographed at desktop and phone widths into build/screenshots/ (a CI artefact).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

pytest.importorskip("playwright")
from playwright.sync_api import Page, sync_playwright
from web_helpers import PASSWORD, ROLES, fairness_result, pin_today

from assay import governance as g
from assay.web import create_app, set_password
from pg_schema import fresh_schema

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]  # fmt: skip
TODAY = dt.datetime.now(dt.UTC).date()  # the server's clock is stopped on it (pin_today)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def week(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """A workspace with one user per role and the system ``credit``, served by uvicorn:
    (database name, workspace root, base URL)."""
    schema = contextlib.ExitStack()
    postgres = request.param == "postgres"
    db_url = schema.enter_context(fresh_schema("assay_week")) if postgres else None
    root = tmp_path / "ws"
    with g.init_workspace(root, user="alice", db_url=db_url) as ws:
        for role in ROLES:
            g.add_user(ws, role, role=role)
            set_password(ws, role, PASSWORD)
        g.add_system(ws, "credit", purpose="Scores loan applications", owner="analyst")
    app = create_app(root, db_url=db_url)
    pin_today(app, TODAY)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield request.param, root, f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    app.state.base.close()
    schema.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def _login(page: Page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def _logout(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login$"))


def _flash(page: Page) -> str:
    return page.locator("p.flash[role=status]").inner_text()


def _intake_and_triage(page: Page, base: str) -> str:
    """Monday, the analyst: an intake request triaged with tier, priority, owner and date."""
    page.locator("nav.main").get_by_role("link", name="Reviews").click()
    page.locator("#i-system").select_option("credit")
    page.locator("#i-title").fill("Launch of credit scoring v2")
    form = page.locator("form[action='/reviews']")
    for area in form.locator("textarea").all():
        area.fill("Scores loan applications for loan officers; applicants are affected.")
    for select in form.locator("select[name^='q_']").all():
        values = list(select.locator("option").evaluate_all("os => os.map(o => o.value)"))
        select.select_option("no" if "no" in values else values[1])
    for fieldset in form.locator("fieldset").all():
        fieldset.locator("input[type=checkbox]").first.check()
    page.get_by_role("button", name="File intake request").click()
    page.wait_for_url(f"{base}/reviews/REV-*")
    assert "Opened REV-1 at intake" in _flash(page)
    page.get_by_label("Risk tier", exact=True).select_option("high")
    page.get_by_label("Priority", exact=True).select_option("P1")
    page.get_by_label("Owner", exact=True).fill("analyst")
    page.get_by_label("Checkpoint date").fill((TODAY + dt.timedelta(days=21)).isoformat())
    page.locator("#t-note").fill("Decides on credit for consumers: high by our standard.")
    page.get_by_role("button", name="Triage").click()
    assert "tier high, priority P1, owner analyst" in _flash(page)
    facts = page.locator("dl.facts").first.inner_text()
    assert "high" in facts
    assert "P1" in facts
    page.locator("#n-to").select_option("in_evaluation")
    page.get_by_role("button", name="Record step").click()
    assert "REV-1 is now in evaluation" in _flash(page)
    return page.url


def _evaluation(page: Page, base: str, root: Path) -> None:
    """Tuesday: the evaluation's result recorded with its model version and commit."""
    result = root / "credit-fairness-v2.json"
    result.write_text(json.dumps(fairness_result()), encoding="utf-8")
    page.goto(f"{base}/systems/credit")
    summary = page.locator("summary", has_text="Record an evaluation")
    if summary.locator("xpath=..").get_attribute("open") is None:  # open while there is none
        summary.click()
    page.get_by_label("Result file (JSON)").set_input_files(str(result))
    page.get_by_label("or a new model version").fill("2.0")
    page.get_by_label("Code commit").fill("0123abcd4567")
    page.get_by_label("Title (optional)").fill("Fairness of v2.0 by sex")
    page.get_by_role("button", name="Record evaluation").click()
    page.wait_for_url(f"{base}/evidence/EV-1")
    assert "Recorded EV-1 (fairness) for credit 2.0" in _flash(page)
    assert "0123abcd4567" in page.locator("main").inner_text()


def _risk_and_action(page: Page, base: str) -> None:
    """Wednesday: a finding filed as a risk; an action for it assigned, closed with evidence."""
    page.goto(f"{base}/risks")
    assert page.locator("#r-category").input_value() == ""  # nothing chosen for the user
    page.locator("#r-system").fill("credit")
    page.locator("#r-category").select_option(index=1)
    page.locator("#r-title").fill("Lower approval rate for women")
    page.get_by_role("button", name="File risk").click()
    page.wait_for_url(f"{base}/risks/RISK-1")
    assert "Filed RISK-1" in _flash(page)
    page.get_by_label("What will be done").fill("Reweigh the training data")
    page.locator("#a-owner").select_option("analyst")
    page.locator("#a-due").fill((TODAY - dt.timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Add action").click()
    assert "Added ACT-1 to RISK-1" in _flash(page)
    page.locator("nav.main").get_by_role("link", name="Actions").click()
    page.get_by_role("link", name=re.compile(r"^Overdue")).click()
    page.get_by_label("Owner").select_option("analyst")
    page.get_by_role("button", name="Filter").click()
    assert "overdue 2 d" in page.locator("table").inner_text()
    page.get_by_role("link", name="ACT-1").click()
    page.wait_for_url(f"{base}/actions/ACT-1")
    page.locator("#e-owner").select_option("reviewer")
    page.locator("#e-st").select_option("in_progress")
    page.get_by_role("button", name="Save").click()
    assert "in progress, owned by reviewer" in _flash(page)
    assert "is not set up" in page.locator("main").inner_text()  # the push explains itself
    page.get_by_label("Evidence that it was done").select_option("EV-1")
    page.get_by_role("button", name="Close ACT-1").click()
    assert "Closed ACT-1 (late) with the evidence EV-1" in _flash(page)


def _waiver_and_packet(page: Page, base: str, review_url: str) -> None:
    """Thursday: a waiver requested, the packet built and the review made ready."""
    page.goto(f"{base}/waivers")
    page.locator("#w-system").select_option("credit")
    page.get_by_label("Control", exact=True).fill("fairness.demographic_parity_ratio")
    page.get_by_label("Expires on").fill((TODAY + dt.timedelta(days=60)).isoformat())
    page.get_by_label("Rationale", exact=True).fill("Labels for the new region arrive in Q2.")
    page.get_by_label("Compensating controls").fill("Human review of every rejection.")
    page.get_by_label("Residual risk", exact=True).fill("Low while humans review.")
    page.get_by_role("button", name="Request waiver").click()
    page.wait_for_url(f"{base}/waivers/WVR-1")
    assert "Requested WVR-1" in _flash(page)
    assert "Human review of every rejection." in page.locator("main").inner_text()
    page.goto(review_url)
    page.get_by_role("button", name="Build the review packet").click()
    assert "Built a new review packet for REV-1" in _flash(page)
    page.locator("#n-to").select_option("ready_for_review")
    page.get_by_label("Move on although the packet is incomplete").check()
    page.get_by_role("button", name="Record step").click()
    assert "REV-1 is now ready for review" in _flash(page)


def _approver(page: Page, base: str, review_url: str, shots: Path) -> None:
    """Friday, the approver: the waiver approved, the packet signed with an explicit decision."""
    shots.mkdir(parents=True, exist_ok=True)
    page.goto(f"{base}/waivers/WVR-1")
    page.screenshot(path=str(shots / "waiver-to-decide.png"), full_page=True)
    page.get_by_label("Rationale").fill("Compensating control is adequate for 60 days.")
    page.get_by_role("button", name="Approve").click()
    assert "WVR-1 is now approved" in _flash(page)
    page.goto(review_url)
    assert "below the policy's minimum" in page.locator("#d-warn").inner_text()
    assert page.locator("#d-dec").input_value() == ""  # no default decision
    page.locator("#d-dec").select_option("approved")
    page.locator("#d-rat").fill("Gaps accepted for a pilot.")
    page.get_by_label(re.compile("type REV-1")).fill("REV-1")
    page.screenshot(path=str(shots / "review-to-sign.png"), full_page=True)
    page.get_by_role("button", name=re.compile("^Sign packet")).click()
    assert "Signed: REV-1 approved" in _flash(page)
    page.locator("nav.main").get_by_role("link", name="Audit log").click()
    page.locator("table").get_by_role("link", name="WVR-1").first.click()
    page.wait_for_url(f"{base}/waivers/WVR-1")
    assert "approved by approver" in page.locator("main").inner_text()


TOUR = ["/login", "/", "/systems", "/systems/credit", "/reviews", "/reviews/REV-1", "/risks",
        "/risks/RISK-1", "/actions", "/actions?view=overdue", "/actions/ACT-1", "/waivers",
        "/waivers/WVR-1", "/evidence/EV-1", "/incidents", "/audit"]  # fmt: skip
WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _tour(browser: Any, base: str, db: str) -> dict[str, list[str]]:
    """Every page at both widths, photographed; axe's serious and critical findings by page."""
    found: dict[str, list[str]] = {}
    for width, viewport in WIDTHS.items():
        # axe is injected by the test only; bypass_csp lets its inline script run in the page
        ctx = browser.new_context(viewport=viewport, is_mobile=width == "phone", bypass_csp=True)
        page = ctx.new_page()
        _login(page, base, "analyst")
        for path in TOUR:
            if path == "/login":
                _logout(page)
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            name = path.strip("/").replace("/", "-").replace("?view=", "-") or "dashboard"
            folder = SHOTS / db / width
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            if width == "phone":
                wide = page.evaluate("document.documentElement.scrollWidth")
                if wide > viewport["width"] + 10:
                    found.setdefault(path, []).append(f"wider than a phone: {wide}px")
            else:
                page.add_script_tag(path=str(AXE))
                result = page.evaluate("async () => await axe.run(document)")
                serious = ("serious", "critical")
                bad = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
                       for v in result["violations"] if v["impact"] in serious]  # fmt: skip
                if bad:
                    found.setdefault(path, []).extend(bad)
            if path == "/login":
                _login(page, base, "analyst")
        ctx.close()
    return found


def test_the_analysts_week_by_role(week: tuple[str, Path, str], browser: Any) -> None:
    db, root, base = week
    errors: list[str] = []
    ctx = browser.new_context(viewport=WIDTHS["desktop"])
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, base, "analyst")
    review_url = _intake_and_triage(page, base)
    _evaluation(page, base, root)
    _risk_and_action(page, base)
    _waiver_and_packet(page, base, review_url)
    _logout(page)
    _login(page, base, "approver")
    _approver(page, base, review_url, SHOTS / db / "desktop")
    _logout(page)
    _login(page, base, "viewer")  # a product manager reads the outcome, and cannot edit it
    page.goto(f"{base}/actions?view=all")
    assert "done" in page.locator("table").inner_text()
    page.goto(f"{base}/risks/RISK-1")
    assert page.get_by_text("Add an action").count() == 0
    ctx.close()
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors
    assert _tour(browser, base, db) == {}
