"""Policy files: the default loads, bad files name file, line and field, the schema is published."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from assay.errors import NotFoundError, SchemaError
from assay.policy import load_policy, policy_json_schema

REPO = Path(__file__).resolve().parents[2]


def test_default_policy_has_three_tiers() -> None:
    policy = load_policy()
    assert sorted(policy.tiers) == ["high", "limited", "minimal"]
    high = policy.checkpoint("high", "pre-launch")
    kinds = [r.kind for r in high.evidence]
    assert {"model_card", "datasheet", "fairness", "robustness", "monitoring_spec"} <= set(kinds)
    fairness = next(r for r in high.evidence if r.kind == "fairness")
    assert fairness.for_each == "sensitive_feature"
    assert fairness.max_age_days == 90


def test_published_schema_is_current_and_accepts_the_default() -> None:
    published = (REPO / "docs" / "schemas" / "policy-v1.schema.json").read_text()
    assert published == policy_json_schema(), (
        "run: assay policy schema > docs/schemas/policy-v1.schema.json"
    )
    default = yaml.safe_load((REPO / "src" / "assay" / "policy" / "default.yaml").read_text())
    jsonschema.Draft202012Validator(json.loads(published)).validate(default)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


GOOD_HEAD = "schema: assay.policy/v1\nname: Test\n"


def test_wrong_field_names_file_line_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        GOOD_HEAD
        + "tiers:\n  high:\n    checkpoints:\n      pre-launch:\n        evidence:\n"
        + "          - kind: fairness\n            max_age: 30\n",
    )
    with pytest.raises(SchemaError) as info:
        load_policy(path)
    message = str(info.value)
    assert (
        f"{path}, line 9, field 'tiers.high.checkpoints.pre-launch.evidence.0.max_age'" in message
    )
    assert "not part of the schema (a typo?)" in message


def test_wrong_type_and_unknown_threshold(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        GOOD_HEAD + "minimum_completeness: lots\nthresholds:\n  fairness:\n    dp_diff: 0.1\n"
        "tiers:\n  high:\n    checkpoints:\n      pre-launch: {}\n",
    )
    with pytest.raises(SchemaError) as info:
        load_policy(path)
    message = str(info.value)
    assert "line 3, field 'minimum_completeness'" in message
    assert "line 6, field 'thresholds.fairness'" in message
    assert "unknown fairness threshold 'dp_diff'" in message


def test_unknown_tier_and_bad_yaml(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_HEAD + "tiers:\n  extreme:\n    checkpoints:\n      x: {}\n")
    with pytest.raises(SchemaError, match=r"line 4, field 'tiers.extreme'"):
        load_policy(path)
    path = _write(tmp_path, GOOD_HEAD + "tiers: [unclosed\n")
    with pytest.raises(SchemaError, match=r"line \d+: the policy is not valid YAML"):
        load_policy(path)
    with pytest.raises(NotFoundError):
        load_policy(tmp_path / "missing.yaml")


def test_checkpoint_lookup_errors_name_what_exists() -> None:
    from assay.errors import InputError

    policy = load_policy()
    with pytest.raises(InputError, match="defines: high, limited, minimal"):
        policy.checkpoint("unknown", "pre-launch")
    with pytest.raises(InputError, match="defines: pre-launch, post-launch"):
        policy.checkpoint("high", "launch")


def test_cli_check_exit_codes(tmp_path: Path) -> None:
    default = REPO / "src" / "assay" / "policy" / "default.yaml"
    ok = subprocess.run(
        [sys.executable, "-m", "assay", "policy", "check", str(default)],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert "valid" in ok.stdout
    bad = _write(tmp_path, "schema: assay.policy/v2\nname: x\ntiers: {}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "policy", "check", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "line 1, field 'schema'" in proc.stderr
    assert "Traceback" not in proc.stderr
