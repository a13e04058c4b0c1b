"""The harness itself: the normaliser masks only what varies and is documented rule by rule, and a
golden that differs fails with a readable diff."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from golden_support import FILES, UPDATE, Golden
from normalise import RULES, normalise


def test_normaliser_is_documented() -> None:
    readme = " ".join(Path(__file__).with_name("README.md").read_text(encoding="utf-8").split())
    missing = [rule.name for rule in RULES if f"**{rule.name}**" not in readme]
    assert not missing, f"README.md does not explain the rules {missing}"


def test_what_a_user_reads_is_kept() -> None:
    text = (
        "demographic_parity_difference 0.1933 [0.165, 0.220]; 3,267 rows; due 2025-04-30; "
        "built 2025-03-03T09:00:00+00:00 (15 Apr 2025, 09:00 UTC); uuid5 "
        "6ba7b810-9dad-51d1-80b4-00c04fd430c8; sha256 " + "ab" * 32
    )
    assert normalise(text) == text + "\n"


def test_what_varies_is_masked() -> None:
    now = dt.datetime.now(dt.UTC)
    text = (
        f'at {now.isoformat()} on {now.date()}, "seconds": 12.5, '
        "run 2a5bf25d-7fc2-4578-a365-0cb515016500 at http://127.0.0.1:37245/v1, "
        "mean 3.1118110000000003"
    )
    assert normalise(text) == (
        'at <NOW> on <TODAY>, "seconds": <DURATION>, run <UUID4> at http://127.0.0.1:<PORT>/v1, '
        "mean 3.111811\n"
    )


@pytest.mark.skipif(UPDATE, reason="compares only")
def test_a_changed_output_fails_with_a_diff() -> None:
    name = "documents/checklist.md"
    changed = (FILES / name).read_text(encoding="utf-8").replace("Checklist", "Checklists", 1)
    failure = Golden({}).compare(name, changed)
    assert failure is not None
    assert "tests/golden/files/documents/checklist.md differs from the output" in failure
    assert "--- golden/documents/checklist.md" in failure
    assert "\n+" in failure
    assert "Checklists" in failure


def test_digest_of_content_with_a_masked_value_is_masked() -> None:
    golden = Golden({})
    assert not golden.add_if_varies('{"mean": 0.30000000000000004}', {"a" * 64: "STABLE"})
    assert golden.add_if_varies('{"seconds": 1.5}', {"b" * 64: "TIMED"})
    assert golden.text(f"{'a' * 64} {'b' * 8}…{'b' * 8}") == f"{'a' * 64} <TIMED>\n"
