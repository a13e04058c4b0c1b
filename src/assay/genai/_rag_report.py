"""RAG evaluation reports: self-contained HTML (through :mod:`assay.render`) and Markdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assay import __version__
from assay.genai._rag import METRICS, RagRun
from assay.render import environment, house_css, markdown_escape, markdown_table

__all__ = ["metric_rows", "render_rag_html", "render_rag_markdown"]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ci(ci: Mapping[str, float] | None) -> str:
    return "—" if not ci else f"{ci['low'] * 100:.1f}–{ci['high'] * 100:.1f}%"


def metric_rows(run: RagRun) -> list[dict[str, Any]]:
    """One row per metric: label, value, interval, base and method, as text."""
    rows = []
    for name, (label, base, method) in METRICS.items():
        if name not in run.result.metric_names:
            continue
        m = run.result.metric(name)
        rows.append({"name": name, "label": label, "value": _pct(m["value"]),
                     "ci": _ci(m["ci"]), "n": f"{m['n']} {base}", "method": method})  # fmt: skip
    return rows


def _problems(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Cases worth reading: an unsupported claim, an answer where the corpus has none, a wrong
    citation, an abstention on an answerable question, an error."""
    out = []
    for r in records:
        unsupported = [c["claim"] for c in r["claims"] if c["supported_by"] is None]
        wrong = sum(len(c["citations"]) - sum(c["citations_correct"]) for c in r["claims"])
        why = [
            *(["error: " + str(r["error"])] if r["error"] else []),
            *(["answered although the corpus lacks the answer"]
              if not r["answerable"] and not r["abstained"] and not r["error"] else []),
            *(["abstained on an answerable question"] if r["answerable"] and r["abstained"]
              else []),
            *([f"{len(unsupported)} unsupported claim(s)"] if unsupported else []),
            *([f"{wrong} wrong citation(s)"] if wrong else []),
            *(["the answer lacks the reference"]
              if r["contains"] is False and not r["abstained"] else []),
        ]  # fmt: skip
        if why:
            out.append({"id": r["id"], "question": r["question"], "answer": r["answer"] or "",
                        "why": "; ".join(why)})  # fmt: skip
    return out


def _view(run: RagRun, title: str | None) -> dict[str, Any]:
    data = run.result.to_dict()
    target = data["target"]
    return {
        "title": title or f"RAG evaluation — {data['suite']['name']}",
        "result": data,
        "target_text": target.get("url") or target.get("function") or target.get("command"),
        "model": target.get("model"),
        "rows": metric_rows(run),
        "problems": _problems(run.records),
        "css": house_css(),
        "assay_version": __version__,
    }


def render_rag_html(run: RagRun, *, title: str | None = None) -> str:
    """The run as one self-contained HTML page (inline CSS, no scripts)."""
    return environment("assay.genai").get_template("rag.html.j2").render(_view(run, title))


def render_rag_markdown(run: RagRun, *, title: str | None = None) -> str:
    """The same content as Markdown."""
    view = _view(run, title)
    c = view["result"]["counts"]
    lines = [
        f"# {markdown_escape(view['title'])}",
        "",
        f"Target `{view['target_text']}` · {c['cases']} cases ({c['answerable']} answerable, "
        f"{c['unanswerable']} unanswerable, {c['errored']} errored) · Assay {__version__}",
        "",
        *markdown_table(
            ["Metric", "Value", "95% interval", "Over", "Interval"],
            [[r["label"], r["value"], r["ci"], r["n"], r["method"]] for r in view["rows"]],
            "lrrll",
        ),
        "",
        "## Cases to read",
        "",
    ]
    if view["problems"]:
        rows = [[p["id"], p["question"], p["answer"], p["why"]] for p in view["problems"]]
        lines += markdown_table(["Case", "Question", "Answer", "Why"], rows)
    else:
        lines.append("None: every answer was supported, cited correctly and abstained when due.")
    lines += ["", _METHOD]
    return "\n".join(lines) + "\n"


_METHOD = (
    "Groundedness and citations are checked offline by lexical overlap (a claim is supported "
    "when one passage sentence holds 60% of its content words, all its numbers and its "
    "negation); see docs/genai.md for its measured accuracy. Case rates have Wilson intervals; "
    "claim ratios and mean F1 a bootstrap over cases."
)
