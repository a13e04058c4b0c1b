"""``assay demo``: the whole workflow end to end on the UCI Adult data, in a folder it names.

It trains a scikit-learn model with a fixed seed (the ``[demo]`` extra), evaluates it for sex, race
and their intersection, and writes the reports. Every step is a library call a user could make.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from assay.demo import _checks as checks
from assay.demo import _governance as gov
from assay.demo._clock import DemoClock
from assay.demo._history import History, seed_history
from assay.demo._history_cast import Timeline
from assay.demo._mitigation import mitigate_by_sex
from assay.demo._model import DemoModel, evaluate_demo, train_adult_model
from assay.demo._serve import set_demo_logins
from assay.documents import WrittenDocuments
from assay.errors import InputError
from assay.evaluate import FairnessResult, QualityResult
from assay.exports import SystemExports, write_system_exports
from assay.genai import RagRun, RedteamRun
from assay.governance import EvidenceRecord, KpiReport, Risk, Workspace
from assay.mitigate import MitigationResult
from assay.robustness import RobustnessResult

DEMO_MARKER = ".assay-demo"
#: One per step of :func:`run_demo`, for its progress bar.
STEPS = 17


@dataclass(frozen=True)
class DemoRun:
    """Everything one run of the demo made, in the order it made it."""

    folder: Path
    history: History
    model: DemoModel
    predictions: Path
    fairness: FairnessResult
    evidence: EvidenceRecord
    risks: list[Risk]
    data_quality: QualityResult
    pii: checks.PiiFindings
    robustness: RobustnessResult
    monitoring: dict[str, Any]
    redteam: RedteamRun
    rag: dict[str, RagRun]
    gate: gov.GateStory
    documents: WrittenDocuments
    pdf_note: str
    exports: SystemExports
    kpis: KpiReport
    mitigation: MitigationResult
    #: Whether the demo users have web logins (the ``[web]`` extra is installed).
    web_logins: bool


@dataclass(frozen=True)
class _Evaluated:
    """The first steps' results: the model, its scored split and its fairness evaluation."""

    model: DemoModel
    predictions: Path
    fairness: FairnessResult


@dataclass(frozen=True)
class _Governed:
    """The workspace with its history, the review opened on the system, the fairness evidence
    and its risks."""

    workspace: Workspace
    history: History
    review: str
    evidence: EvidenceRecord
    risks: list[Risk]


@dataclass(frozen=True)
class _Checked:
    """The further checks' results."""

    data_quality: QualityResult
    pii: checks.PiiFindings
    robustness: RobustnessResult
    monitoring: dict[str, Any]
    redteam: RedteamRun
    rag: dict[str, RagRun]
    mitigation: MitigationResult


class _Steps:
    """The demo's progress bar, advanced once per :meth:`step` that succeeds."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = progress.add_task("Assay demo", total=STEPS)

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        """Show ``description`` while the step runs; count the step once it succeeded."""
        self.describe(description)
        yield
        self._progress.advance(self._task)

    def describe(self, description: str) -> None:
        self._progress.update(self._task, description=description)


def prepare_folder(output: Path) -> None:
    """Create ``output`` for the demo, replacing the demo's own earlier run, never anything else."""
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


def run_demo(output: Path, console: Console) -> DemoRun:
    """Run the whole demo in ``output``, showing its progress on ``console``; return what it made.

    ``output`` is created; a folder an earlier demo wrote is replaced, and a folder holding
    another workspace (or a file) is refused with an :class:`~assay.errors.InputError`.
    """
    prepare_folder(output)
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
        steps = _Steps(progress)
        evaluated = _train_and_evaluate(steps, output)
        governed = _govern(steps, output, evaluated, today)
        checked = _check(steps, governed, evaluated.model, output)
        return _conclude(steps, output, evaluated, governed, checked, today)


def _train_and_evaluate(steps: _Steps, output: Path) -> _Evaluated:
    """Train the model, score the held-out split, evaluate fairness and write its reports."""
    from assay.documents import render_fairness_html, render_fairness_markdown

    with steps.step("Training a gradient-boosting model on UCI Adult (70% split)"):
        model = train_adult_model()
        predictions = output / "adult_test_predictions.parquet"
        model.scored.write_parquet(predictions)
    with steps.step("Evaluating fairness by sex, race and sex × race"):
        result = evaluate_demo(predictions)
    with steps.step("Writing the evaluation report (HTML, Markdown, JSON)"):
        payload = result.to_dict()
        title = "Adult income model — fairness evaluation"
        (output / "fairness.json").write_text(result.to_json(), encoding="utf-8")
        (output / "fairness.html").write_text(render_fairness_html(payload, title=title), "utf-8")
        (output / "fairness.md").write_text(render_fairness_markdown(payload, title=title), "utf-8")
    return _Evaluated(model, predictions, result)


def _govern(steps: _Steps, output: Path, evaluated: _Evaluated, today: dt.date) -> _Governed:
    """A workspace with the system registered, the evaluation filed and risks for its failures."""
    model = evaluated.model
    now = dt.datetime.now(dt.UTC)
    clock = DemoClock(Timeline.ending(now).start)
    with steps.step("Creating a workspace and its team, as the program started a year ago"):
        workspace = gov.create_workspace(output, clock)
    with steps.step("Writing four quarters of program history: systems, reviews, risks, waivers"):
        history = seed_history(workspace, clock, output / "history", now=now)
        clock.release()
    with steps.step("Registering the income model's system, model and dataset"):
        review = gov.register_adult_system(
            workspace, model.estimator, model.train_rows, evaluated.predictions
        )
    with steps.step("Recording the evaluation as evidence and opening risks for failed verdicts"):
        evidence = gov.record_fairness(workspace, evaluated.fairness)
        risks = gov.open_risks_for_failures(workspace, evaluated.fairness, evidence, today)
    return _Governed(workspace, history, review, evidence, risks)


def _check(steps: _Steps, governed: _Governed, model: DemoModel, output: Path) -> _Checked:
    """Data quality, personal data, robustness, mitigation, simulated monitoring, red team."""
    workspace = governed.workspace
    with steps.step("Checking data quality and representativeness against the 1990 census"):
        data_quality = checks.check_data_quality(workspace, output)
    with steps.step(
        "Scanning Adult and a support-chat log for personal data, and its replies for harm"
    ):
        pii = checks.scan_personal_data(workspace, output)
    with steps.step(
        "Stress-testing the model: noise, missing values, shifts, counterfactual flips"
    ):
        robustness = checks.stress_test(workspace, model.estimator, model.scored, output)
    with steps.step("Mitigating the selection-rate gap by sex with per-group thresholds"):
        mitigation = mitigate_by_sex(
            workspace, model.estimator, model.scored, output, governed.risks
        )
    with steps.step("Monitoring six simulated production weeks (drift from week 3)"):
        monitoring = checks.monitor_production(workspace, model.scored, output)
    with steps.step("Red-teaming a local chat assistant; evaluating a local RAG assistant"):
        redteam = checks.red_team_assistant(workspace, output)
        rag = checks.evaluate_rag_assistant(output)
    return _Checked(data_quality, pii, robustness, monitoring, redteam, rag, mitigation)


def _conclude(
    steps: _Steps,
    output: Path,
    evaluated: _Evaluated,
    governed: _Governed,
    checked: _Checked,
    today: dt.date,
) -> DemoRun:
    """The gate, the documents, the exports and the KPIs; the workspace is closed after them."""
    workspace = governed.workspace
    # The gate's step adds a risk and a waiver, so it runs before the documents and exports:
    # every figure printed at the end is then what the commands it names show afterwards.
    with steps.step("Running the CI gate, then again after an approved waiver"):
        gate = gov.gate_with_waiver(workspace, today)
    with steps.step("Writing the model card, datasheet, risk assessment and review packet"):
        documents, pdf_note = gov.write_documents(workspace, governed.review, output / "documents")
    with steps.step("Exporting the ML-BOM, OSCAL, coverage and ISO 42001 applicability"):
        exports = write_system_exports(workspace, gov.SYSTEM, output / "exports")
    with steps.step("Computing the program KPIs and giving the demo users web logins"):
        kpis = gov.quarter_kpis(workspace, today)
        web_logins = set_demo_logins(workspace)
        workspace.close()
    steps.describe("Done")
    return DemoRun(
        output,
        governed.history,
        evaluated.model,
        evaluated.predictions,
        evaluated.fairness,
        governed.evidence,
        governed.risks,
        checked.data_quality,
        checked.pii,
        checked.robustness,
        checked.monitoring,
        checked.redteam,
        checked.rag,
        gate,
        documents,
        pdf_note,
        exports,
        kpis,
        checked.mitigation,
        web_logins,
    )
