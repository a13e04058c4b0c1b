"""Program KPIs over a quarter, from a scenario whose expected values are computed by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from gov_helpers import MINIMAL_ANSWERS, Clock, as_user, credit_system, fairness_result

from assay import governance as g
from assay.documents import build_packet, write_sections
from assay.errors import InputError


def _scenario(ws: g.Workspace, clock: Clock, tmp_path: Path) -> None:
    bob, cy, rex = as_user(ws, "bob"), as_user(ws, "cy"), as_user(ws, "rex")

    def waiver(expires: str) -> str:
        return g.request_waiver(
            cy,
            system="credit",
            control="dp >= 0.8",
            rationale="r",
            compensating_controls="c",
            residual_risk="m",
            expires_on=expires,
        ).ref

    def evaluation(commit: str | None = "c" * 40) -> None:
        if commit is None:
            g.add_evidence(
                ws,
                kind="fairness",
                data=b"{}",
                system="credit",
                model_version="1",
                dataset_digest=fairness_result()["provenance"]["dataset"]["digest"],
            )
        else:
            g.record_evaluation(
                ws,
                fairness_result(),
                kind="fairness",
                system="credit",
                model_version="1",
                code_commit=commit,
            )

    full = {"intended_use": "u", "out_of_scope_use": "o", "deployment_context": "d"}
    clock.set("2024-12-01T09:00:00")
    credit_system(ws, lifecycle="production")
    g.add_system(
        ws, "tickets", purpose="Ranks tickets", owner="cy", lifecycle_status="production", **full
    )
    g.add_system(ws, "fraud", purpose="Flags fraud", owner="dee", lifecycle_status="validation")
    g.add_system(ws, "lab", purpose="Experiments", owner="bob")
    monitoring = {"metrics": ["psi"], "alerts": ["#oncall"]}
    g.add_component(ws, "tickets", "monitoring", "drift", "1", details=monitoring)
    g.add_component(ws, "lab", "monitoring", "drift", "1", details=monitoring)
    # tickets' model card is complete for the minimal tier (details, intended use, limitations)
    g.add_model_version(ws, "tickets", "1")
    write_sections(ws, "model_card", "tickets", sections={"limitations": "Small sample."})
    g.add_risk(
        ws, system="fraud", title="old", category="1.1", likelihood=5, severity=5, owner="cy"
    )
    evaluation()
    g.approve_waiver(bob, waiver("2025-05-30"), rationale="ok")  # W0: active at the end
    clock.set("2025-01-05T09:00:00")
    g.approve_waiver(bob, waiver("2025-03-15"), rationale="ok")  # expires within the period
    clock.set("2025-01-06T09:00:00")
    a = g.open_review(ws, "tickets", answers=MINIMAL_ANSWERS).ref
    clock.set("2025-01-08T09:00:00")
    g.triage_review(ws, a, owner="cy", due_date="2025-01-31")
    g.advance_review(ws, a, "in_evaluation")
    clock.set("2025-01-10T12:00:00")
    b = g.open_review(ws, "credit", answers=MINIMAL_ANSWERS).ref
    clock.set("2025-01-13T12:00:00")
    g.triage_review(ws, b, owner="cy", due_date="2025-02-07")
    g.advance_review(ws, b, "in_evaluation")
    clock.set("2025-01-15T09:00:00")
    revoked = waiver("2025-06-01")
    g.approve_waiver(bob, revoked, rationale="ok")
    clock.set("2025-01-20T09:00:00")
    evaluation()
    clock.set("2025-01-24T09:00:00")
    build_packet(ws, a)  # 6 of 6 items: meets the minimum
    g.advance_review(ws, a, "ready_for_review")
    clock.set("2025-01-27T09:00:00")
    g.advance_review(bob, a, "approved", rationale="ok")
    clock.set("2025-02-01T09:00:00")
    g.approve_waiver(bob, waiver("2025-06-30"), rationale="ok")  # W1: active at the end
    clock.set("2025-02-03T09:00:00")
    late = g.add_risk(
        ws, system="fraud", title="late", category="1.1", likelihood=5, severity=4, owner="cy"
    ).ref
    g.add_risk(
        ws, system="fraud", title="high only", category="1.1", likelihood=3, severity=4, owner="cy"
    )
    acts = [
        g.add_action(ws, title=f"a{i}", owner="cy", due_date=due, risk=late).ref
        for i, due in enumerate(
            ["2025-02-10", "2025-02-10", "2025-03-10", "2025-03-15", "2025-05-01"], start=1
        )
    ]
    clock.set("2025-02-09T09:00:00")
    note = g.add_evidence(ws, kind="attachment", data=b"1").ref
    g.update_action(ws, acts[0], status="done", evidence=note)
    clock.set("2025-02-12T09:00:00")
    note = g.add_evidence(ws, kind="attachment", data=b"2").ref
    g.update_action(ws, acts[1], status="done", evidence=note)
    clock.set("2025-02-14T12:00:00")
    build_packet(ws, b)  # no limitations in credit's card: 5 of 6 items, below the minimum
    g.advance_review(ws, b, "ready_for_review", acknowledge_incomplete=True)
    clock.set("2025-02-17T09:00:00")
    g.advance_review(rex, b, "returned_for_rework", rationale="no limitations in the card")
    clock.set("2025-02-18T09:00:00")
    write_sections(ws, "model_card", "credit", sections={"limitations": "Census data only."})
    g.advance_review(ws, b, "in_evaluation")
    clock.set("2025-02-20T09:00:00")
    build_packet(ws, b)  # 6 of 6
    g.advance_review(ws, b, "ready_for_review")
    clock.set("2025-02-21T09:00:00")
    g.advance_review(bob, b, "approved", rationale="ok")
    clock.set("2025-02-25T09:00:00")
    evaluation()
    clock.set("2025-03-01T09:00:00")
    g.revoke_waiver(bob, revoked, rationale="fixed")
    clock.set("2025-03-01T10:00:00")
    i1 = g.open_incident(
        ws, title="i1", severity="sev3", occurred_at="2025-03-01T09:00", systems=["tickets"]
    ).ref
    clock.set("2025-03-01T14:00:00")
    g.bundle_incident(ws, i1, out=tmp_path / "i1.zip")
    clock.set("2025-03-03T09:00:00")
    c = g.open_review(ws, "tickets", answers=MINIMAL_ANSWERS).ref
    clock.set("2025-03-05T09:00:00")
    evaluation(commit=None)
    clock.set("2025-03-07T09:00:00")
    g.triage_review(ws, c, owner="cy", due_date="2025-03-20")
    clock.set("2025-03-10T09:00:00")
    g.add_risk(
        ws, system="tickets", title="late 2", category="1.1", likelihood=4, severity=5, owner="cy"
    )
    g.add_risk(
        ws, system="lab", title="early", category="1.1", likelihood=5, severity=5, owner="cy"
    )
    clock.set("2025-03-10T10:00:00")
    i2 = g.open_incident(
        ws, title="i2", severity="sev3", occurred_at="2025-03-10T08:00", systems=["credit"]
    ).ref
    clock.set("2025-03-12T10:00:00")
    g.bundle_incident(ws, i2, out=tmp_path / "i2.zip")
    clock.set("2025-03-14T09:00:00")
    g.update_action(ws, acts[3], status="cancelled", note="superseded by a4")
    clock.set("2025-03-20T09:00:00")
    waiver("2025-07-01")  # requested, never approved
    clock.set("2025-03-25T09:00:00")
    evaluation()
    clock.set("2025-04-02T10:00:00")
    i3 = g.open_incident(
        ws, title="i3", severity="sev4", occurred_at="2025-04-02T09:00", systems=["credit"]
    ).ref
    g.bundle_incident(ws, i3, out=tmp_path / "i3.zip")
    clock.set("2025-04-10T09:00:00")
    evaluation()
    clock.set("2025-04-15T12:00:00")


def test_quarter_kpis(ws: g.Workspace, clock: Clock, tmp_path: Path) -> None:
    _scenario(ws, clock, tmp_path)
    report = g.compute_kpis(ws, "2025-01-01", "2025-03-31")
    values = {k.key: (k.value, k.n) for k in report.kpis}
    expected = {
        # Packets first ready in Q1: A (24 Jan) and B (14 Feb; its second submission is rework).
        "reviews_completed": (2.0, 2),
        "reviews_decided": (2.0, 2),
        # Due in Q1: A ready before 31 Jan with a complete packet; B ready on 14 Feb (already
        # late) below the minimum, acknowledged, complete only on 20 Feb; C never ready by 20 Mar.
        "on_time_readiness": (33.33, 3),
        # Packets submitted: A 6/6, B 5/6 = 83.3% (one decimal, as every review figure), B again
        # 6/6 -> mean of 100, 83.3 and 100.
        "evidence_completeness": (94.43, 3),
        # Out of ready_for_review: A approved, B returned, B approved.
        "rework_rate": (33.33, 3),
        # Business days to triage: A Mon->Wed 2.0, B Fri noon->Mon noon 1.0, C Mon->Fri 4.0.
        "time_to_triage": (2.0, 3),
        # Triage to first ready: A 16 days, B 13 Jan noon -> 14 Feb noon = 32 days.
        "cycle_time": (24.0, 2),
        # Critical when found, while in validation (fraud) or production (tickets).
        "late_critical_findings": (2.0, 2),
        # Due in Q1: a1 on time, a2 late, a3 open past due; a4 cancelled; a5 due in May.
        "remediation_closure_on_time": (33.33, 3),
        # Granted in Q1: 5 Jan, 15 Jan, 1 Feb.
        "waivers_granted": (3.0, 3),
        # In force on 1 Apr 00:00: granted 1 Dec 09:00 and 1 Feb 09:00; as of the period's last
        # day, 31 Mar, they are 120 and 58 whole days old (median 89); one is 90 days or older.
        "waivers_active": (2.0, 2),
        "waiver_age_median": (89.0, 2),
        "waivers_over_aged": (1.0, 2),
        # Production systems: credit (no monitoring) and tickets (monitored).
        "monitoring_coverage": (50.0, 2),
        # No monitor has raised an alert.
        "alert_precision": (None, 0),
        # Detection to first bundle: 4 h and 48 h.
        "incident_first_bundle": (26.0, 2),
        "incident_bundle_same_day": (50.0, 2),
        # Q1 evidence, derived records (packets, bundles) aside: 3 evaluations with commit; no
        # commit, credit's card text and two remediation notes are not traceable: 3 of 7.
        "evidence_traceability": (42.86, 7),
    }
    assert values == expected
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert rows[0]["key"] == "reviews_completed"
    assert rows[0]["start"] == "2025-01-01"
    assert report.to_dict()["kpis"][2]["value"] == 33.33


def test_empty_period_has_no_values(ws: g.Workspace) -> None:
    report = g.compute_kpis(ws, "2025-01-01", "2025-01-31")
    assert report.get("on_time_readiness").value is None
    assert report.get("reviews_completed").value == 0.0
    with pytest.raises(InputError, match="before"):
        g.compute_kpis(ws, "2025-02-01", "2025-01-01")


def _monitor(ws: g.Workspace, system: str, verdicts: list[str | None]) -> None:
    from assay.store import tables

    now = ws.now()
    with ws.store.write(actor="ada", action="monitor.run", entity_type="monitor") as tx:
        mid = tx.insert(
            tables.monitors,
            {
                "name": f"{system}-drift",
                "system": system,
                "spec_sha256": "0" * 64,
                "spec": {"metrics": ["psi"]},
                "created_at": now,
                "created_by": "ada",
                "updated_at": now,
                "updated_by": "ada",
            },
        )["id"]
        for k, verdict in enumerate(verdicts):
            tx.insert(
                tables.monitor_alerts,
                {
                    "monitor_id": mid,
                    "rule": "psi",
                    "metric": "psi",
                    "condition": "> 0.2",
                    "severity": "warning",
                    "status": "resolved",
                    "first_breach_window": now,
                    "opened_window": now + dt.timedelta(hours=k),
                    "last_window": now,
                    "resolved_window": now,
                    "opened_value": 0.3,
                    "last_value": 0.1,
                    "owner": "cy",
                    "runbook": "r",
                    "message": "m",
                    "opened_at": now,
                    "resolved_at": now,
                    "verdict": verdict,
                    "verdict_by": "cy" if verdict else None,
                    "verdict_at": now if verdict else None,
                    "verdict_note": None,
                    "incident_id": None,
                    "action_id": None,
                },
            )


def test_alert_precision_and_monitors_count_for_coverage(ws: g.Workspace, clock: Clock) -> None:
    for name in ("a", "b", "c"):
        g.add_system(ws, name, purpose="p", owner="cy", lifecycle_status="production")
    # Three acknowledged alerts, two meaningful; one not yet acknowledged does not count.
    _monitor(ws, "a", ["meaningful", "noise", "meaningful", None])
    report = g.compute_kpis(ws, "2025-03-01", "2025-03-31")
    assert (report.get("alert_precision").value, report.get("alert_precision").n) == (66.67, 3)
    assert (report.get("monitoring_coverage").value, report.get("monitoring_coverage").n) == (
        33.33,
        3,
    )
    assert g.verify_audit(ws).ok


def test_a_packet_below_the_minimum_never_counts_as_ready(ws: g.Workspace, clock: Clock) -> None:
    """Ready on time, but with a packet below the policy's minimum (acknowledged): not ready."""
    clock.set("2025-01-06T09:00:00")
    g.add_system(ws, "tickets", purpose="Ranks tickets", owner="ada")
    a = g.open_review(ws, "tickets", answers=MINIMAL_ANSWERS).ref
    g.triage_review(ws, a, owner="cy", due_date="2025-01-31")
    g.advance_review(ws, a, "in_evaluation")
    clock.set("2025-01-24T09:00:00")
    packet = build_packet(ws, a)
    # purpose only: no intended or out-of-scope use, no model version, no card text: 1 of 6
    assert packet.record.summary["completeness"] == 16.7
    g.advance_review(ws, a, "ready_for_review", acknowledge_incomplete=True)
    report = g.compute_kpis(ws, "2025-01-01", "2025-03-31")
    assert (report.get("reviews_completed").value, report.get("reviews_completed").n) == (1.0, 1)
    assert (report.get("on_time_readiness").value, report.get("on_time_readiness").n) == (0.0, 1)
    assert report.get("evidence_completeness").value == 16.7
    assert report.get("evidence_completeness").target == "≥ 90% (the policy's minimum)"
