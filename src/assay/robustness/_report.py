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
    estimate,
    group_label,
    group_values,
    grouping_label,
    limit_text,
    metric_label,
    number,
    plain,
    short_digest,
    timestamp,
    verdict_label,
)
from assay.robustness._result import EXPLANATION_SCHEMA, ROBUSTNESS_SCHEMA
from assay.robustness._scenarios import CHECKS

KIND_LABELS = {
    "gaussian_noise": "Gaussian noise",
    "category_swap": "Category swaps",
    "typos": "Typos",
    "missing_values": "Missing values",
    "feature_dropout": "Feature dropout",
    "out_of_range": "Out-of-range values",
    "covariate_shift": "Covariate shift",
    "label_shift": "Label shift",
    "counterfactual": "Counterfactual",
    "monotonic": "Monotonic relationship",
}
KIND_FAMILY = {
    "covariate_shift": "shift",
    "label_shift": "shift",
    "counterfactual": "counterfactual",
    "monotonic": "monotonic",
}
VERDICT_KEYS = {
    "pass": "pass",
    "fail": "fail",
    "insufficient_evidence": "insufficient_evidence",
    "error": "fail",
    "none": "unknown",
}
OUTCOME_SENTENCES = {
    "fail": "At least one probe moved the model beyond a limit, with statistical significance.",
    "error": "At least one probe could not run; its reason is given below. A run with errored "
    "probes is not complete evidence.",
    "insufficient_evidence": "No probe is significantly beyond its limits, but some checks could "
    "not be decided (intervals that include the limit, or groups below the minimum size).",
    "pass": "Every check of every probe is significantly within its limit.",
    "none": "No limits applied, so nothing was checked; judge the changes below on their own.",
}


def _label_verdict(v: str) -> str:
    return "Errored" if v == "error" else "No verdict" if v == "none" else verdict_label(v)


def _check(result: Any, schema: str) -> Mapping[str, Any]:
    if not isinstance(result, Mapping) or result.get("schema") != schema:
        found = result.get("schema") if isinstance(result, Mapping) else type(result).__name__
        raise SchemaError(f"Expected a result with schema '{schema}', found {found!r}.")
    return result


def _tidy(entry: Any) -> Any:
    """Float noise such as 7e-18 from an interval bound is shown as 0."""
    if not isinstance(entry, Mapping):
        return entry
    out = dict(entry)
    for k in ("value", "ci_low", "ci_high"):
        v = out.get(k)
        if isinstance(v, float) and abs(v) < 1e-12:
            out[k] = 0.0
    return out


def _est_view(entry: Any) -> dict[str, Any]:
    e = estimate(_tidy(entry))
    return {
        "defined": e.defined,
        "value_text": e.value_text,
        "ci_text": e.ci_text,
        "undefined_text": e.undefined_text,
        "text": e.text,
    }


def _signed(entry: Any) -> dict[str, Any]:
    view = _est_view(entry)
    e = estimate(_tidy(entry))
    if e.value is not None and e.value > 0:
        view["value_text"] = "+" + view["value_text"]
        view["text"] = "+" + view["text"]
    return view


def _interval(entry: Any, note: str = "") -> rendering.Interval:
    e = estimate(entry)
    return rendering.Interval(e.value, e.low, e.high, note)


def _probe_columns(kind: str) -> list[tuple[str, str, bool]]:
    """(metric key, column label, signed) for a probe's by-group table."""
    family = KIND_FAMILY.get(kind, "perturbation")
    if family == "counterfactual":
        return [
            ("flip_rate", "Flip rate", False),
            ("flip_to_positive", "→ favourable", False),
            ("flip_to_negative", "→ unfavourable", False),
        ]
    if family == "monotonic":
        return [("violation_rate", "Violation rate", False)]
    cols = [
        ("accuracy", "Δ accuracy", True),
        ("selection_rate", "Δ selection rate", True),
        ("tpr", "Δ TPR", True),
        ("fpr", "Δ FPR", True),
    ]
    if family == "perturbation":
        cols.append(("flip_rate", "Flip rate", False))
    return cols


def _cell(metrics: Mapping[str, Any], key: str, signed: bool) -> dict[str, Any]:
    entry = metrics.get(key)
    if isinstance(entry, Mapping) and "delta" in entry:
        entry = entry["delta"]
    return _signed(entry) if signed else _est_view(entry)


def _chart_panels(
    kind: str, deltas: Sequence[Mapping[str, Any]], limits: Mapping[str, float]
) -> list[rendering.DotPanel]:
    family = KIND_FAMILY.get(kind, "perturbation")
    inf = math.inf

    def points(key: str) -> list[rendering.Interval]:
        out = []
        for d in deltas:
            entry = d["metrics"].get(key)
            if isinstance(entry, Mapping) and "delta" in entry:
                entry = entry["delta"]
            out.append(_interval(entry))
        return out

    panels: list[rendering.DotPanel] = []
    if family in ("perturbation", "shift"):
        limit = limits.get("accuracy_drop")
        panels.append(
            rendering.DotPanel(
                "Accuracy change (probe − baseline)",
                points("accuracy"),
                reference=0.0,
                reference_label="no change",
                band=(-inf, -limit) if limit is not None else None,
                band_label="beyond the accuracy-drop limit" if limit is not None else "",
            )
        )
    if family == "shift":
        limit = limits.get("selection_rate_change")
        panels.append(
            rendering.DotPanel(
                "Selection-rate change",
                points("selection_rate"),
                reference=0.0,
                reference_label="no change",
            )
        )
    if family == "perturbation":
        limit = limits.get("flip_rate")
        panels.append(
            rendering.DotPanel(
                "Decision flip rate",
                points("flip_rate"),
                band=(limit, inf) if limit is not None else None,
                band_label="beyond the flip-rate limit" if limit is not None else "",
            )
        )
    if family == "counterfactual":
        limit = limits.get("counterfactual_flip_rate")
        panels += [
            rendering.DotPanel(
                "Counterfactual flip rate",
                points("flip_rate"),
                band=(limit, inf) if limit is not None else None,
                band_label="beyond the counterfactual limit" if limit is not None else "",
            ),
            rendering.DotPanel("Flips to the favourable decision", points("flip_to_positive")),
        ]
    if family == "monotonic":
        limit = limits.get("violation_rate")
        panels.append(
            rendering.DotPanel(
                "Violation rate",
                points("violation_rate"),
                band=(limit, inf) if limit is not None else None,
                band_label="beyond the violation limit" if limit is not None else "",
            )
        )
    return panels


def _probe_view(p: Mapping[str, Any], index: int, charts: bool) -> dict[str, Any]:
    kind = str(p.get("kind", ""))
    verdict = str(p.get("verdict", "none"))
    view: dict[str, Any] = {
        "id": f"probe-{index + 1}",
        "number": index + 1,
        "name": p.get("name", kind),
        "kind": KIND_LABELS.get(kind, kind),
        "kind_key": kind,
        "status": p.get("status"),
        "errored": p.get("status") == "errored",
        "error": p.get("error"),
        "verdict_key": VERDICT_KEYS.get(verdict, "unknown"),
        "verdict_label": _label_verdict(verdict),
        "reason": p.get("reason") or "",
        "spec": _spec_text(p.get("spec", {})),
        "changed": _changed_text(p.get("changed", {})),
        "notes": list(p.get("notes", [])),
        "limits": [
            {"check": k.replace("_", " "), "limit": limit_text(v), "meaning": CHECKS.get(k, "")}
            for k, v in (p.get("limits") or {}).items()
        ],
        "timing": p.get("timing", {}),
    }
    deltas = list(p.get("deltas", []))
    columns = _probe_columns(kind)
    view["columns"] = [c[1] for c in columns]
    rows = []
    for d in deltas:
        rows.append(
            {
                "grouping": grouping_label(d["by"]),
                "group": group_values(d["group"]),
                "overall": not d["by"],
                "n": f"{d['n']:,}",
                "small": bool(d.get("small")),
                "cells": [_cell(d["metrics"], key, signed) for key, _, signed in columns],
            }
        )
    view["rows"] = [r for r, d in zip(rows, deltas, strict=True) if len(d["by"]) <= 1]
    view["intersection_rows"] = [r for r, d in zip(rows, deltas, strict=True) if len(d["by"]) > 1]
    auc = [d for d in deltas if "roc_auc" in d["metrics"] and "probed" in d["metrics"]["roc_auc"]]
    view["auc_rows"] = [
        {
            "group": group_values(d["group"]) if d["by"] else "Overall",
            "grouping": grouping_label(d["by"]),
            "baseline": _est_view(d["metrics"]["roc_auc"]["baseline"]),
            "probed": _est_view(d["metrics"]["roc_auc"]["probed"]),
            "delta": _signed(d["metrics"]["roc_auc"].get("delta")),
        }
        for d in auc
        if len(d["by"]) <= 1
    ]
    ordered = sorted(
        p.get("checks", []),
        key=lambda c: (
            ("fail", "insufficient_evidence", "pass").index(c["verdict"])
            if c["verdict"] in ("fail", "insufficient_evidence", "pass")
            else 3
        ),
    )
    view["checks"] = [
        {
            "check": c["check"].replace("_", " "),
            "scope": group_label(c["group"]) if c["by"] else "overall",
            "estimate": _est_view(c["estimate"]),
            "limit": limit_text(c["limit"]),
            "verdict_key": VERDICT_KEYS.get(c["verdict"], "unknown"),
            "verdict_label": _label_verdict(c["verdict"]),
            "reason": c.get("reason", ""),
        }
        for c in ordered
    ]
    view["failed_checks"] = sum(1 for c in p.get("checks", []) if c["verdict"] == "fail")
    view["by_target"] = []
    for d in deltas:
        for t in d.get("by_target", []):
            view["by_target"].append(
                {
                    "group": group_values(d["group"]) if d["by"] else "Overall",
                    "grouping": grouping_label(d["by"]),
                    "target": str(t.get("target")),
                    "n": f"{t['n']:,}",
                    "flip": _est_view(t["flip_rate"]),
                }
            )
    view["chart"] = ""
    if charts and deltas and not view["errored"]:
        shown = [d for d in deltas if len(d["by"]) <= 1]
        panels = _chart_panels(kind, shown, p.get("limits") or {})
        if panels:
            labels = [group_label(d["group"]) if d["by"] else "Overall" for d in shown]
            view["chart"] = rendering.dot_whisker(
                labels,
                panels,
                title=f"{p.get('name')}: changes by group",
                description="Estimates with their confidence intervals, overall and for each "
                "group of each sensitive feature; shaded regions are beyond the limits.",
                annotations=[f"n={d['n']:,}" for d in shown],
                annotation_title="rows",
                flagged=[bool(d.get("small")) for d in shown],
                flagged_label="group below the minimum size",
            )
    view["headline"], view["head_accuracy"], view["head_rate"] = _headline(p, kind)
    return view


def _headline(
    p: Mapping[str, Any], kind: str
) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None]:
    """The overall change in one line, and the accuracy change and flip/violation rate."""
    overall = next((d for d in p.get("deltas", []) if not d["by"]), None)
    if overall is None:
        return "", None, None
    m = overall["metrics"]
    family = KIND_FAMILY.get(kind, "perturbation")
    accuracy = (
        _signed((m.get("accuracy") or {}).get("delta"))
        if family in ("perturbation", "shift")
        else None
    )
    rate = None
    label = "flips"
    if family in ("perturbation", "counterfactual"):
        rate = _est_view(m.get("flip_rate"))
    elif family == "monotonic":
        rate, label = _est_view(m.get("violation_rate")), "violations"
    parts = []
    if accuracy is not None:
        parts.append(f"accuracy {accuracy['text']}")
    if rate is not None:
        parts.append(f"{label} {rate['text']}")
    return "; ".join(parts), accuracy, rate


def _spec_text(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(k, plain(v)) for k, v in spec.items() if k not in ("name", "kind", "limits")]


def _changed_text(changed: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    if changed.get("cells"):
        out.append(("cells changed", f"{changed['cells']:,}"))
    if changed.get("rows"):
        out.append(("rows changed or re-weighted", f"{changed['rows']:,}"))
    for k, v in (changed.get("details") or {}).items():
        if isinstance(v, float):
            out.append((k.replace("_", " "), number(v)))
        elif isinstance(v, Mapping):
            out.append(
                (
                    k.replace("_", " "),
                    "; ".join(
                        f"{a}: {number(b) if isinstance(b, float) else plain(b)}"
                        for a, b in v.items()
                    ),
                )
            )
        else:
            out.append((k.replace("_", " "), plain(v)))
    return out


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
        acc.append(_interval(a.get("delta") if isinstance(a, Mapping) else None))
        flips.append(_interval(m.get("flip_rate")))
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
            "cells": [_est_view(g["metrics"].get(m)) for m in present],
        }
        for g in baseline["groups"]
    ]
    summaries = [
        {
            "grouping": grouping_label(s["by"]),
            "dp": _est_view(s.get("demographic_parity_difference")),
            "eo": _est_view(s.get("equalized_odds_difference")),
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
    views = [_probe_view(p, i, charts) for i, p in enumerate(probes)]
    counts = {
        k: sum(1 for p in probes if p.get("verdict") == k)
        for k in ("fail", "insufficient_evidence", "pass", "error", "none")
    }
    timing = r.get("timing", {})
    share = timing.get("predict_share")
    view: dict[str, Any] = {
        "title": title or "Robustness and stress-test report",
        "schema": r["schema"],
        "n": f"{r.get('n', 0):,}",
        "outcome_key": VERDICT_KEYS.get(outcome, "unknown"),
        "outcome_label": _label_verdict(outcome),
        "outcome_sentence": OUTCOME_SENTENCES.get(outcome, ""),
        "run_error": r.get("error"),
        "features": params.get("sensitive_features", []),
        "model": {
            "kind": model.get("kind"),
            "source": model.get("source"),
            "class": _short_class(model.get("model_class")),
            "class_full": model.get("model_class") or "not recorded",
            "sha256": model.get("sha256"),
            "sha_short": short_digest(model.get("sha256")) if model.get("sha256") else "none",
            "notes": model.get("notes", []),
        },
        "created": timestamp(prov.get("created_at")),
        "created_iso": prov.get("created_at", ""),
        "digest_full": (prov.get("dataset") or {}).get("digest") or "not recorded",
        "digest_short": short_digest((prov.get("dataset") or {}).get("digest")),
        "assay_version": prov.get("assay_version", "unknown"),
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
        "settings": [
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
        ],
        "timing": [
            ("Total time", f"{timing.get('total_seconds', 0):.1f} s"),
            ("Model predict time", f"{timing.get('predict_seconds', 0):.1f} s"),
            ("Share of time in predict", f"{share:.0%}" if isinstance(share, float) else "n/a"),
            ("Rows scored", f"{timing.get('rows_scored', 0):,}"),
            ("Model calls", f"{timing.get('model_calls', 0):,}"),
        ],
        "provenance": [
            ("Dataset digest", plain((prov.get("dataset") or {}).get("digest"))),
            ("Digest of", plain((prov.get("dataset") or {}).get("digest_of"))),
            ("Dataset path", plain((prov.get("dataset") or {}).get("path"))),
            ("Model source", plain(model.get("source"))),
            ("Model kind", plain(model.get("kind"))),
            ("Model sha256", plain(model.get("sha256"))),
            ("Assay version", plain(prov.get("assay_version"))),
            ("Python", plain(prov.get("python"))),
            ("Created", timestamp(prov.get("created_at"))),
        ],
    }
    view["explanation"] = (
        _explanation_view(_check(explanation, EXPLANATION_SCHEMA), charts) if explanation else None
    )
    toc = [
        {"id": "summary", "label": "Executive summary"},
        {"id": "baseline", "label": "Baseline performance by group"},
        {
            "id": "probes",
            "label": "Probes",
            "children": [{"id": v["id"], "label": v["name"]} for v in views],
        },
    ]
    if view["explanation"]:
        toc.append({"id": "explanations", "label": "Explanations: feature importance"})
    toc += [
        {"id": "methods", "label": "Methods and limits"},
        {"id": "provenance", "label": "Provenance"},
    ]
    view["toc"] = toc
    return view


def _explanation_view(e: Mapping[str, Any], charts: bool) -> dict[str, Any]:
    perm = e["permutation"]
    overall = list(perm["overall"])
    top = [x["feature"] for x in overall[:10]]
    view: dict[str, Any] = {
        "scoring": perm.get("scoring", "accuracy"),
        "overall": [
            {"feature": x["feature"], "importance": _est_view(x["importance"])} for x in overall
        ],
        "groupings": [],
        "differences": [
            {
                "grouping": grouping_label(d["by"]),
                "feature": d["feature"],
                "max_group": group_values(d["max_group"]),
                "min_group": group_values(d["min_group"]),
                "difference": _est_view(d["difference"]),
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
                    [_interval(x["importance"]) for x in overall],
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
        shown = entries[:5]
        lookup = [{x["feature"]: x["importance"] for x in g["importances"]} for g in shown]
        table = [{"feature": f, "cells": [_est_view(lk.get(f)) for lk in lookup]} for f in top]
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
                        [_interval(lk.get(f)) for f in top],
                        reference=0.0,
                        domain=(low, high),
                    )
                    for g, lk in zip(shown, lookup, strict=True)
                ],
                title=f"Permutation importance by {grouping_label(list(s))}",
                description="Top features overall; one panel per group (largest groups first), "
                "all on the same scale.",
            )
        view["groupings"].append(
            {
                "label": grouping_label(list(s)),
                "groups": [f"{group_values(g['group'])} (n={g['n']:,})" for g in shown],
                "omitted": len(entries) - len(shown),
                "rows": table,
                "chart": chart,
            }
        )
    shap = e.get("shap") or {}
    view["shap"] = {
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
        view["shap"]["chart"] = rendering.bar_chart(
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
        "created": timestamp(prov.get("created_at")),
        "created_iso": prov.get("created_at", ""),
        "digest_full": (prov.get("dataset") or {}).get("digest") or "not recorded",
        "digest_short": short_digest((prov.get("dataset") or {}).get("digest")),
        "assay_version": prov.get("assay_version", "unknown"),
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
