"""RAG evaluation: ask a retrieval-augmented assistant a suite's questions and score, offline,
what it retrieved and what it answered.

The target protocol is the red team's (:class:`~assay.genai.Target`: HTTP, Python callable,
command) with one addition: the reply carries the passages the assistant used, as
``retrieved: [{"id", "text", "score"?}]`` (plain strings are numbered ``1``, ``2``, ...), at the
response's top level or in its message. Citations are ``[id]`` markers in the answer.

Metrics (each with its interval; :data:`METRICS` says over which cases):

- ``retrieval_hit_rate`` — answerable cases whose retrieved passages include a reference passage;
- ``groundedness`` — claims (answer sentences) supported by a retrieved passage, over the answers
  that did not abstain (lexical rule of :mod:`assay.genai._grounding`; cluster bootstrap);
- ``citation_correctness`` — citations naming a retrieved passage that supports the claim;
- ``answer_f1`` (mean token F1, bootstrap) and ``answer_contains`` (the reference's words are in
  the answer) over answerable cases;
- ``abstention_rate`` over unanswerable cases and ``false_abstention_rate`` over answerable ones.

Rates of cases use Wilson intervals; ratios of claims and means use a percentile bootstrap that
resamples cases.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from assay import __version__
from assay.errors import InputError
from assay.evaluate import wilson, z_value
from assay.genai._grounding import (
    Passage,
    _sentences,
    abstained,
    citations,
    claims,
    contains_reference,
    supporting_passage,
    supports,
    token_f1,
)
from assay.genai._rag_judge import judge_claim
from assay.genai._rag_suite import RagCase, RagSuite
from assay.genai._runner import _with_retries
from assay.genai._targets import Completion, Target, TargetError
from assay.integrations import RetryPolicy
from assay.result import Result

__all__ = ["METRICS", "RAG_SCHEMA", "RagPayload", "RagResult", "RagRun", "run_rag", "score_rag"]

RAG_SCHEMA = "assay.rag/v1"
#: Each metric: its label, the cases it is computed over and how its interval is made.
METRICS: dict[str, tuple[str, str, str]] = {
    "retrieval_hit_rate": ("Retrieval hit rate", "answerable cases", "wilson"),
    "groundedness": ("Groundedness (claims supported)", "answers given", "bootstrap"),
    "groundedness_judge": ("Groundedness by the judge (only with a judge)", "claims judged",
                           "bootstrap"),
    "citation_correctness": ("Citation correctness", "citations made", "bootstrap"),
    "answer_f1": ("Answer token F1 (mean)", "answerable cases", "bootstrap"),
    "answer_contains": ("Answer contains the reference", "answerable cases", "wilson"),
    "abstention_rate": ("Abstention when the corpus lacks the answer", "unanswerable cases",
                        "wilson"),
    "false_abstention_rate": ("Abstention on answerable questions", "answerable cases", "wilson"),
}  # fmt: skip


class RagPayload(TypedDict):
    """The ``assay.rag/v1`` payload."""

    schema: str
    suite: dict[str, Any]
    target: dict[str, Any]
    counts: dict[str, int]
    metrics: dict[str, dict[str, Any]]
    params: dict[str, Any]
    provenance: dict[str, Any]


class RagResult(Result[RagPayload]):
    """The summary of a RAG evaluation, in the ``assay.rag/v1`` schema."""

    SCHEMA = RAG_SCHEMA
    Payload = RagPayload

    def metric(self, name: str) -> dict[str, Any]:
        """One metric: ``value``, ``ci`` (``low``, ``high``), ``n`` and ``method``."""
        return dict(self._payload["metrics"][name])

    @property
    def metric_names(self) -> list[str]:
        """The metrics this result holds (``groundedness_judge`` only when judged)."""
        return list(self._payload["metrics"])

    @property
    def counts(self) -> dict[str, int]:
        """``cases``, ``answerable``, ``unanswerable``, ``errored``."""
        return dict(self._payload["counts"])


@dataclass(frozen=True)
class RagRun:
    """A finished RAG evaluation: the summary and one scored record per case."""

    result: RagResult
    records: list[dict[str, Any]]


def _passages(extra: Mapping[str, Any]) -> list[Passage]:
    raw = extra.get("retrieved")
    if not isinstance(raw, list):
        return []
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            out.append(Passage(str(i + 1), item))
        elif isinstance(item, Mapping) and isinstance(item.get("text"), str):
            score = item.get("score")
            pid = item.get("id")
            value = float(score) if isinstance(score, int | float) else None
            out.append(Passage(str(pid) if pid is not None else str(i + 1), item["text"], value))
    return out


def _claims(answer: str, passages: Sequence[Passage]) -> list[dict[str, Any]]:
    by_id = {p.id: p for p in passages}
    out = []
    for sentence, claim in _sentences_with_claims(answer):
        cited = citations(sentence)
        correct = [c in by_id and supports(claim, by_id[c].text) for c in cited]
        supporter = supporting_passage(claim, passages)
        out.append({
            "claim": claim,
            "supported_by": supporter.id if supporter else None,
            "citations": cited,
            "citations_correct": correct,
        })  # fmt: skip
    return out


def _sentences_with_claims(answer: str) -> list[tuple[str, str]]:
    """(sentence with its markers, claim) pairs; markers after a sentence's full stop belong
    to it."""
    pairs = []
    for sentence in _sentences(answer):
        found = claims(sentence)
        if found:
            pairs.append((sentence, found[0]))
        elif pairs and citations(sentence):  # a lone "[id]" after the stop
            prev, claim = pairs[-1]
            pairs[-1] = (f"{prev} {sentence}", claim)
    return pairs


def score_rag(case: RagCase, completion: Completion) -> dict[str, Any]:
    """Score one reply: retrieval, claims and their support, citations, correctness,
    abstention (the record :func:`run_rag` writes)."""
    passages = _passages(completion.extra)
    answer = completion.text
    abstain = abstained(answer)
    ids = [p.id for p in passages]
    record: dict[str, Any] = {
        "id": case.id,
        "question": case.question,
        "answerable": case.answerable,
        "reference": case.answer,
        "answer": answer,
        "retrieved": ids,
        "abstained": abstain,
        "hit": bool(set(case.passages) & set(ids)) if case.answerable and case.passages else None,
        "claims": [] if abstain else _claims(answer, passages),
        "f1": None,
        "contains": None,
        "error": None,
    }
    if case.answerable and case.answer:
        record["f1"] = 0.0 if abstain else token_f1(answer, case.answer)
        record["contains"] = not abstain and contains_reference(answer, case.answer)
    return record


def _wilson(x: int, n: int, ci_level: float) -> dict[str, Any]:
    if n == 0:
        return {"value": None, "ci": None, "x": 0, "n": 0, "method": "wilson"}
    low, high = wilson(np.array([x], float), np.array([n], float), z_value(ci_level))
    ci = {"low": float(low[0]), "high": float(high[0])}
    return {"value": x / n, "ci": ci, "x": x, "n": n, "method": "wilson"}


def _ratio_bootstrap(
    num: Sequence[float],
    den: Sequence[float],
    ci_level: float,
    n_boot: int,
    seed: int,
    *,
    counts: bool = True,
) -> dict[str, Any]:
    """Σnum/Σden with a percentile interval from resampling the cases (clusters); for counts,
    widened to hold the Wilson interval of the pooled counts, so that all-or-nothing samples
    (every claim supported) do not get a zero-width interval."""
    a, b = np.asarray(num, float), np.asarray(den, float)
    if not len(b) or b.sum() == 0:
        return {"value": None, "ci": None, "n": 0, "cases": len(b), "method": "bootstrap"}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(b), size=(n_boot, len(b)))
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = a[idx].sum(axis=1) / b[idx].sum(axis=1)
    tail = (1 - ci_level) / 2 * 100
    low, high = np.nanpercentile(reps, [tail, 100 - tail])
    value = float(a.sum() / b.sum())
    if counts:
        pooled = _wilson(int(a.sum()), int(b.sum()), ci_level)["ci"]
        low, high = min(low, pooled["low"]), max(high, pooled["high"])
    ci = {"low": float(low), "high": float(high)}
    return {"value": value, "ci": ci, "n": int(b.sum()), "cases": len(b), "method": "bootstrap"}


def _metrics(
    records: Sequence[Mapping[str, Any]], ci_level: float, n_boot: int, seed: int
) -> dict[str, dict[str, Any]]:
    ok = [r for r in records if r["error"] is None]
    answerable = [r for r in ok if r["answerable"]]
    hits = [r["hit"] for r in answerable if r["hit"] is not None]
    answered = [r for r in ok if not r["abstained"]]
    grounded = [sum(c["supported_by"] is not None for c in r["claims"]) for r in answered]
    cited = [sum(sum(c["citations_correct"]) for c in r["claims"]) for r in answered]
    n_cited = [sum(len(c["citations"]) for c in r["claims"]) for r in answered]
    unanswerable = [r for r in ok if not r["answerable"]]
    f1 = [float(r["f1"]) for r in answerable if r["f1"] is not None]
    contains = [bool(r["contains"]) for r in answerable if r["contains"] is not None]
    out = {
        "retrieval_hit_rate": _wilson(sum(hits), len(hits), ci_level),
        "groundedness": _ratio_bootstrap(
            grounded, [len(r["claims"]) for r in answered], ci_level, n_boot, seed
        ),
        "citation_correctness": _ratio_bootstrap(cited, n_cited, ci_level, n_boot, seed + 1),
        "answer_f1": _ratio_bootstrap(
            f1, [1.0] * len(f1), ci_level, n_boot, seed + 2, counts=False
        ),
        "answer_contains": _wilson(sum(contains), len(contains), ci_level),
        "abstention_rate": _wilson(
            sum(r["abstained"] for r in unanswerable), len(unanswerable), ci_level
        ),
        "false_abstention_rate": _wilson(
            sum(r["abstained"] for r in answerable), len(answerable), ci_level
        ),
    }
    verdicts = [[c.get("judge_supported") for c in r["claims"]] for r in answered]
    if any(v is not None for vs in verdicts for v in vs):
        out["groundedness_judge"] = _ratio_bootstrap(
            [sum(v is True for v in vs) for vs in verdicts],
            [sum(v is not None for v in vs) for vs in verdicts],
            ci_level, n_boot, seed + 3,
        )  # fmt: skip
    return out


def summarise_rag(
    suite: RagSuite,
    target: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    *,
    ci_level: float = 0.95,
    n_bootstrap: int = 2000,
    random_state: int = 0,
) -> RagResult:
    """The ``assay.rag/v1`` summary of scored records."""
    counts = {
        "cases": len(records),
        "answerable": sum(bool(r["answerable"]) for r in records),
        "unanswerable": sum(not r["answerable"] for r in records),
        "errored": sum(r["error"] is not None for r in records),
    }
    return RagResult({
        "schema": RAG_SCHEMA,
        "suite": {"name": suite.name, "source": suite.source, "digest": suite.digest,
                  "corpus": suite.corpus},
        "target": dict(target),
        "counts": counts,
        "metrics": _metrics(records, ci_level, n_bootstrap, random_state),
        "params": {"ci_level": ci_level, "n_bootstrap": n_bootstrap,
                   "random_state": random_state, "support": "lexical-overlap/v1"},
        "provenance": {"assay_version": __version__,
                       "dataset": {"digest": suite.digest, "rows": len(suite.cases)}},
    })  # fmt: skip


def _ask(
    case: RagCase,
    target: Target,
    policy: RetryPolicy,
    stop: threading.Event,
    judge: Target | None = None,
) -> dict[str, Any]:
    messages = [{"role": "system", "content": case.system}] if case.system else []
    messages.append({"role": "user", "content": case.question})
    try:
        completion, _ = _with_retries(
            lambda: target.complete(messages, timeout=policy.timeout), policy, stop
        )
    except TargetError as exc:
        return {"id": case.id, "question": case.question, "answerable": case.answerable,
                "reference": case.answer, "answer": None, "retrieved": [], "abstained": False,
                "hit": None, "claims": [], "f1": None, "contains": None,
                "error": exc.reason}  # fmt: skip
    record = score_rag(case, completion)
    if judge is not None:
        passages = _passages(completion.extra)
        for claim in record["claims"]:
            try:
                claim["judge_supported"] = judge_claim(
                    judge, claim["claim"], passages, timeout=policy.timeout
                )
            except TargetError:
                claim["judge_supported"] = None  # left out of the judge's figure
    return record


def run_rag(
    suite: RagSuite,
    target: Target,
    *,
    output: Path | str | None = None,
    concurrency: int = 4,
    timeout: float = 60.0,
    retries: int = 2,
    ci_level: float = 0.95,
    n_bootstrap: int = 2000,
    random_state: int = 0,
    judge: Target | None = None,
) -> RagRun:
    """Ask every question of ``suite``, score the replies and summarise them.

    With ``judge``, every claim is also put to the judge (:data:`GROUNDEDNESS_RUBRIC`), and the
    metric ``groundedness_judge`` is added beside the offline ``groundedness``.

    With ``output``, writes ``records.jsonl`` and ``summary.json`` there. Cases whose call
    failed are counted as ``errored`` and left out of every metric.

    Examples
    --------
    >>> from assay.genai import CallableTarget, load_rag_suite
    >>> from assay.demo.rag_assistant import honest_rag
    >>> run = run_rag(load_rag_suite("rag-policy"), CallableTarget(honest_rag), n_bootstrap=200)
    >>> run.result.metric("abstention_rate")["value"]
    1.0
    """
    if concurrency < 1 or timeout <= 0 or retries < 0:
        raise InputError("concurrency must be ≥ 1, timeout > 0 and retries ≥ 0.")
    policy = RetryPolicy(retries=retries, timeout=timeout, jitter=True)
    stop = threading.Event()
    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            records = list(pool.map(lambda c: _ask(c, target, policy, stop, judge), suite.cases))
    finally:
        stop.set()
        target.close()
    result = summarise_rag(suite, target.identity, records, ci_level=ci_level,
                           n_bootstrap=n_bootstrap, random_state=random_state)  # fmt: skip
    if output is not None:
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        lines = (json.dumps(r, ensure_ascii=False, sort_keys=True) for r in records)
        (folder / "records.jsonl").write_text("".join(f"{line}\n" for line in lines), "utf-8")
        (folder / "summary.json").write_text(result.to_json() + "\n", "utf-8")
    return RagRun(result, records)
