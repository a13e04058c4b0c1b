"""Record references: read the way users write them; out-of-range numbers name no record."""

from __future__ import annotations

import pytest

from assay.errors import InputError, NotFoundError
from assay.governance._common import MAX_ID, parse_ref


def test_forms_users_write() -> None:
    assert parse_ref("risk", "RISK-12") == 12
    assert parse_ref("risk", " risk-7 ") == 7
    assert parse_ref("risk", "3") == 3
    assert parse_ref("risk", 5) == 5
    assert parse_ref("risk", str(MAX_ID)) == MAX_ID


@pytest.mark.parametrize("value", ["RISK-x", "¹", "WVR-1", "", "-3", True])
def test_malformed_is_input_error(value: object) -> None:
    with pytest.raises(InputError, match="reference"):
        parse_ref("risk", value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["RISK-0", 0, "9223372036854775808", MAX_ID + 1, -1])
def test_out_of_range_names_no_record(value: object) -> None:
    with pytest.raises(NotFoundError, match="There is no risk"):
        parse_ref("risk", value)  # type: ignore[arg-type]
