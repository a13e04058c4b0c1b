"""Scenario files: which probes to run, with which parameters and limits, validated on load.

A scenario is YAML (or a mapping) in the ``assay.robustness-scenarios/v1`` schema; its JSON Schema
is ``docs/schemas/robustness-scenarios.schema.json`` (written by :func:`scenario_json_schema`).
Every probe has a ``kind`` and its own parameters; ``limits`` at the top apply to every probe the
check fits, and a probe's own ``limits`` override them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assay.errors import NotFoundError, SchemaError

SCENARIO_SCHEMA = "assay.robustness-scenarios/v1"

CheckName = Literal[
    "accuracy_drop",
    "selection_rate_change",
    "tpr_change",
    "fpr_change",
    "flip_rate",
    "counterfactual_flip_rate",
    "violation_rate",
]
#: Every check a limit can be set on, and what it bounds.
CHECKS: dict[CheckName, str] = {
    "accuracy_drop": "baseline accuracy − probed accuracy, at most the limit",
    "selection_rate_change": "|probed − baseline selection rate|, at most the limit",
    "tpr_change": "|probed − baseline true-positive rate|, at most the limit",
    "fpr_change": "|probed − baseline false-positive rate|, at most the limit",
    "flip_rate": "share of rows whose decision changes under the perturbation, at most the limit",
    "counterfactual_flip_rate": (
        "share of rows whose decision changes when only the sensitive attribute (and its declared "
        "proxies) change, at most the limit"
    ),
    "violation_rate": (
        "share of rows whose score moves against a declared monotonic relationship, at most the "
        "limit"
    ),
}

#: Starting points, not standards: a review board should set its own in the scenario file.
DEFAULT_LIMITS: dict[CheckName, float] = {
    "accuracy_drop": 0.02,
    "flip_rate": 0.05,
    "counterfactual_flip_rate": 0.01,
    "violation_rate": 0.01,
}

PERTURBATION_CHECKS = (
    "accuracy_drop",
    "selection_rate_change",
    "tpr_change",
    "fpr_change",
    "flip_rate",
)
SHIFT_CHECKS = ("accuracy_drop", "selection_rate_change", "tpr_change", "fpr_change")

Fraction = Annotated[float, Field(gt=0.0, le=1.0)]
Limits = dict[CheckName, Annotated[float, Field(ge=0.0, le=1.0)]]


class _Probe(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, description="A short name shown in the report.")
    limits: Limits | None = Field(
        None, description="Limits for this probe; they override the scenario's."
    )

    @property
    def label(self) -> str:
        """The probe's name, or one made from its kind and parameters."""
        return self.name or self.default_name()

    def default_name(self) -> str:
        """A name made from the kind and the main parameter."""
        return str(getattr(self, "kind", "probe"))

    def checks(self) -> tuple[str, ...]:
        """The checks that apply to this probe."""
        return PERTURBATION_CHECKS


class GaussianNoise(_Probe):
    """Add Gaussian noise to numeric features: ``scale`` × the feature's spread."""

    kind: Literal["gaussian_noise"]
    features: list[str] | None = Field(None, description="Default: every numeric model input.")
    scale: float = Field(0.1, gt=0.0, description="Noise standard deviation, in spreads.")
    spread: Literal["std", "iqr"] = Field(
        "std", description="std, or the interquartile range / 1.349 (robust to outliers)."
    )
    fraction: Fraction = Field(1.0, description="Share of rows perturbed.")

    def default_name(self) -> str:
        return f"Gaussian noise ({self.scale:g} × {self.spread})"


class CategorySwap(_Probe):
    """Replace a categorical value by another category, drawn by frequency."""

    kind: Literal["category_swap"]
    features: list[str] | None = Field(None, description="Default: every text model input.")
    fraction: Fraction = Field(0.05, description="Share of rows changed, per feature.")

    def default_name(self) -> str:
        return f"Category swaps ({self.fraction:.0%} of rows)"


class Typos(_Probe):
    """Misspell categorical values (swapped, dropped or doubled letters, case, spaces)."""

    kind: Literal["typos"]
    features: list[str] | None = Field(None, description="Default: every text model input.")
    fraction: Fraction = Field(0.05, description="Share of rows changed, per feature.")

    def default_name(self) -> str:
        return f"Typos ({self.fraction:.0%} of rows)"


class MissingValues(_Probe):
    """Blank out values at random (null, which pandas shows as NaN/None)."""

    kind: Literal["missing_values"]
    features: list[str] | None = Field(None, description="Default: every model input.")
    fraction: Fraction = Field(0.1, description="Share of cells blanked, per feature.")

    def default_name(self) -> str:
        return f"Missing values ({self.fraction:.0%} of cells)"


class FeatureDropout(_Probe):
    """A feature becomes unavailable: one per row at random, or whole columns."""

    kind: Literal["feature_dropout"]
    features: list[str] | None = Field(None, description="Default: every model input.")
    mode: Literal["one_per_row", "all_rows"] = Field(
        "one_per_row",
        description="one_per_row: each row loses one of the features; all_rows: every listed "
        "feature is dropped from every row.",
    )
    fill: Literal["missing", "typical"] = Field(
        "missing", description="missing (null), or the median / most frequent value."
    )

    def default_name(self) -> str:
        if self.mode == "all_rows" and self.features:
            return f"Feature dropout ({', '.join(self.features)})"
        return "Feature dropout (one feature per row)"


class OutOfRange(_Probe):
    """Push numeric values beyond the observed range by ``distance`` spreads."""

    kind: Literal["out_of_range"]
    features: list[str] | None = Field(None, description="Default: every numeric model input.")
    fraction: Fraction = Field(0.05, description="Share of rows changed, per feature.")
    distance: float = Field(1.0, gt=0.0, description="How far beyond min/max, in spreads.")

    def default_name(self) -> str:
        return f"Out-of-range values ({self.fraction:.0%} of rows)"


class Subgroup(BaseModel):
    """Rows where ``feature`` is one of ``values``, or lies in ``[min, max]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    feature: str
    values: list[Any] | None = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Subgroup:
        if self.values is None and self.min is None and self.max is None:
            raise ValueError("give values, or min and/or max")
        if self.values is not None and (self.min is not None or self.max is not None):
            raise ValueError("give values or a range, not both")
        return self

    def describe(self) -> str:
        """Readable form, e.g. ``sex ∈ {Female}`` or ``age ≥ 60``."""
        if self.values is not None:
            return f"{self.feature} ∈ {{{', '.join(map(str, self.values))}}}"
        parts = []
        if self.min is not None:
            parts.append(f"{self.feature} ≥ {self.min:g}")
        if self.max is not None:
            parts.append(f"{self.feature} ≤ {self.max:g}")
        return " and ".join(parts)


class CovariateShift(_Probe):
    """Re-weight a subgroup of the population (predictions unchanged, population mix shifted)."""

    kind: Literal["covariate_shift"]
    subgroup: Subgroup | None = Field(
        None, description="Default: the smallest group of the first sensitive feature."
    )
    weight: float = Field(3.0, gt=0.0, description="Weight of the subgroup's rows (others 1).")

    def default_name(self) -> str:
        where = self.subgroup.describe() if self.subgroup else "smallest group"
        return f"Covariate shift ({where} × {self.weight:g})"

    def checks(self) -> tuple[str, ...]:
        return SHIFT_CHECKS


class LabelShift(_Probe):
    """Change the share of positive labels by re-weighting (prior-probability shift)."""

    kind: Literal["label_shift"]
    positive_weight: float | None = Field(
        None, gt=0.0, description="Weight of positive rows (negatives 1)."
    )
    prevalence: float | None = Field(
        None, gt=0.0, lt=1.0, description="Target share of positives (instead of a weight)."
    )

    @model_validator(mode="after")
    def _one_way(self) -> LabelShift:
        if self.positive_weight is not None and self.prevalence is not None:
            raise ValueError("give positive_weight or prevalence, not both")
        return self

    def default_name(self) -> str:
        if self.prevalence is not None:
            return f"Label shift (prevalence {self.prevalence:.0%})"
        return f"Label shift (positives × {self.positive_weight or 2.0:g})"

    def checks(self) -> tuple[str, ...]:
        return SHIFT_CHECKS


class Counterfactual(_Probe):
    """Change only a sensitive attribute (and declared proxies) and count changed decisions."""

    kind: Literal["counterfactual"]
    feature: str = Field(description="The sensitive attribute to change.")
    values: list[Any] | None = Field(
        None, description="Values to change it to; default: every other value."
    )
    proxies: dict[str, dict[str, Any] | Literal["resample"]] = Field(
        default_factory=dict,
        description="Features changed along with it: a mapping old → new value, or 'resample' "
        "(drawn from the target group's distribution).",
    )

    def default_name(self) -> str:
        extra = f" with {', '.join(self.proxies)}" if self.proxies else ""
        return f"Counterfactual {self.feature}{extra}"

    def checks(self) -> tuple[str, ...]:
        return ("counterfactual_flip_rate",)


class Monotonic(_Probe):
    """A declared monotonic relationship: raising ``feature`` must not move the score against
    ``direction``."""

    kind: Literal["monotonic"]
    feature: str
    direction: Literal["increasing", "decreasing"]
    step: float | None = Field(
        None, gt=0.0, description="How much to raise the feature; default half its std."
    )
    tolerance: float = Field(1e-6, ge=0.0, description="Score changes this small are ignored.")

    def default_name(self) -> str:
        return f"Monotonic {self.feature} ({self.direction})"

    def checks(self) -> tuple[str, ...]:
        return ("violation_rate",)


ProbeSpec = Annotated[
    GaussianNoise
    | CategorySwap
    | Typos
    | MissingValues
    | FeatureDropout
    | OutOfRange
    | CovariateShift
    | LabelShift
    | Counterfactual
    | Monotonic,
    Field(discriminator="kind"),
]

PROBE_KINDS: dict[str, type[_Probe]] = {
    "gaussian_noise": GaussianNoise,
    "category_swap": CategorySwap,
    "typos": Typos,
    "missing_values": MissingValues,
    "feature_dropout": FeatureDropout,
    "out_of_range": OutOfRange,
    "covariate_shift": CovariateShift,
    "label_shift": LabelShift,
    "counterfactual": Counterfactual,
    "monotonic": Monotonic,
}


class Scenario(BaseModel):
    """A set of probes with their limits and the statistical settings of the run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["assay.robustness-scenarios/v1"] = Field(
        "assay.robustness-scenarios/v1",
        alias="schema",
        description="The scenario schema version.",
    )
    description: str | None = None
    limits: Limits = Field(
        default_factory=lambda: dict(DEFAULT_LIMITS),
        description="Limits applied to every probe the check fits.",
    )
    ci_level: float = Field(0.95, ge=0.5, lt=1.0)
    min_group_size: int = Field(30, ge=1)
    random_state: int = 0
    probes: list[ProbeSpec] = Field(min_length=1)

    def limits_for(self, probe: _Probe) -> dict[str, float]:
        """The limits that apply to ``probe``: the scenario's, overridden by the probe's own."""
        merged = {k: float(v) for k, v in self.limits.items()}
        merged |= {k: float(v) for k, v in (probe.limits or {}).items()}
        return {k: v for k, v in merged.items() if k in probe.checks()}


def parse_scenario(data: Any, *, source: str = "The scenario") -> Scenario:
    """Validate a scenario mapping; errors name the probe and field and say what was expected."""
    if not isinstance(data, dict):
        raise SchemaError(
            f"{source} must be a mapping with 'probes: [...]', got {type(data).__name__}."
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors()[:12]:
            where = _location(err["loc"], data)
            lines.append(f"  - {where}: {err['msg']}")
        kinds = ", ".join(PROBE_KINDS)
        raise SchemaError(
            f"{source} is not a valid {SCENARIO_SCHEMA} scenario:\n"
            + "\n".join(lines)
            + f"\nProbe kinds are: {kinds}. See docs/robustness.md."
        ) from None


def _location(loc: tuple[Any, ...], data: Any) -> str:
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list):
            entry = node[item] if item < len(node) else None
            label = entry.get("name") or entry.get("kind") if isinstance(entry, dict) else None
            parts.append(f"[{item}]" + (f" ({label})" if label else ""))
            node = entry
        else:
            if str(item) in PROBE_KINDS:
                continue
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario YAML file."""
    p = Path(path)
    if not p.exists():
        raise NotFoundError(f"The scenario file '{p}' does not exist.")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaError(f"'{p}' is not valid YAML: {exc}") from None
    return parse_scenario(data, source=f"'{p}'")


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (committed as robustness-scenarios.schema.json)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://assay.dev/schemas/robustness-scenarios.schema.json"
    schema["title"] = "Assay robustness scenarios (assay.robustness-scenarios/v1)"
    return schema
