"""How numbers, estimates, groups and metric names are written in documents.

One place, so that the HTML and the Markdown of a report say exactly the same thing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MISSING = "(missing)"
NOT_SET = "not set"

METRIC_LABELS = {
    "prevalence": "Prevalence",
    "selection_rate": "Selection rate",
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "tpr": "TPR",
    "fpr": "FPR",
    "fnr": "FNR",
    "tnr": "TNR",
    "ppv": "PPV",
    "npv": "NPV",
    "fdr": "FDR",
    "for": "FOR",
    "f1": "F1",
    "roc_auc": "ROC AUC",
    "average_precision": "Average precision",
    "brier_score": "Brier score",
    "ece": "ECE",
    "mae": "MAE",
    "rmse": "RMSE",
    "mean_prediction": "Mean prediction",
    "mean_residual": "Mean residual",
    "macro_tpr": "Macro recall",
    "macro_ppv": "Macro precision",
    "macro_f1": "Macro F1",
    "mae_difference": "MAE difference",
    "mae_ratio": "MAE ratio",
    "rmse_difference": "RMSE difference",
    "rmse_ratio": "RMSE ratio",
    "mean_residual_difference": "Mean residual difference",
    "mean_prediction_difference": "Mean prediction difference",
    "demographic_parity_difference": "Demographic parity difference",
    "demographic_parity_ratio": "Demographic parity ratio",
    "equalized_odds_difference": "Equalized odds difference",
    "equalized_odds_ratio": "Equalized odds ratio",
    "equal_opportunity_difference": "Equal opportunity difference",
    "equal_opportunity_ratio": "Equal opportunity ratio",
}

# Standard definitions, shown in the glossary of every report that uses the metric.
METRIC_DEFINITIONS = {
    "prevalence": "share of rows whose true label is the positive label",
    "selection_rate": "share of rows predicted positive",
    "accuracy": "share of rows predicted correctly",
    "balanced_accuracy": "mean of TPR and TNR",
    "tpr": "true positive rate (recall, sensitivity): TP / (TP + FN)",
    "fpr": "false positive rate: FP / (FP + TN)",
    "fnr": "false negative rate: FN / (TP + FN) = 1 − TPR",
    "tnr": "true negative rate (specificity): TN / (FP + TN) = 1 − FPR",
    "ppv": "positive predictive value (precision): TP / (TP + FP)",
    "npv": "negative predictive value: TN / (TN + FN)",
    "fdr": "false discovery rate: FP / (TP + FP) = 1 − PPV",
    "for": "false omission rate: FN / (TN + FN) = 1 − NPV",
    "f1": "harmonic mean of PPV and TPR",
    "roc_auc": "area under the ROC curve of the score: the chance that a random positive "
    "scores above a random negative",
    "average_precision": "area under the precision–recall curve of the score",
    "brier_score": "mean squared difference between the score and the 0/1 label (lower is better)",
    "ece": "expected calibration error: weighted mean gap between the mean score and the share "
    "of positives in each score bin (lower is better)",
    "mae": "mean absolute error |prediction − truth|",
    "rmse": "root mean squared error",
    "mean_prediction": "mean of the predictions",
    "mean_residual": "mean of prediction − truth (positive: over-prediction)",
    "macro_tpr": "mean over the classes of each class's recall (one-vs-rest TPR)",
    "macro_ppv": "mean over the classes of each class's precision (one-vs-rest PPV)",
    "macro_f1": "mean over the classes of each class's F1",
}

SUMMARY_DEFINITIONS = {
    "demographic_parity": "selection rates compared across groups",
    "equalized_odds": "the worse of the TPR and FPR comparisons",
    "equal_opportunity": "TPR compared across groups",
}

VERDICT_LABELS = {
    "pass": "Pass",
    "fail": "Fail",
    "insufficient_evidence": "Insufficient evidence",
}


def as_mapping(x: Any) -> Mapping[str, Any]:
    """``x`` if it is a mapping, else an empty one (results are read defensively)."""
    return x if isinstance(x, Mapping) else {}


def as_list(x: Any) -> list[Any]:
    """``x`` as a list if it is a list or tuple, else an empty list."""
    return list(x) if isinstance(x, list | tuple) else []


def limit_text(x: Any) -> str:
    """A limit or threshold as the user wrote it: ``0.1``, not ``0.100``."""
    return f"{x:g}" if isinstance(x, int | float) and not isinstance(x, bool) else plain(x)


def metric_label(name: str) -> str:
    """The display name of a metric or summary, e.g. ``tpr`` → ``TPR``."""
    known = METRIC_LABELS.get(name)
    if known is not None:
        return known
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def verdict_label(verdict: str) -> str:
    """``insufficient_evidence`` → ``Insufficient evidence``."""
    return VERDICT_LABELS.get(verdict, verdict.replace("_", " ").capitalize())


def number(x: Any) -> str:
    """A number as reports show it: three decimals; three significant digits below 0.001.

    Examples
    --------
    >>> number(0.21634), number(0.004567), number(0.000271), number(1234.5), number(0.0)
    ('0.216', '0.005', '0.000271', '1,234.500', '0.000')
    >>> number(-0.0616)
    '-0.062'
    """
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    value = float(x)
    if not math.isfinite(value):
        return "not finite"
    if value == 0 or abs(value) >= 0.001:
        return f"{value:,.3f}"
    # below 0.001 three decimals would print 0.000; keep three significant digits instead
    return f"{value:.{2 - math.floor(math.log10(abs(value)))}f}"


def count(n: Any) -> str:
    """A count with thousands separators: ``32561`` → ``32,561``."""
    if isinstance(n, bool) or not isinstance(n, int | float):
        return str(n)
    return f"{int(n):,}" if float(n).is_integer() else number(n)


def sample_size_text(verdict: Mapping[str, Any]) -> str:
    """The sentence an undecided verdict's sample-size advice reads as; empty without advice.

    ``sample_size`` maps each group that limits the verdict to ``{have, need}`` (``need`` null and
    ``more_than`` set when no size up to that would do), at power ``sample_size_power``.
    """
    sizes = {str(k): as_mapping(v) for k, v in as_mapping(verdict.get("sample_size")).items()}
    if not sizes:
        return ""
    power = verdict.get("sample_size_power")
    with_power = f"with {power:.0%} power" if isinstance(power, int | float) else "reliably"
    beyond = [float(e.get("more_than") or 0) for e in sizes.values() if e.get("need") is None]
    if beyond:
        return (
            f"At the observed rates, even {count(max(beyond))} rows per group would not decide "
            f"this {with_power}: the groups are at, or too close to, the limit."
        )
    needs = sorted({e.get("need") for e in sizes.values()}, key=lambda n: float(n or 0))
    have = "; ".join(f"{label}: {count(e.get('have'))}" for label, e in sizes.items())
    if len(needs) == 1:
        return (
            f"At the observed rates, about {count(needs[0])} rows per group would decide this "
            f"{with_power} (rows now: {have})."
        )
    wanted = "; ".join(
        f"{label}: {count(e.get('need'))} (has {count(e.get('have'))})"
        for label, e in sizes.items()
    )
    return f"At the observed rates, these rows would decide this {with_power}: {wanted}."


def value_text(value: Any) -> str:
    """A group value: ``None`` → ``(missing)``."""
    return MISSING if value is None else str(value)


def group_values(group: Mapping[str, Any]) -> str:
    """Only the values of a group, e.g. ``Female, White``; ``Overall`` for the empty group."""
    if not group:
        return "Overall"
    return ", ".join(value_text(v) for v in group.values())


def group_label(group: Mapping[str, Any]) -> str:
    """A group with its features, e.g. ``sex=Female, race=White``; ``all rows`` when empty."""
    if not group:
        return "all rows"
    return ", ".join(f"{k}={value_text(v)}" for k, v in group.items())


def grouping_label(by: Sequence[str]) -> str:
    """``["sex", "race"]`` → ``sex × race``; ``overall`` when empty."""
    return " × ".join(by) if by else "overall"


@dataclass(frozen=True)
class Estimate:
    """An estimate as displayed: its value, its interval, or why it is undefined."""

    value: float | None
    low: float | None
    high: float | None
    undefined: str | None

    @property
    def defined(self) -> bool:
        return self.value is not None

    @property
    def value_text(self) -> str:
        return number(self.value) if self.value is not None else ""

    @property
    def ci_text(self) -> str:
        """``[0.211, 0.221]``; ``[no interval]`` when the interval is missing."""
        if self.value is None:
            return ""
        if self.low is None or self.high is None:
            return "[no interval]"
        return f"[{number(self.low)}, {number(self.high)}]"

    @property
    def undefined_text(self) -> str:
        return f"undefined: {self.undefined or 'no value'}" if self.value is None else ""

    @property
    def text(self) -> str:
        """The one-line form: ``0.216 [0.211, 0.221]`` or ``undefined: <reason>``."""
        if self.value is None:
            return self.undefined_text
        return f"{self.value_text} {self.ci_text}"

    def __str__(self) -> str:
        return self.text


def estimate(entry: Any) -> Estimate:
    """Read a ``{value, ci_low, ci_high, undefined?}`` entry; anything else counts as undefined."""
    if not isinstance(entry, Mapping):
        return Estimate(None, None, None, "not reported")
    value = _finite(entry.get("value"))
    reason = entry.get("undefined")
    if value is None:
        return Estimate(None, None, None, str(reason) if reason else "not reported")
    return Estimate(value, _finite(entry.get("ci_low")), _finite(entry.get("ci_high")), None)


def _finite(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x) if math.isfinite(x) else None


def plain(value: Any) -> str:
    """A parameter or provenance value as text: lists joined, mappings as ``k = v``."""
    if value is None:
        return NOT_SET
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        if not value:
            return "none"
        return "; ".join(f"{k} = {plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(plain(v) for v in value) if value else "none"
    return str(value)


def timestamp(text: Any) -> str:
    """An ISO 8601 time as ``26 Nov 2026, 15:45 UTC``; anything unparsable as given."""
    if not isinstance(text, str):
        return "unknown"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    offset = moment.utcoffset()
    zone = "UTC" if offset is not None and offset.total_seconds() == 0 else moment.strftime("%z")
    return f"{moment.day} {moment.strftime('%b %Y, %H:%M')} {zone}".rstrip()


def short_digest(digest: Any) -> str:
    """``sha256:7b26fd39…add97dc7`` from a full digest."""
    if not isinstance(digest, str):
        return "not recorded"
    algorithm, _, hexdigest = digest.rpartition(":")
    if len(hexdigest) <= 20:
        return digest
    prefix = f"{algorithm}:" if algorithm else ""
    return f"{prefix}{hexdigest[:8]}…{hexdigest[-8:]}"
