"""What a mitigation writes: the per-group thresholds (threshold method, JSON) or the mitigated
model (the other methods, joblib), and how the evidence describes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.errors import InputError
from assay.mitigate._options import MitigationOptions
from assay.mitigate._reweighing import reweighing_table
from assay.robustness import Model

if TYPE_CHECKING:
    from assay.mitigate._fit import FitData

__all__ = ["check_output", "describe_artefact", "thresholds_of", "write_artefact"]

MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle")


def check_output(output: str | Path | None, method: str) -> Path | None:
    """The file to write, its suffix checked against what the method writes (before any work)."""
    if output is None:
        return None
    path = Path(output)
    if method == "threshold" and path.suffix.lower() != ".json":
        raise InputError(
            "output (--output): the threshold method writes per-group thresholds as JSON; name "
            f"a .json file (got '{path.name}')."
        )
    if method != "threshold" and path.suffix.lower() not in MODEL_SUFFIXES:
        raise InputError(
            f"output (--output): the {method} method writes the mitigated model with joblib; "
            f"name a .joblib or .pkl file (got '{path.name}')."
        )
    if path.parent and not path.parent.is_dir():
        raise InputError(
            f"output (--output): the folder '{path.parent}' does not exist; create it first."
        )
    return path


def thresholds_of(optimizer: Any) -> dict[str, dict[str, Any]]:
    """The per-group rule a fitted ThresholdOptimizer applies to the score: with probability
    ``p0`` decide favourable when ``score <operator0> threshold0``, else (probability ``p1``)
    when ``score <operator1> threshold1``; under equalized odds, with probability ``p_ignore``
    the decision is ``prediction_constant`` instead."""
    out: dict[str, dict[str, Any]] = {}
    for group, rule in optimizer.interpolated_thresholder_.interpolation_dict.items():
        entry: dict[str, Any] = {}
        for key in ("p_ignore", "prediction_constant", "p0", "p1"):
            if key in rule:
                entry[key] = float(rule[key])
        for i in (0, 1):
            operation = rule[f"operation{i}"]
            entry[f"operator{i}"] = str(operation.operator)
            entry[f"threshold{i}"] = float(operation.threshold)
        out[str(group)] = entry
    return out


def write_artefact(
    target: Path | None, artefact: Any, options: MitigationOptions, model: Model, positive: Any
) -> dict[str, Any] | None:
    """Write the thresholds or the model to ``target``; its path and sha256 (None: not asked)."""
    if target is None:
        return None
    from assay.evaluate import file_digest

    if options.method == "threshold":
        document = {
            "method": "threshold",
            "constraint": options.constraint,
            "tolerance": options.tolerance,
            "score": f"the score of class {positive!r} of {model.info.source}",
            "model_sha256": model.info.sha256,
            "rule": "For a row of group g: with probability p0 decide favourable when score "
            "operator0 threshold0, otherwise when score operator1 threshold1 (with probability "
            "p_ignore, when present, decide prediction_constant instead).",
            "groups": thresholds_of(artefact),
        }
        target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    else:
        import joblib

        joblib.dump(artefact, target)
    return {"path": str(target), "sha256": file_digest(target)}


def describe_artefact(
    written: dict[str, Any] | None, artefact: Any, options: MitigationOptions, data: FitData
) -> dict[str, Any]:
    """The evidence's account of what the mitigation made (and wrote, if it did)."""
    kind = "thresholds" if options.method == "threshold" else "model"
    out: dict[str, Any] = {
        "kind": kind,
        "class": f"{type(artefact).__module__}.{type(artefact).__qualname__}",
        "path": written["path"] if written else None,
        "sha256": written["sha256"] if written else None,
    }
    if options.method == "threshold":
        out["thresholds"] = thresholds_of(artefact)
    if options.method == "reweighing":
        table = reweighing_table(data.s_train, data.y_train)
        strength = options.tolerance or 1.0
        out["weights"] = [
            {"group": g, "label": int(y), "n": int(n), "weight": float(w) ** strength}
            for g, y, n, w in table.iter_rows()
        ]
    return out
