"""Alert rules (consecutive windows, de-duplication, auto-resolve) and spec validation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from assay.errors import SchemaError
from assay.monitor._rules import episodes
from assay.monitor._spec import AlertRule, load_spec, spec_json_schema, spec_json_schema_text

REPO = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 1, 5)


def _series(values: list[float | None]) -> list[tuple[dt.datetime, float | None]]:
    return [(T0 + dt.timedelta(weeks=i), v) for i, v in enumerate(values)]


def _rule(**kw: Any) -> AlertRule:
    return AlertRule.model_validate({"name": "r", "metric": "m", "condition": ">= 0.3"} | kw)


def test_fires_after_consecutive_breaches_and_stays_one_alert() -> None:
    found = episodes(_rule(consecutive=2), _series([0.1, 0.4, 0.2, 0.5, 0.6, 0.7, 0.9]))
    (ep,) = found
    assert ep.first_breach == T0 + dt.timedelta(weeks=3)
    assert ep.opened == T0 + dt.timedelta(weeks=4)
    assert (ep.opened_value, ep.breaches, ep.resolved) == (0.6, 4, None)
    assert ep.last_breach == T0 + dt.timedelta(weeks=6)


def test_resolves_after_enough_clear_windows_and_fires_again() -> None:
    values = [0.5, 0.1, 0.5, 0.1, 0.1, 0.6, 0.1, 0.2]
    first, second = episodes(_rule(resolve_after=2), _series(values))
    assert first.opened == T0
    assert first.resolved == T0 + dt.timedelta(weeks=4)  # the single clear week did not resolve
    assert first.breaches == 2
    assert second.opened == T0 + dt.timedelta(weeks=5)
    assert second.resolved == T0 + dt.timedelta(weeks=7)


def test_windows_without_a_value_neither_breach_nor_clear() -> None:
    (ep,) = episodes(_rule(consecutive=2), _series([0.5, None, 0.5, None, 0.1]))
    assert ep.opened == T0 + dt.timedelta(weeks=2)
    assert ep.resolved == T0 + dt.timedelta(weeks=4)
    assert episodes(_rule(), _series([None, None])) == []


def test_same_series_gives_the_same_episodes() -> None:
    series = _series([0.1, 0.4, 0.4, 0.0, 0.9])
    assert episodes(_rule(), series) == episodes(_rule(), list(reversed(series)))


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [("< 0.8", 0.79, True), ("> 1e-3", 0.001, False), ("!= 0", 0.0, False), ("== 1", 1.0, True)],
)
def test_conditions(condition: str, value: float, expected: bool) -> None:
    assert _rule(condition=condition).test(value) is expected


def _spec(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "credit-weekly",
        "system": "credit-scoring",
        "owner": "risk-team",
        "runbook": "https://wiki.example.com/runbooks/credit",
        "data": {
            "timestamp": "ts",
            "prediction": "score",
            "label": "y",
            "sensitive_features": ["sex"],
        },
        "reference": {"profile": "profile.json"},
        "window": {"size": "weekly"},
        "metrics": [
            {"name": "drift_share", "kind": "drift", "statistic": "share_drifted"},
            {"name": "dp", "kind": "fairness", "statistic": "demographic_parity_difference"},
        ],
        "alerts": [
            {"name": "drift", "metric": "drift_share", "condition": ">= 0.3", "routes": ["hook"]}
        ],
        "notifications": {"routes": [{"name": "hook", "type": "webhook", "url": "http://x"}]},
    }
    spec.update(changes)
    return spec


def test_valid_spec_loads_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(_spec()), encoding="utf-8")
    spec = load_spec(path)
    assert spec.metric("dp").kind == "fairness"
    assert spec.route("hook").type == "webhook"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"alerts": [{"name": "a", "metric": "nope", "condition": ">1"}]}, "metric 'nope'"),
        ({"alerts": [{"name": "a", "metric": "dp", "condition": "above 1"}]}, "is not a condition"),
        (
            {"alerts": [{"name": "a", "metric": "dp", "condition": ">1", "routes": ["pager"]}]},
            "route 'pager'",
        ),
        (
            {"metrics": [{"name": "x", "kind": "drift", "statistic": "psi"}]},
            "needs 'column'",
        ),
        (
            {"metrics": [{"name": "x", "kind": "drift", "statistic": "entropy"}]},
            "not a drift statistic",
        ),
        ({"window": {"size": "monthly"}}, "window.size"),
        ({"reference": {}}, "exactly one of 'profile' or 'data'"),
        ({"data": {"prediction": "score"}, "alerts": []}, "needs data.timestamp"),
        ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_invalid_specs_name_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        load_spec(_spec(**changes))


def test_published_json_schema_is_current_and_validates_specs() -> None:
    published = REPO / "docs" / "schemas" / "monitoring-spec.schema.json"
    assert published.read_text(encoding="utf-8") == spec_json_schema_text(), (
        "docs/schemas/monitoring-spec.schema.json is stale; regenerate it with "
        "python -c 'from assay.monitor import spec_json_schema_text as s; print(s(), end=\"\")' "
        "> docs/schemas/monitoring-spec.schema.json"
    )
    schema = spec_json_schema()
    jsonschema.validate(json.loads(json.dumps(_spec())), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_spec(window={"size": "monthly"}), schema)
