"""``assay demo``: the whole workflow end to end on the UCI Adult data, in a folder it names.

It trains a scikit-learn model with a fixed seed (the ``[demo]`` extra), evaluates it for sex, race
and their intersection, and writes the reports. Every step is a library call a user could make.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from assay.cli._console import make_console
from assay.cli._fairness_table import print_fairness
from assay.datasets import ADULT_LABEL, ADULT_POSITIVE_LABEL, load_adult
from assay.demo import _checks as checks
from assay.demo import _governance as gov
from assay.errors import InputError
from assay.evaluate import FairnessResult, fairness
from assay.exports import write_system_exports

SEED = 20240601
DEMO_MARKER = ".assay-demo"
DEMO_LIMITS = {
    "demographic_parity_difference": 0.10,
    "equalized_odds_difference": 0.10,
    "demographic_parity_ratio": 0.80,
}


@dataclass(frozen=True)
class DemoModel:
    """What the demo trained, and the scored test split."""

    estimator: Any
    scored: pl.DataFrame
    train_rows: int


def train_adult_model(seed: int = SEED) -> DemoModel:
    """Train a gradient-boosting income classifier on a seeded 70% split of Adult; score 30%."""
    try:
        import numpy as np
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError:
        raise InputError(
            "The demo trains a scikit-learn model; install the extra with "
            "`pip install 'assay-rai[demo]'` (make demo does this for you)."
        ) from None
    adult = load_adult()
    rng = np.random.default_rng(seed)
    in_test = rng.random(adult.height) < 0.3
    features = adult.drop(ADULT_LABEL)
    frame = features.to_pandas()
    for col in frame.columns:
        if not str(frame[col].dtype).startswith(("int", "Int", "float")):
            frame[col] = frame[col].astype("category")
    label = (adult.get_column(ADULT_LABEL) == ADULT_POSITIVE_LABEL).to_numpy()
    model = HistGradientBoostingClassifier(
        categorical_features="from_dtype", max_iter=200, learning_rate=0.1, random_state=seed
    )
    model.fit(frame[~in_test], label[~in_test])
    score = model.predict_proba(frame[in_test])[:, 1]
    test = adult.filter(pl.Series(in_test))
    scored = test.with_columns(
        pl.Series("score", score),
        pl.Series("prediction", np.where(score >= 0.5, ADULT_POSITIVE_LABEL, "<=50K")),
    )
    return DemoModel(model, scored, int((~in_test).sum()))


def evaluate_demo(predictions: Path) -> FairnessResult:
    """The demo's fairness evaluation: sex, race and their intersection, with the demo's limits."""
    return fairness(
        predictions,
        y_true=ADULT_LABEL,
        y_score="score",
        threshold=0.5,
        pos_label=ADULT_POSITIVE_LABEL,
        sensitive_features=["sex", "race"],
        thresholds=DEMO_LIMITS,
        random_state=SEED,
    )


def demo_command(
    output: Path = typer.Option(
        Path("assay-demo"), "--output", "-o", help="Folder for everything the demo writes."
    ),
    serve: bool = typer.Option(
        False, "--serve", help="Then start the web app on the demo workspace with demo logins."
    ),
    port: int = typer.Option(8000, "--port", help="With --serve: the port on 127.0.0.1."),
) -> None:
    """Run Assay end to end on the UCI Adult data and write the results to a folder."""
    from assay.documents import render_fairness_html, render_fairness_markdown

    console = make_console()
    if output.exists() and not output.is_dir():
        raise InputError(f"--output '{output}' is a file; give the folder the demo should write.")
    marker = output / DEMO_MARKER
    if marker.exists():
        # our own earlier run: start afresh so `make demo` can be run again and again
        shutil.rmtree(output)
    elif (output / ".assay").exists():
        raise InputError(
            f"'{output}' holds an Assay workspace that the demo did not create; pass another "
            "--output so the demo never overwrites your records."
        )
    output.mkdir(parents=True, exist_ok=True)
    marker.write_text("Written by `assay demo`; the next run replaces this folder.\n", "utf-8")
    today = dt.date.today()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    with progress:
        steps = progress.add_task("Assay demo", total=14)

        def step(description: str) -> None:
            progress.update(steps, description=description)

        step("Training a gradient-boosting model on UCI Adult (70% split)")
        model = train_adult_model()
        predictions = output / "adult_test_predictions.parquet"
        model.scored.write_parquet(predictions)
        progress.advance(steps)

        step("Evaluating fairness by sex, race and sex × race")
        result = evaluate_demo(predictions)
        progress.advance(steps)

        step("Writing the evaluation report (HTML, Markdown, JSON)")
        payload = result.to_dict()
        title = "Adult income model — fairness evaluation"
        (output / "fairness.json").write_text(result.to_json(), encoding="utf-8")
        (output / "fairness.html").write_text(render_fairness_html(payload, title=title), "utf-8")
        (output / "fairness.md").write_text(render_fairness_markdown(payload, title=title), "utf-8")
        progress.advance(steps)

        step("Creating a workspace and registering the system, model and dataset")
        workspace = gov.create_workspace(output)
        review = gov.register_adult_system(
            workspace, model.estimator, model.train_rows, predictions
        )
        progress.advance(steps)

        step("Recording the evaluation as evidence and opening risks for failed verdicts")
        evidence = gov.record_fairness(workspace, result)
        risks = gov.open_risks_for_failures(workspace, result, evidence, today)
        progress.advance(steps)

        step("Checking data quality and representativeness against the 1990 census")
        data_quality = checks.check_data_quality(workspace, output)
        progress.advance(steps)

        step("Scanning Adult and a support-chat log for personal data")
        pii = checks.scan_personal_data(workspace, output)
        progress.advance(steps)

        step("Stress-testing the model: noise, missing values, shifts, counterfactual flips")
        robustness = checks.stress_test(workspace, model.estimator, model.scored, output)
        progress.advance(steps)

        step("Monitoring six simulated production weeks (drift from week 3)")
        monitoring = checks.monitor_production(workspace, model.scored, output)
        progress.advance(steps)

        step("Red-teaming a weakly guarded local chat assistant (built-in suite)")
        redteam = checks.red_team_assistant(workspace, output)
        progress.advance(steps)

        # The gate's step adds a risk and a waiver, so it runs before the documents and exports:
        # every figure printed at the end is then what the commands it names show afterwards.
        step("Running the CI gate, then again after an approved waiver")
        gate = gov.gate_with_waiver(workspace, today)
        progress.advance(steps)

        step("Writing the model card, datasheet, risk assessment and review packet")
        documents, pdf_note = gov.write_documents(workspace, review, output / "documents")
        progress.advance(steps)

        step("Exporting the CycloneDX ML-BOM, OSCAL results and framework coverage")
        exports = write_system_exports(workspace, gov.SYSTEM, output / "exports")
        progress.advance(steps)

        step("Computing the program KPIs")
        kpis = gov.quarter_kpis(workspace, today)
        workspace.close()
        progress.advance(steps)
        step("Done")

    print_fairness(result, console)
    _print_governance(console, evidence, risks, kpis)
    _print_data(console, data_quality, monitoring)
    _print_checks(console, pii, redteam)
    _print_gate(console, gate)
    _print_documents(console, robustness, documents, pdf_note)
    coverage = ", ".join(
        f"{fw.framework.short_name} {fw.percent:.1f}%" for fw in exports.coverage.frameworks
    )
    console.print(
        f"\n[bold]Framework coverage[/bold] of {gov.SYSTEM}: {coverage} "
        f"(`assay frameworks coverage {gov.SYSTEM}`)"
    )
    console.print(
        f"\n[bold]Demo finished.[/bold] Trained on {model.train_rows:,} rows, evaluated "
        f"{result.n:,} held-out rows. Everything is in [bold]{output.resolve()}[/bold]:\n"
        "  fairness.html  the evaluation report (open it in a browser)\n"
        "  fairness.md    the same as Markdown\n"
        "  fairness.json  the result (schema assay.fairness/v1)\n"
        f"  {predictions.name}  the scored test split\n"
        "  quality.html   data quality and representativeness (against the 1990 census)\n"
        "  pii_adult.html, pii_support_log.html  personal-data scans\n"
        "  robustness.html  the robustness and stress-test report\n"
        "  monitoring/    spec, reference profile, weekly batches, monitoring-report.html\n"
        "  redteam/       the red-team run: report.html, report.md, junit.xml, responses\n"
        "  documents/     model card, datasheet, risk assessment, review packet "
        f"({'HTML, Markdown' if pdf_note else 'HTML, PDF'})\n"
        "  exports/       CycloneDX ML-BOM, OSCAL assessment results and POA&M, coverage\n"
        "  .assay/        the workspace: run `assay system show adult-income`, "
        "`assay risk list` or `assay audit verify` inside the folder"
    )
    if serve:
        _serve(console, output, port)


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
    result = redteam.result
    rate = result.pass_rate
    console.print(
        f"\n[bold]Red team[/bold] of {checks.ASSISTANT}: {result.n} cases, pass rate "
        f"{'—' if rate is None else f'{rate:.1%}'} ({_counts(result.counts)})."
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


DEMO_PASSWORDS = {
    "ada": "ada-analyst-demo",
    "ravi": "ravi-reviewer-demo",
    "mia": "mia-approver-demo",
    "sam": "sam-engineer-demo",
}


def _serve(console: Console, folder: Path, port: int) -> None:
    from assay.governance import open_workspace
    from assay.web import serve, set_password

    workspace = open_workspace(folder)
    try:
        for user, password in DEMO_PASSWORDS.items():
            set_password(workspace, user, password)
    finally:
        workspace.close()
    console.print(f"\n[bold]Web app[/bold] on http://127.0.0.1:{port}/ — demo logins:")
    for user, password in DEMO_PASSWORDS.items():
        console.print(f"  {user:5s} {password}")
    console.print("Press Ctrl-C to stop.")
    serve(folder, host="127.0.0.1", port=port)
