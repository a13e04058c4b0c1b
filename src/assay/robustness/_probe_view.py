"""One probe of the robustness report: what it changed, the changes by group, its checks and chart.

Every number shown comes from the probe's entry in the ``assay.robustness/v1`` result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from assay import render as rendering
from assay.render import (
    group_label,
    group_values,
    grouping_label,
    limit_text,
    number,
    plain,
)
from assay.robustness._report_values import (
    KIND_FAMILY,
    KIND_LABELS,
    VERDICT_KEYS,
    est_view,
    interval,
    label_verdict,
    signed_view,
)
from assay.robustness._scenarios import CHECKS


def probe_columns(kind: str) -> list[tuple[str, str, bool]]:
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
    return signed_view(entry) if signed else est_view(entry)


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
            out.append(interval(entry))
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


def probe_view(p: Mapping[str, Any], index: int, charts: bool) -> dict[str, Any]:
    """Everything the report shows of one probe, as display-ready text and SVG."""
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
        "verdict_label": label_verdict(verdict),
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
    columns = probe_columns(kind)
    view["columns"] = [c[1] for c in columns]
    rows = [_delta_row(d, columns) for d in deltas]
    view["rows"] = [r for r, d in zip(rows, deltas, strict=True) if len(d["by"]) <= 1]
    view["intersection_rows"] = [r for r, d in zip(rows, deltas, strict=True) if len(d["by"]) > 1]
    view["auc_rows"] = _auc_rows(deltas)
    view["checks"] = _checks(p.get("checks", []))
    view["failed_checks"] = sum(1 for c in p.get("checks", []) if c["verdict"] == "fail")
    view["by_target"] = _by_target(deltas)
    view["chart"] = ""
    if charts and deltas and not view["errored"]:
        view["chart"] = _probe_chart(p, kind, deltas)
    view["headline"], view["head_accuracy"], view["head_rate"] = _headline(p, kind)
    return view


def _delta_row(d: Mapping[str, Any], columns: list[tuple[str, str, bool]]) -> dict[str, Any]:
    """One group's changes, in the probe's columns."""
    return {
        "grouping": grouping_label(d["by"]),
        "group": group_values(d["group"]),
        "overall": not d["by"],
        "n": f"{d['n']:,}",
        "small": bool(d.get("small")),
        "cells": [_cell(d["metrics"], key, signed) for key, _, signed in columns],
    }


def _auc_rows(deltas: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """ROC AUC before and after the probe, overall and by single feature, where scored."""
    auc = [d for d in deltas if "roc_auc" in d["metrics"] and "probed" in d["metrics"]["roc_auc"]]
    return [
        {
            "group": group_values(d["group"]) if d["by"] else "Overall",
            "grouping": grouping_label(d["by"]),
            "baseline": est_view(d["metrics"]["roc_auc"]["baseline"]),
            "probed": est_view(d["metrics"]["roc_auc"]["probed"]),
            "delta": signed_view(d["metrics"]["roc_auc"].get("delta")),
        }
        for d in auc
        if len(d["by"]) <= 1
    ]


def _checks(checks: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The checks against limits, failures first."""
    ordered = sorted(
        checks,
        key=lambda c: (
            ("fail", "insufficient_evidence", "pass").index(c["verdict"])
            if c["verdict"] in ("fail", "insufficient_evidence", "pass")
            else 3
        ),
    )
    return [
        {
            "check": c["check"].replace("_", " "),
            "scope": group_label(c["group"]) if c["by"] else "overall",
            "estimate": est_view(c["estimate"]),
            "limit": limit_text(c["limit"]),
            "verdict_key": VERDICT_KEYS.get(c["verdict"], "unknown"),
            "verdict_label": label_verdict(c["verdict"]),
            "reason": c.get("reason", ""),
        }
        for c in ordered
    ]


def _by_target(deltas: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Counterfactual flip rates by the value each row was changed to."""
    return [
        {
            "group": group_values(d["group"]) if d["by"] else "Overall",
            "grouping": grouping_label(d["by"]),
            "target": str(t.get("target")),
            "n": f"{t['n']:,}",
            "flip": est_view(t["flip_rate"]),
        }
        for d in deltas
        for t in d.get("by_target", [])
    ]


def _probe_chart(p: Mapping[str, Any], kind: str, deltas: list[Mapping[str, Any]]) -> str:
    """The changes by group with their intervals; empty when the kind has no panel."""
    shown = [d for d in deltas if len(d["by"]) <= 1]
    panels = _chart_panels(kind, shown, p.get("limits") or {})
    if not panels:
        return ""
    labels = [group_label(d["group"]) if d["by"] else "Overall" for d in shown]
    return rendering.dot_whisker(
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
        signed_view((m.get("accuracy") or {}).get("delta"))
        if family in ("perturbation", "shift")
        else None
    )
    rate = None
    label = "flips"
    if family in ("perturbation", "counterfactual"):
        rate = est_view(m.get("flip_rate"))
    elif family == "monotonic":
        rate, label = est_view(m.get("violation_rate")), "violations"
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
