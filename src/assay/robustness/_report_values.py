"""How the robustness report writes probe kinds, verdicts and estimates.

Shared by the probe sections (:mod:`assay.robustness._probe_view`) and the rest of the report
(:mod:`assay.robustness._report`): every estimate becomes display-ready text (value, interval,
or why it is undefined), and every verdict a key for the badge and a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay import render as rendering
from assay.render import estimate, verdict_label

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
#: The family of a probe kind decides its columns and charts (the rest are perturbations).
KIND_FAMILY = {
    "covariate_shift": "shift",
    "label_shift": "shift",
    "counterfactual": "counterfactual",
    "monotonic": "monotonic",
}
#: The badge of each verdict; an errored probe is shown as failed.
VERDICT_KEYS = {
    "pass": "pass",
    "fail": "fail",
    "insufficient_evidence": "insufficient_evidence",
    "error": "fail",
    "none": "unknown",
}


def label_verdict(v: str) -> str:
    """The label of a verdict, including a probe that errored or had no limits."""
    return "Errored" if v == "error" else "No verdict" if v == "none" else verdict_label(v)


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


def est_view(entry: Any) -> dict[str, Any]:
    """An estimate as display-ready text: value, interval, or why it is undefined."""
    e = estimate(_tidy(entry))
    return {
        "defined": e.defined,
        "value_text": e.value_text,
        "ci_text": e.ci_text,
        "undefined_text": e.undefined_text,
        "text": e.text,
    }


def signed_view(entry: Any) -> dict[str, Any]:
    """An estimated change, with a plus sign when it is positive."""
    view = est_view(entry)
    e = estimate(_tidy(entry))
    if e.value is not None and e.value > 0:
        view["value_text"] = "+" + view["value_text"]
        view["text"] = "+" + view["text"]
    return view


def interval(entry: Any, note: str = "") -> rendering.Interval:
    """An estimate as a mark of a dot-and-whisker chart."""
    e = estimate(entry)
    return rendering.Interval(e.value, e.low, e.high, note)
