"""Agent-suite reports: self-contained HTML (through :mod:`assay.render`) and Markdown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay import __version__
from assay.genai._agents import AgentRun
from assay.render import environment, house_css, markdown_escape, markdown_table

__all__ = ["render_agent_html", "render_agent_markdown"]


def _rate(row: Mapping[str, Any]) -> str:
    if row["pass_rate"] is None:
        return "—"
    ci = row["ci"]
    return f"{row['pass_rate'] * 100:.1f}% ({ci['low'] * 100:.1f}–{ci['high'] * 100:.1f}%)"


def _view(run: AgentRun, title: str | None) -> dict[str, Any]:
    data = run.result.to_dict()
    target = data["target"]
    rows = [{"label": r["label"], "pass": r["pass"], "fail": r["fail"], "error": r["error"],
             "rate": _rate(r)} for r in data["by_category"]]  # fmt: skip
    failures = [
        {"id": r["id"], "category": r["category"], "reason": r["reason"],
         "calls": ", ".join(c["name"] for c in r["tool_calls"]) or "—"}
        for r in run.records if r["outcome"] != "pass"
    ]  # fmt: skip
    return {
        "title": title or f"Agent and tool-use evaluation — {data['suite']['name']}",
        "result": data,
        "target_text": target.get("url") or target.get("function") or target.get("command"),
        "rows": rows,
        "overall": _rate(data["overall"]),
        "failures": failures,
        "css": house_css(),
        "assay_version": __version__,
    }


def render_agent_html(run: AgentRun, *, title: str | None = None) -> str:
    """The run as one self-contained HTML page (inline CSS, no scripts)."""
    return environment("assay.genai").get_template("agent.html.j2").render(_view(run, title))


def render_agent_markdown(run: AgentRun, *, title: str | None = None) -> str:
    """The same content as Markdown."""
    view = _view(run, title)
    c = view["result"]["counts"]
    lines = [
        f"# {markdown_escape(view['title'])}",
        "",
        f"Target `{view['target_text']}` · {c['cases']} cases: {c['pass']} passed, {c['fail']} "
        f"failed, {c['error']} errored · pass rate {view['overall']} · Assay {__version__}",
        "",
        *markdown_table(
            ["Category", "Passed", "Failed", "Errored", "Pass rate (95% Wilson)"],
            [[r["label"], r["pass"], r["fail"], r["error"], r["rate"]] for r in view["rows"]],
            "lrrrr",
        ),
        "",
        "## Failed and errored cases",
        "",
    ]
    if view["failures"]:
        rows = [[f["id"], f["category"], f["calls"], f["reason"]] for f in view["failures"]]
        lines += markdown_table(["Case", "Category", "Tool calls", "Why"], rows)
    else:
        lines.append("None: every tool call was authorised and no secret left in an argument.")
    return "\n".join(lines) + "\n"
