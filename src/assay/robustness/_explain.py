"""Explanations: permutation importance overall and by group, and SHAP summaries (``[explain]``).

Permutation importance follows scikit-learn's :func:`sklearn.inspection.permutation_importance`
(score drop when one feature is shuffled; the tests check the two agree), run on the whole sample
and again inside each group, shuffling within the group, so a group's importance says how much
the model relies on a feature *for that group*. All shuffled copies are scored together in the
adapter's batches: a handful of model calls instead of one per feature and repeat. Intervals
are over the permutation repeats (mean ± t·sd/√r): they show the permutation noise, not the
sampling error of the data. SHAP values come from ``shap``'s permutation explainer on a small
sample, through the same model adapter, so they work for any model Assay can score.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.stats import t as student_t

from assay import __version__
from assay.errors import InputError
from assay.evaluate import COLUMNS_DIGEST_OF, columns_digest, file_digest
from assay.robustness._changes import _groupings, _partitions
from assay.robustness._models import Model, load_model
from assay.robustness._result import EXPLANATION_SCHEMA, ExplanationPayload, ExplanationResult
from assay.robustness._scoring import (
    _equals,
    _group_frame,
    _model_positive,
    _plain,
    _positive,
    _Scorer,
    read_frame,
)

FloatArray = npt.NDArray[np.float64]
SCORINGS = ("accuracy", "roc_auc", "balanced_accuracy")


def explain(
    model: Any,
    data: Any,
    *,
    y_true: str,
    sensitive_features: str | Sequence[str],
    pos_label: Any = None,
    model_pos_label: Any = None,
    threshold: float | None = None,
    features: Sequence[str] | None = None,
    scoring: str = "accuracy",
    n_repeats: int = 5,
    max_rows: int = 1000,
    shap: bool | None = None,
    shap_rows: int = 50,
    random_state: int = 0,
    batch_size: int | None = None,
    timeout: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> ExplanationResult:
    """Feature importance overall and by group, the gaps between groups, and SHAP summaries.

    Parameters
    ----------
    model, data, y_true, sensitive_features, pos_label, model_pos_label, threshold, features
        As in :func:`assay.robustness.run_robustness`.
    scoring
        ``accuracy`` (default), ``balanced_accuracy`` or ``roc_auc`` (needs scores); importance is
        the drop in this score when a feature's values are shuffled.
    n_repeats
        Shuffles per feature.
    max_rows
        Rows sampled (at most) for the whole population and for each group.
    shap
        True: SHAP summaries (needs the ``[explain]`` extra); False: none; None: when ``shap`` is
        installed.
    shap_rows
        Rows explained with SHAP (a background of half as many rows is drawn too).
    random_state
        Seed of the sampling and of the shuffles.

    Returns
    -------
    ExplanationResult
    """
    # The request holds every parameter by name; at this point locals() holds just them.
    return _explain(_Request(**locals()))


@dataclass(frozen=True)
class _Request:
    """The parameters of :func:`explain`, one for one."""

    model: Any
    data: Any
    y_true: str
    sensitive_features: str | Sequence[str]
    pos_label: Any
    model_pos_label: Any
    threshold: float | None
    features: Sequence[str] | None
    scoring: str
    n_repeats: int
    max_rows: int
    shap: bool | None
    shap_rows: int
    random_state: int
    batch_size: int | None
    timeout: float
    progress: Callable[[str], None] | None


@dataclass(frozen=True)
class _Setup:
    """The data read, the model loaded, and what the importances are computed on."""

    frame: pl.DataFrame
    sens: list[str]
    positive_label: Any
    loaded: Model
    inputs: list[str]
    scorer: _Scorer
    y: npt.NDArray[np.int8]
    groups: pl.DataFrame
    dataset: dict[str, Any]
    """The data's provenance: its engine and digest."""


def _explain(req: _Request) -> ExplanationResult:
    say = req.progress or (lambda _m: None)
    _check_options(req)
    setup = _prepare(req)
    rng = np.random.default_rng(req.random_state)
    started = time.perf_counter()
    inputs_frame = setup.frame.select(setup.inputs)
    overall, by_group = _importance(req, setup, inputs_frame, rng, say)
    differences = _differences(by_group, setup.inputs, setup.sens)
    shap_summary = _shap(
        req.shap, inputs_frame, setup.groups, setup.sens, setup.scorer, req.shap_rows, rng, say
    )
    total = time.perf_counter() - started
    scorer = setup.scorer
    payload: ExplanationPayload = {
        "schema": EXPLANATION_SCHEMA,
        "n": int(setup.frame.height),
        "model": setup.loaded.info.to_dict(),
        "permutation": {
            "scoring": req.scoring,
            "overall": sorted(overall, key=lambda e: -(e["importance"]["value"] or 0.0)),
            "by_group": by_group,
            "differences": differences,
        },
        "shap": shap_summary,
        "methods": _methods(req),
        "params": {
            "y_true": req.y_true,
            "pos_label": _plain(setup.positive_label),
            "sensitive_features": setup.sens,
            "features": setup.inputs,
            "threshold": 0.5 if req.threshold is None else req.threshold,
            "scoring": req.scoring,
            "n_repeats": req.n_repeats,
            "max_rows": req.max_rows,
            "shap_rows": req.shap_rows,
            "random_state": req.random_state,
        },
        "timing": {
            "total_seconds": round(total, 4),
            "predict_seconds": round(scorer.seconds, 4),
            "rows_scored": scorer.rows,
        },
        "provenance": _provenance(req, setup),
    }
    return ExplanationResult(payload)


def _check_options(req: _Request) -> None:
    if req.scoring not in SCORINGS:
        raise InputError(f"scoring must be one of {', '.join(SCORINGS)}; got {req.scoring!r}.")
    if req.n_repeats < 2:
        raise InputError(f"n_repeats must be at least 2 for an interval, got {req.n_repeats}.")
    if req.max_rows < 50:
        raise InputError(f"max_rows must be at least 50, got {req.max_rows}.")


def _prepare(req: _Request) -> _Setup:
    """Read the data, check the columns named, load the model and find its inputs."""
    sensitive = req.sensitive_features
    sens = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    y_true = req.y_true
    source, frame = read_frame(req.data, y_true, sens)
    positive_label = _positive(frame.get_column(y_true), req.pos_label)
    loaded = load_model(
        req.model, features=req.features, batch_size=req.batch_size, timeout=req.timeout
    )
    inputs = list(req.features or loaded.info.features or [c for c in frame.columns if c != y_true])
    missing = [f for f in inputs if f not in frame.columns]
    if missing:
        raise InputError(
            f"The model's input feature(s) {', '.join(map(repr, missing))} are not in the data."
        )
    model_positive = _model_positive(loaded, positive_label, req.model_pos_label)
    dataset: dict[str, Any] = {"engine": source.engine}
    if source.path is not None:
        dataset |= {"digest": file_digest(source.path), "digest_of": "file bytes"}
    elif source.eager_native is not None:
        dataset |= {
            "digest": columns_digest(source.eager_native, [*inputs, y_true, *sens]),
            "digest_of": COLUMNS_DIGEST_OF,
        }
    return _Setup(
        frame=frame,
        sens=sens,
        positive_label=positive_label,
        loaded=loaded,
        inputs=inputs,
        scorer=_Scorer(loaded, model_positive, req.threshold),
        y=_equals(frame.get_column(y_true), positive_label).astype(np.int8),
        groups=_group_frame(frame, sens),
        dataset=dataset,
    )


def _importance(
    req: _Request,
    setup: _Setup,
    inputs_frame: pl.DataFrame,
    rng: np.random.Generator,
    say: Callable[[str], None],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Permutation importance overall and within each group of each sensitive feature."""
    overall: list[dict[str, Any]] = []
    by_group: list[dict[str, Any]] = []
    for by in _groupings(setup.sens):
        if len(by) > 1:
            continue  # intersections are usually too small for stable importances
        say("Permutation importance " + (f"by {by[0]}" if by else "overall"))
        max_rows = req.max_rows
        parts = [
            (group, rows if rows.size <= max_rows else np.sort(rng.choice(rows, max_rows, False)))
            for group, rows in _partitions(setup.groups, by)
        ]
        sizes = {tuple(g.values()): int(r.size) for g, r in _partitions(setup.groups, by)}
        for group, pick, matrix in _permutation(
            setup.scorer,
            inputs_frame,
            setup.y,
            parts,
            setup.inputs,
            req.n_repeats,
            req.scoring,
            rng,
        ):
            entry: dict[str, Any] = {
                "by": by,
                "group": group,
                "n": sizes[tuple(group.values())],
                "sampled": int(pick.size),
            }
            if matrix is None:
                entry["undefined"] = f"{req.scoring} needs both labels in the group"
                entry["importances"] = []
            else:
                entry["importances"] = _importances(setup.inputs, matrix)
            if by:
                by_group.append(entry)
            else:
                overall = entry["importances"]
    return overall, by_group


def _methods(req: _Request) -> dict[str, str]:
    return {
        "permutation importance": (
            f"drop in {req.scoring} when one feature's values are shuffled (within the group, for "
            f"group importances), {req.n_repeats} repeats, on at most {req.max_rows:,} sampled "
            "rows overall and per group; the estimator of sklearn.inspection."
            "permutation_importance, with all shuffled copies scored in shared batches"
        ),
        "intervals": (
            "mean ± t·sd/√repeats over the shuffles: permutation noise only, not the sampling "
            "error of the data"
        ),
        "differences": "largest − smallest group importance per feature, interval "
        "± t·sqrt(se₁² + se₂²); 'notable' when it excludes 0",
    }


def _provenance(req: _Request, setup: _Setup) -> dict[str, Any]:
    info = setup.loaded.info
    return {
        "assay_version": __version__,
        "python": platform.python_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "random_state": req.random_state,
        "dataset": setup.dataset,
        "model": {"source": info.source, "sha256": info.sha256, "kind": info.kind},
    }


def _permutation(
    scorer: _Scorer,
    inputs: pl.DataFrame,
    y: npt.NDArray[np.int8],
    parts: list[tuple[dict[str, Any], npt.NDArray[np.int64]]],
    features: list[str],
    n_repeats: int,
    scoring: str,
    rng: np.random.Generator,
) -> list[tuple[dict[str, Any], npt.NDArray[np.int64], FloatArray | None]]:
    """Permutation importance of every feature in every part, with one stacked scoring pass.

    Each part's rows are copied once per (feature, repeat) with that feature shuffled *within
    the part*; all copies are scored together in the adapter's batches (far fewer model calls
    than scikit-learn's loop, with the same estimator: baseline score − shuffled score).
    """
    frames = []
    plan: list[tuple[int, int, int, int, int]] = []  # part, feature (-1 = baseline), repeat, lo, hi
    offset = 0
    for k, (_, rows) in enumerate(parts):
        sub = inputs[rows]
        frames.append(sub)
        plan.append((k, -1, 0, offset, offset + rows.size))
        offset += rows.size
        for j, f in enumerate(features):
            col = sub.get_column(f)
            for r in range(n_repeats):
                order = rng.permutation(rows.size)
                frames.append(sub.with_columns(col.gather(order).alias(f)))
                plan.append((k, j, r, offset, offset + rows.size))
                offset += rows.size
    scored = scorer.score(pl.concat(frames, how="vertical"))
    if scored.failed.any():
        raise InputError(f"The model failed while computing importances: {scored.error}")
    out = []
    base_score: dict[int, float] = {}
    matrices = {k: np.full((len(features), n_repeats), np.nan) for k in range(len(parts))}
    for k, j, r, lo, hi in plan:
        rows = parts[k][1]
        yy = y[rows]
        if scoring != "accuracy" and np.unique(yy).size < 2:
            continue
        s = _score(
            scoring,
            yy,
            scored.decision[lo:hi],
            None if scored.score is None else scored.score[lo:hi],
        )
        if j < 0:
            base_score[k] = s
        else:
            matrices[k][j, r] = base_score[k] - s
    for k, (group, rows) in enumerate(parts):
        out.append((group, rows, matrices[k] if k in base_score else None))
    return out


def _label(group: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in group.items())


def _score(
    scoring: str, y: npt.NDArray[Any], decision: npt.NDArray[np.int8], score: FloatArray | None
) -> float:
    if scoring == "roc_auc":
        if score is None:
            raise InputError("scoring='roc_auc' needs a model that returns scores.")
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(y, score))
    if scoring == "balanced_accuracy":
        from sklearn.metrics import balanced_accuracy_score

        return float(balanced_accuracy_score(y, decision))
    return float(np.mean(y == decision))


def _interval(values: FloatArray) -> dict[str, Any]:
    r = values.size
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if r > 1 else 0.0
    half = float(student_t.ppf(0.975, r - 1)) * sd / np.sqrt(r) if r > 1 else 0.0
    return {"value": mean, "ci_low": mean - half, "ci_high": mean + half, "sd": sd, "repeats": r}


def _importances(features: list[str], matrix: FloatArray) -> list[dict[str, Any]]:
    return [
        {"feature": f, "importance": _interval(np.asarray(matrix[i], dtype=np.float64))}
        for i, f in enumerate(features)
    ]


def _differences(
    by_group: list[dict[str, Any]], features: list[str], sens: list[str]
) -> list[dict[str, Any]]:
    out = []
    for s in sens:
        entries = [g for g in by_group if g["by"] == [s] and g["importances"]]
        if len(entries) < 2:
            continue
        for i, f in enumerate(features):
            vals = [(g, g["importances"][i]["importance"]) for g in entries]
            hi = max(vals, key=lambda v: v[1]["value"])
            lo = min(vals, key=lambda v: v[1]["value"])
            d = hi[1]["value"] - lo[1]["value"]
            se = np.hypot(
                hi[1]["sd"] / np.sqrt(hi[1]["repeats"]), lo[1]["sd"] / np.sqrt(lo[1]["repeats"])
            )
            dof = max(2 * (hi[1]["repeats"] - 1), 1)
            half = float(student_t.ppf(0.975, dof) * se)
            out.append(
                {
                    "by": [s],
                    "feature": f,
                    "max_group": hi[0]["group"],
                    "min_group": lo[0]["group"],
                    "difference": {"value": d, "ci_low": d - half, "ci_high": d + half},
                    "notable": bool(d - half > 0),
                }
            )
    out.sort(key=lambda e: -e["difference"]["value"])
    return out


def _shap(
    wanted: bool | None,
    inputs: pl.DataFrame,
    groups: pl.DataFrame,
    sens: list[str],
    scorer: _Scorer,
    rows: int,
    rng: np.random.Generator,
    say: Callable[[str], None],
) -> dict[str, Any]:
    if wanted is False:
        return {"status": "skipped", "reason": "not requested"}
    try:
        import shap
    except ImportError:
        if wanted:
            raise InputError(
                "SHAP summaries need the extra: `pip install 'assay-rai[explain]'`."
            ) from None
        return {"status": "skipped", "reason": "shap is not installed (the [explain] extra)"}
    say("SHAP values (permutation explainer)")
    n = inputs.height
    pick = np.sort(rng.choice(n, min(rows, n), replace=False))
    back = np.sort(rng.choice(n, min(max(rows // 2, 10), n), replace=False))
    codes, decode = _encode(inputs)

    def predict(matrix: FloatArray) -> FloatArray:
        scored = scorer.score(decode(matrix))
        if scored.failed.any():
            raise InputError(f"The model failed while computing SHAP values: {scored.error}")
        if scored.score is not None:
            return scored.score
        return scored.decision.astype(np.float64)

    try:
        masker = shap.maskers.Independent(codes[back], max_samples=back.size)
        explainer = shap.PermutationExplainer(predict, masker, seed=int(rng.integers(0, 2**31)))
        values = np.asarray(
            explainer(codes[pick], max_evals=2 * inputs.width + 1, silent=True).values,
            dtype=np.float64,
        )
    except InputError:
        raise
    except Exception as exc:
        return {"status": "errored", "reason": f"{type(exc).__name__}: {exc}"}
    features = inputs.columns
    mean_abs = np.abs(values).mean(axis=0)
    summary: dict[str, Any] = {
        "status": "ok",
        "rows": int(pick.size),
        "background_rows": int(back.size),
        "explains": "the positive-class score (the decision when the model has no scores)",
        "overall": sorted(
            [{"feature": f, "mean_abs_shap": float(mean_abs[i])} for i, f in enumerate(features)],
            key=lambda e: -e["mean_abs_shap"],
        ),
        "by_group": [],
    }
    sampled = groups[pick]
    for s in sens:
        for group, idx in _partitions(sampled, [s]):
            m = np.abs(values[idx]).mean(axis=0)
            summary["by_group"].append(
                {
                    "by": [s],
                    "group": group,
                    "n": int(idx.size),
                    "mean_abs_shap": {f: float(m[i]) for i, f in enumerate(features)},
                }
            )
    return summary


def _encode(
    inputs: pl.DataFrame,
) -> tuple[FloatArray, Callable[[FloatArray], pl.DataFrame]]:
    """A numeric matrix for SHAP's masker (categories as codes) and the way back to a frame."""
    columns = []
    levels: dict[str, list[Any]] = {}
    for name, dtype in inputs.schema.items():
        col = inputs.get_column(name)
        if dtype.is_numeric():
            columns.append(col.cast(pl.Float64).fill_null(np.nan).to_numpy())
        else:
            values = col.cast(pl.String).drop_nulls().unique().sort().to_list()
            levels[name] = values
            codes = col.cast(pl.String).replace_strict(
                values, list(range(len(values))), default=None, return_dtype=pl.Float64
            )
            columns.append(codes.fill_null(np.nan).to_numpy())
    matrix = np.column_stack(columns).astype(np.float64)
    schema = inputs.schema

    def decode(m: FloatArray) -> pl.DataFrame:
        out = []
        for j, (name, dtype) in enumerate(schema.items()):
            x = np.asarray(m[:, j], dtype=np.float64)
            if name in levels:
                table = np.asarray(levels[name] + [None], dtype=object)
                idx = np.where(np.isnan(x), len(levels[name]), x).astype(np.int64)
                out.append(pl.Series(name, table[idx], dtype=pl.String).cast(dtype))
            else:
                s = pl.Series(name, x).fill_nan(None)
                out.append(s.round(0).cast(dtype) if dtype.is_integer() else s.cast(dtype))
        return pl.DataFrame(out)

    return matrix, decode
