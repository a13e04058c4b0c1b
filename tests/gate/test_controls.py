"""A waiver names a control the gate checks or an item of a loaded catalog, never free text."""

from __future__ import annotations

import pytest

from assay.errors import InputError
from assay.gate import check_control, gate_controls


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("fairness", "fairness"),
        ("fairness.demographic_parity_ratio", "fairness.demographic_parity_ratio"),
        (" risk.open ", "risk.open"),
        ("nist:MEASURE 2.11", "nist-ai-rmf-1.0:MEASURE 2.11"),
        ("iso:A.7.5", "iso-iec-42001-2023:A.7.5"),
    ],
)
def test_known_controls_are_accepted(given: str, stored: str) -> None:
    assert check_control(given) == stored


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("no.such.control", "'no.such.control' is not a control Assay knows"),
        ("dp >= 0.8", "fairness.LIMIT"),
        ("demographic_parity_ratio", "did you mean fairness.demographic_parity_ratio"),
        ("nist:MEASURE 99", "names no catalog item: NIST AI RMF has no item 'MEASURE 99'"),
        ("nope:A.1", "There is no framework 'nope'"),
    ],
)
def test_unknown_controls_are_refused(given: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_control(given)


def test_every_fairness_limit_is_a_control() -> None:
    from assay.evaluate import threshold_names

    assert {f"fairness.{n}" for n in threshold_names()} < set(gate_controls())
