"""Goldens of the Python API's results: ``to_json()`` of each evaluation made on the golden inputs
(fairness with bootstrap intervals, data quality against a population, drift, a PII scan and a
robustness run), and ``to_json()`` is ``to_dict()`` as JSON. These are the results the golden
workspace records as evidence, before they are stabilised."""

from __future__ import annotations

import json
from typing import Any

import pytest
from golden_support import Golden

KINDS = ("fairness", "quality", "drift", "pii_scan", "robustness")


@pytest.mark.parametrize("kind", KINDS)
def test_golden(kind: str, api_results: dict[str, Any], golden: Golden) -> None:
    result = api_results[kind]
    text = result.to_json()
    assert text == json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    golden.check(f"api/{kind}.json", text)
