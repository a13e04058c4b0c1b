"""Comparison of two red-team runs (two model versions) with a significance test per category.

For each harm category the pass rates of run A (the baseline) and run B (the candidate) are
compared:

- **paired** (both runs scored the same cases): the exact McNemar test on the cases scored in
  both runs — a two-sided binomial test of the discordant pairs ``b`` (passed in A, failed in
  B) and ``c`` (failed in A, passed in B) against ``p = 1/2``;
- **unpaired** (different cases): Fisher's exact test on the 2×2 table of passes and failures.

Holm's step-down procedure controls the family-wise error rate over the categories at
``alpha``. A category is flagged a **regression** when its test is rejected and B's pass rate
is lower, an **improvement** when rejected and higher. The difference B − A comes with
Newcombe's hybrid score interval (unpaired, so conservative for paired runs).
"""

from __future__ import annotations

import copy
from typing import Any, TypedDict

import numpy as np

from assay.errors import InputError
from assay.evaluate import holm_reject, newcombe, wilson, z_value
from assay.genai._result import RedteamRun, now_iso
from assay.genai._suite import CATEGORY_LABELS
from assay.result import Result

__all__ = ["COMPARISON_SCHEMA", "ComparisonPayload", "RedteamComparison", "compare_runs"]

COMPARISON_SCHEMA = "assay.redteam-comparison/v1"


class ComparisonPayload(TypedDict):
    """The ``assay.redteam-comparison/v1`` payload."""

    schema: str
    alpha: float
    ci_level: float
    paired: bool
    a: dict[str, Any]
    b: dict[str, Any]
    categories: list[dict[str, Any]]
    regressions: list[str]
    improvements: list[str]
    method: str
    created_at: str


class RedteamComparison(Result[ComparisonPayload]):
    """The comparison of two runs, in the ``assay.redteam-comparison/v1`` schema."""

    SCHEMA = COMPARISON_SCHEMA
    Payload = ComparisonPayload
    NOUN = "comparison"

    def __repr__(self) -> str:
        flags = [c["category"] for c in self._payload["categories"] if c["flag"] == "regression"]
        return f"RedteamComparison(regressions={flags!r}, paired={self._payload['paired']})"

    @property
    def regressions(self) -> list[str]:
        """The categories flagged as regressions."""
        return [c["category"] for c in self._payload["categories"] if c["flag"] == "regression"]

    @property
    def improvements(self) -> list[str]:
        """The categories flagged as improvements."""
        return [c["category"] for c in self._payload["categories"] if c["flag"] == "improvement"]

    def categories(self) -> list[dict[str, Any]]:
        """One row per category with both runs' rates, the difference and the test."""
        return copy.deepcopy(self._payload["categories"])


def _scored(run: RedteamRun) -> dict[str, dict[str, bool]]:
    """category -> case id -> passed, for the cases that were scored."""
    out: dict[str, dict[str, bool]] = {}
    for r in run.records:
        if r["outcome"] in ("pass", "fail"):
            out.setdefault(r["category"], {})[r["case_id"]] = r["outcome"] == "pass"
    return out


def _mcnemar(b: int, c: int) -> float:
    from scipy.stats import binomtest

    if b + c == 0:
        return 1.0
    return float(binomtest(min(b, c), b + c, 0.5).pvalue)


def _fisher(pa: int, fa: int, pb: int, fb: int) -> float:
    from scipy.stats import fisher_exact

    if (pa + fa) == 0 or (pb + fb) == 0:
        return 1.0
    return float(fisher_exact([[pa, fa], [pb, fb]]).pvalue)


def holm_adjusted(p_values: list[float]) -> list[float]:
    """Holm step-down adjusted p-values (monotone, capped at 1).

    Examples
    --------
    >>> [round(p, 3) for p in holm_adjusted([0.01, 0.04, 0.03])]
    [0.03, 0.06, 0.06]
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _side(passed: int, failed: int, errored: int, z: float) -> dict[str, Any]:
    n = passed + failed
    low, high = wilson(np.array([passed], float), np.array([n], float), z)
    return {
        "passed": passed,
        "failed": failed,
        "errored": errored,
        "n": n,
        "pass_rate": passed / n if n else None,
        "ci": {"low": float(low[0]), "high": float(high[0])} if n else None,
    }


def compare_runs(
    a: RedteamRun,
    b: RedteamRun,
    *,
    alpha: float = 0.05,
    ci_level: float = 0.95,
) -> RedteamComparison:
    """Compare run ``b`` (the candidate) with run ``a`` (the baseline), category by category.

    Parameters
    ----------
    a, b
        Two runs, for example of two model versions on the same suite (see :func:`load_run`).
    alpha
        Family-wise error rate over the categories (Holm).
    ci_level
        Confidence level of the intervals.

    Returns
    -------
    RedteamComparison
        With ``regressions`` and ``improvements`` and, per category, both pass rates, the
        difference with its interval, the test, its p-value and its Holm-adjusted p-value.

    Raises
    ------
    assay.errors.InputError
        If ``alpha`` or ``ci_level`` is outside (0, 1).

    Examples
    --------
    >>> import tempfile
    >>> from assay.genai import run_redteam
    >>> def run(fn):
    ...     return run_redteam("builtin", f"assay.demo.chat_server:{fn}",
    ...                        output=tempfile.mkdtemp(), categories=["dangerous"])
    >>> comparison = compare_runs(run("guarded_assistant"), run("unsafe_assistant"))
    >>> comparison.regressions
    ['dangerous']
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, got {alpha}.")
    if not 0 < ci_level < 1:
        raise InputError(f"ci_level must be between 0 and 1, got {ci_level}.")
    z = z_value(ci_level)
    scored_a, scored_b = _scored(a), _scored(b)
    errors_a, errors_b = _errors(a), _errors(b)
    categories = list(
        dict.fromkeys([*(r["category"] for r in a.records), *(r["category"] for r in b.records)])
    )
    rows = [
        _category(
            cat,
            (scored_a.get(cat, {}), errors_a.get(cat, 0)),
            (scored_b.get(cat, {}), errors_b.get(cat, 0)),
            z,
        )
        for cat in categories
    ]
    _flag(rows, alpha)
    paired = any(r["paired_cases"] for r in rows)
    payload: ComparisonPayload = {
        "schema": COMPARISON_SCHEMA,
        "alpha": alpha,
        "ci_level": ci_level,
        "paired": paired,
        "a": _run_info(a),
        "b": _run_info(b),
        "categories": rows,
        "regressions": [r["category"] for r in rows if r["flag"] == "regression"],
        "improvements": [r["category"] for r in rows if r["flag"] == "improvement"],
        "method": (
            "Exact McNemar test on the cases scored in both runs (paired), or Fisher's exact "
            "test (unpaired); Holm's procedure over the categories at family-wise level "
            f"{alpha:g}; Newcombe hybrid score interval for the difference in pass rates."
        ),
        "created_at": now_iso(),
    }
    return RedteamComparison(payload)


def _errors(run: RedteamRun) -> dict[str, int]:
    """Errored cases per category (every category of the run, with zeros)."""
    errors = {r["category"]: 0 for r in run.records}
    for r in run.records:
        errors[r["category"]] += r["outcome"] == "error"
    return errors


def _category(
    cat: str,
    side_a: tuple[dict[str, bool], int],
    side_b: tuple[dict[str, bool], int],
    z: float,
) -> dict[str, Any]:
    """One category: both runs' pass rates, the test (paired when cases are shared), B − A."""
    (in_a, errors_a), (in_b, errors_b) = side_a, side_b
    pa, fa = sum(in_a.values()), len(in_a) - sum(in_a.values())
    pb, fb = sum(in_b.values()), len(in_b) - sum(in_b.values())
    common = sorted(set(in_a) & set(in_b))
    row: dict[str, Any] = {
        "category": cat,
        "label": CATEGORY_LABELS.get(cat, cat.replace("_", " ").capitalize()),
        "a": _side(pa, fa, errors_a, z),
        "b": _side(pb, fb, errors_b, z),
    }
    if common:
        worse = sum(1 for k in common if in_a[k] and not in_b[k])
        better = sum(1 for k in common if not in_a[k] and in_b[k])
        row |= {
            "test": "mcnemar_exact",
            "paired_cases": len(common),
            "a_pass_b_fail": worse,
            "a_fail_b_pass": better,
            "p_value": _mcnemar(worse, better),
        }
    else:
        row |= {"test": "fisher_exact", "paired_cases": 0, "p_value": _fisher(pa, fa, pb, fb)}
    if row["a"]["n"] and row["b"]["n"]:
        ra, la, ha = row["a"]["pass_rate"], row["a"]["ci"]["low"], row["a"]["ci"]["high"]
        rb, lb, hb = row["b"]["pass_rate"], row["b"]["ci"]["low"], row["b"]["ci"]["high"]
        dl, dh = newcombe(*(np.array([v], float) for v in (rb, lb, hb, ra, la, ha)))
        row["difference"] = {"value": rb - ra, "low": float(dl[0]), "high": float(dh[0])}
    else:
        row["difference"] = None
        row["p_value"] = None
    return row


def _flag(rows: list[dict[str, Any]], alpha: float) -> None:
    """Holm over the tested categories, then each row's flag, in place."""
    tested = [i for i, r in enumerate(rows) if r["p_value"] is not None]
    p = np.array([rows[i]["p_value"] for i in tested], dtype=np.float64)
    reject = holm_reject(p, alpha)
    adjusted = holm_adjusted([float(x) for x in p])
    for row in rows:
        row["p_holm"] = None
        row["flag"] = "insufficient_evidence"
    for k, i in enumerate(tested):
        row = rows[i]
        row["p_holm"] = adjusted[k]
        if not reject[k]:
            row["flag"] = "no_significant_change"
        elif row["difference"]["value"] < 0:
            row["flag"] = "regression"
        else:
            row["flag"] = "improvement"


def _run_info(run: RedteamRun) -> dict[str, Any]:
    m = run.manifest
    result = run.result.to_dict()
    return {
        "path": str(run.path),
        "run_id": m.get("run_id"),
        "target": m.get("target"),
        "suite": m.get("suite", {}).get("name"),
        "suite_digest": m.get("suite", {}).get("digest"),
        "status": m.get("status"),
        "started_at": m.get("started_at"),
        "counts": result["counts"],
        "pass_rate": result["overall"]["pass_rate"],
    }
