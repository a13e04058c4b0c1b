"""Markdown and self-contained HTML views of an ``assay.pii/v1`` result.

Both render only what is in the result, which holds masked examples only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.render import environment, markdown_code, markdown_escape

_md = markdown_escape


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def _ci(interval: list[float] | None) -> str:
    return "" if not interval else f" ({interval[0]:.2%}–{interval[1]:.2%})"


def _headline(p: Mapping[str, Any]) -> list[str]:
    lines = [f"- Rows: {p['n_rows']:,}; scanned: {p['n_scanned']:,}."]
    if p.get("sample"):
        lines.append(f"- Sample: {p['sample']['statement']}")
    t = p["totals"]
    lines.append(
        f"- Personal data in {len(t['pii_columns'])} of {len(p['columns'])} column(s); "
        f"{t['matches']:,} match(es) in {t['rows_with_pii']:,} row(s)."
    )
    return lines


def render_markdown(p: Mapping[str, Any]) -> str:
    """The scan as a Markdown report."""
    out = ["# PII scan", "", *_headline(p), "", "## Column inventory", ""]
    out += [
        "| column | kind | entity | rows | prevalence | confidence | examples (masked) |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for col in p["columns"]:
        if not col["entities"]:
            out.append(f"| {_md(col['column'])} | {col['kind']} | none found | 0 | — | — | |")
        for e in col["entities"]:
            out.append(
                f"| {_md(col['column'])} | {col['kind']} | {e['entity']} | {e['rows']:,} | "
                f"{_pct(e['prevalence'])}{_ci(e['prevalence_ci'])} | {e['confidence']:.2f} | "
                f"{', '.join(markdown_code(x) for x in e['examples'])} |"
            )
    if p["totals"]["entities"]:
        out += ["", "## By entity type", "", "| entity | matches | rows | columns |",
                "|---|---:|---:|---|"]  # fmt: skip
        for name, t in p["totals"]["entities"].items():
            out.append(
                f"| {name} | {t['matches']:,} | {t['rows']:,} | {_md(', '.join(t['columns']))} |"
            )
    inp = p.get("input") or {}
    if p["skipped"] or inp.get("notes") or inp.get("cells_truncated"):
        out += ["", "## Input", ""]
        for s in p["skipped"]:
            out.append(
                f"- Skipped {markdown_code(s['column'])} ({s['dtype']}): {_md(s['reason'])}."
            )
        if inp.get("cells_truncated"):
            out.append(
                f"- {inp['cells_truncated']:,} cell(s) longer than "
                f"{p['params']['max_cell_chars']:,} characters were scanned up to that length."
            )
        if inp.get("cells_with_replacement_chars"):
            out.append(
                f"- {inp['cells_with_replacement_chars']:,} cell(s) held bytes that are not UTF-8 "
                "(replaced with U+FFFD)."
            )
        for note in inp.get("notes", []):
            out.append(f"- {note[0].upper()}{note[1:]}.")
    risk = p.get("risk")
    if risk:
        out += ["", "## Re-identification risk", ""]
        out.append(
            f"Quasi-identifiers: {_md(', '.join(risk['quasi_identifiers']))}. k-anonymity **k = "
            f"{risk['k']}**; unique records {risk['unique_records']:,} "
            f"({_pct(risk['unique_share'])}); records in classes smaller than "
            f"{risk['k_threshold']}: {_pct(risk['records_at_risk_share'])}."
            + (
                f" l-diversity of `{risk['sensitive']}`: l = {risk['l_diversity']}."
                if risk.get("sensitive")
                else ""
            )
        )
        if risk["drivers"]:
            out += ["", "| without | distinct values | k | unique share | reduction |",
                    "|---|---:|---:|---:|---:|"]  # fmt: skip
            for d in risk["drivers"]:
                out.append(
                    f"| {d['column']} | {d['distinct_values']:,} | {d['k_without']} | "
                    f"{_pct(d['unique_share_without'])} | {_pct(d['unique_share_reduction'])} |"
                )
        riskiest = sorted(risk["combinations"], key=lambda c: -c["unique_share"])[:5]
        out += ["", "| combination | k | unique share |", "|---|---:|---:|"]
        for c in riskiest:
            out.append(f"| {' + '.join(c['columns'])} | {c['k']} | {_pct(c['unique_share'])} |")
    mini = p.get("minimisation")
    if mini:
        out += ["", "## Data minimisation", "", mini["finding"]]
    out += ["", f"<sub>assay {p['provenance']['assay_version']} · {p['schema']} · "
            f"{p['provenance']['created_at']}</sub>", ""]  # fmt: skip
    return "\n".join(out)


def render_html(p: Mapping[str, Any]) -> str:
    """The scan as one HTML page with inline CSS (opens offline)."""
    template = environment("assay.evaluate.pii").get_template("pii_report.html.j2")
    return template.render(p=p, headline=_headline(p), pct=_pct, ci=_ci)
