"""An object on a real S3-compatible server on loopback gives the same numbers as the local file;
a missing bucket or object is a clear exit 2 that prints no credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from sources_support import numbers, run

from conftest import S3

COMMANDS = [
    ("evaluate", "fairness", "--y-true", "label", "--y-pred", "pred", "--sensitive", "sex,race",
     "-f", "json"),
    ("evaluate", "fairness", "--y-true", "label", "--y-score", "score", "--sensitive", "sex",
     "-f", "json"),
    ("check", "data", "--sensitive", "sex", "--label", "label", "-f", "json"),
    ("pii", "scan", "-f", "json"),
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_an_object_matches_the_local_file(parquet: Path, s3: S3, command: tuple[str, ...]) -> None:
    local = run(*command, parquet).json()
    remote = run(*command, f"s3://{s3.bucket}/adult.parquet", env=s3.env).json()
    assert numbers(remote) == numbers(local)
    dataset = remote["provenance"]["dataset"]
    assert dataset["source"] == {"kind": "object", "path": "s3://assay-test/adult.parquet"}
    assert dataset["digest"].startswith("sha256:")


def test_drift_of_an_object(parquet: Path, reference: Path, s3: S3) -> None:
    command = ("check", "drift", reference, "-f", "json")
    local = run(*command, parquet).json()
    remote = run(*command, f"s3://{s3.bucket}/adult.parquet", env=s3.env).json()
    assert numbers(remote) == numbers(local)


def test_the_statistics_digest_is_the_same_as_the_databases(parquet: Path, s3: S3) -> None:
    """Two remote sources of the same data: different source digests, one statistics digest,
    and it is the digest of the local result's numbers."""
    from assay.sources import statistics_digest

    command = COMMANDS[0]
    local = run(*command, parquet).json()
    remote = run(*command, f"s3://{s3.bucket}/adult.parquet", env=s3.env).json()
    assert remote["provenance"]["dataset"]["statistics_digest"] == statistics_digest(local)


@pytest.mark.parametrize(
    "url", ["s3://no-such-bucket/adult.parquet", "s3://assay-test/no-such-object.parquet"]
)
def test_a_missing_bucket_or_object_is_exit_2(tmp_path: Path, s3: S3, url: str) -> None:
    out = tmp_path / "result.json"
    result = run(*COMMANDS[0], url, "-o", out, env=s3.env)
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert url in result.err
    assert s3.env["AWS_SECRET_ACCESS_KEY"] not in result.err + result.out
    assert not out.exists()


def test_duckdb_on_a_bucket_is_refused_before_reading(s3: S3) -> None:
    result = run(*COMMANDS[0], "s3://assay-test/adult.parquet", "--engine", "duckdb", env=s3.env)
    assert result.code == 2
    assert "--engine duckdb reads local files" in result.err
