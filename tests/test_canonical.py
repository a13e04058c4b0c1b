"""One canonical JSON form and one digest format (issue 14)."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest

from assay.canonical import canonical_json, content_digest, digest, file_digest, hex_of
from assay.store import event_hash

SRC = Path(__file__).resolve().parents[1] / "src" / "assay"

TRICKY = ["", 'quote " and \\ backslash', "line\nbreak\ttab\x01", "é ü 中文 🙂", "\u2028\u2029"]


@pytest.mark.parametrize("text", TRICKY)
def test_the_audit_chain_header_is_canonical_json(text: str) -> None:
    """The chain's hand-built header (a fast path) is byte for byte canonical JSON."""
    fields = [text, 7, "2026-01-01T00:00:00+00:00", text, "a.b", "risk", text, text, text]
    expected = hashlib.sha256((canonical_json(fields) + "\n").encode("utf-8") + b"[]").hexdigest()
    assert event_hash(*fields[:8], changes="[]", note=text) == expected  # type: ignore[arg-type]


def test_digests_are_prefixed_and_agree(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc" * 1000)
    assert file_digest(path) == digest(b"abc" * 1000)
    assert file_digest(path, chunk=7) == digest(b"abc" * 1000)
    assert digest("abc") == "sha256:" + hashlib.sha256(b"abc").hexdigest()
    assert content_digest({"b": [1, 2], "a": "é"}) == digest('{"a":"é","b":[1,2]}')
    assert hex_of(digest("abc")) == hashlib.sha256(b"abc").hexdigest()


def test_canonical_json_refuses_what_json_cannot_say() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_json({"x": float("inf")})


def test_no_second_json_encoder_for_hashing() -> None:
    """No module outside assay.canonical builds a sort_keys encoder with compact separators."""
    found = []
    for path in SRC.rglob("*.py"):
        if path.name == "canonical.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            kw = {k.arg: k.value for k in node.keywords if k.arg}
            separators = kw.get("separators")
            compact = isinstance(separators, ast.Tuple) and any(
                isinstance(e, ast.Constant) and e.value == ":" for e in separators.elts
            )
            sorted_keys = isinstance(kw.get("sort_keys"), ast.Constant)
            if compact and sorted_keys:
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not found, "canonical JSON built outside assay.canonical:\n" + "\n".join(found)
