"""The analyst's and approver's path in Debian's chromium, against a real uvicorn server.

Log in, register a system, file a risk, request a waiver as one user and approve it as another;
screenshots of each page go to test-artifacts/web/.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import Page, sync_playwright
from web_helpers import PASSWORD, fairness_result

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(page: Page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def test_analyst_and_approver_in_chromium(server: str, browser: Any) -> None:
    errors: list[str] = []
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server}/login")
    _shot(page, "01-login")
    _login(page, server, "analyst")
    _shot(page, "02-dashboard")

    page.get_by_role("link", name="Inventory").click()
    page.get_by_label("Name", exact=True).fill("resume-screener")
    page.get_by_label("Owner").fill("analyst")  # owners are workspace users
    page.get_by_label("Purpose").fill("Ranks job applications for recruiters <script>x</script>")
    page.get_by_role("button", name="Register system").click()
    page.wait_for_url(f"{server}/systems/resume-screener")
    assert "<script>x</script>" in page.locator("p.sub").inner_text()  # shown as text
    _shot(page, "03-system")

    page.goto(f"{server}/risks")
    page.get_by_label("System", exact=True).nth(1).fill("resume-screener")
    page.get_by_label("Title").fill("Lower selection rate for older applicants")
    page.get_by_label("Category").select_option(index=1)
    page.get_by_label("Likelihood (1–5)").fill("4")
    page.get_by_label("Severity (1–5)").fill("5")
    page.get_by_role("button", name="File risk").click()
    page.wait_for_url(f"{server}/risks/RISK-*")
    assert "critical" in page.content()
    _shot(page, "04-risk")
    page.goto(f"{server}/risks")
    _shot(page, "05-risk-register")

    page.goto(f"{server}/waivers")
    soon = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    page.locator("#w-system").select_option("resume-screener")
    page.get_by_label("Control", exact=True).fill("fairness.demographic_parity_ratio")
    page.get_by_label("Expires on").fill(soon)
    page.get_by_label("Rationale", exact=True).fill(
        "Labels for the new region arrive next quarter."
    )
    page.get_by_label("Compensating controls").fill("Human review of every rejection.")
    page.get_by_label("Residual risk", exact=True).fill("Low while humans review.")
    page.get_by_role("button", name="Request waiver").click()
    page.wait_for_url(f"{server}/waivers/WVR-*")
    assert "awaiting an approver" in page.content()
    _shot(page, "06-waiver-requested")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server}/login")

    _login(page, server, "approver")
    page.goto(f"{server}/waivers")
    page.get_by_text("Decide").click()
    page.get_by_label("Rationale").first.fill("Compensating control is adequate for 60 days.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    assert "approved by approver" in page.locator("table").first.inner_text()
    _shot(page, "07-waiver-approved")

    page.goto(f"{server}/reviews")
    _shot(page, "08-reviews")
    page.goto(f"{server}/audit")
    _shot(page, "09-audit")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    p2 = phone.new_page()
    _login(p2, server, "viewer")
    _shot(p2, "10-dashboard-phone")
    assert p2.evaluate("document.documentElement.scrollWidth") <= 400
    phone.close()
    ctx.close()
    # CSP violations and script errors show up as console errors.
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors


def _answer_intake(page: Page) -> None:
    """Answer every question of the intake form: text, the first option, first box, no."""
    form = page.locator("form[action='/reviews']")
    for area in form.locator("textarea").all():
        area.fill("Scores loan applications for loan officers; applicants are affected.")
    for select in form.locator("select[name^='q_']").all():
        values = list(select.locator("option").evaluate_all("os => os.map(o => o.value)"))
        select.select_option("no" if "no" in values else values[1])
    for fieldset in form.locator("fieldset").all():
        fieldset.locator("input[type=checkbox]").first.check()


def test_analysts_week_in_chromium(seeded: Any, server: str, browser: Any) -> None:
    """Intake → triage → evaluation → packet → approval → KPI, then an incident, in the browser."""
    errors: list[str] = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, server, "analyst")

    # Monday: a product team's intake request, triaged the same day.
    page.locator("nav.main").get_by_role("link", name="Reviews").click()
    page.locator("#i-system").select_option("credit")
    page.get_by_label("Title", exact=True).fill("Launch of credit scoring v1")
    _answer_intake(page)
    page.get_by_role("button", name="File intake request").click()
    page.wait_for_url(f"{server}/reviews/REV-*")
    review_url = page.url
    page.get_by_label("Checkpoint date").fill((dt.date.today() + dt.timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Triage").click()
    page.locator("#n-to").select_option("in_evaluation")
    page.get_by_role("button", name="Record step").click()
    assert "in evaluation" in page.locator("p.sub").inner_text()
    _shot(page, "20-week-review-in-evaluation")

    # Tuesday: the analyst records the evaluation's result file and reads its report inline.
    result = seeded.root / "credit-fairness-v1.1.json"
    result.write_text(json.dumps(fairness_result()), encoding="utf-8")
    page.get_by_role("link", name="credit", exact=True).first.click()
    page.get_by_text("Record an evaluation").click()
    page.get_by_label("Result file (JSON)").set_input_files(str(result))
    page.get_by_label("or a new model version").fill("1.1")
    page.get_by_label("Title (optional)").fill("Fairness of v1.1 by sex")
    _shot(page, "21-week-record-evaluation")
    page.get_by_role("button", name="Record evaluation").click()
    page.wait_for_url(f"{server}/evidence/EV-*")
    report = page.frame_locator("iframe.report")
    assert "Fairness of v1.1 by sex" in report.locator("h1").inner_text()
    _shot(page, "21-week-evaluation-report")

    # Wednesday: the packet frozen, and the review ready for review. The packet is below the
    # policy's completeness minimum, so the analyst acknowledges it (kept in the audit trail).
    page.goto(review_url)
    page.get_by_role("button", name="Build the review packet").click()
    assert "verified" in page.locator("#packet").locator("xpath=..").inner_text()
    page.locator("#n-to").select_option("ready_for_review")
    page.get_by_label("Move on although the packet is incomplete").check()
    page.get_by_role("button", name="Record step").click()
    assert "ready for review" in page.locator("p.sub").inner_text()
    packet = page.frame_locator("iframe.report")
    assert "Review packet: credit" in packet.locator("h1").inner_text()
    _shot(page, "22-week-packet")
    page.get_by_role("button", name="Log out").click()

    # Thursday: the approver signs the packet.
    _login(page, server, "approver")
    page.goto(review_url)
    page.get_by_label("Decision").select_option("approved")
    page.get_by_label("Rationale").fill("Gaps accepted for a pilot; residual risks accepted.")
    page.get_by_label("type REV-", exact=False).fill(review_url.rsplit("/", 1)[-1])
    page.get_by_role("button", name="Sign packet").click()
    page.wait_for_load_state()
    assert "approved by approver" in page.locator("main").inner_text()
    _shot(page, "23-week-approved")

    # Friday: the KPI counts the decision, and an incident comes in.
    page.locator("nav.main").get_by_role("link", name="Dashboard").click()
    decided = page.locator(".kpi", has_text="Reviews decided")
    assert decided.locator(".v").inner_text().strip() == "1"
    _shot(page, "24-week-dashboard")
    page.locator("nav.main").get_by_role("link", name="Incidents").click()
    page.get_by_label("Title").fill("Approval rates dropped for applicants under 25")
    page.get_by_label("Severity").select_option("sev2")
    page.get_by_label("Affected systems").select_option("credit")
    page.get_by_label("Affected cohorts (comma separated)").fill("age<25")
    page.get_by_role("button", name="Open incident").click()
    page.wait_for_url(f"{server}/incidents/INC-*")
    page.get_by_label("Add an entry").fill("Rolled back to the previous threshold.")
    page.get_by_role("button", name="Add to timeline").click()
    page.wait_for_load_state()
    assert "Rolled back to the previous threshold." in page.locator("ol.timeline").inner_text()
    _shot(page, "25-week-incident")
    ctx.close()
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors


AXE = Path(__file__).parent / "vendor" / "axe.min.js"
MAIN_PAGES = ["/", "/systems", "/systems/credit", "/risks", "/waivers", "/reviews", "/audit",
              "/incidents", "/actions"]  # fmt: skip


def test_axe_finds_no_serious_or_critical_violation(seeded: Any, server: str, browser: Any) -> None:
    # axe is injected by the test only; bypass_csp lets its inline script run in the page.
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = ctx.new_page()
    _login(page, server, "analyst")
    found: dict[str, list[str]] = {}
    pages = [*MAIN_PAGES, f"/incidents/{seeded.incident}", f"/reviews/{seeded.ready}",
             f"/evidence/{seeded.evidence}", "/systems/credit/coverage",
             f"/waivers/{seeded.waiver}", f"/risks/{seeded.risk}"]  # fmt: skip
    for path in pages:
        page.goto(f"{server}{path}")
        page.wait_for_load_state("networkidle")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document)")
        bad = [
            f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if bad:
            found[path] = bad
    ctx.close()
    assert not found, found
