"""RAG evaluation: the suite format, the target protocol (HTTP, callable, command), the lexical
groundedness check and its measured accuracy, the demo assistant in both modes, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assay.cli import app
from assay.demo.chat_server import ChatServer
from assay.demo.rag_assistant import BM25, careless_rag, honest_rag
from assay.errors import InputError
from assay.genai import (
    CallableTarget,
    CommandTarget,
    Completion,
    HttpTarget,
    Passage,
    RagCase,
    RagResult,
    ResponseCache,
    abstained,
    load_corpus,
    load_rag_suite,
    run_rag,
    score_rag,
    supports,
)
from assay.result import load_result

DATA = Path(__file__).parent / "data"


def _disjoint(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["ci"]["high"] < b["ci"]["low"] or b["ci"]["high"] < a["ci"]["low"]


@pytest.fixture(scope="module")
def http_runs() -> dict[str, RagResult]:
    """Both demo modes over HTTP, through the loopback chat server."""
    suite = load_rag_suite("rag-policy")
    with ChatServer() as server:
        return {
            mode: run_rag(
                suite, HttpTarget(server.url, model=f"rag-{mode}"), n_bootstrap=500
            ).result
            for mode in ("honest", "careless")
        }


def test_the_suite_separates_honest_from_careless(http_runs: dict[str, RagResult]) -> None:
    honest, careless = http_runs["honest"], http_runs["careless"]
    for name in ("groundedness", "abstention_rate", "citation_correctness"):
        h, c = honest.metric(name), careless.metric(name)
        assert h["value"] > c["value"], name
        assert _disjoint(h, c), (name, h["ci"], c["ci"])
    # retrieval is the same in both modes: only the answering differs
    assert honest.metric("retrieval_hit_rate") == careless.metric("retrieval_hit_rate")
    assert honest.counts == {"cases": 38, "answerable": 28, "unanswerable": 10, "errored": 0}


def test_the_result_round_trips_through_the_registry(http_runs: dict[str, RagResult]) -> None:
    payload = http_runs["honest"].to_dict()
    assert payload["schema"] == "assay.rag/v1"
    assert load_result(payload) == http_runs["honest"]


def test_callable_and_command_targets_carry_the_passages(tmp_path: Path) -> None:
    case = RagCase("g", "How long are gift cards valid?", "3 years", ("gift-cards",))
    reply = CallableTarget(honest_rag).complete([{"role": "user", "content": case.question}],
                                                timeout=5)  # fmt: skip
    record = score_rag(case, reply)
    assert record["hit"]
    assert record["contains"]
    assert not record["abstained"]
    assert record["claims"][0]["supported_by"] == "gift-cards"
    assert record["claims"][0]["citations_correct"] == [True]
    script = tmp_path / "rag.py"
    script.write_text(
        "import json, sys\nreq = json.load(sys.stdin)\n"
        "print(json.dumps({'content': 'Valid for 3 years [1].', "
        "'retrieved': ['Gift cards are valid for 3 years.']}))\n"
    )
    reply = CommandTarget(f"{sys.executable} {script}").complete(
        [{"role": "user", "content": case.question}], timeout=30
    )
    record = score_rag(case, reply)
    assert record["retrieved"] == ["1"]
    assert record["claims"][0]["citations_correct"] == [True]


def test_a_reply_without_passages_is_ungrounded() -> None:
    case = RagCase("g", "How long are gift cards valid?", "3 years", ("gift-cards",))
    record = score_rag(case, Completion("Gift cards are valid for 3 years."))
    assert record["hit"] is False
    assert record["claims"][0]["supported_by"] is None


def test_the_cache_keeps_the_passages(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.put("k", Completion("x", extra={"retrieved": [{"id": "a", "text": "t"}]}))
    assert cache.get("k") == Completion("x", extra={"retrieved": [{"id": "a", "text": "t"}]})


# -- the lexical groundedness check and its measured accuracy ------------------------------------


def test_groundedness_accuracy_on_the_labelled_set() -> None:
    """The figures published in docs/genai.md ("Groundedness: measured accuracy")."""
    corpus = {p.id: p.text for p in load_corpus("builtin:policy")}
    rows = [json.loads(line) for line in (DATA / "groundedness_labels.jsonl").open()]
    tally = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for row in rows:
        got = supports(row["claim"], corpus[row["passage"]])
        key = ("t" if got == row["supported"] else "f") + ("p" if got else "n")
        tally[key] += 1
    assert len(rows) == 44
    # misses: three paraphrases sharing few words; false supports: two swapped entities, one
    # overgeneralisation, two contradictions that keep the passage's words
    assert tally == {"tp": 24, "fp": 5, "fn": 3, "tn": 12}
    docs = (Path(__file__).parents[2] / "docs" / "genai.md").read_text("utf-8")
    assert "24 of 29" in docs
    assert "12 of 17" in docs
    assert "36 of 44" in docs


@pytest.mark.parametrize(
    ("claim", "passage", "expected"),
    [
        ("Refunds take 5 business days.", "Refunds are issued within 5 business days.", True),
        ("Refunds take 9 business days.", "Refunds are issued within 5 business days.", False),
        ("Cash is accepted.", "Cash is not accepted.", False),
        ("Shipping is free.", "Ships free. Shipping is free over 50 euros.", True),
    ],
)
def test_support_rule(claim: str, passage: str, expected: bool) -> None:
    assert supports(claim, passage) is expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("I can't find that in the policy documents.", True),
        ("The documents do not mention a loyalty scheme.", True),
        ("That is not covered in the policies I have.", True),
        ("", True),
        ("You cannot return gift cards.", False),
        ("I don't think so: returns are free within 30 days.", False),
    ],
)
def test_abstention(answer: str, expected: bool) -> None:
    assert abstained(answer) is expected


def test_bm25_by_hand() -> None:
    # two passages, "apples" in one: idf = ln(1 + (2 - 1 + .5)/(1 + .5)) = ln 2; tf = 1,
    # length 2 = average, so the term weight is (k1 + 1)/(1 + k1) = 1
    index = BM25([Passage("a", "red apples"), Passage("b", "green pears")])
    ((passage, score),) = index.search("apples")
    assert passage.id == "a"
    assert score == pytest.approx(0.6931471805599453)


def test_the_demo_modes() -> None:
    unknown = [{"role": "user", "content": "Who is the chief executive of Northwind?"}]
    assert abstained(honest_rag(unknown)["content"])
    assert not abstained(careless_rag(unknown)["content"])


# -- suite files ---------------------------------------------------------------------------------


def test_a_jsonl_suite_and_its_corpus(tmp_path: Path) -> None:
    (tmp_path / "corpus.jsonl").write_text('{"id": "a", "text": "Apples are red."}\n')
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"id": "q1", "question": "What colour are apples?", "answer": "red", "passages": ["a"]}\n'
        '{"id": "q2", "question": "Who won?", "answerable": false}\n'
    )
    suite = load_rag_suite(path)
    assert suite.name == "s"
    assert [c.answerable for c in suite.cases] == [True, False]
    assert load_corpus(tmp_path / "corpus.jsonl") == [Passage("a", "Apples are red.")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases: []\n", "needs a non-empty 'cases' list"),
        ("cases:\n  - {id: a, question: q}\n", "has no reference 'answer'"),
        ("cases:\n  - {id: a, question: q, colour: red, answerable: false}\n", "unknown keys"),
        (
            "cases:\n  - {id: a, question: q, answerable: false}\n"
            "  - {id: a, question: r, answerable: false}\n",
            "repeats case ids: a",
        ),
        ("schema: other/v1\ncases:\n  - {id: a, question: q, answerable: false}\n", "schema"),
    ],
)
def test_suite_errors_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_rag_suite(path)


# -- the CLI -------------------------------------------------------------------------------------


def test_cli_writes_the_reports(tmp_path: Path) -> None:
    out = tmp_path / "run"
    target = "assay.demo.rag_assistant:careless_rag"
    result = CliRunner().invoke(app, ["redteam", "rag", "-t", target, "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metrics"]["abstention_rate"]["value"] == 0.0
    html = (out / "report.html").read_text()
    assert "<script" not in html
    assert "Abstention when the corpus lacks the answer" in html
    assert "answered although the corpus lacks the answer" in (out / "report.md").read_text()


def test_cli_bad_suite_is_a_clear_error(tmp_path: Path) -> None:
    target = "assay.demo.rag_assistant:honest_rag"
    missing = str(tmp_path / "missing.yaml")
    result = CliRunner().invoke(app, ["redteam", "rag", "-t", target, "-s", missing])
    assert isinstance(result.exception, InputError)  # the entry point makes it exit 2
    assert "does not exist" in str(result.exception)


def test_cli_every_question_errored_is_a_clear_error() -> None:
    args = ["redteam", "rag", "-t", "http://127.0.0.1:9/v1", "-m", "x", "--retries", "0"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, InputError)
    assert "Every question errored" in str(result.exception)


def test_cli_warns_when_the_target_returns_no_passages() -> None:
    result = CliRunner().invoke(app, ["redteam", "rag", "-t", "cmd:echo I do not know."])
    assert result.exit_code == 0, result.output
    assert "returned no passages" in result.output


def test_an_optional_judge_of_groundedness() -> None:
    """A judge that calls every claim with a number unsupported: its figure sits beside the
    offline one, and a judge that gives no verdict leaves its claims out."""

    def judge(messages: list[dict[str, str]]) -> str:
        claim = messages[-1]["content"].rsplit("Claim:\n", 1)[1]
        if "expire" in claim:
            return "no verdict"
        return "VERDICT: UNSUPPORTED" if any(ch.isdigit() for ch in claim) else "VERDICT: SUPPORTED"

    suite = load_rag_suite("rag-policy")
    run = run_rag(suite, CallableTarget(honest_rag), judge=CallableTarget(judge), n_bootstrap=200)
    claims = [c for r in run.records for c in r["claims"]]
    with_digit = sum(
        any(ch.isdigit() for ch in c["claim"]) for c in claims if "expire" not in c["claim"]
    )
    judged = sum(c["judge_supported"] is not None for c in claims)
    assert judged == len(claims) - 1  # the reset-link claim got no verdict
    metric = run.result.metric("groundedness_judge")
    assert metric["n"] == judged
    assert metric["value"] == pytest.approx((judged - with_digit) / judged)
    assert run.result.metric("groundedness")["value"] == 1.0
    plain = run_rag(suite, CallableTarget(honest_rag), n_bootstrap=200)
    assert "groundedness_judge" not in plain.result.metric_names


_REPLIES = """
import json
from assay.demo.rag_assistant import honest_rag
from assay.genai import load_rag_suite
for case in load_rag_suite("rag-policy").cases:
    print(json.dumps(honest_rag([{"role": "user", "content": case.question}])))
"""


def test_the_demo_assistant_answers_the_same_whatever_the_hash_seed() -> None:
    """Scores summed over sets of words once depended on the order Python's randomised string
    hashing gave them: with seeds 4 and 16 two sentences tied for the reset-link question broke the
    other way, and the judge test failed one run in ten. The sums are exactly rounded now."""

    def replies(seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _REPLIES], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    first = replies("0")
    assert "The reset link expires after 30 minutes" in first
    assert replies("4") == first
    assert replies("16") == first
