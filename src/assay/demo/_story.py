"""What ``assay demo`` prints once it has run: the figures of every step and the commands that
show each of them again in the demo's folder."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assay.demo import _checks as checks
from assay.demo import _governance as gov
from assay.demo._history import History
from assay.demo._run import DemoRun
from assay.demo._serve import print_web_howto
from assay.exports import SOA_STATUSES


def print_story(run: DemoRun, console: Console) -> None:
    """Print what the demo found and where everything it wrote is (after the fairness table)."""
    _print_history(console, run.history)
    _print_governance(console, run.evidence, run.risks, run.kpis)
    _print_data(console, run.data_quality, run.monitoring)
    _print_checks(console, run.pii, run.redteam)
    _print_rag(console, run.rag)
    _print_gate(console, run.gate)
    _print_documents(console, run.robustness, run.documents, run.pdf_note)
    coverage = ", ".join(
        f"{fw.framework.short_name} {fw.percent:.1f}%" for fw in run.exports.coverage.frameworks
    )
    console.print(
        f"\n[bold]Framework coverage[/bold] of {gov.SYSTEM}: {coverage} "
        f"(`assay frameworks coverage {gov.SYSTEM}`)"
    )
    soa = run.exports.statement
    if soa is not None:
        counts = ", ".join(f"{soa.count(k)} {label}" for k, label in SOA_STATUSES.items()
                           if soa.count(k))  # fmt: skip
        console.print(
            f"[bold]ISO/IEC 42001 statement of applicability[/bold]: {len(soa.controls)} Annex A "
            f"controls, {counts} (`assay report soa`)"
        )
    _print_folder(console, run)
    print_web_howto(console, run.folder, logins=run.web_logins)


def _print_history(console: Console, history: History) -> None:
    """The program history the demo wrote before its own system."""
    c = history.counts
    console.print(
        f"\n[bold]Program history[/bold] {history.start:%Y-%m-%d} to {history.end:%Y-%m-%d}, "
        f"written at the time each step happened by the user whose role takes it: "
        f"{c.get('systems', 0)} systems, {c.get('reviews', 0)} reviews "
        f"({c.get('returned_for_rework', 0)} returned for rework), {c.get('risks', 0)} risks, "
        f"{c.get('actions closed', 0)} actions closed, {c.get('waivers', 0)} waivers "
        f"({c.get('waivers renewed', 0)} renewed), {c.get('alerts', 0)} monitoring alerts, "
        f"{c.get('incidents', 0)} incidents (`assay kpis`, `assay review list`)"
    )


def _print_folder(console: Console, run: DemoRun) -> None:
    """What the demo trained and evaluated, and every file and folder it wrote."""
    console.print(
        f"\n[bold]Demo finished.[/bold] Trained on {run.model.train_rows:,} rows, evaluated "
        f"{run.fairness.n:,} held-out rows. Everything is in [bold]{run.folder.resolve()}[/bold]:\n"
        "  fairness.html  the evaluation report (open it in a browser)\n"
        "  fairness.md    the same as Markdown\n"
        "  fairness.json  the result (schema assay.fairness/v1)\n"
        f"  {run.predictions.name}  the scored test split\n"
        "  quality.html   data quality and representativeness (against the 1990 census)\n"
        "  pii_adult.html, pii_support_log.html  personal-data scans\n"
        "  genai_log_scan.md  harmful output in the support log's replies, by day and channel\n"
        "  robustness.html  the robustness and stress-test report\n"
        "  mitigation.json, mitigation_frontier.svg, mitigation_thresholds.json  per-group "
        "thresholds by sex: before/after and the frontier\n"
        "  monitoring/    spec, reference profile, weekly batches, monitoring-report.html\n"
        "  redteam/       the red-team run: report.html, report.md, junit.xml, responses\n"
        "  rag/           the RAG evaluations (honest and careless modes): reports, summaries\n"
        "  documents/     model card, datasheet, risk assessment, review packet "
        f"({'HTML, Markdown' if run.pdf_note else 'HTML, PDF'})\n"
        "  exports/       CycloneDX ML-BOM, OSCAL assessment results and POA&M, coverage,\n"
        "                 ISO/IEC 42001 statement of applicability (soa.html, soa.md, soa.csv)\n"
        "  .assay/        the workspace: run `assay system show adult-income`, "
        "`assay risk list` or `assay audit verify` inside the folder"
    )


def _print_governance(console: Console, evidence: Any, risks: list[Any], kpis: Any) -> None:
    console.print(
        f"\n[bold]Evidence[/bold] {evidence.ref}: {evidence.title} — model "
        f"{gov.SYSTEM} {gov.MODEL_VERSION}, dataset {evidence.dataset_digest or '—'}, "
        f"code {evidence.code_commit or 'commit unknown'}"
    )
    table = Table(
        title="\nRisks opened for failed verdicts", title_justify="left", title_style="bold"
    )
    for col in ("risk", "title", "residual rating", "owner", "due"):
        table.add_column(col, overflow="fold")
    for risk in risks:
        table.add_row(risk.ref, risk.title, str(risk.rating), risk.owner, str(risk.due_date))
    console.print(table)
    kpi_table = Table(
        title=f"\nProgram KPIs, {kpis.start} to {kpis.end}",
        title_justify="left",
        title_style="bold",
    )
    for col in ("KPI", "value", "n", "target"):
        kpi_table.add_column(col)
    for kpi in kpis.kpis:
        value = "—" if kpi.value is None else f"{kpi.value:,.2f} {kpi.unit}".strip()
        kpi_table.add_row(kpi.name, value, str(kpi.n), str(kpi.target or "—"))
    console.print(kpi_table)


def _print_data(console: Console, data_quality: Any, monitoring: dict[str, Any]) -> None:
    console.print(
        f"\n[bold]Data quality[/bold] of UCI Adult: {len(data_quality.warnings)} warning(s)"
    )
    for warning in data_quality.warnings:
        console.print(
            f"  [yellow]{escape(warning['check'])}[/yellow]: {escape(warning['message'])}"
        )
    run = monitoring["run"]
    console.print(
        f"\n[bold]Monitoring[/bold]: {len(run.windows)} weekly window(s), "
        f"{len(run.opened)} alert(s) opened, run status {run.status}; "
        f"report monitoring/{monitoring['report'].name}"
    )
    for alert in run.opened[:6]:
        # the first sentence: metric, value, threshold, window; the report has the rest
        headline = str(alert.get("message", alert)).split(". ")[0].rstrip(".")
        console.print(f"  [red]alert[/red] {escape(headline)}.")


def _print_checks(console: Console, pii: checks.PiiFindings, redteam: Any) -> None:
    risk = pii.adult.risk
    if risk is not None:
        console.print(
            f"\n[bold]Personal data[/bold] in Adult: k-anonymity {risk.k} on age, sex, race and "
            f"native country; {risk.unique_share:.1%} of records are unique."
        )
    found = ", ".join(f"{k} {v:,}" for k, v in sorted(pii.support_log.entities.items()))
    console.print(f"Support-chat log: {found or 'nothing found'} (values never printed).")
    scan = pii.replies.to_dict()
    overall = scan["overall"]
    console.print(
        f"Agents' replies in that log, scanned for harmful output: {scan['n_scanned']:,} replies, "
        f"harmful {overall['harmful']:,}; {len(scan['flagged'])} day-and-channel change(s) "
        "against the first day flagged."
    )
    result = redteam.result
    rate = result.pass_rate
    console.print(
        f"\n[bold]Red team[/bold] of {checks.ASSISTANT}: {result.n} cases, pass rate "
        f"{'—' if rate is None else f'{rate:.1%}'} ({_counts(result.counts)})."
    )


def _print_rag(console: Console, rag: dict[str, Any]) -> None:
    def shown(run: Any, name: str) -> str:
        m = run.result.metric(name)
        return f"{m['value']:.0%} ({m['ci']['low']:.0%}–{m['ci']['high']:.0%})"

    console.print("\n[bold]RAG evaluation[/bold] of the demo policy assistant (rag-policy suite):")
    for mode, run in rag.items():
        console.print(
            f"  {mode:<8} groundedness {shown(run, 'groundedness')}, abstains when the corpus "
            f"lacks the answer {shown(run, 'abstention_rate')}  (rag/{mode}/report.html)",
            highlight=False,
        )


def _counts(counts: dict[str, int]) -> str:
    """``{'pass': 3, 'fail': 1, 'error': 0, ...}`` as words: ``3 passed, 1 failed, 0 errored``."""
    words = {"pass": "passed", "fail": "failed", "error": "errored", "pending": "not run"}
    return ", ".join(f"{counts[k]:,} {w}" for k, w in words.items() if k in counts)


def _print_documents(console: Console, robustness: Any, documents: Any, pdf_note: str) -> None:
    probes = robustness.summary()
    verdicts = ", ".join(f"{row['probe']} {row['verdict']}" for row in probes.iter_rows(named=True))
    console.print(
        f"\n[bold]Robustness[/bold] ({len(probes)} probes, outcome {robustness.outcome}): "
        f"{escape(verdicts)}"
    )
    packet, state = documents.packet, documents.state
    gaps = state.gaps
    console.print(
        f"\n[bold]Review packet[/bold] {packet.record.ref}, sha256 {packet.sha256}: completeness "
        f"{state.score:.1f}% "
        f"({'meets' if state.passes else 'below'} the policy minimum; "
        f"`assay completeness {packet.review}` recomputes it)."
    )
    for gap in gaps[:12]:
        console.print(
            f"  gap: {escape(gap.document)} — {escape(gap.requirement)} (owner {gap.owner})"
        )
    if len(gaps) > 12:
        console.print(
            f"  … and {len(gaps) - 12} more: `assay packet show {packet.record.ref}` lists them all"
        )
    if pdf_note:
        console.print(f"[yellow]note:[/yellow] {escape(pdf_note)}")


def _print_gate_run(console: Console, label: str, result: Any, shown: int = 12) -> None:
    console.print(
        f"  {label}: {result.decision} (exit {result.exit_code}), "
        f"{len(result.failures)} of {len(result.outcomes)} rules failed"
    )
    for failure in result.failures[:shown]:
        console.print(
            f"    [red]✗[/red] {escape(str(failure.rule))}: {escape(str(failure.subject))} — "
            f"{escape(str(failure.value))}"
        )
    if len(result.failures) > shown:
        console.print(f"    … and {len(result.failures) - shown} more")


def _print_gate(console: Console, gate: gov.GateStory) -> None:
    target = f"--system {gov.SYSTEM} --model-version {gov.MODEL_VERSION}"
    console.print(
        f"\n[bold]CI gate[/bold] for {gov.SYSTEM} {gov.MODEL_VERSION}, its "
        f"{', '.join(gate.rules)} rules only "
        f"(`assay gate {target} --rules {','.join(gate.rules)}`):"
    )
    _print_gate_run(console, "before the waiver", gate.before)
    _print_gate_run(
        console,
        f"after {gate.waiver} was approved by {gov.APPROVER} (not its requester)",
        gate.after,
    )
    console.print(
        f"  filed as evidence {gate.recorded.ref}: {escape(gate.recorded.title)} "
        f"(`assay evidence show {gate.recorded.ref}`)"
    )
    _print_gate_run(console, f"every rule (`assay gate {target}`)", gate.full)
