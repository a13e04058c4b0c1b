"""Markdown and self-contained HTML views of an ``assay.pii/v1`` result.

Both render only what is in the result, which holds masked examples only.
"""

from __future__ import annotations

from typing import Any

import jinja2


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def _ci(interval: list[float] | None) -> str:
    return "" if not interval else f" ({interval[0]:.2%}–{interval[1]:.2%})"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _headline(p: dict[str, Any]) -> list[str]:
    lines = [f"- Rows: {p['n_rows']:,}; scanned: {p['n_scanned']:,}."]
    if p.get("sample"):
        lines.append(f"- Sample: {p['sample']['statement']}")
    t = p["totals"]
    lines.append(
        f"- Personal data in {len(t['pii_columns'])} of {len(p['columns'])} column(s); "
        f"{t['matches']:,} match(es) in {t['rows_with_pii']:,} row(s)."
    )
    return lines


def render_markdown(p: dict[str, Any]) -> str:
    """The scan as a Markdown report."""
    out = ["# PII scan", "", *_headline(p), "", "## Column inventory", ""]
    out += [
        "| column | kind | entity | rows | prevalence | confidence | examples (masked) |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for col in p["columns"]:
        if not col["entities"]:
            out.append(f"| {_cell(col['column'])} | {col['kind']} | none found | 0 | — | — | |")
        for e in col["entities"]:
            out.append(
                f"| {_cell(col['column'])} | {col['kind']} | {e['entity']} | {e['rows']:,} | "
                f"{_pct(e['prevalence'])}{_ci(e['prevalence_ci'])} | {e['confidence']:.2f} | "
                f"{_cell(', '.join(e['examples']))} |"
            )
    if p["totals"]["entities"]:
        out += ["", "## By entity type", "", "| entity | matches | rows | columns |",
                "|---|---:|---:|---|"]  # fmt: skip
        for name, t in p["totals"]["entities"].items():
            out.append(
                f"| {name} | {t['matches']:,} | {t['rows']:,} | {_cell(', '.join(t['columns']))} |"
            )
    inp = p.get("input") or {}
    if p["skipped"] or inp.get("notes") or inp.get("cells_truncated"):
        out += ["", "## Input", ""]
        for s in p["skipped"]:
            out.append(f"- Skipped `{s['column']}` ({s['dtype']}): {s['reason']}.")
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
            f"Quasi-identifiers: {', '.join(risk['quasi_identifiers'])}. k-anonymity **k = "
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


_HTML = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PII scan</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#1b1f24;
padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #d8dee4;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.none{color:#6e7781}code{font-size:.95em}.bar{background:#cf222e;height:.6rem;display:inline-block}
footer{color:#6e7781;margin-top:2rem;font-size:.85em}
</style></head><body>
<h1>PII scan</h1>
<ul>{% for line in headline %}<li>{{ line[2:] }}</li>{% endfor %}</ul>
<h2>Column inventory</h2>
<table><tr><th>column</th><th>kind</th><th>entity</th><th>rows</th><th>prevalence</th>
<th>confidence</th><th>examples (masked)</th></tr>
{% for col in p.columns %}{% if not col.entities %}
<tr class="none"><td><code>{{ col.column }}</code></td><td>{{ col.kind }}</td>
<td colspan="5">none found</td></tr>
{% endif %}{% for e in col.entities %}
<tr><td><code>{{ col.column }}</code></td><td>{{ col.kind }}</td><td>{{ e.entity }}</td>
<td class="n">{{ "{:,}".format(e.rows) }}</td>
<td class="n"><span class="bar" style="width:{{ (e.prevalence * 60) | round(1) }}px"></span>
{{ pct(e.prevalence) }}{{ ci(e.prevalence_ci) }}</td>
<td class="n">{{ "%.2f" | format(e.confidence) }}</td><td>{{ e.examples | join(", ") }}</td></tr>
{% endfor %}{% endfor %}</table>
{% if p.skipped %}<h2>Skipped columns</h2><ul>
{% for s in p.skipped %}<li><code>{{ s.column }}</code> ({{ s.dtype }}): {{ s.reason }}</li>
{% endfor %}</ul>{% endif %}
{% if p.input and p.input.notes %}<h2>Input notes</h2><ul>
{% for n in p.input.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
{% if p.risk %}<h2>Re-identification risk</h2>
<p>Quasi-identifiers: {{ p.risk.quasi_identifiers | join(", ") }}. k-anonymity
<strong>k = {{ p.risk.k }}</strong>; unique records {{ p.risk.unique_records }}
({{ pct(p.risk.unique_share) }}); records at risk (class &lt; {{ p.risk.k_threshold }}):
{{ pct(p.risk.records_at_risk_share) }}.{% if p.risk.sensitive %} l-diversity of
<code>{{ p.risk.sensitive }}</code>: l = {{ p.risk.l_diversity }}.{% endif %}</p>
{% if p.risk.drivers %}<table><tr><th>without</th><th>distinct values</th><th>k</th>
<th>unique share</th><th>reduction</th></tr>{% for d in p.risk.drivers %}
<tr><td>{{ d.column }}</td><td class="n">{{ d.distinct_values }}</td>
<td class="n">{{ d.k_without }}</td><td class="n">{{ pct(d.unique_share_without) }}</td>
<td class="n">{{ pct(d.unique_share_reduction) }}</td></tr>
{% endfor %}</table>{% endif %}{% endif %}
{% if p.minimisation %}<h2>Data minimisation</h2><p>{{ p.minimisation.finding }}</p>{% endif %}
<footer>assay {{ p.provenance.assay_version }} · {{ p.schema }} ·
{{ p.provenance.created_at }}</footer>
</body></html>
"""
)


def render_html(p: dict[str, Any]) -> str:
    """The scan as one HTML page with inline CSS (opens offline)."""
    return _HTML.render(p=p, headline=_headline(p), pct=_pct, ci=_ci)
