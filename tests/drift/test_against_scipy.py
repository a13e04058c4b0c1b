"""Drift statistics equal scipy's on the raw data (to 1e-9), or stay within their stated error."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from assay.evaluate import drift, reference_profile
from assay.evaluate._drift_stats import bh_adjust

TOL = {"rel": 1e-9, "abs": 1e-12}


def _frames(n_ref: int, n_cur: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    ref = pl.DataFrame(
        {
            "x": rng.normal(10.0, 2.0, n_ref),
            "income": rng.lognormal(10.0, 1.0, n_ref),
            "city": rng.choice(["a", "b", "c", "d"], n_ref, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )
    cur = pl.DataFrame(
        {
            "x": rng.normal(10.5, 2.2, n_cur),
            "income": rng.lognormal(10.05, 1.0, n_cur),
            "city": rng.choice(["a", "b", "c", "d"], n_cur, p=[0.3, 0.3, 0.25, 0.15]),
        }
    )
    return ref, cur


def _edges(profile_column: dict[str, object]) -> np.ndarray:
    """The frozen PSI bin edges in the column's units (upper edges of the cut cells)."""
    grid = profile_column["grid"]
    assert isinstance(grid, dict)
    cuts = np.asarray(profile_column["psi_cuts"], dtype=np.float64)
    scale = grid["bins"] / (grid["high"] - grid["low"])
    return np.asarray(grid["low"] + (cuts + 1) / scale)


def _binned(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(edges, values, side="right")
    return np.bincount(idx, minlength=edges.size + 1).astype(np.float64)


def _psi(r: np.ndarray, c: np.ndarray) -> float:
    p = np.maximum(r / r.sum(), 1e-4)
    q = np.maximum(c / c.sum(), 1e-4)
    return float(np.sum((q - p) * np.log(q / p)))


def test_small_samples_equal_scipy_exactly() -> None:
    ref, cur = _frames(3000, 2500)
    result = drift(ref, cur)
    x_ref, x_cur = ref["x"].to_numpy(), cur["x"].to_numpy()
    entry = result.column("x")
    assert entry["resolution"] == "exact"
    ks = stats.ks_2samp(x_ref, x_cur)
    assert entry["statistics"]["ks"]["statistic"] == pytest.approx(ks.statistic, **TOL)
    assert entry["statistics"]["ks"]["p_value"] == pytest.approx(ks.pvalue, **TOL)
    assert entry["statistics"]["ks"]["p_method"] == "exact"
    w = stats.wasserstein_distance(x_ref, x_cur)
    assert entry["statistics"]["wasserstein"]["value"] == pytest.approx(w, **TOL)
    assert entry["statistics"]["wasserstein"]["normalized"] == pytest.approx(
        w / np.std(x_ref), **TOL
    )
    assert entry["statistics"]["wasserstein"]["max_error"] == 0.0

    edges = _edges(reference_profile(ref).column("x"))
    r, c = _binned(x_ref, edges), _binned(x_cur, edges)
    assert entry["statistics"]["psi"]["bins"] == edges.size + 1 == 10
    assert entry["statistics"]["jensen_shannon"]["value"] == pytest.approx(
        jensenshannon(r / r.sum(), c / c.sum(), base=2), **TOL
    )
    assert entry["statistics"]["psi"]["value"] == pytest.approx(_psi(r, c), **TOL)

    cats = ["a", "b", "c", "d"]
    table = np.array(
        [[(ref["city"] == k).sum() for k in cats], [(cur["city"] == k).sum() for k in cats]]
    )
    chi = stats.chi2_contingency(table)
    city = result.column("city")
    assert city["test"] == "chi_square"
    assert city["statistics"]["chi_square"]["statistic"] == pytest.approx(chi.statistic, **TOL)
    assert city["statistics"]["chi_square"]["p_value"] == pytest.approx(chi.pvalue, **TOL)
    assert city["statistics"]["chi_square"]["dof"] == 3
    assert city["statistics"]["jensen_shannon"]["value"] == pytest.approx(
        jensenshannon(table[0] / table[0].sum(), table[1] / table[1].sum(), base=2), **TOL
    )
    assert city["statistics"]["chi_square"]["cramers_v"] == pytest.approx(
        math.sqrt(chi.statistic / table.sum()), **TOL
    )


def test_large_discrete_columns_are_exact_with_the_asymptotic_p_value() -> None:
    rng = np.random.default_rng(5)
    ref = pl.DataFrame({"age": rng.integers(18, 90, 60_000)})
    cur = pl.DataFrame({"age": np.minimum(rng.integers(18, 90, 40_000) + 1, 95)})
    entry = drift(ref, cur).column("age")
    a, b = ref["age"].to_numpy(), cur["age"].to_numpy()
    ks = stats.ks_2samp(a, b)  # method="auto" is asymptotic above 10,000 values a side
    assert entry["resolution"] == "exact"
    assert entry["statistics"]["ks"]["p_method"] == "asymptotic"
    assert entry["statistics"]["ks"]["statistic"] == pytest.approx(ks.statistic, **TOL)
    assert entry["statistics"]["ks"]["p_value"] == pytest.approx(ks.pvalue, **TOL)
    assert entry["statistics"]["wasserstein"]["value"] == pytest.approx(
        stats.wasserstein_distance(a, b), **TOL
    )


def test_binned_values_stay_within_their_stated_error() -> None:
    ref, cur = _frames(40_000, 30_000, seed=2)
    result = drift(ref, cur)
    for col in ("x", "income"):
        a, b = ref[col].to_numpy(), cur[col].to_numpy()
        entry = result.column(col)
        assert entry["resolution"] == "binned"
        ks = entry["statistics"]["ks"]
        true_d = stats.ks_2samp(a, b).statistic
        assert ks["statistic"] <= true_d + 1e-12
        assert true_d <= ks["statistic"] + ks["max_error"] + 1e-12
        assert ks["max_error"] < 0.01
        w = entry["statistics"]["wasserstein"]
        true_w = stats.wasserstein_distance(a, b)
        assert abs(w["value"] - true_w) <= w["max_error"] + 1e-9
        assert w["max_error"] < 0.01 * np.std(a)
        # PSI and JS are defined on the frozen bins, so they stay exact
        edges = _edges(reference_profile(ref, exact_rows=0).column(col))
        r, c = _binned(a, edges), _binned(b, edges)
        assert entry["statistics"]["psi"]["value"] == pytest.approx(_psi(r, c), **TOL)
        assert entry["statistics"]["jensen_shannon"]["value"] == pytest.approx(
            jensenshannon(r / r.sum(), c / c.sum(), base=2), **TOL
        )


def test_yates_correction_and_fisher_for_two_categories() -> None:
    ref = pl.DataFrame({"flag": [True] * 300 + [False] * 700})
    cur = pl.DataFrame({"flag": [True] * 380 + [False] * 620})
    entry = drift(ref, cur).column("flag")
    chi = stats.chi2_contingency(np.array([[700, 300], [620, 380]]))
    assert entry["statistics"]["chi_square"]["statistic"] == pytest.approx(chi.statistic, **TOL)
    assert entry["statistics"]["chi_square"]["p_value"] == pytest.approx(chi.pvalue, **TOL)
    assert "Yates" in entry["statistics"]["chi_square"]["method"]

    small_ref = pl.DataFrame({"flag": [True] * 1 + [False] * 39})
    small_cur = pl.DataFrame({"flag": [True] * 6 + [False] * 34})
    entry = drift(small_ref, small_cur).column("flag")  # expected count of True: 3.5 < 5
    fisher = stats.fisher_exact(np.array([[39, 1], [34, 6]]))
    assert entry["statistics"]["chi_square"]["method"] == "fisher-exact"
    assert entry["p_value"] == pytest.approx(fisher.pvalue, **TOL)


def test_benjamini_hochberg_matches_scipy() -> None:
    rng = np.random.default_rng(9)
    p = rng.random(40) ** 3
    assert bh_adjust(p) == pytest.approx(stats.false_discovery_control(p), **TOL)
    with_nan = np.array([0.01, np.nan, 0.04, 0.03])
    q = bh_adjust(with_nan)
    assert np.isnan(q[1])
    assert q[[0, 2, 3]] == pytest.approx(stats.false_discovery_control([0.01, 0.04, 0.03]))


def test_decisions_use_bh_q_values_and_effect_sizes() -> None:
    ref, cur = _frames(3000, 2500)
    result = drift(ref, cur, alpha=0.05)
    entries = [result.column(c) for c in ("x", "income", "city")]
    p = np.array([e["p_value"] for e in entries])
    q = stats.false_discovery_control(p)
    for e, qv in zip(entries, q, strict=True):
        assert e["q_value"] == pytest.approx(qv, **TOL)
        assert e["drift"] == bool(qv <= 0.05 and e["effect"]["value"] >= e["effect"]["threshold"])
    assert result.to_dict()["rule"]["cases"][0]["test"] == "ks"
    assert "Benjamini–Hochberg" in result.to_dict()["rule"]["text"]
