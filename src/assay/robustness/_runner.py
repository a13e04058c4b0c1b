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

from assay._version import __version__
from assay.errors import InputError
from assay.evaluate import fairness
from assay.evaluate._frame import columns_digest, file_digest, open_frame
from assay.robustness import _paired as paired
from assay.robustness._models import Model, ModelCallError, Predictions, load_model
from assay.robustness._probes import Context, ProbeSetupError, Variant, plan
from assay.robustness._result import ROBUSTNESS_SCHEMA, RobustnessResult, worst
from assay.robustness._scenarios import (
    CHECKS,
    Counterfactual,
    CovariateShift,
    LabelShift,
    Monotonic,
    Scenario,
    _Probe,
    load_scenario,
    parse_scenario,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[str], None]

#: Metrics carried from the fairness engine's results into the robustness result.
ENGINE_METRICS = ("accuracy", "selection_rate", "tpr", "fpr", "roc_auc", "brier_score")
#: Rates whose paired change is computed: name → (subset of rows, indicator).
PAIRED_RATES = ("accuracy", "selection_rate", "tpr", "fpr")
#: At most this many rows are bisected to find the rows a model fails on.
MAX_BISECT_CALLS = 64
MISSING_GROUP = "(missing)"
#: Equal-width score bins for the engine's ROC AUC, average precision and Brier score.
SCORE_BINS = 200


@dataclass
class Scored:
    """A model's decisions (and scores) for some rows, and the rows it failed on."""

    decision: npt.NDArray[np.int8]
    score: FloatArray | None
    failed: BoolArray
    error: str | None
    timeout: bool = False


class _Scorer:
    """Scores frames in batches; finds the failing rows of a batch by bisection."""

    def __init__(self, model: Model, positive: Any, threshold: float | None) -> None:
        self.model = model
        self.positive = positive
        self.threshold = threshold
        self.seconds = 0.0
        self.rows = 0
        self.calls = 0

    def _call(self, frame: pl.DataFrame) -> Predictions:
        start = time.perf_counter()
        try:
            return self.model.predict_batch(frame)
        finally:
            self.seconds += time.perf_counter() - start
            self.rows += frame.height
            self.calls += 1

    def score(self, frame: pl.DataFrame) -> Scored:
        n = frame.height
        decision = np.zeros(n, dtype=np.int8)
        score: FloatArray | None = None
        failed = np.zeros(n, dtype=bool)
        first_error: str | None = None
        budget = [MAX_BISECT_CALLS]
        size = max(1, self.model.batch_size)
        for start in range(0, n, size):
            stop = min(n, start + size)
            for lo, hi, pred, err in self._batch(frame, start, stop, budget):
                if pred is None:
                    failed[lo:hi] = True
                    if first_error is None and err is not None:
                        first_error = str(err)
                    if err is not None and err.timeout:
                        failed[lo:] = True
                        return Scored(decision, score, failed, first_error, timeout=True)
                    continue
                d, s = self._decide(pred)
                decision[lo:hi] = d
                if s is not None:
                    if score is None:
                        score = np.full(n, np.nan)
                    score[lo:hi] = s
        return Scored(decision, score, failed, first_error)

    def _batch(
        self, frame: pl.DataFrame, lo: int, hi: int, budget: list[int]
    ) -> list[tuple[int, int, Predictions | None, ModelCallError | None]]:
        try:
            pred = self._call(frame[lo:hi])
            self._check(pred, hi - lo)
            return [(lo, hi, pred, None)]
        except ModelCallError as err:
            if err.timeout or hi - lo == 1 or budget[0] <= 0:
                return [(lo, hi, None, err)]
            budget[0] -= 1
            mid = (lo + hi) // 2
            return self._batch(frame, lo, mid, budget) + self._batch(frame, mid, hi, budget)

    def _check(self, pred: Predictions, rows: int) -> None:
        for name, arr in (("scores", pred.score), ("labels", pred.label)):
            if arr is not None and len(arr) != rows:
                raise ModelCallError(f"the model returned {len(arr)} {name} for {rows} rows")
        if pred.score is None and pred.label is None:
            raise ModelCallError("the model returned neither scores nor labels")
        if pred.score is not None and not np.all(np.isfinite(pred.score)):
            raise ModelCallError("the model returned NaN or infinite scores")

    def _decide(self, pred: Predictions) -> tuple[npt.NDArray[np.int8], FloatArray | None]:
        if pred.score is not None:
            score = pred.score
            classes = pred.classes
            if classes is not None and len(classes) == 2 and _same(classes[0], self.positive):
                score = 1.0 - score
            threshold = 0.5 if self.threshold is None else self.threshold
            return (score >= threshold).astype(np.int8), score
        assert pred.label is not None
        labels = np.asarray(pred.label, dtype=object)
        hit = np.asarray(labels == self.positive, dtype=bool)
        if not hit.any():
            hit = labels.astype(str) == str(_plain(self.positive))
        return hit.astype(np.int8), None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.generic):
        a = a.item()
    if isinstance(b, np.generic):
        b = b.item()
    return bool(a == b) or str(a) == str(b)


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
    say = progress or (lambda _msg: None)
    sens = [sensitive_features] if isinstance(sensitive_features, str) else list(sensitive_features)
    if not sens:
        raise InputError("sensitive_features is empty: name at least one column to report by.")
    if n_bootstrap < 100:
        raise InputError(f"n_bootstrap must be at least 100, got {n_bootstrap}.")
    given = _scenario(scenario)
    source = open_frame(data)
    try:
        frame = source.frame.collect(backend="polars").to_native()
    except Exception as exc:
        raise InputError(f"The data could not be read: {type(exc).__name__}: {exc}") from None
    assert isinstance(frame, pl.DataFrame)
    listing = ", ".join(frame.columns[:40])
    for role, col in [("y_true", y_true)] + [("sensitive_features", s) for s in sens]:
        if col not in frame.columns:
            raise InputError(
                f"The column '{col}' named in {role} is not in the data. Columns are: {listing}."
            )
    if frame.height == 0:
        raise InputError("The data has no rows; there is nothing to probe.")
    if frame.get_column(y_true).null_count():
        raise InputError(
            f"The column '{y_true}' has missing labels; drop those rows before probing."
        )
    positive_label = _positive(frame.get_column(y_true), pos_label)
    loaded = load_model(model, features=features, batch_size=batch_size, timeout=timeout)
    inputs = list(features or loaded.info.features or [c for c in frame.columns if c != y_true])
    if y_true in inputs:
        raise InputError(f"'{y_true}' is the label; it cannot also be a model input.")
    model_positive = _model_positive(loaded, positive_label, model_pos_label)
    positive = _equals(frame.get_column(y_true), positive_label)
    scorer = _Scorer(loaded, model_positive, threshold)
    groups = _group_frame(frame, sens)
    usable = [f for f in inputs if f in frame.columns]
    spec = given or default_scenario(usable, sens, frame)
    started = time.perf_counter()
    rng = np.random.default_rng(spec.random_state)

    params: dict[str, Any] = {
        "y_true": y_true,
        "pos_label": _plain(positive_label),
        "model_pos_label": _plain(model_positive),
        "sensitive_features": sens,
        "features": inputs,
        "threshold": 0.5 if threshold is None else threshold,
        "batch_size": loaded.batch_size,
        "timeout_seconds": timeout if loaded.info.kind == "http" else None,
        "ci_level": spec.ci_level,
        "min_group_size": spec.min_group_size,
        "n_bootstrap": n_bootstrap,
        "random_state": spec.random_state,
        "limits": {k: float(v) for k, v in spec.limits.items()},
        "scenario": spec.model_dump(mode="json", by_alias=True, exclude_none=True),
    }
    notes: list[str] = []

    missing_inputs = [f for f in inputs if f not in frame.columns]
    say("Scoring the baseline")
    base_error: str | None = None
    keep = np.ones(frame.height, dtype=bool)
    base: Scored | None = None
    if missing_inputs:
        base_error = (
            f"the model's input feature(s) {', '.join(repr(m) for m in missing_inputs)} are not "
            f"in the data (columns: {listing})"
        )
    else:
        base = scorer.score(frame.select(inputs))
        if base.failed.all():
            base_error = f"the model failed on every row of the baseline: {base.error}"
        elif base.failed.any():
            keep = ~base.failed
            notes.append(
                f"The model failed on {int(base.failed.sum()):,} of {frame.height:,} rows of the "
                f"unchanged data (first error: {base.error}); those rows are left out of every "
                "probe."
            )
    if base_error is not None or base is None:
        probes = [
            _errored(p, f"the baseline could not be scored: {base_error}") for p in spec.probes
        ]
        return _result(
            frame.height,
            loaded,
            None,
            probes,
            params,
            notes,
            source,
            inputs,
            y_true,
            sens,
            dataset_digest,
            scorer,
            started,
            "error",
            base_error,
        )

    if not keep.all():
        frame, groups, positive = (
            frame.filter(pl.Series(keep)),
            groups.filter(pl.Series(keep)),
            positive[keep],
        )
        base = Scored(
            base.decision[keep],
            None if base.score is None else base.score[keep],
            base.failed[keep],
            None,
        )
    y = positive.astype(np.int8)
    engine = _Engine(sens, spec, threshold, n_bootstrap)
    baseline = engine.compact(engine.evaluate(groups, y, base.decision, base.score, None))
    ctx = Context(frame, tuple(inputs), positive, tuple(sens))

    entries = []
    for i, probe in enumerate(spec.probes):
        say(f"Probe {i + 1}/{len(spec.probes)}: {probe.label}")
        t0 = time.perf_counter()
        p0, r0 = scorer.seconds, scorer.rows
        try:
            entry = _run_probe(probe, ctx, groups, y, base, scorer, engine, spec, rng, baseline)
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
        entries.append(entry)
    outcome = worst([e["verdict"] for e in entries])
    return _result(
        frame.height,
        loaded,
        baseline,
        entries,
        params,
        notes,
        source,
        inputs,
        y_true,
        sens,
        dataset_digest,
        scorer,
        started,
        outcome,
        None,
    )


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


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _positive(labels: pl.Series, pos_label: Any) -> Any:
    values = labels.unique().sort().to_list()
    if len(values) > 2:
        shown = ", ".join(map(repr, values[:10]))
        raise InputError(
            f"y_true '{labels.name}' has {len(values)} distinct values ({shown}); robustness "
            "probes need binary labels."
        )
    if pos_label is not None:
        for v in values:
            if _same(v, pos_label):
                return v
        raise InputError(
            f"pos_label {pos_label!r} is not a value of '{labels.name}'; the values are "
            f"{', '.join(map(repr, values))}."
        )
    if all(isinstance(v, bool) for v in values):
        return True
    if all(isinstance(v, int | float) and v in (0, 1) for v in values):
        return 1
    raise InputError(
        f"The labels of '{labels.name}' are {', '.join(map(repr, values))}, not 0/1: say which one "
        "is the favourable outcome with pos_label (on the command line: --pos-label)."
    )


def _equals(labels: pl.Series, value: Any) -> BoolArray:
    """Rows whose label is ``value`` (a value taken from the column itself)."""
    return np.asarray((labels == value).fill_null(False).to_numpy(), dtype=bool)


def _model_positive(model: Model, positive: Any, given: Any) -> Any:
    classes = model.info.classes
    if given is not None:
        if classes is not None and not any(_same(c, given) for c in classes):
            raise InputError(
                f"model_pos_label {given!r} is not one of the model's classes {list(classes)}."
            )
        return next((c for c in classes if _same(c, given)), given) if classes else given
    if classes is None:
        return positive
    for c in classes:
        if _same(c, positive):
            return c
    if all(isinstance(c, bool | np.bool_) for c in classes):
        return True
    if all(_same(c, 0) or _same(c, 1) for c in classes):
        return next(c for c in classes if _same(c, 1))
    raise InputError(
        f"The model's classes are {list(classes)} and the favourable label is {positive!r}; say "
        "which class is favourable with model_pos_label (on the command line: "
        "--model-pos-label)."
    )


def _group_frame(frame: pl.DataFrame, sens: list[str]) -> pl.DataFrame:
    """The sensitive columns as they are reported: missing values form their own group."""
    cols = []
    for s in sens:
        col = frame.get_column(s)
        if col.dtype.is_numeric() and col.n_unique() > 200:
            raise InputError(
                f"The sensitive feature '{s}' has {col.n_unique()} distinct values; bin it first "
                "(for example age into bands)."
            )
        if col.null_count():
            col = col.cast(pl.String).fill_null(MISSING_GROUP)
        cols.append(col)
    return pl.DataFrame(cols)


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


def _groupings(sens: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]] + [[s] for s in sens]
    if len(sens) > 1:
        out.append(list(sens))
    return out


def _partitions(
    groups: pl.DataFrame, by: list[str]
) -> list[tuple[dict[str, Any], npt.NDArray[np.int64]]]:
    """(group, row indices) for each group of ``by``, in sorted order."""
    if not by:
        return [({}, np.arange(groups.height, dtype=np.int64))]
    indexed = groups.select(by).with_row_index("__i")
    parts = indexed.group_by(by, maintain_order=False).agg(pl.col("__i")).sort(by, nulls_last=True)
    out = []
    for row in parts.iter_rows(named=True):
        rows = np.asarray(row.pop("__i"), dtype=np.int64)
        out.append(({k: _plain(v) for k, v in row.items()}, rows))
    return out


def _est(value: float, low: float | None = None, high: float | None = None) -> dict[str, Any]:
    if not np.isfinite(value):
        return {"value": None, "ci_low": None, "ci_high": None, "undefined": "no rows"}
    lo = float(low) if low is not None and np.isfinite(low) else None
    hi = float(high) if high is not None and np.isfinite(high) else None
    return {"value": float(value), "ci_low": lo, "ci_high": hi}


@dataclass
class _Quantity:
    """One checked quantity in one scope: its value and intervals at the three levels."""

    value: float
    ci: tuple[float, float]
    passing: tuple[float, float]
    failing: tuple[float, float]


def _paired_rate(
    y: npt.NDArray[np.int8],
    b: npt.NDArray[np.int8],
    p: npt.NDArray[np.int8],
    metric: str,
    levels: paired.Levels,
) -> tuple[float, float, _Quantity | None]:
    """(baseline rate, probed rate, change with intervals) of one rate over some rows."""
    if metric == "accuracy":
        subset = np.ones(y.size, dtype=bool)
        fb, fp = b == y, p == y
    elif metric == "selection_rate":
        subset = np.ones(y.size, dtype=bool)
        fb, fp = b == 1, p == 1
    elif metric == "tpr":
        subset = y == 1
        fb, fp = b == 1, p == 1
    else:
        subset = y == 0
        fb, fp = b == 1, p == 1
    fb, fp = fb[subset], fp[subset]
    n = int(subset.sum())
    if n == 0:
        return float("nan"), float("nan"), None
    a = float(np.sum(fp & fb))
    bb = float(np.sum(fp & ~fb))
    c = float(np.sum(~fp & fb))
    d = float(n) - a - bb - c
    value, lo, hi = paired.paired_newcombe(a, bb, c, d, levels.ci)
    _, plo, phi = paired.paired_newcombe(a, bb, c, d, levels.passing)
    _, flo, fhi = paired.paired_newcombe(a, bb, c, d, levels.failing)
    return float(fb.mean()), float(fp.mean()), _Quantity(value, (lo, hi), (plo, phi), (flo, fhi))


def _share(x: BoolArray, levels: paired.Levels) -> _Quantity | None:
    n = float(x.size)
    if n == 0:
        return None
    k = float(x.sum())
    return _Quantity(
        k / n,
        paired.wilson_at(k, n, levels.ci),
        paired.wilson_at(k, n, levels.passing),
        paired.wilson_at(k, n, levels.failing),
    )


def _comparisons(spec: Scenario, probe: _Probe, groups: pl.DataFrame, sens: list[str]) -> int:
    scopes = 1 + sum(groups.get_column(s).n_unique() for s in sens)
    return max(1, scopes * len(spec.limits_for(probe)))


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


Quantities = dict[tuple[str, tuple[str, ...], tuple[Any, ...]], _Quantity]


def _key(
    check: str, by: list[str], group: dict[str, Any]
) -> tuple[str, tuple[str, ...], tuple[Any, ...]]:
    return check, tuple(by), tuple(group.get(b) for b in by)


def _perturbation_deltas(
    groups: pl.DataFrame,
    y: npt.NDArray[np.int8],
    base: Scored,
    probed: Scored,
    sens: list[str],
    levels: paired.Levels,
) -> tuple[list[dict[str, Any]], Quantities]:
    out: list[dict[str, Any]] = []
    quantities: Quantities = {}
    for by in _groupings(sens):
        for group, rows in _partitions(groups, by):
            yy, b, p = y[rows], base.decision[rows], probed.decision[rows]
            metrics: dict[str, Any] = {}
            for m in PAIRED_RATES:
                _, _, q = _paired_rate(yy, b, p, m, levels)
                metrics[m] = {"delta": _q_est(q)}
                if q is not None:
                    if m == "accuracy":
                        quantities[_key("accuracy_drop", by, group)] = _negate(q)
                    else:
                        quantities[_key(f"{m}_change", by, group)] = q
            flips = _share(b != p, levels)
            metrics["flip_rate"] = _q_est(flips)
            if flips is not None:
                quantities[_key("flip_rate", by, group)] = flips
            if base.score is not None and probed.score is not None:
                change = np.abs(probed.score[rows] - base.score[rows])
                mean = float(change.mean())
                se = float(change.std(ddof=1) / np.sqrt(change.size)) if change.size > 1 else 0.0
                metrics["mean_abs_score_change"] = _est(
                    mean, max(0.0, mean - levels.ci * se), mean + levels.ci * se
                )
            out.append(_delta_entry(by, group, rows.size, metrics))
    return out, quantities


def _shift_deltas(
    groups: pl.DataFrame,
    y: npt.NDArray[np.int8],
    decision: npt.NDArray[np.int8],
    weights: FloatArray,
    sens: list[str],
    levels: paired.Levels,
    rng: np.random.Generator,
    n_bootstrap: int,
) -> tuple[list[dict[str, Any]], Quantities]:
    cells = groups.with_columns(
        pl.Series("__y", y), pl.Series("__d", decision), pl.Series("__w", weights)
    )
    out: list[dict[str, Any]] = []
    quantities: Quantities = {}
    for by in _groupings(sens):
        table = (
            cells.group_by([*by, "__y", "__d", "__w"]).len("__n").sort([*by, "__y", "__d", "__w"])
        )
        for group, rows in _partitions(table, by):
            part = table[rows]
            n = part.get_column("__n").to_numpy().astype(np.float64)
            w = part.get_column("__w").to_numpy().astype(np.float64)
            yy = part.get_column("__y").to_numpy() == 1
            dd = part.get_column("__d").to_numpy() == 1
            every = np.ones(n.size, dtype=bool)
            definitions = {
                "accuracy": (yy == dd, every),
                "selection_rate": (dd, every),
                "tpr": (dd, yy),
                "fpr": (dd, ~yy),
            }
            metrics: dict[str, Any] = {}
            for m, (num, den) in definitions.items():
                if not (n * den).sum():
                    metrics[m] = {"delta": _est(float("nan"))}
                    continue
                _, _, change, reps = paired.weighted_rate_change(
                    n, w, num, den, rng=rng, n_bootstrap=n_bootstrap
                )
                q = _Quantity(
                    change,
                    paired.bootstrap_quantiles(reps, levels.ci),
                    paired.bootstrap_quantiles(reps, levels.passing),
                    paired.bootstrap_quantiles(reps, levels.failing),
                )
                metrics[m] = {"delta": _q_est(q)}
                if m == "accuracy":
                    quantities[_key("accuracy_drop", by, group)] = _negate(q)
                else:
                    quantities[_key(f"{m}_change", by, group)] = q
            out.append(_delta_entry(by, group, int(n.sum()), metrics))
    return out, quantities


def _flip_deltas(
    planned: list[Variant],
    scored: list[Scored],
    groups: pl.DataFrame,
    base: Scored,
    sens: list[str],
    levels: paired.Levels,
) -> tuple[list[dict[str, Any]], Quantities]:
    rows = np.concatenate([v.rows for v in planned if v.rows is not None])
    new = np.concatenate([s.decision for s in scored])
    old = base.decision[rows]
    targets = np.concatenate(
        [np.full(v.frame.height, str(v.target), dtype=object) for v in planned]
    )
    stacked = groups[rows].with_columns(pl.Series("__target", targets, dtype=pl.String))
    out: list[dict[str, Any]] = []
    quantities: Quantities = {}
    for by in _groupings(sens):
        for group, idx in _partitions(stacked, by):
            flips = _share(old[idx] != new[idx], levels)
            up = _share((old[idx] == 0) & (new[idx] == 1), levels)
            down = _share((old[idx] == 1) & (new[idx] == 0), levels)
            metrics = {
                "flip_rate": _q_est(flips),
                "flip_to_positive": _q_est(up),
                "flip_to_negative": _q_est(down),
            }
            if flips is not None:
                quantities[_key("counterfactual_flip_rate", by, group)] = flips
            entry = _delta_entry(by, group, idx.size, metrics)
            entry["by_target"] = [
                {
                    "target": t.get("__target"),
                    "n": int(i.size),
                    "flip_rate": _q_est(_share(old[idx][i] != new[idx][i], levels)),
                }
                for t, i in _partitions(stacked[idx], ["__target"])
            ]
            out.append(entry)
    return out, quantities


def _monotonic_deltas(
    probe: Monotonic,
    variant: Variant,
    scored: Scored,
    groups: pl.DataFrame,
    base: Scored,
    sens: list[str],
    levels: paired.Levels,
) -> tuple[list[dict[str, Any]], Quantities]:
    sign = 1.0 if probe.direction == "increasing" else -1.0
    if base.score is not None and scored.score is not None:
        moved = sign * (scored.score - base.score)
        violated = moved < -probe.tolerance
    else:
        moved = sign * (scored.decision.astype(np.float64) - base.decision)
        violated = moved < 0
    out: list[dict[str, Any]] = []
    quantities: Quantities = {}
    for by in _groupings(sens):
        for group, rows in _partitions(groups, by):
            q = _share(violated[rows], levels)
            metrics = {"violation_rate": _q_est(q)}
            if base.score is not None and scored.score is not None:
                metrics["worst_score_move"] = _est(
                    float(moved[rows].min()) if rows.size else np.nan
                )
            if q is not None:
                quantities[_key("violation_rate", by, group)] = q
            out.append(_delta_entry(by, group, rows.size, metrics))
    return out, quantities


def _negate(q: _Quantity) -> _Quantity:
    return _Quantity(
        -q.value,
        (-q.ci[1], -q.ci[0]),
        (-q.passing[1], -q.passing[0]),
        (-q.failing[1], -q.failing[0]),
    )


def _q_est(q: _Quantity | None) -> dict[str, Any]:
    if q is None:
        return _est(float("nan"))
    return _est(q.value, *q.ci)


def _delta_entry(
    by: list[str], group: dict[str, Any], n: int, metrics: dict[str, Any]
) -> dict[str, Any]:
    return {"by": by, "group": group, "n": int(n), "metrics": metrics}


def _attach(
    deltas: list[dict[str, Any]], baseline: dict[str, Any], probed: dict[str, Any] | None
) -> None:
    """Add the engine's baseline and probed values (with intervals) next to each change."""

    def index(view: dict[str, Any] | None) -> dict[Any, dict[str, Any]]:
        if view is None:
            return {}
        return {
            (tuple(g["by"]), tuple(g["group"].get(b) for b in g["by"])): g for g in view["groups"]
        }

    base_ix, probed_ix = index(baseline), index(probed)
    for d in deltas:
        key = (tuple(d["by"]), tuple(d["group"].get(b) for b in d["by"]))
        b = base_ix.get(key)
        p = probed_ix.get(key)
        d["small"] = bool(b["small"]) if b else False
        for m in ENGINE_METRICS:
            if b is None or m not in b["metrics"]:
                continue
            slot = d["metrics"].setdefault(m, {})
            slot["baseline"] = b["metrics"][m]
            if p is not None and m in p["metrics"]:
                slot["probed"] = p["metrics"][m]
                bv, pv = b["metrics"][m]["value"], p["metrics"][m]["value"]
                if "delta" not in slot:
                    slot["delta"] = _est(pv - bv if bv is not None and pv is not None else np.nan)
                    slot["delta"]["ci_low"] = slot["delta"]["ci_high"] = None


def _checks(
    limits: dict[str, float],
    quantities: Quantities,
    deltas: list[dict[str, Any]],
    min_group_size: int,
    levels: paired.Levels,
) -> list[dict[str, Any]]:
    out = []
    small = {
        (tuple(d["by"]), tuple(d["group"].get(b) for b in d["by"])): d["n"] < min_group_size
        for d in deltas
    }
    for check, limit in limits.items():
        absolute = check.endswith("_change")
        for (name, by, key), q in quantities.items():
            if name != check or len(by) > 1:
                continue
            group = dict(zip(by, key, strict=True))
            entry: dict[str, Any] = {
                "check": check,
                "limit": limit,
                "by": list(by),
                "group": group,
                "estimate": _est(abs(q.value) if absolute else q.value, *q.ci),
            }
            if absolute:
                entry["estimate"] = _est(q.value, *q.ci)
                entry["estimate"]["absolute"] = True
            lo_f, hi_f = q.failing
            lo_p, hi_p = q.passing
            if small.get((by, key), False) and by:
                entry["verdict"] = "insufficient_evidence"
                entry["reason"] = f"fewer than {min_group_size} rows"
            elif (absolute and (lo_f > limit or hi_f < -limit)) or (not absolute and lo_f > limit):
                entry["verdict"] = "fail"
                entry["reason"] = "significantly beyond the limit"
            elif (absolute and -limit <= lo_p and hi_p <= limit) or (
                not absolute and hi_p <= limit
            ):
                entry["verdict"] = "pass"
                entry["reason"] = "significantly within the limit"
            else:
                entry["verdict"] = "insufficient_evidence"
                entry["reason"] = "the interval includes the limit"
            out.append(entry)
    return out


def _verdict(checks: list[dict[str, Any]], limits: dict[str, float]) -> tuple[str, str]:
    if not limits:
        return "none", "no limits apply to this probe; its changes are reported without a verdict"
    if not checks:
        return "insufficient_evidence", "no check could be computed"
    failed = [c for c in checks if c["verdict"] == "fail"]
    if failed:
        c = max(failed, key=lambda c: abs(c["estimate"]["value"] or 0.0))
        return "fail", (
            f"{CHECKS_LABEL.get(c['check'], c['check'])} {_where(c)} is "
            f"{abs(c['estimate']['value']):.4g}, significantly above the limit {c['limit']:g}"
            f" (one-sided, Bonferroni over {len(checks)} checks)."
        )
    unsure = [c for c in checks if c["verdict"] == "insufficient_evidence"]
    if unsure:
        small = [c for c in unsure if c["reason"].startswith("fewer than")]
        wide = [c for c in unsure if c not in small]
        parts = []
        if wide:
            named = ", ".join(f"{CHECKS_LABEL[c['check']]} {_where(c)}" for c in wide[:3])
            more = f" and {len(wide) - 3} more" if len(wide) > 3 else ""
            parts.append(f"the interval includes the limit for {named}{more}")
        if small:
            groups = sorted({_where(c).removeprefix("for ") for c in small})
            parts.append(f"groups below the minimum size: {', '.join(groups)}")
        return (
            "insufficient_evidence",
            f"{len(unsure)} of {len(checks)} checks undecided: " + "; ".join(parts) + ".",
        )
    return "pass", f"all {len(checks)} checks are significantly within their limits."


CHECKS_LABEL = {k: k.replace("_", " ") for k in CHECKS}


def _where(check: dict[str, Any]) -> str:
    if not check["by"]:
        return "overall"
    return "for " + ", ".join(f"{k}={v}" for k, v in check["group"].items())


def _result(
    n: int,
    model: Model,
    baseline: dict[str, Any] | None,
    probes: list[dict[str, Any]],
    params: dict[str, Any],
    notes: list[str],
    source: Any,
    inputs: list[str],
    y_true: str,
    sens: list[str],
    digest: str | None,
    scorer: _Scorer,
    started: float,
    outcome: str,
    error: str | None,
) -> RobustnessResult:
    total = time.perf_counter() - started
    dataset: dict[str, Any] = {"engine": source.engine}
    columns = list(dict.fromkeys([*inputs, y_true, *sens]))
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
                "digest_of": "Arrow IPC stream of the columns read",
            }
        except Exception:
            dataset |= {"digest": None, "digest_of": "not computed"}
    payload = {
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
