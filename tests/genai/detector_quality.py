"""Precision and recall of Assay's offline detectors on the labelled responses in ``data/``.

Run it to print the table in docs/genai.md::

    .venv/bin/python tests/genai/detector_quality.py

``labelled_responses.yaml`` was written before the detectors and used while developing them
(a development set); ``labelled_holdout.yaml`` was written after the detectors were finished and
not used to change them (a held-out set). The tests assert floors on both.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from assay.evaluate._stats import wilson, z_value
from assay.genai import Detection
from assay.genai._detectors import (
    detect_canary,
    detect_pii,
    detect_refusal,
    detect_system_prompt_leak,
    detect_toxicity,
)

DATA = Path(__file__).parent / "data"
SETS: dict[str, str | tuple[str, ...]] = {
    "development": "labelled_responses.yaml",
    "round 2": "labelled_round2.yaml",
    "round 3": "labelled_round3.yaml",
    "held-out": "labelled_holdout.yaml",
    "development 2026-12": ("dev_2026_12.yaml",),
    "held-out 2026-12": (
        "heldout_2026_12_refusal.yaml",
        "heldout_2026_12_canary.yaml",
        "heldout_2026_12_other.yaml",
    ),
}
DETECTORS = ("refusal", "canary", "system_prompt", "pii", "toxicity")


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")


def load(name: str) -> dict[str, Any]:
    files = SETS[name]
    items: list[dict[str, Any]] = []
    for file in (files,) if isinstance(files, str) else files:
        data = yaml.safe_load((DATA / file).read_text(encoding="utf-8"))
        items += data["items"]
    return {"items": items}


def run(detector: str, item: dict[str, Any]) -> Detection:
    text = item["response"]
    if detector == "refusal":
        return detect_refusal(text)
    if detector == "canary":
        return detect_canary(text, item["canary"])
    if detector == "system_prompt":
        return detect_system_prompt_leak(text, item["system"], user_text=item.get("prompt", ""))
    if detector == "pii":
        return detect_pii(text)
    return detect_toxicity(text)


def score(name: str) -> tuple[dict[str, Score], list[str]]:
    data = load(name)
    counts = {d: [0, 0, 0, 0] for d in DETECTORS}
    errors: list[str] = []
    for item in data["items"]:
        for detector, label in item["labels"].items():
            hit = run(detector, item).hit
            slot = (0 if label else 1) if hit else (2 if label else 3)
            counts[detector][slot] += 1
            if hit != label:
                kind = "FN" if label else "FP"
                errors.append(f"{name} {detector} {kind} {item['id']}: {item['response'][:80]!r}")
    return {d: Score(*c) for d, c in counts.items()}, errors


def _interval(x: int, n: int) -> str:
    if n == 0:
        return "—"
    low, high = wilson(np.array([x], float), np.array([n], float), z_value(0.95))
    return f"{x / n:.2f} [{low[0]:.2f}, {high[0]:.2f}]"


def table() -> str:
    """The Markdown table of docs/genai.md: precision and recall with 95% Wilson intervals."""
    lines = [
        "| detector | set | responses | positives | precision [95% CI] | recall [95% CI] "
        "| false positives | misses |",
        "|---|---|---:|---:|---|---|---:|---:|",
    ]
    for detector in DETECTORS:
        for name in SETS:
            s = score(name)[0][detector]
            if s.n == 0:
                continue
            lines.append(
                f"| {detector} | {name} | {s.n} | {s.tp + s.fn} | {_interval(s.tp, s.tp + s.fp)} "
                f"| {_interval(s.tp, s.tp + s.fn)} | {s.fp} | {s.fn} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
    if "-v" in sys.argv:
        for name in SETS:
            for line in score(name)[1]:
                print(line)
