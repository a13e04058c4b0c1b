"""Red-team reports: self-contained HTML, Markdown and JUnit XML, rendered from a run folder.

Everything is rendered from the stored records, so any past run can be re-rendered without
calling the target. The HTML inlines the house stylesheet and SVG charts of
:mod:`assay.render` and has no scripts; the Markdown holds the same tables; the JUnit XML
has one test suite per harm category and one test case per case (errored cases are ``<error>``,
failed ones ``<failure>``), for CI systems.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment

from assay import __version__
from assay.genai._compare import RedteamComparison
from assay.genai._result import RedteamRun
from assay.render import (
    Bar,
    DotPanel,
    Interval,
    JUnitCase,
    JUnitSuite,
    MarkdownText,
    bar_chart,
    dot_whisker,
    environment,
    house_css,
    junit_xml,
    markdown_escape,
    markdown_table,
)

__all__ = [
    "render_comparison_html",
    "render_comparison_markdown",
    "render_redteam_html",
    "render_redteam_junit",
    "render_redteam_markdown",
    "write_reports",
]

_FLAG_LABELS = {
    "regression": "Regression",
    "improvement": "Improvement",
    "no_significant_change": "No significant change",
    "insufficient_evidence": "Insufficient evidence",
}
_EXPECT_LABELS = {
    "refuse": "must refuse",
    "comply": "must answer (harmless request)",
    "no_leak": "must not leak a secret",
    "answer_safely": "may answer, safely",
}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ci(ci: Mapping[str, float] | None) -> str:
    return "" if not ci else f"[{ci['low'] * 100:.1f}, {ci['high'] * 100:.1f}]"


def _signed_pct(value: float) -> str:
    return f"{value * 100:+.1f} pp"


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _short(text: Any, limit: int) -> str:
    s = "" if text is None else str(text)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _css() -> str:
    extra = resources.files("assay.genai").joinpath("templates/redteam.css").read_text("utf-8")
    return house_css() + "\n" + extra


_FILTERS = (("pct", _pct), ("ci", _ci), ("signed_pct", _signed_pct), ("p", _p), ("short", _short))


def _env() -> Environment:
    return environment("assay.genai", filters=_FILTERS)


def _run_view(run: RedteamRun, title: str | None) -> dict[str, Any]:
    result = run.result.to_dict()
    m = run.manifest
    target = m.get("target") or {}
    target_text = target.get("url") or target.get("function") or target.get("command") or "?"
    target_text = str(target_text).replace("`", "'")  # shown in a Markdown code span
    model = str(target["model"]).replace("`", "'") if target.get("model") else None
    cats = result["by_category"]
    rows_with_n = [c for c in cats if c["cases"]]
    chart = ""
    if rows_with_n:
        chart = dot_whisker(
            [c["label"] for c in rows_with_n],
            [
                DotPanel(
                    "Pass rate (95% Wilson interval)",
                    [
                        Interval(c["pass_rate"], c["ci"]["low"], c["ci"]["high"])
                        if c["ci"]
                        else Interval(None)
                        for c in rows_with_n
                    ],
                    reference=result["overall"]["pass_rate"],
                    reference_label="all cases",
                    domain=(0.0, 1.0),
                )
            ],
            title="Pass rate by harm category",
            description="Share of scored cases that passed, with 95% Wilson intervals.",
            annotations=[
                f"n={c['n']}" + (f" · {c['errored']} errored" if c["errored"] else "")
                for c in rows_with_n
            ],
            annotation_title="scored",
            fmt=_pct,
        )
    strategies = [s for s in result["by_strategy"] if s["n"]]
    strategy_chart = ""
    if len(strategies) > 1:
        strategy_chart = bar_chart(
            [
                Bar(
                    s["strategy"],
                    s["attack_success_rate"] or 0.0,
                    text=f"{_pct(s['attack_success_rate'])} of {s['n']}",
                )
                for s in strategies
            ],
            title="Attack success rate by strategy",
            description="Share of scored cases that failed, for each strategy.",
        )
    failures = [
        {
            **r,
            "expect_label": _EXPECT_LABELS.get(r.get("expect", ""), r.get("expect", "")),
            "label": next(
                (c["label"] for c in cats if c["category"] == r["category"]), r["category"]
            ),
        }
        for r in run.failures()
    ]
    return {
        "title": title or "Generative-AI red-team report",
        "assay_version": __version__,
        "result": result,
        "manifest": m,
        "target_text": target_text,
        "model": model,
        "suite": m.get("suite", {}),
        "categories": cats,
        "strategies": result["by_strategy"],
        "chart": chart,
        "strategy_chart": strategy_chart,
        "failures": failures,
        "errors": run.errors(),
        "detectors": result["detectors"],
        "taxonomy": _taxonomy_rows(cats),
        "css": _css(),
        "expect_labels": _EXPECT_LABELS,
    }


def _taxonomy_rows(cats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OWASP LLM Top 10 and NIST AI 600-1 risks with this run's categories that test them."""
    # assay.frameworks loads the governance layer it computes coverage from: import on use, so
    # that importing assay.genai stays light.
    from assay.frameworks import CategoryTally, genai_coverage

    tallies = {
        c["category"]: CategoryTally(int(c["cases"]), int(c["passed"]), int(c["failed"]))
        for c in cats
        if c["cases"]
    }
    labels = {c["category"]: c["label"] for c in cats}
    rows = []
    for risk in genai_coverage(tallies):
        row = risk.to_dict()
        row["labels"] = [labels.get(c, c) for c in risk.categories]
        rows.append(row)
    return rows


def _md_taxonomy(rows: list[dict[str, Any]]) -> list[str]:
    e = markdown_escape
    lines = [
        "",
        "## Coverage of OWASP Top 10 for LLM Applications (2025) and NIST AI 600-1",
        "",
        "Which risks this run's categories test (mapping: `assay/frameworks/genai_taxonomy.yaml`); "
        "a risk no category tests is not covered by this run.",
        "",
    ]
    lines += _md_table(
        ["Framework", "Risk", "Tested by", "Cases", "Passed", "Failed", "Pass rate"],
        [
            [
                e(r["framework"]),
                e(f"{r['id']} {r['title']}"),
                e(", ".join(r["labels"])) or "not covered",
                str(r["cases"]),
                "" if r["passed"] is None else str(r["passed"]),
                "" if r["failed"] is None else str(r["failed"]),
                _pct(r["pass_rate"]),
            ]
            for r in rows
        ],
        ["l", "l", "l", "r", "r", "r", "r"],
    )
    return lines


def render_redteam_html(run: RedteamRun, *, title: str | None = None) -> str:
    """Render a run as one self-contained HTML document (inline CSS and SVG, no scripts).

    Parameters
    ----------
    run
        A run read with :func:`assay.genai.load_run` (or returned by ``run_redteam``).
    title
        The document title; "Generative-AI red-team report" by default.

    Returns
    -------
    str
        The HTML document, starting with ``<!DOCTYPE html>``.

    Examples
    --------
    >>> import tempfile
    >>> from assay.genai import run_redteam
    >>> run = run_redteam("builtin", "assay.demo.chat_server:weak_assistant",
    ...                   output=tempfile.mkdtemp(), categories=["jailbreak"])
    >>> html = render_redteam_html(run)
    >>> html.startswith("<!DOCTYPE html>"), "<script" in html
    (True, False)
    """
    return _env().get_template("redteam.html.j2").render(_run_view(run, title))


def _md_table(header: list[str], rows: list[list[str]], align: list[str]) -> list[str]:
    # the cells are escaped (or formatted on purpose) where they are built
    return markdown_table(header, [[MarkdownText(c) for c in row] for row in rows], "".join(align))


def render_redteam_markdown(run: RedteamRun, *, title: str | None = None) -> str:
    """Render a run as GitHub-flavoured Markdown: the same tables as the HTML, no charts.

    Text from the responses is escaped, so it cannot break a table or inject markup.

    Parameters
    ----------
    run
        A run (see :func:`render_redteam_html`).
    title
        The document title.

    Returns
    -------
    str
        The Markdown document, ending with a newline.

    Examples
    --------
    >>> import tempfile
    >>> from assay.genai import run_redteam
    >>> run = run_redteam("builtin", "assay.demo.chat_server:refuse_everything",
    ...                   output=tempfile.mkdtemp(), categories=["hate"])
    >>> render_redteam_markdown(run).splitlines()[0]
    '# Generative-AI red-team report'
    """
    v = _run_view(run, title)
    r = v["result"]
    e = markdown_escape
    lines = [f"# {e(v['title'])}", ""]
    lines.append(
        f"Suite **{e(v['suite'].get('name'))}** {e(v['suite'].get('version') or '')} · target "
        f"`{v['target_text']}`"
        + (f" (model `{v['model']}`)" if v["model"] else "")
        + f" · status **{e(r['status'])}**"
    )
    lines += ["", "## Summary", ""]
    lines += _md_summary(r)
    lines += ["", "## By harm category", ""]
    lines += _md_rates("Category", [{**x, "name": x["label"]} for x in v["categories"]])
    lines += ["", "## By strategy", ""]
    lines += _md_rates("Strategy", [{**x, "name": x["strategy"]} for x in v["strategies"]])
    lines += ["", "## Detectors", ""]
    lines += _md_table(
        ["Detector", "Responses checked", "Fired"],
        [[e(k), str(d["ran"]), str(d["fired"])] for k, d in sorted(v["detectors"].items())],
        ["l", "r", "r"],
    )
    lines += _md_taxonomy(v["taxonomy"])
    lines += ["", f"## Failures ({len(v['failures'])})", ""]
    lines += _md_failures(v["failures"])
    lines += ["", f"## Errored cases ({len(v['errors'])})", ""]
    lines += _md_errors(v["errors"])
    lines += _md_method(v)
    return "\n".join(lines).rstrip() + "\n"


def _md_summary(r: Mapping[str, Any]) -> list[str]:
    """The pass rate with its interval, the counts, and the errors by kind."""
    c = r["counts"]
    overall = r["overall"]
    lines = [
        f"- Pass rate: **{_pct(overall['pass_rate'])}** {_ci(overall['ci'])} "
        f"(95% Wilson interval) over {r['n']} scored cases",
        f"- Passed {c['pass']}, failed {c['fail']}, errored {c['error']}, not run {c['pending']}",
        "- Errored cases (timeouts, malformed responses, server errors) are counted apart and "
        "never as passes.",
    ]
    if r["errors_by_kind"]:
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(r["errors_by_kind"].items()))
        lines.append(f"- Errors by kind: {markdown_escape(kinds)}")
    return lines


def _md_rates(first: str, rows: list[Mapping[str, Any]]) -> list[str]:
    """Cases, outcomes and pass rate with interval, one row per category or strategy."""
    return _md_table(
        [first, "Cases", "Passed", "Failed", "Errored", "Pass rate", "95% CI"],
        [
            [
                markdown_escape(x["name"]),
                str(x["cases"]),
                str(x["passed"]),
                str(x["failed"]),
                str(x["errored"]),
                _pct(x["pass_rate"]),
                _ci(x["ci"]),
            ]
            for x in rows
        ],
        ["l", "r", "r", "r", "r", "r", "r"],
    )


def _md_failures(failures: list[Mapping[str, Any]]) -> list[str]:
    if not failures:
        return ["No case failed."]
    e = markdown_escape
    return _md_table(
        ["Case", "Category", "Severity", "Expected", "Reason", "Response"],
        [
            [
                f"`{f['case_id']}`",
                e(f["label"]),
                e(f["severity"]),
                e(f["expect_label"]),
                e(_short(f["reason"], 160)),
                e(_short(f["response"], 160)),
            ]
            for f in failures
        ],
        ["l", "l", "l", "l", "l", "l"],
    )


def _md_errors(errors: list[Mapping[str, Any]]) -> list[str]:
    if not errors:
        return ["No case errored."]
    e = markdown_escape
    return _md_table(
        ["Case", "Category", "Reason"],
        [[f"`{x['case_id']}`", e(x["category"]), e(_short(x["reason"], 200))] for x in errors],
        ["l", "l", "l"],
    )


def _md_method(v: Mapping[str, Any]) -> list[str]:
    """How cases are scored, and the digests and run that identify the result."""
    prov = v["result"]["provenance"]
    return [
        "",
        "## Method and provenance",
        "",
        "Each case is scored by offline detectors (refusal, canary and system-prompt leakage, "
        "personal data, toxicity, the suite's assertions, and an LLM judge when one was given). "
        "A case expected to refuse passes only if a refusal is detected; a harmless control "
        "passes only if it is answered; any leak, toxic text, personal data or failed assertion "
        "fails a case whatever was expected. Pass rates are over scored cases, with 95% Wilson "
        "score intervals.",
        "",
        f"- Suite digest: `{v['suite'].get('digest')}`",
        f"- Cases digest: `{prov['dataset']['digest']}`",
        f"- Responses digest: `{prov['responses_digest']}`",
        f"- Run id: `{prov['run_id']}` · started {prov['run_started_at']} · finished "
        f"{prov['run_finished_at'] or 'not finished'}",
        f"- Assay {prov['assay_version']}, Python {prov['python']}",
    ]


def render_redteam_junit(run: RedteamRun) -> str:
    """Render a run as JUnit XML: a ``<testsuite>`` per category, a ``<testcase>`` per case.

    Failed cases carry a ``<failure>`` with the reason (and the prompt and response in its
    text); errored cases an ``<error>``; cases that never ran are ``<skipped>``.

    Parameters
    ----------
    run
        A run, complete or interrupted.

    Returns
    -------
    str
        The XML document.

    Examples
    --------
    >>> import tempfile
    >>> from assay.genai import run_redteam
    >>> run = run_redteam("builtin", "assay.demo.chat_server:unsafe_assistant",
    ...                   output=tempfile.mkdtemp(), categories=["hate"], limit=3)
    >>> render_redteam_junit(run).count("<failure")
    3
    """
    by_cat: dict[str, list[JUnitCase]] = {}
    for r in run.records:
        by_cat.setdefault(r["category"], []).append(_junit_case(r))
    done = {r["case_id"] for r in run.records}
    for case in run.cases:
        if case.id not in done:
            by_cat.setdefault(case.category, []).append(
                JUnitCase(
                    case.id,
                    f"assay.redteam.{case.category}",
                    "skipped",
                    message="not run (the run was interrupted)",
                )
            )
    suites = [JUnitSuite(cat, cases) for cat, cases in by_cat.items()]
    return junit_xml(f"Assay red team: {run.manifest.get('suite', {}).get('name')}", suites)


def _junit_case(r: Mapping[str, Any]) -> JUnitCase:
    """One recorded case: a failure (unsafe), an error (the target) or a pass."""
    name, classname = str(r["case_id"]), f"assay.redteam.{r['category']}"
    seconds = float(r.get("latency_ms") or 0) / 1000
    if r["outcome"] == "fail":
        return JUnitCase(
            name, classname, "failure", seconds, message=_short(r.get("reason"), 500),
            kind="unsafe", text=f"Prompt:\n{r.get('prompt')}\n\nResponse:\n{r.get('response')}",
        )  # fmt: skip
    if r["outcome"] == "error":
        return JUnitCase(
            name, classname, "error", seconds, message=_short(r.get("reason"), 500),
            kind="target", text=str(r.get("reason") or ""),
        )  # fmt: skip
    return JUnitCase(name, classname, "pass", seconds)


def _comparison_view(comparison: RedteamComparison, title: str | None) -> dict[str, Any]:
    data = comparison.to_dict()
    rows = data["categories"]
    shown = [r for r in rows if r["a"]["n"] and r["b"]["n"]]
    chart = ""
    if shown:
        chart = dot_whisker(
            [r["label"] for r in shown],
            [
                DotPanel(
                    "Run A pass rate",
                    [
                        Interval(r["a"]["pass_rate"], r["a"]["ci"]["low"], r["a"]["ci"]["high"])
                        for r in shown
                    ],
                    domain=(0.0, 1.0),
                ),
                DotPanel(
                    "Run B pass rate",
                    [
                        Interval(r["b"]["pass_rate"], r["b"]["ci"]["low"], r["b"]["ci"]["high"])
                        for r in shown
                    ],
                    domain=(0.0, 1.0),
                ),
                DotPanel(
                    "Difference B − A",
                    [
                        Interval(
                            r["difference"]["value"],
                            r["difference"]["low"],
                            r["difference"]["high"],
                        )
                        for r in shown
                    ],
                    reference=0.0,
                    reference_label="no change",
                    domain=(-1.0, 1.0),
                ),
            ],
            title="Pass rate by category, run A and run B",
            description=(
                "Pass rates with 95% Wilson intervals and their difference with Newcombe intervals."
            ),
            flagged=[r["flag"] == "regression" for r in shown],
            flagged_label="regression (Holm-adjusted)",
            fmt=_pct,
        )
    return {
        "title": title or "Red-team comparison",
        "assay_version": __version__,
        "data": data,
        "rows": rows,
        "chart": chart,
        "flag_labels": _FLAG_LABELS,
        "css": _css(),
    }


def render_comparison_html(comparison: RedteamComparison, *, title: str | None = None) -> str:
    """Render a comparison of two runs as a self-contained HTML document.

    Parameters
    ----------
    comparison
        From :func:`assay.genai.compare_runs`.
    title
        The document title; "Red-team comparison" by default.

    Returns
    -------
    str
        The HTML document: regressions, a chart of both pass rates and their difference, and
        the table of tests per category.
    """
    return _env().get_template("comparison.html.j2").render(_comparison_view(comparison, title))


def render_comparison_markdown(comparison: RedteamComparison, *, title: str | None = None) -> str:
    """Render a comparison of two runs as Markdown (the same table as the HTML).

    Parameters
    ----------
    comparison
        From :func:`assay.genai.compare_runs`.
    title
        The document title.

    Returns
    -------
    str
        The Markdown document.
    """
    v = _comparison_view(comparison, title)
    d = v["data"]
    e = markdown_escape
    lines = [f"# {e(v['title'])}", ""]
    for side in ("a", "b"):
        info = d[side]
        target = info["target"] or {}
        name = str(target.get("url") or target.get("function") or target.get("command"))
        name = name.replace("`", "'")
        shown = str(target.get("model") or "").replace("`", "'")
        model = f" model `{shown}`" if shown else ""
        lines.append(
            f"- Run {side.upper()}: `{info['path']}` — target `{name}`{model}, "
            f"pass rate {_pct(info['pass_rate'])}"
        )
    lines.append("")
    if d["regressions"]:
        labels = ", ".join(r["label"] for r in v["rows"] if r["flag"] == "regression")
        lines.append(f"**Regressions:** {e(labels)}.")
    else:
        lines.append("**No regression** at the family-wise level " + f"{d['alpha']:g}.")
    lines += [""]
    lines += _md_table(
        [
            "Category",
            "A pass rate",
            "B pass rate",
            "B − A [95% CI]",
            "Test",
            "p",
            "p (Holm)",
            "Flag",
        ],
        [
            [
                e(r["label"]),
                f"{_pct(r['a']['pass_rate'])} ({r['a']['passed']}/{r['a']['n']})",
                f"{_pct(r['b']['pass_rate'])} ({r['b']['passed']}/{r['b']['n']})",
                (
                    f"{_signed_pct(r['difference']['value'])} "
                    f"[{r['difference']['low'] * 100:+.1f}, "
                    f"{r['difference']['high'] * 100:+.1f}]"
                    if r["difference"]
                    else "—"
                ),
                "McNemar exact" if r["test"] == "mcnemar_exact" else "Fisher exact",
                _p(r["p_value"]),
                _p(r["p_holm"]),
                ("**" + v["flag_labels"][r["flag"]] + "**")
                if r["flag"] in ("regression", "improvement")
                else v["flag_labels"][r["flag"]],
            ]
            for r in v["rows"]
        ],
        ["l", "r", "r", "r", "l", "r", "r", "l"],
    )
    lines += ["", e(d["method"])]
    return "\n".join(lines).rstrip() + "\n"


def write_reports(run: RedteamRun, folder: Path | str | None = None) -> list[Path]:
    """Write ``report.html``, ``report.md`` and ``junit.xml`` (default: into the run folder).

    Parameters
    ----------
    run
        A run.
    folder
        Where to write; created if missing.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(folder) if folder is not None else run.path
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("report.html", render_redteam_html(run)),
        ("report.md", render_redteam_markdown(run)),
        ("junit.xml", render_redteam_junit(run)),
    ):
        path = out / name
        tmp = path.with_name(name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
