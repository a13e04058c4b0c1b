"""The robustness and stress-test report: self-contained HTML (inline CSS and SVG) and Markdown.

Both formats are rendered from one view built here, so they say the same thing; the HTML adds
charts drawn with :mod:`assay.render` and the shared report stylesheet. Every number
shown comes from the ``assay.robustness/v1`` result (and the optional ``assay.explanation/v1``
result); nothing is recomputed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import Environment

from assay import render as rendering
from assay.errors import SchemaError
from assay.render import (
    environment,
    group_values,
    grouping_label,
    limit_text,
    metric_label,
    number,
    plain,
    short_digest,
    timestamp,
)
from assay.robustness._probe_view import probe_view
from assay.robustness._report_values import (
    KIND_FAMILY,
    VERDICT_KEYS,
    est_view,
    interval,
    label_verdict,
)
from assay.robustness._result import EXPLANATION_SCHEMA, ROBUSTNESS_SCHEMA
from assay.robustness._scenarios import CHECKS

OUTCOME_SENTENCES = {
    "fail": "At least one probe moved the model beyond a limit, with statistical significance.",
    "error": "At least one probe could not run; its reason is given below. A run with errored "
    "probes is not complete evidence.",
    "insufficient_evidence": "No probe is significantly beyond its limits, but some checks could "
    "not be decided (intervals that include the limit, or groups below the minimum size).",
    "pass": "Every check of every probe is significantly within its limit.",
    "none": "No limits applied, so nothing was checked; judge the changes below on their own.",
}


def _check(result: Any, schema: str) -> Mapping[str, Any]:
    if not isinstance(result, Mapping) or result.get("schema") != schema:
        found = result.get("schema") if isinstance(result, Mapping) else type(result).__name__
        raise SchemaError(f"Expected a result with schema '{schema}', found {found!r}.")
    return result


def _summary_chart(probes: Sequence[Mapping[str, Any]], limits: Mapping[str, Any]) -> str:
    rows = [
        p
        for p in probes
        if p.get("status") == "ok"
        and p.get("deltas")
        and KIND_FAMILY.get(str(p.get("kind")), "perturbation") in ("perturbation", "shift")
    ]
    if not rows:
        return ""
    acc, flips = [], []
    for p in rows:
        overall = next(d for d in p["deltas"] if not d["by"])
        m = overall["metrics"]
        a = m.get("accuracy", {})
        acc.append(interval(a.get("delta") if isinstance(a, Mapping) else None))
        flips.append(interval(m.get("flip_rate")))
    inf = math.inf
    acc_limit = limits.get("accuracy_drop")
    return rendering.dot_whisker(
        [str(p["name"]) for p in rows],
        [
            rendering.DotPanel(
                "Accuracy change, overall",
                acc,
                reference=0.0,
                reference_label="no change",
                band=(-inf, -float(acc_limit)) if acc_limit is not None else None,
                band_label="beyond the default accuracy-drop limit" if acc_limit else "",
            ),
            rendering.DotPanel("Decision flip rate, overall", flips),
        ],
        title="Every probe at a glance",
        description="Overall change in accuracy and share of decisions that changed, with "
        "confidence intervals, one row per perturbation or shift probe.",
    )


def _baseline_view(baseline: Mapping[str, Any] | None) -> dict[str, Any]:
    if not baseline:
        return {"rows": [], "metrics": [], "summaries": []}
    metrics = ["accuracy", "selection_rate", "tpr", "fpr", "roc_auc"]
    present = [m for m in metrics if any(m in g["metrics"] for g in baseline["groups"])]
    rows = [
        {
            "grouping": grouping_label(g["by"]),
            "group": group_values(g["group"]),
            "overall": not g["by"],
            "n": f"{g['n']:,}",
            "small": bool(g.get("small")),
            "cells": [est_view(g["metrics"].get(m)) for m in present],
        }
        for g in baseline["groups"]
    ]
    summaries = [
        {
            "grouping": grouping_label(s["by"]),
            "dp": est_view(s.get("demographic_parity_difference")),
            "eo": est_view(s.get("equalized_odds_difference")),
        }
        for s in baseline.get("summaries", [])
    ]
    return {"rows": rows, "metrics": [metric_label(m) for m in present], "summaries": summaries}


def build_view(
    result: Mapping[str, Any],
    *,
    explanation: Mapping[str, Any] | None,
    title: str | None,
    charts: bool,
) -> dict[str, Any]:
    """Everything the templates show, as display-ready text and SVG."""
    r = _check(result, ROBUSTNESS_SCHEMA)
    probes = list(r.get("probes", []))
    params = r.get("params", {})
    prov = r.get("provenance", {})
    model = r.get("model", {})
    outcome = str(r.get("outcome", "none"))
    views = [probe_view(p, i, charts) for i, p in enumerate(probes)]
    counts = {
        k: sum(1 for p in probes if p.get("verdict") == k)
        for k in ("fail", "insufficient_evidence", "pass", "error", "none")
    }
    view: dict[str, Any] = {
        "title": title or "Robustness and stress-test report",
        "schema": r["schema"],
        "n": f"{r.get('n', 0):,}",
        "outcome_key": VERDICT_KEYS.get(outcome, "unknown"),
        "outcome_label": label_verdict(outcome),
        "outcome_sentence": OUTCOME_SENTENCES.get(outcome, ""),
        "run_error": r.get("error"),
        "features": params.get("sensitive_features", []),
        "model": {
            "kind": model.get("kind"),
            "source": model.get("source"),
            **_model_identity(model),
            "notes": model.get("notes", []),
        },
        **_stamp(prov),
        "counts": counts,
        "n_probes": len(probes),
        "probes": views,
        "summary_chart": _summary_chart(probes, params.get("limits", {})) if charts else "",
        "baseline": _baseline_view(r.get("baseline")),
        "notes": list(r.get("notes", [])),
        "methods": list((r.get("methods") or {}).items()),
        "limits": [
            {"check": k.replace("_", " "), "limit": limit_text(v), "meaning": CHECKS.get(k, "")}
            for k, v in (params.get("limits") or {}).items()
        ],
        "settings": _settings(params),
        "timing": _timing(r.get("timing", {})),
        "provenance": _provenance_rows(prov, model),
    }
    view["explanation"] = (
        _explanation_view(_check(explanation, EXPLANATION_SCHEMA), charts) if explanation else None
    )
    view["toc"] = _toc(views, bool(view["explanation"]))
    return view


def _model_identity(model: Mapping[str, Any]) -> dict[str, Any]:
    """The model's class (short and full) and sha256 (short and full)."""
    return {
        "class": _short_class(model.get("model_class")),
        "class_full": model.get("model_class") or "not recorded",
        "sha256": model.get("sha256"),
        "sha_short": short_digest(model.get("sha256")) if model.get("sha256") else "none",
    }


def _stamp(prov: Mapping[str, Any]) -> dict[str, Any]:
    """When the result was made, by which Assay, and the digest of the data it read."""
    return {
        "created": timestamp(prov.get("created_at")),
        "created_iso": prov.get("created_at", ""),
        "digest_full": (prov.get("dataset") or {}).get("digest") or "not recorded",
        "digest_short": short_digest((prov.get("dataset") or {}).get("digest")),
        "assay_version": prov.get("assay_version", "unknown"),
    }


def _settings(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Label column", plain(params.get("y_true"))),
        ("Favourable label", plain(params.get("pos_label"))),
        ("Model's favourable class", plain(params.get("model_pos_label"))),
        ("Decision threshold", plain(params.get("threshold"))),
        ("Model inputs", plain(params.get("features"))),
        ("Confidence level", plain(params.get("ci_level"))),
        ("Minimum group size", plain(params.get("min_group_size"))),
        ("Bootstrap replicates", plain(params.get("n_bootstrap"))),
        ("Random seed", plain(params.get("random_state"))),
        ("Rows per model call", plain(params.get("batch_size"))),
    ]


def _timing(timing: Mapping[str, Any]) -> list[tuple[str, str]]:
    share = timing.get("predict_share")
    return [
        ("Total time", f"{timing.get('total_seconds', 0):.1f} s"),
        ("Model predict time", f"{timing.get('predict_seconds', 0):.1f} s"),
        ("Share of time in predict", f"{share:.0%}" if isinstance(share, float) else "n/a"),
        ("Rows scored", f"{timing.get('rows_scored', 0):,}"),
        ("Model calls", f"{timing.get('model_calls', 0):,}"),
    ]


def _provenance_rows(prov: Mapping[str, Any], model: Mapping[str, Any]) -> list[tuple[str, str]]:
    dataset = prov.get("dataset") or {}
    return [
        ("Dataset digest", plain(dataset.get("digest"))),
        ("Digest of", plain(dataset.get("digest_of"))),
        ("Dataset path", plain(dataset.get("path"))),
        ("Model source", plain(model.get("source"))),
        ("Model kind", plain(model.get("kind"))),
        ("Model sha256", plain(model.get("sha256"))),
        ("Assay version", plain(prov.get("assay_version"))),
        ("Python", plain(prov.get("python"))),
        ("Created", timestamp(prov.get("created_at"))),
    ]


def _toc(views: list[dict[str, Any]], explanation: bool) -> list[dict[str, Any]]:
    toc: list[dict[str, Any]] = [
        {"id": "summary", "label": "Executive summary"},
        {"id": "baseline", "label": "Baseline performance by group"},
        {
            "id": "probes",
            "label": "Probes",
            "children": [{"id": v["id"], "label": v["name"]} for v in views],
        },
    ]
    if explanation:
        toc.append({"id": "explanations", "label": "Explanations: feature importance"})
    toc += [
        {"id": "methods", "label": "Methods and limits"},
        {"id": "provenance", "label": "Provenance"},
    ]
    return toc


def _explanation_view(e: Mapping[str, Any], charts: bool) -> dict[str, Any]:
    """Permutation importances overall and by group, their differences, and SHAP."""
    perm = e["permutation"]
    overall = list(perm["overall"])
    top = [x["feature"] for x in overall[:10]]
    view: dict[str, Any] = {
        "scoring": perm.get("scoring", "accuracy"),
        "overall": [
            {"feature": x["feature"], "importance": est_view(x["importance"])} for x in overall
        ],
        "groupings": [],
        "differences": [
            {
                "grouping": grouping_label(d["by"]),
                "feature": d["feature"],
                "max_group": group_values(d["max_group"]),
                "min_group": group_values(d["min_group"]),
                "difference": est_view(d["difference"]),
                "notable": d["notable"],
            }
            for d in perm.get("differences", [])[:12]
        ],
        "methods": list((e.get("methods") or {}).items()),
        "chart": "",
    }
    if charts and overall:
        view["chart"] = rendering.dot_whisker(
            [x["feature"] for x in overall],
            [
                rendering.DotPanel(
                    f"Drop in {view['scoring']} when shuffled",
                    [interval(x["importance"]) for x in overall],
                    reference=0.0,
                    reference_label="no importance",
                )
            ],
            title="Permutation importance, all rows",
            description="Mean drop in the score over the shuffles, with its interval.",
            width=760,
        )
    by_group = [g for g in perm.get("by_group", []) if g.get("importances")]
    for s in dict.fromkeys(tuple(g["by"]) for g in by_group):
        entries = sorted([g for g in by_group if tuple(g["by"]) == s], key=lambda g: -g["n"])
        view["groupings"].append(_importance_grouping(list(s), entries, top, charts))
    view["shap"] = _shap_view(e.get("shap") or {}, charts)
    return view


def _importance_grouping(
    by: list[str], entries: list[Mapping[str, Any]], top: list[str], charts: bool
) -> dict[str, Any]:
    """The top features' importances in the largest groups of one grouping, as table and chart."""
    shown = entries[:5]
    lookup = [{x["feature"]: x["importance"] for x in g["importances"]} for g in shown]
    table = [{"feature": f, "cells": [est_view(lk.get(f)) for lk in lookup]} for f in top]
    chart = ""
    if charts:
        bounds = [
            v
            for lk in lookup
            for f in top
            for v in (
                (lk.get(f) or {}).get("ci_low"),
                (lk.get(f) or {}).get("ci_high"),
                (lk.get(f) or {}).get("value"),
            )
            if isinstance(v, int | float) and math.isfinite(v)
        ]
        # one scale for every group, so that panels can be compared by eye
        low, high, _ = rendering.nice_ticks(min([0.0, *bounds]), max([0.0, *bounds]), 4)
        chart = rendering.dot_whisker(
            top,
            [
                rendering.DotPanel(
                    f"{group_values(g['group'])} (n={g['n']:,})",
                    [interval(lk.get(f)) for f in top],
                    reference=0.0,
                    domain=(low, high),
                )
                for g, lk in zip(shown, lookup, strict=True)
            ],
            title=f"Permutation importance by {grouping_label(by)}",
            description="Top features overall; one panel per group (largest groups first), "
            "all on the same scale.",
        )
    return {
        "label": grouping_label(by),
        "groups": [f"{group_values(g['group'])} (n={g['n']:,})" for g in shown],
        "omitted": len(entries) - len(shown),
        "rows": table,
        "chart": chart,
    }


def _shap_view(shap: Mapping[str, Any], charts: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "status": shap.get("status", "skipped"),
        "reason": shap.get("reason", ""),
        "rows": shap.get("rows"),
        "overall": [
            {"feature": x["feature"], "value": number(x["mean_abs_shap"])}
            for x in shap.get("overall", [])
        ],
        "chart": "",
    }
    if charts and shap.get("status") == "ok":
        view["chart"] = rendering.bar_chart(
            [rendering.Bar(x["feature"], x["mean_abs_shap"]) for x in shap["overall"]],
            title="Mean |SHAP value| per feature",
            description="Average absolute contribution to the positive-class score.",
            width=760,
        )
    return view


def render_robustness_html(
    result: Mapping[str, Any],
    *,
    explanation: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> str:
    """Render a robustness result (and optionally an explanation) as one self-contained HTML page.

    The page opens offline and prints cleanly: inline CSS and SVG charts, no scripts. It holds an
    executive summary (outcome, one row per probe with its verdict and reason, a chart of every
    probe), the baseline by group, one section per probe (what changed, changes by group with
    intervals, a chart, the checks against limits), the feature importances when
    ``explanation`` is given, the methods and the provenance (model sha256, dataset digest).

    Parameters
    ----------
    result : Mapping
        An ``assay.robustness/v1`` result (``RobustnessResult.to_dict()`` or its JSON).
    explanation : Mapping, optional
        An ``assay.explanation/v1`` result to include.
    title : str, optional
        The document title.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    assay.errors.SchemaError
        If ``result`` or ``explanation`` does not have the expected schema.
    """
    view = build_view(result, explanation=explanation, title=title, charts=True)
    return _environment(html=True).get_template("robustness_report.html.j2").render(view)


def render_robustness_markdown(
    result: Mapping[str, Any],
    *,
    explanation: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> str:
    """The same report as GitHub-flavoured Markdown (tables instead of charts).

    Parameters
    ----------
    result : Mapping
        An ``assay.robustness/v1`` result.
    explanation : Mapping, optional
        An ``assay.explanation/v1`` result to include.
    title : str, optional
        The document title.

    Returns
    -------
    str
        The Markdown document, ending with a newline.
    """
    view = build_view(result, explanation=explanation, title=title, charts=False)
    text = _environment(html=False).get_template("robustness_report.md.j2").render(view)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def render_explanation_html(explanation: Mapping[str, Any], *, title: str | None = None) -> str:
    """An explanation on its own, as a self-contained HTML page."""
    e = _check(explanation, EXPLANATION_SCHEMA)
    view = _standalone(e, title, charts=True)
    return _environment(html=True).get_template("explanation_report.html.j2").render(view)


def render_explanation_markdown(explanation: Mapping[str, Any], *, title: str | None = None) -> str:
    """An explanation on its own, as Markdown."""
    e = _check(explanation, EXPLANATION_SCHEMA)
    view = _standalone(e, title, charts=False)
    text = _environment(html=False).get_template("explanation_report.md.j2").render(view)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _standalone(e: Mapping[str, Any], title: str | None, charts: bool) -> dict[str, Any]:
    prov = e.get("provenance", {})
    model = e.get("model", {})
    return {
        "title": title or "Feature importance overall and by group",
        "schema": e["schema"],
        "n": f"{e.get('n', 0):,}",
        "explanation": _explanation_view(e, charts),
        "features": e.get("params", {}).get("sensitive_features", []),
        **_stamp(prov),
        "model": {
            "class": _short_class(model.get("model_class")),
            "class_full": model.get("model_class") or "not recorded",
            "source": model.get("source"),
            "sha256": model.get("sha256"),
            "sha_short": short_digest(model.get("sha256")) if model.get("sha256") else "none",
        },
    }


def _short_class(name: Any) -> str:
    """``sklearn.ensemble._hist...HistGradientBoostingClassifier`` → ``HistGradientBoosting
    Classifier (sklearn)``."""
    if not isinstance(name, str) or not name:
        return "not recorded"
    if " " in name or "." not in name:
        return name
    parts = name.split(".")
    return f"{parts[-1]} ({parts[0]})"


def _environment(*, html: bool) -> Environment:
    return environment("assay.robustness", "assay.documents", markdown=not html)
