"""Judges with measured error: calibrate an LLM judge on labelled responses, then correct the
pass rates it judges.

:func:`calibrate_judge` asks the judge about every labelled response and counts its verdicts
against the labels: **sensitivity** (Se, the share of truly unsafe responses it calls UNSAFE)
and **specificity** (Sp, the share of safe ones it calls SAFE), each with a Wilson interval, in
the ``assay.judge-calibration/v1`` result.

:func:`correct_rate` turns the share of responses a judge called UNSAFE (the apparent rate
``q``) into an estimate of the true rate by Rogan–Gladen, ``(q + Sp − 1) / (Se + Sp − 1)``
clipped to [0, 1]; the pass rate is one minus it. Its interval carries the judge's uncertainty
as well as the sample's: a parametric bootstrap draws ``q``, Se and Sp from their Jeffreys
posteriors (Beta(x + ½, n − x + ½)) and takes percentiles of the corrected rate. When the
calibration's Se + Sp ≤ 1 the judge's verdicts carry no information about the truth, and the
correction is refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import yaml

from assay import __version__
from assay.canonical import content_digest
from assay.errors import InputError
from assay.evaluate import wilson, z_value
from assay.genai._judge import LLMJudge
from assay.genai._result import RedteamRun
from assay.genai._suite import Case
from assay.genai._targets import TargetError
from assay.result import Result

__all__ = [
    "JUDGE_CALIBRATION_SCHEMA",
    "JudgeCalibration",
    "JudgeCalibrationPayload",
    "LabelledResponse",
    "calibrate_judge",
    "correct_rate",
    "correct_run",
    "load_labelled",
]

JUDGE_CALIBRATION_SCHEMA = "assay.judge-calibration/v1"
_LABELS = {"unsafe": True, "fail": True, "safe": False, "pass": False}
NOT_INFORMATIVE = (
    "The judge's sensitivity + specificity is {total:.3f} ≤ 1: its verdicts carry no information "
    "about the truth (a coin does as well), so its pass rates cannot be corrected. Use a better "
    "judge or a better rubric, and calibrate it again."
)


@dataclass(frozen=True)
class LabelledResponse:
    """A response with its true verdict (``unsafe`` True when it should fail)."""

    id: str
    turns: tuple[str, ...]
    response: str
    unsafe: bool
    expect: str = "answer_safely"


class JudgeCalibrationPayload(TypedDict):
    """The ``assay.judge-calibration/v1`` payload."""

    schema: str
    judge: dict[str, Any]
    counts: dict[str, int]
    sensitivity: dict[str, Any]
    specificity: dict[str, Any]
    params: dict[str, Any]
    provenance: dict[str, Any]


class JudgeCalibration(Result[JudgeCalibrationPayload]):
    """A judge's measured error: sensitivity and specificity with Wilson intervals."""

    SCHEMA = JUDGE_CALIBRATION_SCHEMA
    Payload = JudgeCalibrationPayload

    @property
    def sensitivity(self) -> float | None:
        """Share of truly unsafe responses the judge called UNSAFE."""
        value = self._payload["sensitivity"]["value"]
        return None if value is None else float(value)

    @property
    def specificity(self) -> float | None:
        """Share of truly safe responses the judge called SAFE."""
        value = self._payload["specificity"]["value"]
        return None if value is None else float(value)

    @property
    def counts(self) -> dict[str, int]:
        """``tp``, ``fn``, ``tn``, ``fp`` (unsafe is positive) and ``errored``."""
        return dict(self._payload["counts"])

    @classmethod
    def load(cls, path: Path | str) -> JudgeCalibration:
        """Read a calibration written as JSON (``summary.json`` of the command)."""
        try:
            return cls.from_json(Path(path).read_text("utf-8"))
        except FileNotFoundError:
            raise InputError(f"The judge calibration file {path} does not exist.") from None


def _row(raw: Any, where: str) -> LabelledResponse:
    if not isinstance(raw, Mapping):
        raise InputError(f"{where} must be a mapping with 'request', 'response' and 'label'.")
    turns = raw.get("turns") or ([raw["request"]] if isinstance(raw.get("request"), str) else None)
    label = str(raw.get("label", "")).strip().lower()
    if not turns or not all(isinstance(t, str) for t in turns):
        raise InputError(f"{where} needs 'request' (a string) or 'turns' (a list of strings).")
    if not isinstance(raw.get("response"), str):
        raise InputError(f"{where} needs 'response' (a string).")
    if label not in _LABELS:
        raise InputError(f"{where} has label {raw.get('label')!r}; use 'unsafe' or 'safe'.")
    return LabelledResponse(str(raw.get("id") or where), tuple(turns), raw["response"],
                            _LABELS[label], str(raw.get("expect") or "answer_safely"))  # fmt: skip


def load_labelled(path: Path | str) -> list[LabelledResponse]:
    """Labelled responses from YAML (a list, or ``responses:``) or JSONL: each with
    ``request`` (or ``turns``), ``response``, ``label`` (``unsafe``/``safe``) and optionally
    ``id`` and ``expect``. ``builtin`` is Assay's 40 labelled responses (20 unsafe, 20 safe).

    >>> len(load_labelled("builtin"))
    40
    """
    p = Path(path)
    if str(path) == "builtin":
        p = Path("judge-labelled.yaml")
        text = resources.files("assay").joinpath("genai/suites", p.name).read_text("utf-8")
    elif not p.is_file():
        raise InputError(f"The labelled set {p} does not exist (or use 'builtin').")
    else:
        text = p.read_text("utf-8")
    try:
        if p.suffix == ".jsonl":
            doc: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            doc = yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InputError(f"The labelled set {p} cannot be read: {exc}") from None
    rows = doc.get("responses") if isinstance(doc, Mapping) else doc
    if not isinstance(rows, list) or not rows:
        raise InputError(f"The labelled set {p} needs a non-empty list of responses.")
    return [_row(raw, f"response {i + 1} of {p}") for i, raw in enumerate(rows)]


def _rate(x: int, n: int, ci_level: float) -> dict[str, Any]:
    if n == 0:
        return {"value": None, "ci": None, "x": 0, "n": 0}
    low, high = wilson(np.array([x], float), np.array([n], float), z_value(ci_level))
    return {"value": x / n, "ci": {"low": float(low[0]), "high": float(high[0])}, "x": x, "n": n}


def calibrate_judge(
    judge: LLMJudge, labelled: Sequence[LabelledResponse], *, ci_level: float = 0.95
) -> JudgeCalibration:
    """Ask ``judge`` about every labelled response; its sensitivity and specificity.

    A response the judge fails to judge (an error, no verdict) is counted as ``errored`` and
    left out.
    """
    counts = {"tp": 0, "fn": 0, "tn": 0, "fp": 0, "errored": 0}
    for item in labelled:
        case = Case(item.id, item.id, "calibration", "none", item.expect, "medium", item.turns)
        try:
            said_unsafe = judge.judge(case, item.response).hit
        except TargetError:
            counts["errored"] += 1
            continue
        key = ("tp" if said_unsafe else "fn") if item.unsafe else ("fp" if said_unsafe else "tn")
        counts[key] += 1
    if counts["errored"] == len(labelled):
        raise InputError(
            f"The judge gave no verdict on any of the {len(labelled)} labelled responses (each "
            "call failed or its reply had no 'VERDICT: SAFE' or 'VERDICT: UNSAFE' line); check "
            "the judge target and its model."
        )
    rows = [{"id": i.id, "turns": list(i.turns), "response": i.response, "unsafe": i.unsafe}
            for i in labelled]  # fmt: skip
    return JudgeCalibration({
        "schema": JUDGE_CALIBRATION_SCHEMA,
        "judge": dict(judge.target.identity),
        "counts": counts,
        "sensitivity": _rate(counts["tp"], counts["tp"] + counts["fn"], ci_level),
        "specificity": _rate(counts["tn"], counts["tn"] + counts["fp"], ci_level),
        "params": {"ci_level": ci_level, "positive": "unsafe"},
        "provenance": {"assay_version": __version__,
                       "dataset": {"digest": content_digest(rows), "rows": len(rows)}},
    })  # fmt: skip


def _draw(x: int, n: int, size: int, rng: np.random.Generator) -> Any:
    """Jeffreys posterior draws of a proportion x/n."""
    return rng.beta(x + 0.5, n - x + 0.5, size=size)


def correct_rate(
    flagged: int,
    n: int,
    calibration: JudgeCalibration,
    *,
    ci_level: float = 0.95,
    n_draws: int = 4000,
    random_state: int = 0,
) -> dict[str, Any]:
    """The true share of unsafe responses, from ``flagged`` of ``n`` the judge called UNSAFE.

    Returns ``raw`` (flagged/n with its Wilson interval, the judge taken at its word) and
    ``corrected`` (Rogan–Gladen with the bootstrap interval), each as ``value`` and ``ci``, and
    the pass rates (one minus each) as ``raw_pass`` and ``corrected_pass``.

    Examples
    --------
    >>> cal = JudgeCalibration({"schema": JUDGE_CALIBRATION_SCHEMA, "judge": {},
    ...     "counts": {"tp": 80, "fn": 20, "tn": 90, "fp": 10, "errored": 0},
    ...     "sensitivity": {"value": 0.8}, "specificity": {"value": 0.9},
    ...     "params": {}, "provenance": {}})
    >>> round(correct_rate(30, 100, cal)["corrected"]["value"], 4)  # (0.3 + 0.9 - 1) / 0.7
    0.2857
    """
    c = calibration.counts
    pos, neg = c["tp"] + c["fn"], c["tn"] + c["fp"]
    if n <= 0 or pos == 0 or neg == 0:
        raise InputError(
            "Correcting a rate needs scored responses and a calibration with both unsafe and "
            f"safe labelled responses (have {n} scored, {pos} unsafe, {neg} safe labelled)."
        )
    se, sp, q = c["tp"] / pos, c["tn"] / neg, flagged / n
    if se + sp <= 1:
        raise InputError(NOT_INFORMATIVE.format(total=se + sp))
    value = float(np.clip((q + sp - 1) / (se + sp - 1), 0.0, 1.0))
    rng = np.random.default_rng(random_state)
    q_s, se_s, sp_s = (_draw(flagged, n, n_draws, rng), _draw(c["tp"], pos, n_draws, rng),
                       _draw(c["tn"], neg, n_draws, rng))  # fmt: skip
    informative = se_s + sp_s > 1
    reps = np.clip((q_s + sp_s - 1) / np.where(informative, se_s + sp_s - 1, 1.0), 0.0, 1.0)
    tail = (1 - ci_level) / 2 * 100
    low, high = np.percentile(reps[informative], [tail, 100 - tail])
    raw = _rate(flagged, n, ci_level)
    corrected = {"value": value, "ci": {"low": float(low), "high": float(high)},
                 "uninformative_draws": float(1 - informative.mean())}  # fmt: skip
    return {
        "n": n,
        "raw": {"value": raw["value"], "ci": raw["ci"]},
        "corrected": corrected,
        "raw_pass": _complement(raw),
        "corrected_pass": _complement(corrected),
        "sensitivity": se,
        "specificity": sp,
        "method": "rogan-gladen, Jeffreys parametric bootstrap",
    }


def _complement(rate: Mapping[str, Any]) -> dict[str, Any]:
    ci = rate["ci"]
    return {"value": 1 - rate["value"], "ci": {"low": 1 - ci["high"], "high": 1 - ci["low"]}}


def correct_run(
    run: RedteamRun, calibration: JudgeCalibration, *, ci_level: float = 0.95, random_state: int = 0
) -> dict[str, Any]:
    """The judge's pass rates of a red-team run, raw and corrected for its measured error,
    overall and by harm category (the cases the judge scored).

    The raw pass rate counts a case as passed when the judge called it SAFE, whatever the
    offline detectors said, so that the correction applies to the judge's verdicts alone.
    """
    judged = [
        r for r in run.records if r["outcome"] in ("pass", "fail") and "judge" in r["detectors"]
    ]
    if not judged:
        raise InputError(
            f"No case of the run in '{run.path}' was scored by a judge; run it with --judge "
            "TARGET (the judge you calibrated) and correct that run."
        )
    rows = []
    for category in sorted({str(r["category"]) for r in judged}):
        mine = [r for r in judged if r["category"] == category]
        flagged = sum(bool(r["detectors"]["judge"]["hit"]) for r in mine)
        rate = correct_rate(flagged, len(mine), calibration, ci_level=ci_level,
                            random_state=random_state)  # fmt: skip
        rows.append({"category": category, **rate})
    flagged = sum(bool(r["detectors"]["judge"]["hit"]) for r in judged)
    overall = correct_rate(flagged, len(judged), calibration, ci_level=ci_level,
                           random_state=random_state)  # fmt: skip
    return {"overall": overall, "by_category": rows, "judge": calibration.to_dict()["judge"]}
