"""Issue 16 (low): record names hold no path separator, ``..``, control character or bidirectional
override, and are at most 100 characters, on every create path; files named after a record use a
safe slug, never the raw name (``write_system_exports`` built paths from it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from gov_helpers import DIGEST, credit_system

from assay import governance as g
from assay.errors import InputError
from assay.store import tables

BAD_NAMES = {
    "slash": ("credit/../../etc", "a path separator"),
    "backslash": ("credit\\scoring", "a path separator"),
    "dot-dot": ("credit..scoring", "'..'"),
    "dot": (".", "'..' or is '.'"),
    "escape": ("credit\x1b[31m", "an invisible control or formatting character"),
    "nul": ("credit\x00", "an invisible control or formatting character"),
    "rlo": ("credit\u202egpj.exe", "an invisible control or formatting character"),
    "isolate": ("credit\u2066x\u2069", "an invisible control or formatting character"),
    "zero-width": ("cred\u200bit", "an invisible control or formatting character"),
    "line-separator": ("credit\u2028scoring", "an invisible control or formatting character"),
    "long": ("c" * 200_000, "200,000 characters long; names have at most 100"),
    "empty": ("   ", "required and cannot be empty"),
}


@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_the_name_validator_refuses(case: str) -> None:
    name, reason = BAD_NAMES[case]
    with pytest.raises(InputError, match=f"The system name .*{reason}".replace("(", r"\(")):
        g.check_record_name(name, what="system name")


@pytest.mark.parametrize(
    "name", ["credit-scoring", "Credit scoring v2", "kredit_bewertung.ü", "ops@team+1", "c" * 100]
)
def test_the_name_validator_keeps_ordinary_names(name: str) -> None:
    assert g.check_record_name(f" {name} ", what="system name") == name


def _creators(ws: g.Workspace) -> dict[str, Callable[[str], object]]:
    return {
        "system": lambda n: g.add_system(ws, n, purpose="p", owner="cy"),
        "dataset name": lambda n: g.add_dataset_version(ws, n, "1", digest=DIGEST),
        "dataset version": lambda n: g.add_dataset_version(ws, "adult2", n, digest=DIGEST),
        "model version": lambda n: g.add_model_version(ws, "credit", n),
        "model name": lambda n: g.add_model_version(ws, "credit", "9", name=n),
        "component name": lambda n: g.add_component(
            ws, "credit", "guardrail", n, "1", details={"rules": []}
        ),
        "component version": lambda n: g.add_component(
            ws, "credit", "guardrail", "filter", n, details={"rules": []}
        ),
        "monitor": lambda n: g.monitor_records.upsert_monitor(ws, n, "credit", {"name": n}),
    }


CREATE_PATHS = [
    "system", "dataset name", "dataset version", "model version", "model name",
    "component name", "component version", "monitor",
]  # fmt: skip


@pytest.mark.parametrize("path", CREATE_PATHS)
@pytest.mark.parametrize("bad", ["../escape", "evil\u202etxt.exe", "x" * 101])
def test_every_create_path_validates_names(ws: g.Workspace, path: str, bad: str) -> None:
    credit_system(ws)
    before = g.audit_log(ws)
    with pytest.raises(InputError, match=r"name|version"):
        _creators(ws)[path](bad)
    assert g.audit_log(ws) == before


def test_file_slugs_are_safe_distinct_and_keep_safe_names() -> None:
    assert g.file_slug("adult-income") == "adult-income"
    assert g.file_slug("model_v1.2") == "model_v1.2"
    hostile = ["../../etc/passwd", "..", "/", "a/b", "a\\b", "a b", "a_b?", "\u202eexe", "x" * 300]
    slugs = [g.file_slug(n) for n in hostile]
    assert len(set(slugs)) == len(slugs)
    for slug in slugs:
        assert 0 < len(slug) <= 89
        assert not set(slug) & {"/", "\\"}
        assert not slug.startswith(".")
        assert slug.isascii()
        assert slug.isprintable()


def test_exports_of_a_legacy_system_name_stay_in_their_folder(
    ws: g.Workspace, tmp_path: Path
) -> None:
    """A system named before names were checked, with ``..`` and ``/`` in it, as a direct
    database write would leave it (chain-consistent): its exports land in the folder given."""
    from assay.exports import write_system_exports

    now = dt.datetime(2025, 3, 3, tzinfo=dt.UTC)
    legacy = "../../outside"
    with ws.store.write(actor="ada", action="system.add", entity_type="system") as tx:
        tx.insert(
            tables.ai_systems,
            {
                "name": legacy, "purpose": "p", "owner": "cy", "risk_tier": "unassessed",
                "lifecycle_status": "development", "generative": False, "created_at": now,
                "created_by": "ada", "updated_at": now, "updated_by": "ada",
            },
        )  # fmt: skip
    folder = tmp_path / "deep" / "er" / "out"
    written = write_system_exports(ws, legacy, folder)
    assert written.paths
    for path in written.paths:
        assert path.resolve().parent == folder.resolve()
        assert path.name.startswith("outside-")
    assert not (tmp_path / "deep" / "outside.cdx.json").exists()
