"""Issue 16 hardening from the command line, on SQLite and PostgreSQL: every refusal is a clear
message with exit code 2 (before: exit 3 for far-future times and zip bombs), ``restore`` leaves
nothing behind, and plain ``audit verify`` looks at the stored files."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from test_cli_governance import Result, _ok, cli  # noqa: F401 (cli: the fixture)


def _refused(result: Result, *words: str) -> None:
    assert result.code == 2, result.out + result.err
    assert "Traceback" not in result.err
    assert "internal error" not in result.err
    for word in words:
        assert word in result.err, result.err


def _init(run: object, db_url: str) -> None:
    _ok(run("init", "--db", db_url, "--user", "ada"))  # type: ignore[operator]
    _ok(run("system", "add", "credit", "--purpose", "p", "--owner", "ada"))  # type: ignore[operator]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("../../etc/passwd", ["path separator"]),
        ("credit\u202etxt.exe", ["invisible control or formatting character"]),
        ("c" * 200_000, ["200,000 characters long"]),
    ],
    ids=["traversal", "rlo", "200k"],
)
def test_bad_system_names_exit_2(cli: object, db_url: str, name: str, words: list[str]) -> None:  # noqa: F811
    run = cli  # type: ignore[assignment]
    _init(run, db_url)
    _refused(run("system", "add", name, "--purpose", "p", "--owner", "ada"), *words)


def test_far_future_times_exit_2(cli: object, db_url: str) -> None:  # noqa: F811
    run = cli  # type: ignore[assignment]
    _init(run, db_url)
    _refused(
        run("incident", "open", "Outage", "--severity", "sev2", "--system", "credit",
            "--occurred", "9999-12-31T23:00:00-05:00"),
        "out of range",
    )  # fmt: skip
    _refused(
        run("kpis", "--from", "2025-01-01", "--to", "9999-12-31"), "9999-12-31 is out of range"
    )


def test_restoring_a_zip_bomb_exits_2_and_leaves_nothing(cli: object, tmp_path: Path) -> None:  # noqa: F811
    run = cli  # type: ignore[assignment]
    data = bytes(32 * 1024**2)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("blobs/" + hashlib.sha256(data).hexdigest(), data)
    before = sorted(tmp_path.rglob("*"))
    _refused(run("restore", bomb, "--into", tmp_path / "dst"), "zip bomb", "Nothing was restored")
    _refused(
        run("restore", bomb, "--into", tmp_path / "dst", "--max-size", "1K"), "Nothing was restored"
    )
    _refused(run("restore", bomb, "--into", tmp_path / "dst", "--max-size", "lots"), "--max-size")
    assert sorted(tmp_path.rglob("*")) == before


def test_plain_audit_verify_fails_on_a_missing_blob(
    cli: object,  # noqa: F811
    db_url: str,
    tmp_path: Path,
) -> None:
    run = cli  # type: ignore[assignment]
    _init(run, db_url)
    card = tmp_path / "card.md"
    card.write_text("# Model card\n")
    ev = _ok(run("evidence", "add", card, "--kind", "model_card", "--system", "credit", "--json"))
    blobs = Path(".assay/blobs")
    (blobs / ".incoming-abc123").write_bytes(b"partial")
    ok = _ok(run("audit", "verify"))
    assert "note: " in ok.out
    assert ".incoming-abc123 is the temporary file of a write" in ok.out
    digest = ev.json()["blob_sha256"]  # type: ignore[index]
    (blobs / digest[:2] / digest[2:]).unlink()
    broken = run("audit", "verify")
    assert broken.code == 1, broken.out + broken.err
    assert "(the file of EV-1) is missing" in broken.out


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"schema": "assay.profile/v1", "n": ' + "9" * 5000 + "}", ["integer string conversion"]),
        ("[" * 100_000 + "]" * 100_000, ["nested too deeply"]),
        ('{"a": ' * 100 + "1" + "}" * 100, ["nested more than 64 levels"]),
        ('{"a": ', ["is not JSON Assay can read"]),
    ],
    ids=["5000-digits", "deep", "deeper-than-the-limit", "truncated"],
)
def test_hostile_json_files_exit_2(
    cli: object,  # noqa: F811
    tmp_path: Path,
    content: str,
    words: list[str],
) -> None:
    """A profile given to `assay check drift` (before: exit 3 on a 5,000-digit number or deep
    nesting)."""
    run = cli  # type: ignore[assignment]
    profile = tmp_path / "profile.json"
    profile.write_text(content)
    current = tmp_path / "current.csv"
    current.write_text("x\n1\n")
    _refused(run("check", "drift", profile, current), "The profile", *words)


def test_dataset_columns_json_is_read_within_the_limits(cli: object, db_url: str) -> None:  # noqa: F811
    run = cli  # type: ignore[assignment]
    _init(run, db_url)
    add = ("dataset-version", "add", "adult", "1", "--digest", "sha256:" + "ab" * 32, "--columns")
    _refused(run(*add, '{"age": '), "--columns is not JSON Assay can read")
    _refused(run(*add, '{"age": 3}'), "a JSON object of name to type")
    _ok(run(*add, '{"age": "int"}'))
