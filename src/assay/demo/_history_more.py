"""The demo program's waivers, monitoring alerts and incidents (the rest of
:mod:`assay.demo._history_steps`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from assay.demo._history_cast import CAST, Cast
from assay.demo._history_steps import days
from assay.governance import (
    Workspace,
    add_action,
    approve_waiver,
    bundle_incident,
    close_incident,
    open_incident,
    reject_waiver,
    renew_waiver,
    request_waiver,
    revoke_waiver,
    update_incident,
)

if TYPE_CHECKING:
    from assay.demo._history import Plan
    from assay.demo._history_steps import Steps

__all__ = ["plan_alerts", "plan_incidents", "plan_waivers"]

WAIVERS_PER_QUARTER = 2
ALERTS_PER_QUARTER = 5


def plan_waivers(steps: Steps, plan: Plan, quarter: int) -> None:
    """Waivers requested by the analyst and decided by the approver: granted then left to
    expire, renewed, revoked early, or rejected."""
    rng = plan.rng
    for k in range(WAIVERS_PER_QUARTER):
        q = quarter + 0.1 + 0.4 * k
        system = rng.choice(plan.systems_by(q))
        # the first waiver of a quarter is still in force when the quarter ends
        life = rng.uniform(0.95, 1.3) if k == 0 else rng.uniform(0.5, 1.1)
        fate = rng.choices(("expire", "renew", "revoke", "reject"), weights=(40, 35, 12, 13))[0]
        if k == 0 and fate in ("revoke", "reject"):
            fate = "expire"
        key = f"waiver-{q:.2f}"
        expires = plan.timeline.day(q + life)
        if not plan.at(q, "sam", _request, steps, key, system, expires):
            continue
        if fate == "reject":
            plan.at(q + days(3), "mia", _decide, steps, key, False)
            continue
        plan.at(q + days(2), "mia", _decide, steps, key, True)
        if fate == "renew":
            later = plan.timeline.day(q + life + 0.6)
            renew_q = q + life - days(6)
            plan.at(renew_q, "sam", _renew, steps, key, later)
            plan.at(renew_q + days(2), "mia", _decide, steps, key, True)
        elif fate == "revoke":
            plan.at(q + life / 2, "mia", _revoke, steps, key)


def _request(ws: Workspace, steps: Steps, key: str, system: Cast, expires: dt.date) -> None:
    waiver = request_waiver(
        ws,
        system=system.name,
        control="fairness: equalized odds difference ≤ 0.10",
        rationale="The re-trained model is not ready; the current one stays in use meanwhile.",
        compensating_controls="A person reviews every decision for the affected groups.",
        residual_risk="Slower decisions for those groups while the waiver lasts.",
        expires_on=max(expires, ws.today() + dt.timedelta(days=7)),
    )
    steps.refs[key] = waiver.ref
    steps.counts["waivers"] += 1


def _decide(ws: Workspace, steps: Steps, key: str, approve: bool) -> None:
    if approve:
        approve_waiver(ws, steps.refs[key], rationale="Compensating controls are adequate.")
        steps.counts["waiver approvals"] += 1
    else:
        reject_waiver(ws, steps.refs[key], rationale="No compensating control for the gap.")
        steps.counts["waivers rejected"] += 1


def _renew(ws: Workspace, steps: Steps, key: str, expires: dt.date) -> None:
    renew_waiver(
        ws,
        steps.refs[key],
        expires_on=max(expires, ws.today() + dt.timedelta(days=7)),
        rationale="The new model's evaluation is still running.",
    )
    steps.counts["waivers renewed"] += 1


def _revoke(ws: Workspace, steps: Steps, key: str) -> None:
    revoke_waiver(ws, steps.refs[key], rationale="The gap was fixed; the waiver is not needed.")
    steps.counts["waivers revoked"] += 1


def plan_alerts(steps: Steps, plan: Plan, quarter: int) -> None:
    """Alerts raised by the systems' weekly monitors, each judged by the analyst."""
    rng = plan.rng
    for k in range(ALERTS_PER_QUARTER):
        q = quarter + 0.05 + 0.18 * k + rng.uniform(0, 0.05)
        name = rng.choice([s.name for s in CAST if s.lifecycle == "production"])
        verdict = "meaningful" if rng.random() < 0.65 else "noise"
        key = f"alert-{q:.3f}"
        plan.at(q, "sam", _alert, steps, key, name)
        judge = "ada" if k % 2 else "sam"
        plan.at(q + days(1), judge, _judge, steps, key, verdict)


def _alert(ws: Workspace, steps: Steps, key: str, system: str) -> None:
    """An alert of the system's monitor for last week's window (none when it has no monitor)."""
    from assay.governance import monitor_records

    monitor = steps.monitors.get(system)
    if monitor is None:
        return
    spec = monitor["spec"]
    rules = spec["alerts"]
    rule = rules[steps.counts["alerts"] % len(rules)]
    now = ws.now()
    monday = dt.datetime.combine(now.date(), dt.time(), tzinfo=dt.UTC)
    window = monday - dt.timedelta(days=monday.weekday() + 7)
    row = monitor_records.insert_alert(
        ws,
        {
            "monitor_id": monitor["id"],
            "rule": rule["name"],
            "metric": rule["metric"],
            "condition": rule["condition"],
            "severity": rule["severity"],
            "status": "firing",
            "first_breach_window": window,
            "opened_window": window,
            "last_window": window,
            "opened_value": 0.31,
            "last_value": 0.31,
            "owner": spec["owner"],
            "runbook": spec["runbook"],
            "message": f"{rule['metric']} {rule['condition']} in the week of {window.date()}",
            "opened_at": now,
        },
    )
    steps.refs[key] = str(row["id"])
    steps.counts["alerts"] += 1


def _judge(ws: Workspace, steps: Steps, key: str, verdict: str) -> None:
    from assay.governance import monitor_records

    if key not in steps.refs:
        return
    note = "Confirmed in the data." if verdict == "meaningful" else "Seasonal; no action."
    monitor_records.acknowledge(ws, int(steps.refs[key]), verdict, note)
    steps.counts[f"alerts {verdict}"] += 1


def plan_incidents(steps: Steps, plan: Plan) -> None:
    """Two incidents: one bundled within hours, one the next day; each closed with a
    postmortem."""
    incidents = (
        (1.45, "support-assistant", "sev2", 3.0,
         "The help chat showed a customer another customer's order number",
         "A retrieval cache keyed by session only; two sessions shared a key after a deploy.",
         "Cache keys now include the customer; a red-team prompt for cross-customer leaks runs "
         "in CI."),
        (2.55, "credit-limit", "sev3", 30.0,
         "Credit limits for applicants under 25 dropped after a feature pipeline change",
         "An income feature was silently rescaled upstream.",
         "Schema and range checks on the feature pipeline; the monitor alerts on that feature."),
    )  # fmt: skip
    for q, system, severity, bundle_hours, title, cause, lesson in incidents:
        key = f"incident-{system}"
        if not plan.at(q, "sam", _open, steps, key, title, system, severity):
            continue
        plan.at(q + days(bundle_hours / 24), "sam", _bundle, steps, key)
        plan.at(q + days(2), "ada", _mitigate, steps, key)
        plan.at(q + days(12), "ada", _close, steps, key, cause, lesson)


def _open(ws: Workspace, steps: Steps, key: str, title: str, system: str, sev: str) -> None:
    now = ws.now()
    incident = open_incident(
        ws,
        title=title,
        severity=sev,
        occurred_at=now - dt.timedelta(hours=5),
        detected_at=now,
        systems=[system],
        commander="ada",
        summary=title + ".",
    )
    steps.refs[key] = incident.ref
    steps.counts["incidents"] += 1


def _bundle(ws: Workspace, steps: Steps, key: str) -> None:
    ref = steps.refs[key]
    folder = steps.folder / "incidents"
    folder.mkdir(parents=True, exist_ok=True)
    bundle_incident(ws, ref, out=folder / f"{ref}-bundle.zip")


def _mitigate(ws: Workspace, steps: Steps, key: str) -> None:
    ref = steps.refs[key]
    update_incident(
        ws, ref, status="mitigated", immediate_mitigations="Rolled back to the previous version."
    )
    add_action(
        ws,
        title=f"Add a regression test for {ref}",
        owner="sam",
        due_date=ws.today() + dt.timedelta(days=14),
        incident=ref,
    )


def _close(ws: Workspace, steps: Steps, key: str, cause: str, lesson: str) -> None:
    close_incident(ws, steps.refs[key], root_cause=cause, postmortem=lesson)
