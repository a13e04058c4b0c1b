"""The monitoring specification: what to watch, how often, when to alert, and whom.

A YAML file validated with pydantic; ``docs/schemas/monitoring-spec.schema.json`` is its JSON
Schema (:func:`spec_json_schema`). A minimal example::

    version: 1
    name: credit-scoring-weekly
    system: credit-scoring
    owner: risk-team
    runbook: https://wiki.example.com/runbooks/credit-scoring
    data: {timestamp: event_time, prediction: score, label: defaulted,
           sensitive_features: [sex]}
    reference: {profile: reference-profile.json}
    window: {size: weekly, min_rows: 200}
    metrics:
      - {name: drift_share, kind: drift, statistic: share_drifted}
      - {name: score_psi, kind: drift, statistic: psi, column: score}
    alerts:
      - {name: feature-drift, metric: drift_share, condition: ">= 0.3", consecutive: 2,
         severity: high, routes: [oncall]}
    notifications:
      routes:
        - {name: oncall, type: webhook, url: "https://hooks.example.com/assay"}

Values of the form ``${NAME}`` in route URLs, headers and SMTP settings are read from the
environment when a notification is sent, so secrets stay out of the file.
"""

from __future__ import annotations

import json
import operator
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assay.canonical import content_digest
from assay.errors import InputError, NotFoundError, SchemaError

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"
WINDOW_SIZES = ("hourly", "daily", "weekly", "batch")
SEVERITIES = ("low", "medium", "high", "critical")
CONFUSION = (
    "prevalence",
    "selection_rate",
    "accuracy",
    "balanced_accuracy",
    "tpr",
    "fpr",
    "fnr",
    "tnr",
    "ppv",
    "npv",
    "fdr",
    "for",
    "f1",
    "roc_auc",
    "average_precision",
    "brier_score",
    "ece",
)
FAIRNESS = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
)
#: Statistics each kind of metric offers, and whether they need a column.
STATISTICS: dict[str, dict[str, str]] = {
    "drift": {
        "share_drifted": "no column",
        "n_drifted": "no column",
        "drifted": "column",
        "psi": "column",
        "jensen_shannon": "column",
        "ks": "column",
        "wasserstein": "column",
        "q_value": "column",
        "prediction_drift": "no column",
        "label_drift": "no column",
    },
    "quality": {
        "rows": "no column",
        "missing_rate": "optional column",
        "new_categories": "column",
        "schema_violations": "no column",
        "duplicate_rate": "no column",
    },
    "fairness": dict.fromkeys(FAIRNESS, "no column"),
    "performance": dict.fromkeys(CONFUSION, "no column"),
}
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
_CONDITION = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*$")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DataSection(_Model):
    """Which columns of a production log batch mean what."""

    timestamp: str | None = Field(
        default=None,
        description="Event-time column; windows follow it. Without it each batch file is one "
        "window (window size 'batch').",
    )
    prediction: str | None = Field(
        default=None, description="The model's score or predicted label."
    )
    threshold: float | None = Field(
        default=None,
        description="Decision threshold when the prediction is a score (fairness metrics).",
    )
    label: str | None = Field(default=None, description="The true label, once it arrives.")
    pos_label: str | int | float | bool | None = Field(
        default=None, description="The positive label."
    )
    sensitive_features: list[str] = Field(
        default_factory=list, description="Protected features: drift and fairness by group."
    )
    schema_file: str | None = Field(
        default=None,
        alias="schema",
        description="Declared data schema (YAML, see docs/quality.md) for schema_violations.",
    )


class ReferenceSection(_Model):
    """The frozen reference: a saved profile, or reference data profiled once and cached."""

    profile: str | None = Field(
        default=None, description="A profile saved by `assay check profile DATA -o FILE.json`."
    )
    data: str | None = Field(default=None, description="Reference data (profiled on first use).")

    @model_validator(mode="after")
    def _one(self) -> ReferenceSection:
        if (self.profile is None) == (self.data is None):
            raise ValueError("give exactly one of 'profile' or 'data'")
        return self


class WindowSection(_Model):
    """How rows are grouped in time."""

    size: Literal["hourly", "daily", "weekly", "batch"] = Field(
        default="daily",
        description="Calendar windows in UTC (weeks start on Monday), or one per batch.",
    )
    min_rows: int = Field(
        default=100, ge=1, description="Windows with fewer rows get no values except 'rows'."
    )


class MetricSpec(_Model):
    """One value computed for every window."""

    name: str = Field(pattern=NAME, description="Identifier used by alert rules and reports.")
    kind: Literal["drift", "quality", "fairness", "performance"]
    statistic: str = Field(description="See docs/monitoring.md for the statistics of each kind.")
    column: str | None = Field(default=None, description="The column, for per-column statistics.")
    group: dict[str, str | int | float | bool] | None = Field(
        default=None,
        description="One protected group ({feature: value}): the statistic within that group.",
    )

    @model_validator(mode="after")
    def _known(self) -> MetricSpec:
        options = STATISTICS[self.kind]
        if self.statistic not in options:
            raise ValueError(
                f"'{self.statistic}' is not a {self.kind} statistic; choose one of "
                f"{', '.join(options)}"
            )
        need = options[self.statistic]
        if need == "column" and self.column is None:
            raise ValueError(f"the {self.kind} statistic '{self.statistic}' needs 'column'")
        if need == "no column" and self.column is not None:
            raise ValueError(f"the {self.kind} statistic '{self.statistic}' takes no 'column'")
        if self.group is not None and len(self.group) != 1:
            raise ValueError("'group' names exactly one feature and its value")
        return self


class AlertRule(_Model):
    """When a metric's values call for attention, and who gets told."""

    name: str = Field(pattern=NAME)
    metric: str = Field(description="The name of a metric of this spec.")
    condition: str = Field(description="Comparison with a number, e.g. '>= 0.2' or '< 0.8'.")
    consecutive: int = Field(
        default=1,
        ge=1,
        description="Fire only after this many consecutive windows meet the condition.",
    )
    resolve_after: int = Field(
        default=1, ge=1, description="Resolve after this many consecutive windows that do not."
    )
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    owner: str | None = Field(default=None, description="Defaults to the spec's owner.")
    runbook: str | None = Field(default=None, description="Defaults to the spec's runbook.")
    routes: list[str] = Field(default_factory=list, description="Notification route names.")
    notify_on_resolve: bool = True
    open_incident: bool = Field(default=False, description="Open an incident when the alert fires.")
    open_action: bool = Field(
        default=False,
        description="Open a remediation action (owner: the rule's owner) when it fires.",
    )

    @field_validator("condition")
    @classmethod
    def _parses(cls, value: str) -> str:
        if not _CONDITION.match(value):
            raise ValueError(
                f"'{value}' is not a condition; write an operator (>=, >, <=, <, ==, !=) and a "
                "number, e.g. '>= 0.2'"
            )
        return value

    @model_validator(mode="after")
    def _action_needs_incident(self) -> AlertRule:
        if self.open_action and not self.open_incident:
            raise ValueError(
                "open_action needs open_incident: a remediation action belongs to an incident"
            )
        return self

    def test(self, value: float) -> bool:
        """Whether ``value`` meets the condition."""
        m = _CONDITION.match(self.condition)
        assert m is not None
        return OPERATORS[m.group(1)](value, float(m.group(2)))

    @property
    def threshold(self) -> float:
        """The number in the condition."""
        m = _CONDITION.match(self.condition)
        assert m is not None
        return float(m.group(2))


class WebhookRoute(_Model):
    """POST the alert as JSON to a URL."""

    name: str = Field(pattern=NAME)
    type: Literal["webhook"]
    url: str
    headers: dict[str, str] = Field(default_factory=dict)


class SlackRoute(_Model):
    """POST a Slack-compatible message (``text`` and ``blocks``) to an incoming-webhook URL."""

    name: str = Field(pattern=NAME)
    type: Literal["slack"]
    url: str


class EmailRoute(_Model):
    """Send an e-mail over SMTP."""

    name: str = Field(pattern=NAME)
    type: Literal["email"]
    host: str
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = False
    username: str | None = Field(default=None, description="Use ${ENV_VAR} rather than the value.")
    password: str | None = Field(default=None, description="Use ${ENV_VAR} rather than the value.")
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)


Route = Annotated[WebhookRoute | SlackRoute | EmailRoute, Field(discriminator="type")]


class RetrySpec(_Model):
    """How a notification that fails is retried before it is recorded as failed."""

    attempts: int = Field(default=4, ge=1, le=20)
    backoff_seconds: float = Field(
        default=1.0, ge=0, description="Wait before the 2nd attempt; doubles."
    )
    max_backoff_seconds: float = Field(default=30.0, ge=0)
    timeout_seconds: float = Field(default=10.0, gt=0)


class NotificationSection(_Model):
    """Where alerts go."""

    routes: list[Route] = Field(default_factory=list)
    retry: RetrySpec = RetrySpec()


class MonitorSpec(_Model):
    """A monitoring specification (``version: 1``)."""

    version: Literal[1] = 1
    name: str = Field(pattern=NAME, description="Identifies this monitor in the store.")
    system: str = Field(description="The AI system, as named in the inventory.")
    model_version: str | None = None
    owner: str
    runbook: str = Field(description="URL of the runbook that applies to this system's alerts.")
    schedule: str | None = Field(
        default=None, description="How often it runs (documentation, e.g. a cron expression)."
    )
    data: DataSection = DataSection()
    reference: ReferenceSection
    window: WindowSection = WindowSection()
    metrics: list[MetricSpec] = Field(min_length=1)
    alerts: list[AlertRule] = Field(default_factory=list)
    notifications: NotificationSection = NotificationSection()

    def as_json(self) -> dict[str, Any]:
        """The spec as stored with the monitor: plain JSON, keys as written in the YAML."""
        return self.model_dump(mode="json", by_alias=True)

    def digest(self) -> str:
        """The spec's one identity: ``sha256:`` of the canonical JSON of :meth:`as_json`.

        The stored monitor (``spec_sha256``) and the registered monitoring component (its version
        is the first 12 hex digits) are named by this same hash, however the YAML is formatted.
        """
        return content_digest(self.as_json())

    @model_validator(mode="after")
    def _references(self) -> MonitorSpec:
        names = [m.name for m in self.metrics]
        _unique(names, "metric")
        _unique([a.name for a in self.alerts], "alert rule")
        routes = [r.name for r in self.notifications.routes]
        _unique(routes, "route")
        for rule in self.alerts:
            if rule.metric not in names:
                raise ValueError(
                    f"alert rule '{rule.name}' watches metric '{rule.metric}', which is not "
                    f"defined; metrics are: {', '.join(names)}"
                )
            for route in rule.routes:
                if route not in routes:
                    raise ValueError(
                        f"alert rule '{rule.name}' sends to route '{route}', which is not "
                        f"defined; routes are: {', '.join(routes) or '(none)'}"
                    )
        if self.data.timestamp is None and self.window.size != "batch":
            raise ValueError(
                f"window size '{self.window.size}' needs data.timestamp (the event-time column); "
                "without one use window size 'batch'"
            )
        for m in self.metrics:
            if m.kind in ("fairness", "performance"):
                if self.data.label is None or self.data.prediction is None:
                    raise ValueError(
                        f"metric '{m.name}' ({m.kind}) needs data.label and data.prediction"
                    )
                if m.kind == "fairness" and not self.data.sensitive_features:
                    raise ValueError(f"metric '{m.name}' ({m.kind}) needs data.sensitive_features")
            if m.group is not None:
                (feature,) = m.group
                if feature not in self.data.sensitive_features:
                    raise ValueError(
                        f"metric '{m.name}' is for a group of '{feature}', which is not in "
                        "data.sensitive_features"
                    )
            schema_needed = m.kind == "quality" and m.statistic == "schema_violations"
            if schema_needed and self.data.schema_file is None:
                raise ValueError(f"metric '{m.name}' (schema_violations) needs data.schema")
        return self

    def metric(self, name: str) -> MetricSpec:
        """The metric called ``name``."""
        for m in self.metrics:
            if m.name == name:
                return m
        raise InputError(f"The spec has no metric '{name}'.")

    def route(self, name: str) -> WebhookRoute | SlackRoute | EmailRoute:
        """The notification route called ``name``."""
        for r in self.notifications.routes:
            if r.name == name:
                return r
        raise InputError(f"The spec has no notification route '{name}'.")


def _unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ValueError(f"two {what}s are named '{n}'")
        seen.add(n)


def _explain(exc: ValidationError, where: str) -> SchemaError:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"  {loc}: {msg}")
    return SchemaError(f"{where} is not a valid monitoring spec:\n" + "\n".join(lines))


def load_spec(source: Any) -> MonitorSpec:
    """A :class:`MonitorSpec` from a model, a mapping or a YAML file.

    Raises
    ------
    NotFoundError
        The file does not exist.
    SchemaError
        The YAML does not parse or does not match the schema; the message names each field.
    """
    if isinstance(source, MonitorSpec):
        return source
    where = "The spec"
    raw = source
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.exists():
            raise NotFoundError(f"The monitoring spec '{path}' does not exist.")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise SchemaError(f"The monitoring spec '{path}' is not valid YAML: {exc}") from None
        where = f"'{path}'"
    try:
        return MonitorSpec.model_validate(raw)
    except ValidationError as exc:
        raise _explain(exc, where) from None


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of the monitoring spec (published as docs/schemas/...)."""
    schema = MonitorSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://assay.dev/schemas/monitoring-spec.schema.json"
    schema["title"] = "Assay monitoring specification"
    return schema


def spec_json_schema_text() -> str:
    """:func:`spec_json_schema` as stable JSON text."""
    return json.dumps(spec_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def expand_env(value: str) -> str:
    """Replace each ``${NAME}`` with the environment variable; unset variables are an error."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in os.environ:
            raise InputError(
                f"The notification setting uses ${{{name}}}, but the environment variable {name} "
                "is not set."
            )
        return os.environ[name]

    return _ENV.sub(sub, value)
