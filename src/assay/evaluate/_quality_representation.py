"""Representativeness of the data against population marginals.

Chi-square goodness of fit per feature (Benjamini–Hochberg across features) and the Wilson
interval of each category's observed share: a category is under-represented when the upper
bound of its share is below ``ratio`` × the population share, over-represented when the lower
bound is above the population share ÷ ``ratio``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from assay.evaluate._drift_stats import bh_adjust
from assay.evaluate._quality_spec import OTHER_KEY, Population
from assay.evaluate._quality_values import interval, q_text, warn


def representativeness(
    pop: Population, counts: dict[str, pl.DataFrame], z: float, alpha: float, ratio: float
) -> list[dict[str, Any]]:
    """One entry per feature with marginals: categories, goodness of fit, q-value."""
    out = [
        _feature(pop, feature, shares, counts[feature], z, ratio)
        for feature, shares in pop.marginals.items()
    ]
    q = bh_adjust(np.array([e["p_value"] if e["p_value"] is not None else np.nan for e in out]))
    for e, qv in zip(out, q, strict=True):
        e["q_value"] = float(qv) if np.isfinite(qv) else None
        e["significant"] = bool(e["q_value"] is not None and e["q_value"] <= alpha)
    return out


def _feature(
    pop: Population,
    feature: str,
    shares: dict[str, float],
    table: pl.DataFrame,
    z: float,
    ratio: float,
) -> dict[str, Any]:
    from scipy import stats as sps  # slow to import; only needed here

    observed = {r[0]: int(r[1]) for r in table.rows()}
    missing = observed.pop(None, 0)
    listed = [c for c in shares if c != OTHER_KEY]
    unlisted = {c: k for c, k in observed.items() if c not in shares}
    cats = list(listed)
    obs = [float(observed.get(c, 0)) for c in listed]
    exp_share = [shares[c] for c in listed]
    excluded = 0
    if OTHER_KEY in shares:
        cats.append(OTHER_KEY)
        obs.append(float(sum(unlisted.values())))
        exp_share.append(shares[OTHER_KEY])
    else:
        excluded = sum(unlisted.values())
    n = float(sum(obs))
    rows = [
        _category(c, k, share_e, n, z, ratio)
        for c, k, share_e in zip(cats, obs, exp_share, strict=True)
    ]
    stat = p = None
    if n > 0:
        expected = np.asarray(exp_share) * n
        positive = expected > 0
        res = sps.chisquare(
            np.asarray(obs)[positive], expected[positive] * (n / expected[positive].sum())
        )
        stat, p = float(res.statistic), float(res.pvalue)
    return {
        "feature": feature,
        "source": pop.source,
        "year": pop.year,
        "n": int(n),
        "missing": missing,
        "excluded_unlisted": {"rows": excluded, "categories": sorted(unlisted)[:20]}
        if excluded
        else None,
        "categories": rows,
        "chi_square": stat,
        "dof": len(cats) - 1,
        "p_value": p,
    }


def _category(c: str, k: float, share_e: float, n: float, z: float, ratio: float) -> dict[str, Any]:
    low, high = interval(k, n, z)
    share = k / n if n else None
    status = "ok"
    if high is not None and high < ratio * share_e:
        status = "under"
    elif low is not None and share_e > 0 and low > share_e / ratio:
        status = "over"
    return {
        "category": c,
        "observed": int(k),
        "share": share,
        "ci": [low, high],
        "population_share": share_e,
        "ratio": (share / share_e) if share is not None and share_e > 0 else None,
        "status": status,
    }


def representativeness_warnings(entries: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    """A warning per feature that differs significantly or has an under-represented category."""
    warnings = []
    for r in entries:
        under = [c["category"] for c in r["categories"] if c["status"] == "under"]
        if under or r["significant"]:
            warnings.append(
                warn(
                    "representativeness",
                    "warning",
                    f"'{r['feature']}' differs from {source}"
                    + (f" (goodness of fit {q_text(r['q_value'])})" * bool(r["significant"]))
                    + (f"; under-represented: {', '.join(under)}" if under else "")
                    + ".",
                )
            )
    return warnings
