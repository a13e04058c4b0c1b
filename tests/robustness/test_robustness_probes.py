"""Each probe changes what it says it changes, and nothing else."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from assay.robustness._probes import Context, ProbeSetupError, plan
from assay.robustness._scenarios import PROBE_KINDS

FEATURES = ("x1", "x2", "colour", "age", "sex")


@pytest.fixture
def ctx(data: pl.DataFrame) -> Context:
    return Context(data, FEATURES, data["y"].to_numpy() == 1, ("sex",))


def _plan(kind: str, ctx: Context, **params: object):  # type: ignore[no-untyped-def]
    spec = PROBE_KINDS[kind].model_validate({"kind": kind, **params})
    return plan(spec, ctx, np.random.default_rng(0))


def test_gaussian_noise_is_scaled_by_each_features_spread(ctx: Context) -> None:
    out = _plan("gaussian_noise", ctx, scale=0.5)
    new = out.variants[0].frame
    diff = (new["x1"] - ctx.data["x1"]).to_numpy()
    assert np.std(diff) == pytest.approx(0.5 * ctx.data["x1"].std(), rel=0.1)
    assert new["age"].dtype == ctx.data["age"].dtype  # integers stay integers
    assert new["colour"].equals(ctx.data["colour"])
    assert set(out.details["features"]) == {"x1", "x2", "age"}


def test_category_swap_moves_the_chosen_share_to_other_known_categories(ctx: Context) -> None:
    out = _plan("category_swap", ctx, features=["colour"], fraction=0.2)
    new, old = out.variants[0].frame["colour"], ctx.data["colour"]
    changed = (new != old).to_numpy()
    assert changed.mean() == pytest.approx(0.2, abs=0.03)
    assert set(new.unique()) <= set(old.unique())


def test_typos_make_unseen_values(ctx: Context) -> None:
    out = _plan("typos", ctx, features=["colour"], fraction=0.3)
    new = out.variants[0].frame["colour"]
    unseen = ~new.is_in(["red", "green", "blue"]).to_numpy()
    assert unseen.mean() == pytest.approx(0.3, abs=0.04)


def test_missing_values_blank_the_share_of_cells(ctx: Context) -> None:
    out = _plan("missing_values", ctx, features=["x1", "colour"], fraction=0.25)
    new = out.variants[0].frame
    assert new["x1"].null_count() / new.height == pytest.approx(0.25, abs=0.03)
    assert new["colour"].null_count() / new.height == pytest.approx(0.25, abs=0.03)
    assert new["x2"].null_count() == 0


def test_feature_dropout_takes_exactly_one_feature_per_row(ctx: Context) -> None:
    out = _plan("feature_dropout", ctx, features=["x1", "x2", "colour"])
    nulls = (
        out.variants[0]
        .frame.select(pl.sum_horizontal(pl.col(c).is_null() for c in ("x1", "x2", "colour")))
        .to_series()
    )
    assert (nulls == 1).all()


def test_feature_dropout_of_whole_columns_with_typical_values(ctx: Context) -> None:
    out = _plan("feature_dropout", ctx, features=["age"], mode="all_rows", fill="typical")
    age = out.variants[0].frame["age"]
    assert age.n_unique() == 1
    assert age[0] == round(float(ctx.data["age"].median()))  # type: ignore[arg-type]


def test_out_of_range_values_lie_beyond_the_observed_range(ctx: Context) -> None:
    out = _plan("out_of_range", ctx, features=["x1"], fraction=0.1)
    new, old = out.variants[0].frame["x1"], ctx.data["x1"]
    changed = new != old
    outside = (new > old.max()) | (new < old.min())  # type: ignore[operator]
    assert changed.equals(outside)
    assert changed.mean() == pytest.approx(0.1, abs=0.03)


def test_covariate_shift_weights_the_subgroup(ctx: Context) -> None:
    out = _plan("covariate_shift", ctx, subgroup={"feature": "age", "min": 60}, weight=2.0)
    assert out.weights is not None
    assert not out.variants
    old = ctx.data["age"].to_numpy() >= 60
    np.testing.assert_array_equal(out.weights, np.where(old, 2.0, 1.0))


def test_label_shift_reaches_the_target_prevalence(ctx: Context) -> None:
    out = _plan("label_shift", ctx, prevalence=0.7)
    assert out.weights is not None
    shifted = (out.weights * ctx.positive).sum() / out.weights.sum()
    assert shifted == pytest.approx(0.7)


def test_counterfactual_changes_only_the_attribute_and_its_proxies(data: pl.DataFrame) -> None:
    frame = data.with_columns(
        pl.when(pl.col("sex") == "F").then(pl.lit("wife")).otherwise(pl.lit("husband")).alias("rel")
    )
    ctx = Context(frame, (*FEATURES, "rel"), frame["y"].to_numpy() == 1, ("sex",))
    out = _plan(
        "counterfactual",
        ctx,
        feature="sex",
        proxies={"rel": {"wife": "husband", "husband": "wife"}},
    )
    assert {v.target for v in out.variants} == {"F", "M"}
    for v in out.variants:
        assert v.rows is not None
        original = frame[v.rows]
        assert (original["sex"] != v.target).all()
        assert (v.frame["sex"] == v.target).all()
        assert (v.frame["rel"] != original["rel"]).all()
        assert v.frame.drop("sex", "rel").equals(original.select(FEATURES).drop("sex"))


def test_probes_name_missing_features(ctx: Context) -> None:
    with pytest.raises(ProbeSetupError, match="'income' named by the probe are not in the data"):
        _plan("gaussian_noise", ctx, features=["income"])
    with pytest.raises(ProbeSetupError, match="not model inputs"):
        _plan("gaussian_noise", ctx, features=["y"])
