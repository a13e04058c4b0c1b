"""The drift report: one self-contained HTML document (``assay check drift --format html``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.errors import SchemaError
from assay.evaluate import DriftResult
from assay.render import Bar, bar_chart, environment

__all__ = ["DRIFT_SCHEMA", "render_drift_html"]

DRIFT_SCHEMA = DriftResult.SCHEMA

#: The tests and effect sizes of a drift check, in words.
TEST_WORDS = {
    "ks": "Kolmogorov–Smirnov",
    "chi_square": "chi-square",
    "psi": "population stability index",
    "jensen_shannon": "Jensen–Shannon distance",
    "wasserstein": "Wasserstein distance / reference sd",
}


def _num(value: Any) -> str:
    if value is None:
        return "—"
    x = float(value)
    if x != 0 and abs(x) < 1e-300:
        return "< 1e-300"
    return f"{x:.3g}"


def _chart(column: str, dist: Mapping[str, Any]) -> str:
    """Reference (grey) and current (blue) share of rows in each bin, bar by bar."""
    bars = []
    for label, r, c in zip(dist["bins"], dist["reference"], dist["current"], strict=True):
        bars.append(Bar(f"{label} · reference", 100 * r, f"{100 * r:.1f}%", muted=True))
        bars.append(Bar(f"{label} · current", 100 * c, f"{100 * c:.1f}%"))
    return bar_chart(
        bars,
        title=f"Distribution of {column}: reference and current",
        description=f"Share of rows of {column} in each of {len(dist['bins'])} bins "
        f"({dist['binning']}), the reference in grey above the current data.",
        width=560,
    )


def _column(e: Mapping[str, Any]) -> dict[str, Any]:
    """A column's entry as the report shows it."""
    effect = e.get("effect") or {}
    test = e.get("test")
    return dict(e) | {
        "test_words": TEST_WORDS.get(str(test), str(test or "—")),
        "effect_text": (
            f"{TEST_WORDS.get(effect['name'], effect['name'])} {_num(effect.get('value'))} "
            f"(threshold {_num(effect.get('threshold'))})"
            if effect
            else "—"
        ),
        "p_text": _num(e.get("p_value")),
        "q_text": _num(e.get("q_value")),
        "chart": _chart(e["column"], e["distribution"]) if e.get("distribution") else None,
    }


def render_drift_html(result: Mapping[str, Any], *, title: str | None = None) -> str:
    """Render a drift result as one self-contained HTML document (inline CSS and SVG, no
    scripts): the decision and why, every column with its statistic, q-value, effect size and
    reason, its distribution when the result carries one (``drift(..., distributions=True)``),
    drift within each group, the problems and the methods.

    Raises
    ------
    assay.errors.SchemaError
        If ``result`` is not an ``assay.drift/v1`` result.

    Examples
    --------
    >>> import polars as pl
    >>> from assay.evaluate import drift
    >>> ref = pl.DataFrame({"x": list(range(100))})
    >>> html = render_drift_html(drift(ref, ref, distributions=True).to_dict())
    >>> html.startswith("<!DOCTYPE html>"), "<script" in html, "<svg" in html
    (True, False, True)
    """
    if not isinstance(result, Mapping) or result.get("schema") != DRIFT_SCHEMA:
        got = result.get("schema") if isinstance(result, Mapping) else type(result).__name__
        raise SchemaError(
            f"render_drift_html needs an {DRIFT_SCHEMA} result (DriftResult.to_dict()); "
            f"got {got!r}."
        )
    summary = result["summary"]
    provenance = result.get("provenance") or {}
    digest = str((result.get("reference") or {}).get("profile_digest") or "")
    template = environment("assay.documents").get_template("drift_report.html.j2")
    return template.render(
        title=title or "Data drift",
        r=result,
        s=summary,
        columns=[_column(e) for e in result["columns"]],
        groups=result.get("groups") or [],
        rule=(result.get("rule") or {}).get("text", ""),
        methods=result.get("methods") or {},
        created=provenance.get("created_at", ""),
        assay_version=provenance.get("assay_version", ""),
        digest_short=digest[:19],
        digest_full=digest,
        pct=lambda v: "—" if v is None else f"{100 * float(v):.1f}%",
    )
