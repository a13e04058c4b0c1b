"""The demo's further checks, each filed as evidence: data quality and representativeness, personal
data in Adult and in a support-chat log, robustness, six simulated weeks of monitoring, and a
red-team run against the local chat server behaving like a weakly guarded assistant."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from assay.datasets import ADULT_LABEL, ADULT_POSITIVE_LABEL, adult_path
from assay.demo._governance import (
    CODE_VERSION,
    DATASET,
    DATASET_VERSION,
    MODEL_VERSION,
    SYSTEM,
)
from assay.demo._monitoring import run_demo_monitoring
from assay.demo._population import US_CENSUS_1990
from assay.demo._support_log import demo_support_log
from assay.demo.chat_server import start
from assay.documents import render_quality_html
from assay.evaluate import QualityResult, quality
from assay.evaluate.pii import PiiScanResult, scan
from assay.genai import (
    HttpTarget,
    LogScanResult,
    RagRun,
    RedteamRun,
    load_rag_suite,
    record_run,
    render_log_scan_markdown,
    render_rag_html,
    render_rag_markdown,
    run_rag,
    run_redteam,
    scan_logs,
    write_reports,
)
from assay.governance import Workspace, add_model_version, add_system, record_evaluation
from assay.robustness import RobustnessResult, render_robustness_html, run_default_probes

ASSISTANT = "helpdesk-assistant"
ASSISTANT_VERSION = "demo-1"


@dataclass(frozen=True)
class PiiFindings:
    """The two PII scans of the demo."""

    adult: PiiScanResult
    support_log: PiiScanResult
    replies: LogScanResult
    """The agents' replies in the support log scanned for harmful output by day and channel."""


def scan_personal_data(workspace: Workspace, folder: Path) -> PiiFindings:
    """Scan Adult (re-identification risk on its quasi-identifiers) and a synthetic support log
    with planted personal data; write both reports and record the Adult scan as evidence."""
    adult = scan(
        adult_path(),
        quasi_identifiers=["age", "sex", "race", "native_country"],
        sensitive="income",
    )
    log = demo_support_log(folder / "support_chat.jsonl")
    support = scan(log)
    for name, result in (("pii_adult", adult), ("pii_support_log", support)):
        (folder / f"{name}.html").write_text(result.to_html(), encoding="utf-8")
        (folder / f"{name}.md").write_text(result.to_markdown(), encoding="utf-8")
    record_evaluation(
        workspace,
        adult.to_dict(),
        kind="pii_scan",
        system=SYSTEM,
        model_version=MODEL_VERSION,
        dataset_version=f"{DATASET}@{DATASET_VERSION}",
        title="Personal data and re-identification risk in UCI Adult",
        code_commit=CODE_VERSION,
    )
    replies = scan_logs(
        log, response="messages.1.text", prompt="messages.0.text", time="ts", window="1d",
        by="ticket.channel",
    )  # fmt: skip
    (folder / "genai_log_scan.md").write_text(render_log_scan_markdown(replies), encoding="utf-8")
    return PiiFindings(adult, support, replies)


def red_team_assistant(workspace: Workspace, folder: Path) -> RedteamRun:
    """Red-team a weakly guarded local assistant with the built-in suite and file the run."""
    add_system(
        workspace,
        ASSISTANT,
        purpose="Answers customers' questions about their accounts in a chat window.",
        owner="sam",
        generative=True,
    )
    add_model_version(workspace, ASSISTANT, ASSISTANT_VERSION, name="local demo chat server")
    url, stop = start(port=0)
    try:
        run = run_redteam("builtin", url, model="weak", output=folder / "redteam", concurrency=8)
    finally:
        stop()
    write_reports(run)
    record_run(
        workspace, run, system=ASSISTANT, model_version=ASSISTANT_VERSION, code_commit=CODE_VERSION
    )
    return run


def evaluate_rag_assistant(folder: Path) -> dict[str, RagRun]:
    """The built-in RAG suite against the demo RAG assistant served on loopback, in its honest
    and its careless mode; each run's folder holds its summary and reports."""
    url, stop = start(port=0)
    runs = {}
    try:
        for mode in ("honest", "careless"):
            out = folder / "rag" / mode
            target = HttpTarget(url, model=f"rag-{mode}")
            run = run_rag(load_rag_suite("rag-policy"), target, output=out, n_bootstrap=1000)
            (out / "report.html").write_text(render_rag_html(run), "utf-8")
            (out / "report.md").write_text(render_rag_markdown(run), "utf-8")
            runs[mode] = run
    finally:
        stop()
    return runs


def stress_test(
    workspace: Workspace, estimator: Any, scored: pl.DataFrame, folder: Path
) -> RobustnessResult:
    """The default robustness probes on the held-out split; report written and filed as evidence."""
    result = run_default_probes(
        estimator,
        scored.drop("score", "prediction"),
        y_true=ADULT_LABEL,
        sensitive=["sex", "race"],
        pos_label=ADULT_POSITIVE_LABEL,
    )
    (folder / "robustness.html").write_text(
        render_robustness_html(result.to_dict(), title="Adult income model — robustness"), "utf-8"
    )
    record_evaluation(
        workspace,
        result.to_dict(),
        kind="robustness",
        system=SYSTEM,
        model_version=MODEL_VERSION,
        title="Robustness and stress tests (default probes)",
        code_commit=CODE_VERSION,
    )
    return result


def check_data_quality(workspace: Workspace, folder: Path) -> QualityResult:
    """Quality and representativeness of the training data against the 1990 census shares;
    the report is written and the result filed as evidence about the dataset version."""
    result = quality(
        adult_path(),
        sensitive_features=["sex", "race"],
        label=ADULT_LABEL,
        population=US_CENSUS_1990,
    )
    payload = result.to_dict()
    (folder / "quality.json").write_text(result.to_json(), encoding="utf-8")
    (folder / "quality.html").write_text(
        render_quality_html(payload, title="UCI Adult — data quality and representativeness"),
        encoding="utf-8",
    )
    record_evaluation(
        workspace,
        payload,
        kind="quality",
        system=SYSTEM,
        model_version=MODEL_VERSION,
        dataset_version=f"{DATASET}@{DATASET_VERSION}",
        title="Data quality and representativeness of UCI Adult",
        code_commit=CODE_VERSION,
    )
    return result


def monitor_production(workspace: Workspace, scored: pl.DataFrame, folder: Path) -> dict[str, Any]:
    """Six simulated weeks of production with drift from week 3, watched by a monitoring spec
    that is registered on the system (so the monitoring requirement and coverage count it)."""
    return run_demo_monitoring(folder / "monitoring", workspace, scored, weeks=6, drift_from_week=3)
