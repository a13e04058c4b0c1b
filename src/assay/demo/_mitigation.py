"""The demo's mitigation: per-group thresholds on the model's score for demographic parity by sex
(Fairlearn's ThresholdOptimizer, through :func:`assay.mitigate.mitigate`), learned on one half of
the held-out split and judged on the other; the result, the frontier and the thresholds are
written, filed as evidence and cited by the risk the fairness failures opened about sex."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from assay.datasets import ADULT_LABEL, ADULT_POSITIVE_LABEL
from assay.demo._governance import CODE_VERSION, MODEL_VERSION, SYSTEM
from assay.demo._model import DEMO_LIMITS, SEED
from assay.documents import mitigation_frontier_svg
from assay.governance import Risk, Workspace, link_risk_evidence, record_evaluation
from assay.mitigate import MitigationResult, mitigate

__all__ = ["mitigate_by_sex"]


def mitigate_by_sex(
    workspace: Workspace, estimator: Any, scored: pl.DataFrame, folder: Path, risks: list[Risk]
) -> MitigationResult:
    """Thresholds by sex at tolerance 0.05 (frontier over 0.02, 0.05 and 0.1), recorded as
    ``mitigation`` evidence and linked to the risk about sex when there is one."""
    rows = scored.drop("score", "prediction")
    learn = pl.Series(np.random.default_rng(SEED).random(rows.height) < 0.5)
    done = mitigate(
        estimator,
        rows.filter(learn),
        rows.filter(~learn),
        y_true=ADULT_LABEL,
        sensitive_features="sex",
        pos_label=ADULT_POSITIVE_LABEL,
        method="threshold",
        constraint="demographic_parity",
        tolerance=0.05,
        tolerances=(0.02, 0.05, 0.1),
        limit=DEMO_LIMITS["demographic_parity_difference"],
        output=folder / "mitigation_thresholds.json",
        random_state=SEED,
    )
    result = done.result
    (folder / "mitigation.json").write_text(result.to_json(), encoding="utf-8")
    (folder / "mitigation_frontier.svg").write_text(
        mitigation_frontier_svg(result.to_dict()), encoding="utf-8"
    )
    record = record_evaluation(
        workspace,
        result.to_dict(),
        kind="mitigation",
        system=SYSTEM,
        model_version=MODEL_VERSION,
        title="Mitigation: per-group thresholds for demographic parity by sex",
        code_commit=CODE_VERSION,
    )
    about_sex = next((r for r in risks if r.title.startswith("Selection rates differ by sex ")),
                     None)  # fmt: skip
    if about_sex is not None:
        link_risk_evidence(workspace, about_sex.ref, record.ref)
    return result
