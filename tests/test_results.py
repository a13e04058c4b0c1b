"""Every versioned result is a :class:`assay.result.Result` whose payload its ``TypedDict`` names.

For each result class a real result is computed on small data through the public functions, and:
its payload has every required key of the ``TypedDict`` and no key the ``TypedDict`` lacks; it
validates against the schema generated from the ``TypedDict``; ``from_dict(to_dict())`` and
``from_json(to_json())`` give the same result back; another schema id, a missing required key or
text that is not JSON is refused with a :class:`SchemaError` naming what is wrong. The schemas
published in ``docs/schemas`` agree with the ``TypedDict`` (the fairness one is written by hand;
the others are generated and must be current), and every ``*_SCHEMA = "assay.x/vN"`` constant of
a result in ``src/`` has a registered class.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import polars as pl
import pytest
import yaml

import assay
from assay.errors import SchemaError
from assay.result import Result, load_result, result_types

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "docs" / "schemas"
sys.path.insert(0, str(REPO / "scripts"))

from write_result_schemas import HAND_WRITTEN, RESULT_CLASSES, schema_file  # noqa: E402

#: Versioned schemas in src/ that are not results, and why.
NOT_RESULTS = {
    "assay.document/v1": "a rendered document (model card, datasheet, ...)",
    "assay.review-state/v1": "a review's state, frozen into its packet by documents",
    "assay.sections/v1": "card sections a person writes",
    "assay.framework-coverage/v1": "a typed dataclass report built on demand, never read back",
    "assay.redteam-run/v1": "a red-team run folder's manifest (run.json), written as it runs",
    "assay.redteam-suite/v1": "an input: a red-team suite file",
    "assay.rag-suite/v1": "an input: a RAG suite file",
    "assay.agent-suite/v1": "an input: an agent suite file",
    "assay.robustness-scenarios/v1": "an input: a robustness scenario file",
    "assay.policy/v1": "an input: the policy file",
    "assay.questionnaire/v1": "an input: an intake questionnaire",
    "assay.checkpoint/v1": "a governance record (a checkpoint's evidence)",
    "assay.export/v1": "a workspace export bundle",
    "assay.statement-of-applicability/v1": "a typed dataclass report built on demand",
}


# -- real results, small and fast -------------------------------------------------------------


def _people(n: int = 400, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n)
    score = np.clip(rng.normal(0.5, 0.2, n) + (sex == "M") * 0.1, 0, 1)
    return pl.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "sex": sex,
            "hours": rng.normal(40, 8, n).round(),
            "score": score,
            "pred": (score > 0.5).astype(np.int64),
            "y": (rng.random(n) < score).astype(np.int64),
        }
    )


class _Threshold:
    """Predicts 1 exactly when x1 > 0."""

    classes_ = np.array([0, 1])
    feature_names_in_ = np.array(["x1", "x2"])

    def predict_proba(self, x: Any) -> np.ndarray[Any, Any]:
        p = (np.asarray(x["x1"], dtype=float) > 0).astype(float) * 0.8 + 0.1
        return np.column_stack([1 - p, p])

    def predict(self, x: Any) -> np.ndarray[Any, Any]:
        return (np.asarray(x["x1"], dtype=float) > 0).astype(int)


def _threshold_frame(n: int = 400) -> pl.DataFrame:
    rng = np.random.default_rng(5)
    x1 = rng.normal(size=n)
    g = rng.choice(["a", "b"], size=n)
    return pl.DataFrame({"x1": x1, "x2": rng.normal(size=n), "g": g, "y": (x1 > 0).astype(int)})


def _fairness(tmp: Path) -> Result[Any]:
    from assay.evaluate import fairness

    return fairness(
        _people(), y_true="y", y_pred="pred", sensitive_features="sex",
        thresholds={"demographic_parity_difference": 0.1}, n_bootstrap=100,
    )  # fmt: skip


def _drift(tmp: Path) -> Result[Any]:
    from assay.evaluate import drift

    return drift(_people(seed=1), _people(seed=2), sensitive_features="sex", prediction="score")


def _quality(tmp: Path) -> Result[Any]:
    from assay.evaluate import quality

    return quality(_people(), sensitive_features="sex", label="y")


def _profile(tmp: Path) -> Result[Any]:
    from assay.evaluate import reference_profile

    return reference_profile(_people(), sensitive_features="sex", prediction="score", label="y")


def _contacts() -> pl.DataFrame:
    n = 60
    return pl.DataFrame(
        {
            "email": [f"user{i}@example.com" for i in range(n)],
            "country": ["FR", "DE", "NL"] * (n // 3),
            "age": [20 + i % 7 for i in range(n)],
            "topic": ["billing", "login"] * (n // 2),
        }
    )


def _pii(tmp: Path) -> Result[Any]:
    from assay.evaluate.pii import scan

    return scan(_contacts(), quasi_identifiers=["country", "age"], features=["topic", "email"])


def _reidentification(tmp: Path) -> Result[Any]:
    from assay.evaluate.pii import reidentification_risk

    return reidentification_risk(
        _contacts(), quasi_identifiers=["country", "age"], sensitive="topic"
    )


def _robustness(tmp: Path) -> Result[Any]:
    from assay.robustness import run_robustness

    scenario = {"probes": [{"kind": "gaussian_noise"}, {"kind": "counterfactual", "feature": "g"}]}
    return run_robustness(
        _Threshold(), _threshold_frame(), y_true="y", sensitive_features="g", scenario=scenario,
        n_bootstrap=100,
    )  # fmt: skip


def _explanation(tmp: Path) -> Result[Any]:
    from assay.robustness import explain

    return explain(
        _Threshold(), _threshold_frame(), y_true="y", sensitive_features="g", n_repeats=2,
        max_rows=200, shap=False,
    )  # fmt: skip


def _gate(tmp: Path) -> Result[Any]:
    from assay.gate import run_gate

    result, _ = run_gate(results=[_fairness(tmp).to_dict()], rules=["fairness"])
    return result


def _redteam_run(tmp: Path, assistant: str) -> Any:
    from assay.genai import run_redteam

    return run_redteam(
        "builtin", f"assay.demo.chat_server:{assistant}", output=tmp / assistant,
        categories=["dangerous"],
    )  # fmt: skip


def _redteam(tmp: Path) -> Result[Any]:
    result: Result[Any] = _redteam_run(tmp, "guarded_assistant").result
    return result


def _comparison(tmp: Path) -> Result[Any]:
    from assay.genai import compare_runs

    return compare_runs(
        _redteam_run(tmp, "guarded_assistant"), _redteam_run(tmp, "unsafe_assistant")
    )


def _rag(tmp: Path) -> Result[Any]:
    from assay.demo.rag_assistant import honest_rag
    from assay.genai import CallableTarget, load_rag_suite, run_rag

    return run_rag(load_rag_suite("rag-policy"), CallableTarget(honest_rag), n_bootstrap=100).result


def _judge_calibration(tmp: Path) -> Result[Any]:
    from assay.demo.judge import keyword_judge
    from assay.genai import CallableTarget, LLMJudge, calibrate_judge, load_labelled

    return calibrate_judge(LLMJudge(CallableTarget(keyword_judge)), load_labelled("builtin"))


def _agent(tmp: Path) -> Result[Any]:
    from assay.demo.agent_assistant import careless_agent
    from assay.genai import CallableTarget, load_agent_suite, run_agent_suite

    return run_agent_suite(load_agent_suite("agent-tools"), CallableTarget(careless_agent)).result


def _log_scan(tmp: Path) -> Result[Any]:
    from assay.genai import scan_logs

    log = pl.DataFrame(
        {
            "timestamp": ["2026-11-01T09:00:00Z", "2026-11-01T10:00:00Z", "2026-11-02T09:00:00Z"],
            "response": ["Happy to help.", "Call me on (415) 555-0132.", "Shut up, you idiot."],
            "model": ["a", "b", "a"],
        }
    )
    return scan_logs(log, by="model")


def _monitor_run(tmp: Path) -> Result[Any]:
    from assay.demo import simulate_production_batches
    from assay.evaluate import reference_profile
    from assay.governance import add_system, init_workspace
    from assay.monitor import run_monitor

    ws = init_workspace(tmp / "project", user="ada")
    add_system(ws, "income-model", purpose="Predicts income", owner="ada")
    source = _people(800).with_columns(
        income=pl.when(pl.col("y") == 1).then(pl.lit(">50K")).otherwise(pl.lit("<=50K"))
    )
    reference_profile(source, sensitive_features="sex", prediction="score").save(
        tmp / "profile.json"
    )
    spec = {
        "name": "income-weekly",
        "system": "income-model",
        "owner": "ada",
        "runbook": "https://wiki.example.com/runbooks/income",
        "data": {"timestamp": "event_time", "prediction": "score", "sensitive_features": ["sex"]},
        "reference": {"profile": "profile.json"},
        "window": {"size": "weekly", "min_rows": 50},
        "metrics": [
            {"name": "rows", "kind": "quality", "statistic": "rows"},
            {"name": "drift_share", "kind": "drift", "statistic": "share_drifted"},
        ],
        "alerts": [{"name": "drift", "metric": "drift_share", "condition": ">= 0.3"}],
    }
    (tmp / "spec.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    batches = simulate_production_batches(
        tmp / "batches", weeks=2, source=source, rows_per_week=200, label=None
    )
    return run_monitor(tmp / "spec.yaml", batches, workspace=ws, sleep=lambda seconds: None)


def _mitigation(tmp: Path) -> Result[Any]:
    from sklearn.linear_model import LogisticRegression

    from assay.mitigate import mitigate

    frame = _threshold_frame(600)
    model = LogisticRegression().fit(frame.select("x1", "x2").to_pandas(), frame["y"].to_numpy())
    return mitigate(
        model, frame[:300], frame[300:], y_true="y", sensitive_features="g", limit=0.1,
        tolerances=[0.05, 0.1], n_bootstrap=100,
    ).result  # fmt: skip


BUILDERS: dict[str, Callable[[Path], Result[Any]]] = {
    "assay.fairness/v1": _fairness,
    "assay.drift/v1": _drift,
    "assay.quality/v1": _quality,
    "assay.drift-profile/v1": _profile,
    "assay.pii/v1": _pii,
    "assay.reidentification/v1": _reidentification,
    "assay.robustness/v1": _robustness,
    "assay.explanation/v1": _explanation,
    "assay.gate/v1": _gate,
    "assay.redteam/v1": _redteam,
    "assay.redteam-comparison/v1": _comparison,
    "assay.monitor-run/v1": _monitor_run,
    "assay.rag/v1": _rag,
    "assay.judge-calibration/v1": _judge_calibration,
    "assay.agent/v1": _agent,
    "assay.genai-log-scan/v1": _log_scan,
    "assay.mitigation/v1": _mitigation,
}
CLASSES = {cls.SCHEMA: cls for cls in RESULT_CLASSES}
_BUILT: dict[str, Result[Any]] = {}


@pytest.fixture(params=sorted(BUILDERS), ids=lambda s: s.removeprefix("assay."))
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[type[Result[Any]], Result[Any]]:
    """(class, a real result of it), computed once per schema and process."""
    schema: str = request.param
    if schema not in _BUILT:
        _BUILT[schema] = BUILDERS[schema](
            tmp_path_factory.mktemp(schema_file(schema).split(".")[0])
        )
    result = _BUILT[schema]
    assert type(result) is CLASSES[schema]
    return CLASSES[schema], result


# -- the payload and its type -----------------------------------------------------------------


def test_the_payload_has_the_keys_its_type_names(built: tuple[type[Result[Any]], Any]) -> None:
    cls, result = built
    keys = set(result.to_dict())
    assert set(cls.required_keys()) <= keys, f"missing: {set(cls.required_keys()) - keys}"
    assert keys <= set(cls.payload_keys()), (
        f"not in {cls.Payload.__name__}: {keys - set(cls.payload_keys())}"
    )
    assert result.schema == cls.SCHEMA == result.to_dict()["schema"]


def test_the_payload_validates_against_the_schema_of_its_type(
    built: tuple[type[Result[Any]], Any],
) -> None:
    cls, result = built
    schema = cls.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(json.loads(result.to_json()))


def test_a_result_round_trips(built: tuple[type[Result[Any]], Any]) -> None:
    cls, result = built
    again = cls.from_dict(result.to_dict())
    assert again == result
    assert again.to_dict() == result.to_dict()
    assert again.to_json() == result.to_json()
    assert cls.from_json(result.to_json()) == result
    assert load_result(result.to_dict()) == result
    assert result != object()


def test_to_dict_is_a_copy_and_the_result_is_frozen(built: tuple[type[Result[Any]], Any]) -> None:
    cls, result = built
    before = result.to_json()
    payload = result.to_dict()
    payload[cls.required_keys()[1]] = "changed"
    assert result.to_json() == before
    # the gate's result is a dataclass of typed records; the others hold their payload
    field = dataclasses.fields(result)[0].name if dataclasses.is_dataclass(result) else "_payload"
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(result, field, {})


def test_another_schema_is_refused_by_name(built: tuple[type[Result[Any]], Any]) -> None:
    cls, result = built
    with pytest.raises(
        SchemaError, match=re.escape(f"schema '{cls.SCHEMA}', found 'assay.other/v9'")
    ):
        cls.from_dict(result.to_dict() | {"schema": "assay.other/v9"})
    with pytest.raises(SchemaError, match="found 'list'"):
        cls.from_dict([])  # type: ignore[arg-type]


def test_a_missing_required_key_is_named(built: tuple[type[Result[Any]], Any]) -> None:
    cls, result = built
    for key in cls.required_keys():
        if key == "schema":
            continue
        payload = result.to_dict()
        del payload[key]
        with pytest.raises(
            SchemaError, match=rf"{re.escape(cls.SCHEMA)}' \w+ is missing the keys: {key}\.$"
        ):
            cls.from_dict(payload)


def test_text_that_is_not_json_is_refused(built: tuple[type[Result[Any]], Any]) -> None:
    cls, result = built
    with pytest.raises(SchemaError, match="is not valid JSON"):
        cls.from_json(result.to_json()[:-1])


def test_a_gate_payload_must_follow_from_its_outcomes() -> None:
    from assay.gate import GateResult, RuleOutcome

    outcome = RuleOutcome("fairness.x", "fail", "sex", "0.2", "0.1", "Too far.")
    result = GateResult("P", "p.yaml", None, None, None, "pre-launch", (outcome,))
    assert GateResult.from_dict(result.to_dict()) == result
    with pytest.raises(SchemaError, match="do not follow from its outcomes"):
        GateResult.from_dict(result.to_dict() | {"decision": "pass"})
    broken = result.to_dict()
    broken["outcomes"][0]["colour"] = "red"
    with pytest.raises(SchemaError, match="is not a gate decision"):
        GateResult.from_dict(broken)
    with pytest.raises(SchemaError, match="has keys a gate decision does not have: extra"):
        GateResult.from_dict(result.to_dict() | {"extra": 1})


# -- published schemas and the registry --------------------------------------------------------


@pytest.mark.parametrize("cls", RESULT_CLASSES, ids=lambda c: c.__name__)
def test_the_published_schema_agrees_with_the_type(cls: type[Result[Any]]) -> None:
    path = SCHEMAS / schema_file(cls.SCHEMA)
    assert path.is_file(), f"{path} is missing: run `python scripts/write_result_schemas.py`"
    published = json.loads(path.read_text(encoding="utf-8"))
    assert published["properties"]["schema"] == {"const": cls.SCHEMA}
    assert published["required"] == list(cls.required_keys())
    assert list(published["properties"]) == list(cls.payload_keys())
    if cls.SCHEMA not in HAND_WRITTEN:
        assert published == cls.json_schema(), "run `python scripts/write_result_schemas.py`"


def test_the_fairness_verdicts_agree_with_their_type() -> None:
    from assay.evaluate import FairnessVerdict

    verdict = json.loads((SCHEMAS / "fairness-v1.schema.json").read_text("utf-8"))["$defs"][
        "verdict"
    ]
    assert set(verdict["required"]) == FairnessVerdict.__required_keys__
    assert set(verdict["properties"]) == set(FairnessVerdict.__annotations__)


def _schema_constants() -> set[str]:
    pattern = re.compile(r'^[A-Z_]*SCHEMA[A-Z_]*\s*=\s*"(assay\.[\w-]+/v\d+)"', re.MULTILINE)
    src = Path(assay.__file__).parent
    return {m for path in src.rglob("*.py") for m in pattern.findall(path.read_text("utf-8"))}


def _import_every_module() -> None:
    for module in pkgutil.walk_packages(assay.__path__, "assay."):
        if module.name != "assay.store.migrations.env" and not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def test_every_result_schema_has_one_registered_class() -> None:
    constants = _schema_constants()
    assert set(NOT_RESULTS) <= constants, "NOT_RESULTS names a schema src/ no longer has"
    _import_every_module()
    registered = result_types()
    missing = constants - set(NOT_RESULTS) - set(registered)
    assert not missing, f"schemas of results without a Result class: {sorted(missing)}"
    assert not set(NOT_RESULTS) & set(registered)
    assert {s: c for s, c in registered.items() if s in constants} == CLASSES
    assert set(BUILDERS) == set(CLASSES)


def test_load_result_names_an_unknown_schema() -> None:
    with pytest.raises(SchemaError, match=r"No result class reads schema 'assay\.nothing/v1'"):
        load_result({"schema": "assay.nothing/v1"})
