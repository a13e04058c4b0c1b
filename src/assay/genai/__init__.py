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

from assay.genai._agent_report import render_agent_html, render_agent_markdown
from assay.genai._agents import (
    AGENT_CATEGORIES,
    AGENT_SCHEMA,
    AGENT_SUITE_SCHEMA,
    AgentCase,
    AgentPayload,
    AgentResult,
    AgentRun,
    AgentSuite,
    load_agent_suite,
    run_agent_suite,
    score_agent,
    tool_calls,
)
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
from assay.genai._grounding import (
    SUPPORT_THRESHOLD,
    Passage,
    abstained,
    claims,
    contains_reference,
    content_terms,
    supports,
    token_f1,
)
from assay.genai._judge import JUDGE_RUBRIC, LLMJudge
from assay.genai._judge_calibration import (
    JUDGE_CALIBRATION_SCHEMA,
    JudgeCalibration,
    JudgeCalibrationPayload,
    LabelledResponse,
    calibrate_judge,
    correct_rate,
    correct_run,
    load_labelled,
)
from assay.genai._rag import METRICS as RAG_METRICS
from assay.genai._rag import RAG_SCHEMA, RagPayload, RagResult, RagRun, run_rag, score_rag
from assay.genai._rag_judge import GROUNDEDNESS_RUBRIC, judge_claim
from assay.genai._rag_report import render_rag_html, render_rag_markdown
from assay.genai._rag_suite import (
    BUILTIN_RAG_SUITES,
    RAG_SUITE_SCHEMA,
    RagCase,
    RagSuite,
    load_corpus,
    load_rag_suite,
)
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
    "AGENT_CATEGORIES",
    "AGENT_SCHEMA",
    "AGENT_SUITE_SCHEMA",
    "AgentCase",
    "AgentPayload",
    "AgentResult",
    "AgentRun",
    "AgentSuite",
    "Assertion",
    "BUILTIN_RAG_SUITES",
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
    "GROUNDEDNESS_RUBRIC",
    "HttpTarget",
    "JUDGE_CALIBRATION_SCHEMA",
    "JUDGE_RUBRIC",
    "JudgeCalibration",
    "JudgeCalibrationPayload",
    "LLMJudge",
    "LOG_SCAN_DETECTORS",
    "LOG_SCAN_SCHEMA",
    "LabelledResponse",
    "Lexicon",
    "LogScanPayload",
    "LogScanResult",
    "Passage",
    "Probe",
    "RAG_METRICS",
    "RAG_SCHEMA",
    "RAG_SUITE_SCHEMA",
    "RESULT_SCHEMA",
    "RUN_SCHEMA",
    "RagCase",
    "RagPayload",
    "RagResult",
    "RagRun",
    "RagSuite",
    "RedteamComparison",
    "RedteamPayload",
    "RedteamResult",
    "RedteamRun",
    "ResponseCache",
    "SUITE_SCHEMA",
    "SUPPORT_THRESHOLD",
    "Suite",
    "Target",
    "TargetError",
    "abstained",
    "calibrate_judge",
    "check_assertion",
    "claims",
    "compare_runs",
    "contains_reference",
    "content_terms",
    "correct_rate",
    "correct_run",
    "decide",
    "detect_canary",
    "detect_pii",
    "detect_refusal",
    "detect_system_prompt_leak",
    "detect_toxicity",
    "judge_claim",
    "load_agent_suite",
    "load_corpus",
    "load_labelled",
    "load_lexicon",
    "load_rag_suite",
    "load_run",
    "load_suite",
    "parse_target",
    "record_run",
    "render_agent_html",
    "render_agent_markdown",
    "render_comparison_html",
    "render_comparison_markdown",
    "render_log_scan_markdown",
    "render_rag_html",
    "render_rag_markdown",
    "render_redteam_html",
    "render_redteam_junit",
    "render_redteam_markdown",
    "request_hash",
    "resume_redteam",
    "run_agent_suite",
    "run_rag",
    "run_redteam",
    "scan_logs",
    "score_agent",
    "score_rag",
    "strategy_names",
    "supports",
    "token_f1",
    "tool_calls",
    "write_reports",
]
