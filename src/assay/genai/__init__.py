"""Generative-AI safety evaluation: prompt suites, targets, offline detectors, runner, reports.

Run a suite against a target, score every response offline, summarise by harm category with
Wilson intervals, compare two runs, and render HTML, Markdown and JUnit reports::

    from assay.genai import run_redteam, load_run, compare_runs
    run = run_redteam("builtin", "http://127.0.0.1:8000/v1", model="my-model", output="runs/a")
    print(run.result.by_category())

File a run as evidence with :func:`record_run` (it imports :mod:`assay.governance` when called).

The public API is what ``__all__`` lists; modules starting with ``_`` are private.
:mod:`assay.demo.chat_server` holds the local chat server used by the demo and the tests.
"""

from __future__ import annotations

from assay.genai._cache import ResponseCache, request_hash
from assay.genai._compare import (
    COMPARISON_SCHEMA,
    ComparisonPayload,
    RedteamComparison,
    compare_runs,
)
from assay.genai._detectors import (
    Detection,
    Lexicon,
    check_assertion,
    detect_canary,
    detect_pii,
    detect_refusal,
    detect_system_prompt_leak,
    detect_toxicity,
    load_lexicon,
)
from assay.genai._judge import JUDGE_RUBRIC, LLMJudge
from assay.genai._record import record_run
from assay.genai._report import (
    render_comparison_html,
    render_comparison_markdown,
    render_redteam_html,
    render_redteam_junit,
    render_redteam_markdown,
    write_reports,
)
from assay.genai._result import (
    RESULT_SCHEMA,
    RUN_SCHEMA,
    RedteamPayload,
    RedteamResult,
    RedteamRun,
    load_run,
)
from assay.genai._runner import decide, resume_redteam, run_redteam
from assay.genai._scan_logs import (
    LOG_SCAN_DETECTORS,
    LOG_SCAN_SCHEMA,
    LogScanPayload,
    LogScanResult,
    render_log_scan_markdown,
    scan_logs,
)
from assay.genai._strategies import strategy_names
from assay.genai._suite import (
    CATEGORY_LABELS,
    DETECTOR_NAMES,
    EXPECTATIONS,
    SUITE_SCHEMA,
    Assertion,
    Case,
    Probe,
    Suite,
    load_suite,
)
from assay.genai._targets import (
    CallableTarget,
    CommandTarget,
    Completion,
    HttpTarget,
    Target,
    TargetError,
    parse_target,
)

__all__ = [  # noqa: RUF022 (plain sorted(), as tests/test_public_api.py checks)
    "Assertion",
    "CATEGORY_LABELS",
    "COMPARISON_SCHEMA",
    "CallableTarget",
    "Case",
    "CommandTarget",
    "ComparisonPayload",
    "Completion",
    "DETECTOR_NAMES",
    "Detection",
    "EXPECTATIONS",
    "HttpTarget",
    "JUDGE_RUBRIC",
    "LLMJudge",
    "LOG_SCAN_DETECTORS",
    "LOG_SCAN_SCHEMA",
    "Lexicon",
    "LogScanPayload",
    "LogScanResult",
    "Probe",
    "RESULT_SCHEMA",
    "RUN_SCHEMA",
    "RedteamComparison",
    "RedteamPayload",
    "RedteamResult",
    "RedteamRun",
    "ResponseCache",
    "SUITE_SCHEMA",
    "Suite",
    "Target",
    "TargetError",
    "check_assertion",
    "compare_runs",
    "decide",
    "detect_canary",
    "detect_pii",
    "detect_refusal",
    "detect_system_prompt_leak",
    "detect_toxicity",
    "load_lexicon",
    "load_run",
    "load_suite",
    "parse_target",
    "record_run",
    "render_comparison_html",
    "render_comparison_markdown",
    "render_log_scan_markdown",
    "render_redteam_html",
    "render_redteam_junit",
    "render_redteam_markdown",
    "request_hash",
    "resume_redteam",
    "run_redteam",
    "scan_logs",
    "strategy_names",
    "write_reports",
]
