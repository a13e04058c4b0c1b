"""redact(): the same schema, no personal data left, for each policy and format."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from assay.errors import InputError
from assay.evaluate.pii import redact, scan
from conftest import assert_no_raw


@pytest.mark.parametrize("policy", ["mask", "hash", "drop"])
def test_parquet_policies(people: pl.DataFrame, tmp_path: Path, policy: str) -> None:
    source = tmp_path / "in.parquet"
    people.write_parquet(source)
    out = tmp_path / "out.parquet"
    report = redact(source, out, policy=policy, key="test-key")  # type: ignore[arg-type]
    redacted = pl.read_parquet(out)
    assert redacted.schema == people.schema
    assert redacted.height == people.height
    assert_no_raw(redacted.write_csv())
    assert scan(redacted).entities == {}
    assert report.columns["email"] == {"EMAIL_ADDRESS": 2}
    assert redacted["age"].to_list() == people["age"].to_list()
    if policy == "mask":
        assert redacted["email"][0] == "j***@e***.com"
        assert redacted["email"][3] == "not an address"
    if policy == "drop":
        assert redacted["email"].to_list() == [None, None, None, "not an address"]


def test_hash_is_keyed_and_consistent(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": ["x jane@example.com", "jane@example.com y"]})
    out1, out2, out3 = (tmp_path / f"{i}.parquet" for i in range(3))
    redact(frame, out1, policy="hash", key="k1")
    redact(frame, out2, policy="hash", key="k1")
    redact(frame, out3, policy="hash", key="k2")
    a, b, c = (pl.read_parquet(p)["a"].to_list() for p in (out1, out2, out3))
    assert a == b
    assert a != c
    token = a[0].split(" ")[1]
    assert token.startswith("<EMAIL_ADDRESS:")
    assert a[1].startswith(token)


def test_nested_jsonl_and_csv(nested_log: Path, people: pl.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "chats.redacted.jsonl"
    redact(nested_log, out)
    before = pl.read_ndjson(nested_log)
    after = pl.read_ndjson(out)
    assert after.schema == before.schema
    assert_no_raw(out.read_text())
    assert after["customer"].struct.field("email")[0] == "j***@e***.com"
    source = tmp_path / "people.csv"
    people.write_csv(source)
    redact(source, tmp_path / "people.out.csv")
    assert_no_raw((tmp_path / "people.out.csv").read_text())


def test_bad_destinations(people: pl.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.parquet, \.csv"):
        redact(people, tmp_path / "out.xlsx")
    with pytest.raises(InputError, match="does not exist"):
        redact(people, tmp_path / "missing" / "out.parquet")
    with pytest.raises(InputError, match="policy"):
        redact(people, tmp_path / "out.parquet", policy="shred")  # type: ignore[arg-type]
    source = tmp_path / "in.parquet"
    people.write_parquet(source)
    with pytest.raises(InputError, match="overwrite"):
        redact(source, source)


def test_hash_token_is_the_hmac_spelled_in_letters() -> None:
    import hashlib
    import hmac

    from assay.evaluate.pii._mask import pseudonym

    for value in ("jane@example.com", "10.0.0.1", "+1 415 555 0100"):
        digest = hmac.new(b"k", value.encode(), hashlib.sha256).hexdigest()[:12]
        spelled = "".join("ghjkmnpqrstvwxyz"[int(ch, 16)] for ch in digest)
        token = pseudonym("IP_ADDRESS", value, b"k")
        assert token == f"<IP_ADDRESS:{spelled}>"
        assert not any(ch.isdigit() for ch in token)


def test_hashed_output_scans_clean_whatever_the_random_key(tmp_path: Path) -> None:
    """Hex tokens used to be read as phone numbers now and then (a run of digits)."""
    from assay.demo import demo_support_log
    from assay.evaluate.pii import scan

    log = demo_support_log(tmp_path / "chats.jsonl", n=300)
    for i in range(5):
        out = tmp_path / f"hashed{i}.jsonl"
        redact(log, out, policy="hash")
        assert scan(out).to_dict()["totals"]["matches"] == 0
