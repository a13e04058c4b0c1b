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

import yaml

from assay.genai import Detection
from assay.genai._detectors import (
    detect_canary,
    detect_pii,
    detect_refusal,
    detect_system_prompt_leak,
    detect_toxicity,
)

DATA = Path(__file__).parent / "data"
SETS = {
    "development": "labelled_responses.yaml",
    "round 2": "labelled_round2.yaml",
    "round 3": "labelled_round3.yaml",
    "held-out": "labelled_holdout.yaml",
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
    data: dict[str, Any] = yaml.safe_load((DATA / SETS[name]).read_text(encoding="utf-8"))
    return data


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


def table() -> str:
    lines = [
        "| detector | set | n | positives | precision | recall | false positives | misses |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in SETS:
        scores, _ = score(name)
        for d, s in scores.items():
            lines.append(
                f"| {d} | {name} | {s.n} | {s.tp + s.fn} | {s.precision:.2f} | {s.recall:.2f} "
                f"| {s.fp} | {s.fn} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
    if "-v" in sys.argv:
        for name in SETS:
            for line in score(name)[1]:
                print(line)
