"""The gate over real workspaces (SQLite, and PostgreSQL when that lane runs)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from gate_support import MODEL, SYSTEM, fairness_payload, predictions, write_policy

from assay.errors import InputError, NotFoundError, SchemaError
from assay.gate import run_gate


def _failed(result: Any) -> set[str]:
    return {o.rule for o in result.failures}


def test_results_only_pass_and_fail(tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "p.yaml")
    fair = predictions(tmp_path / "fair.csv", rate_a=0.4, rate_b=0.4, n=20000)
    biased = predictions(tmp_path / "biased.csv", rate_a=0.5, rate_b=0.2)
    ok, _ = run_gate(policy=policy, results=[fairness_payload(fair)])
    assert ok.passed, ok.failures
    bad, _ = run_gate(policy=policy, results=[fairness_payload(biased)])
    assert not bad.passed
    assert bad.exit_code == 1
    (failure,) = bad.failures
    assert failure.rule == "fairness.demographic_parity_difference"
    # Hand-computed: selection rates 0.5 and 0.2, so the difference is near 0.3.
    assert abs(float(failure.value) - 0.3) < 0.05
    assert failure.threshold == "at most 0.1"
    assert failure.fix


def test_insufficient_evidence_never_passes(tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "p.yaml")
    # 0.10 vs 0.15 on 200 rows: the interval straddles the 0.10 limit.
    tiny = predictions(tmp_path / "tiny.csv", rate_a=0.10, rate_b=0.15, n=200)
    result, _ = run_gate(policy=policy, results=[fairness_payload(tiny)])
    assert not result.passed
    assert "insufficient evidence" in result.failures[0].message
    # the fix says how many rows per group would decide it, from the verdict's sample_size
    assert "rows per group would decide this with 80% power" in result.failures[0].fix


def test_wrong_schema_and_bad_policy_are_errors(tmp_path: Path) -> None:
    wrong = tmp_path / "drift.json"
    wrong.write_text(json.dumps({"schema": "assay.drift/v1"}))
    with pytest.raises(SchemaError, match=r"drift\.json.*assay\.fairness/v1"):
        run_gate(results=[wrong])
    bad = tmp_path / "bad.yaml"
    bad.write_text(POLICY_TYPO)
    with pytest.raises(SchemaError, match=r"bad\.yaml, line 5.*no_such_metric"):
        run_gate(policy=bad, results=[wrong])


POLICY_TYPO = """\
schema: assay.policy/v1
name: typo
thresholds:
  fairness:
    no_such_metric: 0.1
tiers:
  high:
    checkpoints:
      pre-launch: {}
"""


def test_unknown_model_version_is_an_error(gated: Any, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"'clf@9'.*registered: clf@1.0"):
        run_gate(gated, system=SYSTEM, model_version="clf@9")
    with pytest.raises(NotFoundError, match="models:/clf/9"):
        run_gate(gated, model_uri="models:/clf/9")
    with pytest.raises(InputError, match="workspace"):
        run_gate(system=SYSTEM, model_version=MODEL)


def test_governance_rules_fail_then_pass_after_waiver(
    gated: Any, tmp_path: Path, db_url: str
) -> None:
    from assay import governance as g

    policy = write_policy(tmp_path / "p.yaml")
    risk = g.add_risk(
        gated, system=SYSTEM, title="Selection rates differ by sex", category="mit:1.1",
        likelihood=4, severity=4, owner="ada",
    )  # fmt: skip
    result, _ = run_gate(gated, policy=policy, system=SYSTEM, model_version=MODEL)
    assert _failed(result) == {"fairness.demographic_parity_difference", "risk.open"}
    risk_fail = next(o for o in result.failures if o.rule == "risk.open")
    assert risk.ref in risk_fail.subject
    assert "high" in risk_fail.value

    # The same by registry URI.
    by_uri, _ = run_gate(gated, policy=policy, model_uri="models:/clf/1")
    assert _failed(by_uri) == _failed(result)

    # A waiver for the risk and one for the fairness limit, each approved by someone else.
    g.add_user(gated, "bo", role="approver")
    until = gated.today() + dt.timedelta(days=30)
    w = g.request_waiver(
        gated, system=SYSTEM, control="fairness.demographic_parity_difference",
        rationale="Retraining scheduled", compensating_controls="Manual review of declines",
        residual_risk="medium", expires_on=until, risk=risk.ref,
    )  # fmt: skip
    bo = g.open_workspace(gated.root, db_url=db_url, user="bo")
    try:
        g.approve_waiver(bo, w.ref, rationale="Accepted for 30 days")
    finally:
        bo.close()
    result, _ = run_gate(gated, policy=policy, system=SYSTEM, model_version=MODEL)
    assert "risk.open" not in _failed(result)
    waived = next(o for o in result.outcomes if o.rule == "risk.open")
    assert w.ref in waived.value
    # The waiver's control is the fairness limit, so the limit is waived too: the gate passes.
    assert result.passed, result.failures
    fair = next(o for o in result.outcomes if o.rule.startswith("fairness."))
    assert f"waived by {w.ref}" in fair.value
    only, _ = run_gate(
        gated, policy=policy, system=SYSTEM, model_version=MODEL, rules=("risk", "fairness")
    )
    assert {o.rule.split(".")[0] for o in only.outcomes} == {"risk", "fairness"}
    with pytest.raises(InputError, match="Unknown gate rules: vibes"):
        run_gate(gated, policy=policy, system=SYSTEM, model_version=MODEL, rules=("vibes",))

    # The waiver expires while the risk is still open: both rules fail again.
    gated.clock = lambda: dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
    result, _ = run_gate(gated, policy=policy, system=SYSTEM, model_version=MODEL)
    assert {"risk.open", "waiver.expired"} <= _failed(result)


def test_stale_and_missing_evidence(gated: Any, tmp_path: Path) -> None:
    from assay import governance as g

    policy = write_policy(tmp_path / "p.yaml")
    # 91 days after the evidence was recorded, on the workspace's clock (not the test's, which
    # could be a day further on by the time it is read)
    recorded = max(e.created_at for e in g.list_evidence(gated, system=SYSTEM))
    gated.clock = lambda: recorded + dt.timedelta(days=91)
    result, _ = run_gate(gated, policy=policy, system=SYSTEM, model_version=MODEL)
    stale = next(o for o in result.outcomes if o.rule == "evidence.fairness")
    assert not stale.passed
    assert "91 days old" in stale.value

    g.add_model_version(gated, SYSTEM, "2.0", name="clf")
    result, _ = run_gate(gated, policy=policy, system=SYSTEM, model_version="clf@2.0")
    assert {"fairness.result", "evidence.fairness"} <= _failed(result)


def test_completeness_and_approval(gated: Any, tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "p.yaml", minimum=0.95, approvers="approver")
    result, _ = run_gate(gated, policy=policy, system=SYSTEM, model_version=MODEL)
    by_rule = {o.rule: o for o in result.outcomes}
    assert not by_rule["completeness"].passed
    assert by_rule["completeness"].threshold == "at least 95%"
    assert "assay system update" in by_rule["completeness"].fix
    assert not by_rule["approval"].passed
    assert by_rule["approval"].value == "none"


def test_record_stores_the_decision(gated: Any, tmp_path: Path) -> None:
    from assay import governance as g

    policy = write_policy(tmp_path / "p.yaml")
    _result, ref = run_gate(gated, policy=policy, system=SYSTEM, model_version=MODEL, record=True)
    assert ref is not None
    stored = json.loads(g.evidence_content(gated, ref))
    assert stored["schema"] == "assay.gate/v1"
    assert stored["decision"] == "fail"
    assert stored["model_version"] == MODEL
    assert g.get_evidence(gated, ref).kind == "gate"
