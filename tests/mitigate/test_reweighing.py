"""Kamiran–Calders reweighing: the weights are n_g · n_y / (n · n_gy), checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from assay.mitigate import reweighing_table, reweighing_weights

# 10 rows: group a has 4 rows (3 positive), group b has 6 rows (1 positive); 4 positives in all.
GROUPS = ["a"] * 4 + ["b"] * 6
LABELS = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0]


def test_the_weights_are_the_hand_formula() -> None:
    # w(g, y) = n_g * n_y / (n * n_gy), with n = 10, n_pos = 4, n_neg = 6:
    #   (a, 1): 4 * 4 / (10 * 3) = 16/30     (a, 0): 4 * 6 / (10 * 1) = 24/10
    #   (b, 1): 6 * 4 / (10 * 1) = 24/10     (b, 0): 6 * 6 / (10 * 5) = 36/50
    expected = [16 / 30] * 3 + [2.4] + [2.4] + [36 / 50] * 5
    assert reweighing_weights(GROUPS, LABELS).tolist() == pytest.approx(expected, rel=1e-15)
    table = reweighing_table(GROUPS, LABELS)
    assert table.select("group", "label", "n").rows() == [
        ("a", 0, 1), ("a", 1, 3), ("b", 0, 5), ("b", 1, 1)
    ]  # fmt: skip
    assert table["weight"].to_list() == pytest.approx([2.4, 16 / 30, 0.72, 2.4], rel=1e-15)


def test_weighted_labels_are_independent_of_the_group() -> None:
    w = reweighing_weights(GROUPS, LABELS)
    y, g = np.array(LABELS), np.array(GROUPS)
    for group in ("a", "b"):
        share = w[(g == group) & (y == 1)].sum() / w[g == group].sum()
        assert share == pytest.approx(0.4, rel=1e-12)  # the overall share of positives
    assert w.sum() == pytest.approx(10.0, rel=1e-12)  # the total weight is the number of rows


def test_strength_raises_the_weights_to_its_power() -> None:
    full = reweighing_weights(GROUPS, LABELS)
    half = reweighing_weights(GROUPS, LABELS, strength=0.5)
    assert half.tolist() == pytest.approx(np.sqrt(full).tolist(), rel=1e-15)
