"""The robustness runner: baseline, then every probe, each scored in batches and compared.

For each probe the model scores the changed inputs in batches; the fairness engine
(:func:`assay.evaluate.fairness`) computes the probed metrics by group with their intervals, and
the paired changes against the baseline come from one small cell table per probe (rows counted
by group, label, baseline decision and probed decision). A probe that cannot run — a feature it
names is missing, the model raises on some rows, an endpoint times out — is marked ``errored``
with its reason and the run goes on.
"""

from __future__ import annotations

import platform
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from assay import __version__
from assay.errors import InputError
from assay.evaluate import (
    COLUMNS_DIGEST_OF,
    Source,
    check_threshold,
    columns_digest,
    fairness,
    file_digest,
)
from assay.robustness import _paired as paired
from assay.robustness._changes import (
    ENGINE_METRICS,
    _attach,
    _checks,
    _comparisons,
    _flip_deltas,
    _monotonic_deltas,
    _perturbation_deltas,
    _shift_deltas,
    _verdict,
)
from assay.robustness._models import Model, ModelCallError, load_model
from assay.robustness._probes import Context, ProbeSetupError, Variant, plan
from assay.robustness._result import ROBUSTNESS_SCHEMA, RobustnessPayload, RobustnessResult, worst
from assay.robustness._scenarios import (
    Counterfactual,
    CovariateShift,
    LabelShift,
    Monotonic,
    Scenario,
    _Probe,
    load_scenario,
    parse_scenario,
)
from assay.robustness._scoring import (
    Scored,
    _equals,
    _group_frame,
    _model_positive,
    _plain,
    _positive,
    _Scorer,
    read_frame,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[str], None]

#: Equal-width score bins for the engine's ROC AUC, average precision and Brier score.
SCORE_BINS = 200


def default_scenario(
    features: Sequence[str], sensitive_features: Sequence[str], data: pl.DataFrame
) -> Scenario:
    """The probes run when no scenario is given (ten for a model that sees two sensitive
    attributes): noise at 0.1 and 0.5 spreads, category swaps, typos, missing values, random
    single-feature dropout, out-of-range values, covariate shift of the first sensitive
    feature's smallest group, label shift, and a counterfactual flip of each sensitive feature
    the model takes as input."""
    numeric = [f for f in features if data.schema[f].is_numeric()]
    text = [f for f in features if not data.schema[f].is_numeric()]
    probes: list[dict[str, Any]] = []
    if numeric:
        probes += [
            {"kind": "gaussian_noise", "scale": 0.1},
            {"kind": "gaussian_noise", "scale": 0.5},
        ]
    if text:
        probes += [{"kind": "category_swap"}, {"kind": "typos"}]
    probes += [{"kind": "missing_values"}, {"kind": "feature_dropout"}]
    if numeric:
        probes.append({"kind": "out_of_range"})
    first = data.get_column(sensitive_features[0]).drop_nulls().value_counts(sort=True)
    if first.height > 1:
        smallest = _plain(first.row(first.height - 1)[0])
        probes.append(
            {
                "kind": "covariate_shift",
                "subgroup": {"feature": sensitive_features[0], "values": [smallest]},
            }
        )
    probes.append({"kind": "label_shift", "positive_weight": 2.0})
    for s in sensitive_features:
        if s in features and data.get_column(s).n_unique() <= 20:
            probes.append({"kind": "counterfactual", "feature": s})
    return parse_scenario({"probes": probes}, source="The default scenario")


def run_robustness(
    model: Any,
    data: Any,
    *,
    y_true: str,
    sensitive_features: str | Sequence[str],
    scenario: Scenario | Mapping[str, Any] | str | Path | None = None,
    pos_label: Any = None,
    model_pos_label: Any = None,
    threshold: float | None = None,
    features: Sequence[str] | None = None,
    batch_size: int | None = None,
    timeout: float = 30.0,
    n_bootstrap: int = 200,
    dataset_digest: str | None = None,
    progress: Progress | None = None,
) -> RobustnessResult:
    """Run robustness and stress probes against a binary classifier, by group, with verdicts.

    Parameters
    ----------
    model
        A path, URI or URL (see :func:`assay.robustness.load_model`), a fitted estimator, or a
        :class:`assay.robustness.Model`.
    data
        A file (parquet, csv, jsonl) or a dataframe holding the model's inputs, ``y_true`` and
        the sensitive features.
    y_true
        The column of true labels (binary).
    sensitive_features
        Columns to report by; each alone and, when there are several, together.
    scenario
        A :class:`Scenario`, a mapping in its schema, or a YAML file; default
        :func:`default_scenario`.
    pos_label
        The favourable label in ``y_true``; needed unless labels are 0/1 or booleans.
    model_pos_label
        The model's class for the favourable outcome, when it differs from ``pos_label``
        (a model trained on 0/1 for labels ``"<=50K"``/``">50K"``); default: ``pos_label`` if
        the model knows it, else 1/True.
    threshold
        Scores at or above it are positive decisions (default 0.5).
    features
        The model's input columns; default: what the model declares, else every column except
        ``y_true``.
    batch_size, timeout
        Rows per model call, and seconds an HTTP endpoint may take per batch.
    n_bootstrap
        Bootstrap replicates for score metrics and re-weighted populations.
    dataset_digest
        A digest to record instead of the one Assay computes.
    progress
        Called with a short message as each step starts.

    Returns
    -------
    RobustnessResult
    """
    # The request holds every parameter by name; at this point locals() holds just them.
    return _run(_Request(**locals()))


@dataclass(frozen=True)
class _Request:
    """The parameters of :func:`run_robustness`, one for one."""

    model: Any
    data: Any
    y_true: str
    sensitive_features: str | Sequence[str]
    scenario: Scenario | Mapping[str, Any] | str | Path | None
    pos_label: Any
    model_pos_label: Any
    threshold: float | None
    features: Sequence[str] | None
    batch_size: int | None
    timeout: float
    n_bootstrap: int
    dataset_digest: str | None
    progress: Progress | None


@dataclass(frozen=True)
class _Setup:
    """The data read, the model loaded and the scenario chosen: what the run works on."""

    source: Source
    frame: pl.DataFrame
    sens: list[str]
    inputs: list[str]
    loaded: Model
    positive: BoolArray
    """Rows whose label is the favourable one."""
    scorer: _Scorer
    groups: pl.DataFrame
    spec: Scenario
    params: dict[str, Any]
    started: float
    """``time.perf_counter()`` when the setup was done: the run's timing starts there."""


@dataclass(frozen=True)
class _Baseline:
    """The unchanged data scored; rows the model failed on are left out of every probe."""

    frame: pl.DataFrame
    groups: pl.DataFrame
    positive: BoolArray
    scored: Scored


def _run(req: _Request) -> RobustnessResult:
    """Set up, score the baseline, then run every probe against it."""
    say = req.progress or (lambda _msg: None)
    setup = _prepare(req)
    rng = np.random.default_rng(setup.spec.random_state)
    notes: list[str] = []
    say("Scoring the baseline")
    base, base_error = _score_baseline(setup, notes)
    if base_error is not None or base is None:
        probes = [
            _errored(p, f"the baseline could not be scored: {base_error}")
            for p in setup.spec.probes
        ]
        return _result(req, setup, setup.frame.height, None, probes, notes, "error", base_error)
    scored = base.scored
    if scored.score is not None:
        # The rule of every score-to-decision command: the threshold must split the scores.
        check_threshold(
            0.5 if req.threshold is None else req.threshold,
            float(np.min(scored.score)),
            float(np.max(scored.score)),
            scores="the model's scores on the unchanged data",
        )
    y = base.positive.astype(np.int8)
    engine = _Engine(setup.sens, setup.spec, req.threshold, req.n_bootstrap)
    baseline = engine.compact(engine.evaluate(base.groups, y, scored.decision, scored.score, None))
    ctx = Context(base.frame, tuple(setup.inputs), base.positive, tuple(setup.sens))
    entries = []
    for i, probe in enumerate(setup.spec.probes):
        say(f"Probe {i + 1}/{len(setup.spec.probes)}: {probe.label}")
        entries.append(_timed_probe(probe, ctx, base, y, setup, engine, rng, baseline))
    outcome = worst([e["verdict"] for e in entries])
    return _result(req, setup, base.frame.height, baseline, entries, notes, outcome, None)


def _prepare(req: _Request) -> _Setup:
    """Check the options, read the data, load the model and choose the scenario."""
    sensitive = req.sensitive_features
    sens = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    if not sens:
        raise InputError("sensitive_features is empty: name at least one column to report by.")
    if req.n_bootstrap < 100:
        raise InputError(f"n_bootstrap must be at least 100, got {req.n_bootstrap}.")
    given = _scenario(req.scenario)
    y_true = req.y_true
    source, frame = read_frame(req.data, y_true, sens)
    positive_label = _positive(frame.get_column(y_true), req.pos_label)
    loaded = load_model(
        req.model, features=req.features, batch_size=req.batch_size, timeout=req.timeout
    )
    inputs = list(req.features or loaded.info.features or [c for c in frame.columns if c != y_true])
    if y_true in inputs:
        raise InputError(f"'{y_true}' is the label; it cannot also be a model input.")
    model_positive = _model_positive(loaded, positive_label, req.model_pos_label)
    positive = _equals(frame.get_column(y_true), positive_label)
    scorer = _Scorer(loaded, model_positive, req.threshold)
    groups = _group_frame(frame, sens)
    usable = [f for f in inputs if f in frame.columns]
    spec = given or default_scenario(usable, sens, frame)
    started = time.perf_counter()
    params: dict[str, Any] = {
        "y_true": y_true,
        "pos_label": _plain(positive_label),
        "model_pos_label": _plain(model_positive),
        "sensitive_features": sens,
        "features": inputs,
        "threshold": 0.5 if req.threshold is None else req.threshold,
        "batch_size": loaded.batch_size,
        "timeout_seconds": req.timeout if loaded.info.kind == "http" else None,
        "ci_level": spec.ci_level,
        "min_group_size": spec.min_group_size,
        "n_bootstrap": req.n_bootstrap,
        "random_state": spec.random_state,
        "limits": {k: float(v) for k, v in spec.limits.items()},
        "scenario": spec.model_dump(mode="json", by_alias=True, exclude_none=True),
    }
    return _Setup(
        source, frame, sens, inputs, loaded, positive, scorer, groups, spec, params, started
    )


def _score_baseline(setup: _Setup, notes: list[str]) -> tuple[_Baseline | None, str | None]:
    """The baseline, or why it could not be scored; failed rows are dropped with a note."""
    frame = setup.frame
    missing_inputs = [f for f in setup.inputs if f not in frame.columns]
    if missing_inputs:
        listing = ", ".join(frame.columns[:40])
        return None, (
            f"the model's input feature(s) {', '.join(repr(m) for m in missing_inputs)} are not "
            f"in the data (columns: {listing})"
        )
    base = setup.scorer.score(frame.select(setup.inputs))
    if base.failed.all():
        return None, f"the model failed on every row of the baseline: {base.error}"
    if not base.failed.any():
        return _Baseline(frame, setup.groups, setup.positive, base), None
    keep = ~base.failed
    notes.append(
        f"The model failed on {int(base.failed.sum()):,} of {frame.height:,} rows of the "
        f"unchanged data (first error: {base.error}); those rows are left out of every "
        "probe."
    )
    kept = Scored(
        base.decision[keep],
        None if base.score is None else base.score[keep],
        base.failed[keep],
        None,
    )
    rows = pl.Series(keep)
    return _Baseline(
        frame.filter(rows), setup.groups.filter(rows), setup.positive[keep], kept
    ), None


def _timed_probe(
    probe: _Probe,
    ctx: Context,
    base: _Baseline,
    y: npt.NDArray[np.int8],
    setup: _Setup,
    engine: _Engine,
    rng: np.random.Generator,
    baseline: dict[str, Any],
) -> dict[str, Any]:
    """One probe's entry with its timing; a probe that cannot run is errored with its reason."""
    scorer = setup.scorer
    t0 = time.perf_counter()
    p0, r0 = scorer.seconds, scorer.rows
    try:
        entry = _run_probe(
            probe, ctx, base.groups, y, base.scored, scorer, engine, setup.spec, rng, baseline
        )
    except (ProbeSetupError, ModelCallError) as exc:
        entry = _errored(probe, str(exc))
    except InputError as exc:
        entry = _errored(probe, str(exc))
    except Exception as exc:  # the run finishes; the reason is kept
        where = traceback.extract_tb(exc.__traceback__)[-1]
        entry = _errored(
            probe,
            f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})",
        )
    entry["timing"] = {
        "seconds": round(time.perf_counter() - t0, 4),
        "predict_seconds": round(scorer.seconds - p0, 4),
        "rows_scored": scorer.rows - r0,
    }
    return entry


def run_default_probes(
    model: Any,
    frame: Any,
    *,
    y_true: str,
    sensitive: Sequence[str],
    pos_label: Any = None,
    model_pos_label: Any = None,
    progress: Progress | None = None,
) -> RobustnessResult:
    """The default probes (see :func:`default_scenario`) with the default limits; for the demo.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> df = pl.DataFrame({"x": rng.normal(size=400), "g": rng.choice(["a", "b"], 400)})
    >>> df = df.with_columns(y=(pl.col("x") + rng.normal(size=400) > 0).cast(pl.Int8))
    >>> clf = LogisticRegression().fit(df.select("x").to_pandas(), df["y"].to_numpy())
    >>> result = run_default_probes(clf, df, y_true="y", sensitive=["g"])
    >>> result.schema, result.n
    ('assay.robustness/v1', 400)
    """
    return run_robustness(
        model,
        frame,
        y_true=y_true,
        sensitive_features=list(sensitive),
        pos_label=pos_label,
        model_pos_label=model_pos_label,
        progress=progress,
    )


def _scenario(scenario: Scenario | Mapping[str, Any] | str | Path | None) -> Scenario | None:
    if scenario is None or isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | Path):
        return load_scenario(scenario)
    return parse_scenario(dict(scenario))


class _Engine:
    """Calls the fairness engine on (labels, decisions or scores, groups) with shared settings."""

    def __init__(
        self, sens: list[str], spec: Scenario, threshold: float | None, n_bootstrap: int
    ) -> None:
        self.sens = sens
        self.spec = spec
        self.threshold = 0.5 if threshold is None else threshold
        self.n_bootstrap = n_bootstrap

    def evaluate(
        self,
        groups: pl.DataFrame,
        y: npt.NDArray[np.int8],
        decision: npt.NDArray[np.int8],
        score: FloatArray | None,
        weights: FloatArray | None,
    ) -> dict[str, Any]:
        ev = groups.with_columns(
            pl.Series("__y", y, dtype=pl.Int8), pl.Series("__pred", decision, dtype=pl.Int8)
        )
        if weights is not None:
            ev = ev.with_columns(pl.Series("__w", weights))
        common: dict[str, Any] = {
            "y_true": "__y",
            "sensitive_features": self.sens,
            "pos_label": 1,
            "sample_weight": "__w" if weights is not None else None,
            "min_group_size": self.spec.min_group_size,
            "ci_level": self.spec.ci_level,
            "n_bootstrap": self.n_bootstrap,
            "random_state": self.spec.random_state,
            # 200 equal-width bins keep the score bootstrap cheap next to the model's predict
            "score_bins": SCORE_BINS,
        }
        if score is not None:
            try:
                ev = ev.with_columns(pl.Series("__score", score))
                return fairness(ev, y_score="__score", threshold=self.threshold, **common).to_dict()
            except InputError:
                pass  # constant scores, or all on one side of the threshold: decisions only
        return fairness(ev, y_pred="__pred", **common).to_dict()

    def compact(self, result: dict[str, Any]) -> dict[str, Any]:
        """The part of an engine result a robustness result keeps."""

        def metrics(entry: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in entry["metrics"].items() if k in ENGINE_METRICS}

        groups = [
            {
                "by": [],
                "group": {},
                "n": result["overall"]["n"],
                "small": False,
                "metrics": metrics(result["overall"]),
            }
        ]
        groups += [
            {
                "by": g["by"],
                "group": g["group"],
                "n": g["n"],
                "small": g["small"],
                "metrics": metrics(g),
            }
            for g in result["groups"]
        ]
        summaries = [
            {k: s[k] for k in ("by", "demographic_parity_difference", "equalized_odds_difference")}
            for s in result.get("summaries", [])
        ]
        return {"groups": groups, "summaries": summaries, "methods": result.get("methods", {})}


def _errored(probe: _Probe, reason: str) -> dict[str, Any]:
    return {
        "name": probe.label,
        "kind": getattr(probe, "kind", "probe"),
        "spec": probe.model_dump(mode="json", exclude_none=True),
        "status": "errored",
        "error": reason,
        "verdict": "error",
        "reason": reason,
        "deltas": [],
        "checks": [],
    }


def _run_probe(
    probe: _Probe,
    ctx: Context,
    groups: pl.DataFrame,
    y: npt.NDArray[np.int8],
    base: Scored,
    scorer: _Scorer,
    engine: _Engine,
    spec: Scenario,
    rng: np.random.Generator,
    baseline: dict[str, Any],
) -> dict[str, Any]:
    sens = list(ctx.sensitive_features)
    limits = spec.limits_for(probe)
    levels = paired.Levels.of(spec.ci_level, _comparisons(spec, probe, groups, sens))
    planned = plan(probe, ctx, rng)
    entry: dict[str, Any] = {
        "name": probe.label,
        "kind": getattr(probe, "kind", "probe"),
        "spec": probe.model_dump(mode="json", exclude_none=True),
        "status": "ok",
        "error": None,
        "changed": {
            "cells": planned.changed_cells,
            "rows": planned.changed_rows,
            "details": _jsonable(planned.details),
        },
        "notes": planned.notes,
        "limits": limits,
    }
    if isinstance(probe, CovariateShift | LabelShift):
        assert planned.weights is not None
        probed = engine.compact(
            engine.evaluate(groups, y, base.decision, base.score, planned.weights)
        )
        deltas, quantities = _shift_deltas(
            groups, y, base.decision, planned.weights, sens, levels, rng, engine.n_bootstrap
        )
    elif isinstance(probe, Counterfactual | Monotonic):
        variants = [_score_variant(v, scorer) for v in planned.variants]
        probed = None
        if isinstance(probe, Counterfactual):
            deltas, quantities = _flip_deltas(
                planned.variants, variants, groups, base, sens, levels
            )
        else:
            deltas, quantities = _monotonic_deltas(
                probe, planned.variants[0], variants[0], groups, base, sens, levels
            )
    else:
        variant = planned.variants[0]
        scored = _score_variant(variant, scorer)
        probed = engine.compact(engine.evaluate(groups, y, scored.decision, scored.score, None))
        deltas, quantities = _perturbation_deltas(groups, y, base, scored, sens, levels)
    _attach(deltas, baseline, probed)
    checks = _checks(limits, quantities, deltas, spec.min_group_size, levels)
    verdict, reason = _verdict(checks, limits)
    entry |= {
        "deltas": deltas,
        "probed": probed["summaries"] if probed else [],
        "checks": checks,
        "verdict": verdict,
        "reason": reason,
    }
    return entry


def _score_variant(variant: Variant, scorer: _Scorer) -> Scored:
    scored = scorer.score(variant.frame)
    if scored.failed.any():
        n_failed = int(scored.failed.sum())
        if scored.timeout:
            raise ModelCallError(
                f"{scored.error} (scored {variant.frame.height - n_failed:,} of "
                f"{variant.frame.height:,} rows before it)",
                timeout=True,
            )
        raise ModelCallError(
            f"the model failed on {n_failed:,} of {variant.frame.height:,} changed rows; first "
            f"error: {scored.error}"
        )
    return scored


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return _plain(value)


def _result(
    req: _Request,
    setup: _Setup,
    n: int,
    baseline: dict[str, Any] | None,
    probes: list[dict[str, Any]],
    notes: list[str],
    outcome: str,
    error: str | None,
) -> RobustnessResult:
    """The result: the probes' entries, the notes, timing and provenance."""
    model, source, scorer, params = setup.loaded, setup.source, setup.scorer, setup.params
    digest = req.dataset_digest
    total = time.perf_counter() - setup.started
    dataset: dict[str, Any] = {"engine": source.engine}
    columns = list(dict.fromkeys([*setup.inputs, req.y_true, *setup.sens]))
    if digest is not None:
        dataset |= {"digest": digest, "digest_of": "given by the caller"}
    elif source.path is not None:
        dataset |= {
            "digest": file_digest(source.path),
            "digest_of": "file bytes",
            "path": str(source.path),
        }
    elif source.eager_native is not None:
        try:
            dataset |= {
                "digest": columns_digest(source.eager_native, [c for c in columns if c]),
                "digest_of": COLUMNS_DIGEST_OF,
            }
        except Exception:
            dataset |= {"digest": None, "digest_of": "not computed"}
    payload: RobustnessPayload = {
        "schema": ROBUSTNESS_SCHEMA,
        "task": "binary classification",
        "n": int(n),
        "model": model.info.to_dict(),
        "outcome": outcome,
        "error": error,
        "baseline": baseline,
        "probes": probes,
        "notes": notes,
        "methods": METHODS,
        "params": _jsonable(params),
        "timing": {
            "total_seconds": round(total, 4),
            "predict_seconds": round(scorer.seconds, 4),
            "predict_share": round(scorer.seconds / total, 4) if total > 0 else None,
            "rows_scored": scorer.rows,
            "model_calls": scorer.calls,
        },
        "provenance": {
            "assay_version": __version__,
            "python": platform.python_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "random_state": params["random_state"],
            "dataset": dataset,
            "model": {
                "source": model.info.source,
                "sha256": model.info.sha256,
                "kind": model.info.kind,
            },
        },
    }
    return RobustnessResult(payload)


METHODS = {
    "probed metrics": "the fairness engine (assay.evaluate.fairness) on the probed decisions: "
    "Wilson intervals for rates, bootstrap for ROC AUC and Brier score",
    "rate changes": "Newcombe's square-and-add interval for paired proportions (method 10), "
    "since baseline and probe score the same rows",
    "re-weighted populations": "Poisson bootstrap over (group, label, decision, weight) cells, "
    "percentile intervals",
    "flip and violation rates": "Wilson score intervals; with several counterfactual targets each "
    "(row, target) pair counts once",
    "verdicts": "per check and scope (overall, each group of each sensitive feature): fail when "
    "the one-sided interval at α/m (Bonferroni over the probe's m checks) lies beyond the limit; "
    "pass when every one-sided interval at α lies within it (intersection–union); otherwise, or "
    "for groups below min_group_size, insufficient evidence",
}
