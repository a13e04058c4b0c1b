"""Write the JSON Schema of every result payload into ``docs/schemas``, generated from its type.

Usage::

    PYTHONPATH=src python scripts/write_result_schemas.py [--dest DIR]

Each :class:`assay.result.Result` subclass names its payload's keys in a ``TypedDict``
(``DriftPayload``, ``GatePayload``, ...); :meth:`~assay.result.Result.json_schema` turns it into a
JSON Schema, written as ``<name>-<version>.schema.json`` (``assay.drift/v1`` →
``drift-v1.schema.json``). The fairness schema is written by hand (it describes every nested
entry) and is only checked against its ``TypedDict``; ``tests/test_results.py`` fails when a
written schema is out of date.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assay.evaluate import DriftResult, FairnessResult, QualityResult, ReferenceProfile
from assay.evaluate.pii import PiiScanResult, ReidentificationRisk
from assay.gate import GateResult
from assay.genai import (
    AgentResult,
    JudgeCalibration,
    LogScanResult,
    RagResult,
    RedteamComparison,
    RedteamResult,
)
from assay.mitigate import MitigationResult
from assay.monitor import MonitorRun
from assay.result import Result
from assay.robustness import ExplanationResult, RobustnessResult

#: Every result class, in the order of the packages.
RESULT_CLASSES: tuple[type[Result[Any]], ...] = (
    FairnessResult,
    DriftResult,
    QualityResult,
    ReferenceProfile,
    PiiScanResult,
    ReidentificationRisk,
    RobustnessResult,
    ExplanationResult,
    GateResult,
    RedteamResult,
    RedteamComparison,
    LogScanResult,
    MonitorRun,
    RagResult,
    JudgeCalibration,
    AgentResult,
    MitigationResult,
)
#: Schemas written by hand, richer than the generated ones.
HAND_WRITTEN = frozenset({FairnessResult.SCHEMA})


def schema_file(schema: str) -> str:
    """``assay.drift/v1`` → ``drift-v1.schema.json``."""
    name, _, version = schema.removeprefix("assay.").partition("/")
    return f"{name}-{version}.schema.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=Path(__file__).parents[1] / "docs" / "schemas")
    dest = parser.parse_args().dest
    for cls in RESULT_CLASSES:
        if cls.SCHEMA in HAND_WRITTEN:
            continue
        path = dest / schema_file(cls.SCHEMA)
        path.write_text(json.dumps(cls.json_schema(), indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(path)


if __name__ == "__main__":
    main()
