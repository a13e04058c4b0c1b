"""The ISO/IEC 42001 statement of applicability: every Annex A control once, its justification
from the policy, its evidence from the store, its gaps as the review packet names them."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml

from assay import governance as g
from assay.cli import main
from assay.documents import render_document, system_completeness
from assay.errors import InputError
from assay.exports import SOA_COLUMNS, build_soa, soa_csv, soa_document
from assay.frameworks import get_framework, load_crosswalk
from assay.policy import load_policy

ISO = "iso-iec-42001-2023"


def test_every_control_once_with_its_evidence_and_justification(ws: g.Workspace) -> None:
    soa = build_soa(ws)
    annex = get_framework(ISO)
    assert [c.id for c in soa.controls] == [leaf.id for leaf in annex.leaves]
    assert len(soa.controls) == 38
    crosswalk = load_crosswalk()
    for control in soa.controls:
        mapped = crosswalk.mapping(ISO, control.id) is not None
        assert (control.status == "outside") == (not mapped), control.id
        assert control.included
    by_id = {c.id: c for c in soa.controls}
    # A.5.4: a fairness evaluation (EV-1) and the register (RISK-1, RISK-2) of adult-income
    impacts = by_id["A.5.4"]
    assert impacts.status == "implemented"
    assert {r for e in impacts.evidence for r in e.records} >= {"EV-1", "RISK-1"}
    assert impacts.gaps == ()
    # the policy requires fairness of high-tier systems: the justification says so
    assert "requires fairness (high tier at pre-launch; high tier at post-launch)" in (
        impacts.justification)  # fmt: skip
    assert by_id["A.2.2"].justification.startswith("Included: an organisational control")
    assert by_id["A.6.2.2"].objective == "A.6.2 AI system life cycle"


def test_gaps_are_the_packets(ws: g.Workspace) -> None:
    soa = build_soa(ws, systems=["adult-income"])
    packet = system_completeness(ws, "adult-income").gaps
    (robustness,) = [p for p in packet if p.document == "robustness"]
    verification = next(c for c in soa.controls if c.id == "A.6.2.4")
    assert verification.status == "partial"  # fairness is recorded, robustness is not
    (gap,) = verification.gaps
    assert (gap.document, gap.requirement, gap.owner, gap.fix) == (
        robustness.document, robustness.requirement, robustness.owner, robustness.fix)  # fmt: skip
    # a need the packet does not check is named from the crosswalk, owned by the system's owner
    deployment = next(c for c in soa.controls if c.id == "A.6.2.5")
    (approval,) = deployment.gaps
    signal = load_crosswalk().signals["review.approved"]
    assert (approval.document, approval.requirement, approval.owner, approval.fix) == (
        "framework", signal.label, "credit-team", signal.fix)  # fmt: skip
    assert len(soa.gaps) == len(set(soa.gaps))


def test_the_policy_excludes_with_a_justification(ws: g.Workspace, tmp_path: Path) -> None:
    why = "Assay's only customers are internal teams; no third-party supplier builds our AI."
    policy = ws.policy.model_copy(update={"soa_exclusions": {"A.10.3": why}})
    soa = build_soa(ws, policy=policy)
    (excluded,) = [c for c in soa.controls if not c.included]
    assert (excluded.id, excluded.status, excluded.justification) == (
        "A.10.3", "excluded", f"Excluded: {why}")  # fmt: skip
    assert (excluded.evidence, excluded.gaps) == ((), ())
    wrong = ws.policy.model_copy(update={"soa_exclusions": {"A.99": why}})
    with pytest.raises(InputError, match=r"excludes A\.99 .* its controls are A\.2\.2"):
        build_soa(ws, policy=wrong)
    shipped = Path(__file__).parents[2] / "src" / "assay" / "policy" / "default.yaml"
    text = yaml.safe_load(shipped.read_text("utf-8"))
    text["soa_exclusions"] = {"A.10.3": "  "}
    bad = tmp_path / "policy.yaml"
    bad.write_text(yaml.safe_dump(text), encoding="utf-8")
    with pytest.raises(InputError, match=r"A\.10\.3 has no justification"):
        load_policy(bad)


def test_document_and_csv(ws: g.Workspace) -> None:
    soa = build_soa(ws)
    doc = soa_document(soa)
    markdown = render_document(doc, "md").decode("utf-8")
    assert "## A.6.2 AI system life cycle" in markdown
    assert "GAP: robustness evidence, at most 90 days old (owner: credit-team)" in markdown
    html = render_document(doc, "html").decode("utf-8")
    assert html.count("<tr") > 38
    assert "<script" not in html
    frame = pl.read_csv(io.StringIO(soa_csv(soa)))
    assert tuple(frame.columns) == SOA_COLUMNS
    assert frame["control"].to_list() == [c.id for c in soa.controls]
    row = frame.filter(pl.col("control") == "A.6.2.4").row(0, named=True)
    assert (row["status"], row["included"]) == ("partial", True)
    assert "EV-1" in row["records"]
    assert "robustness evidence" in row["gaps"]


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
         ) -> tuple[int, str, str]:  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["assay", *args])
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_report_soa_command(
    ws: g.Workspace, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    where = ["--workspace", str(ws.root), "--db", db_url]
    code, out, err = _run(monkeypatch, capsys, "report", "soa", "-f", "csv", *where)
    assert code == 0, err
    assert pl.read_csv(io.StringIO(out)).height == 38
    target = tmp_path / "soa.html"
    code, out, err = _run(monkeypatch, capsys, "report", "soa", "--system", "adult-income",
                          "-o", str(target), *where)  # fmt: skip
    assert code == 0, err
    assert "Statement of applicability" in target.read_text("utf-8")
    code, _, err = _run(monkeypatch, capsys, "report", "soa", "--system", "nope", *where)
    assert code == 2
    assert "nope" in err
