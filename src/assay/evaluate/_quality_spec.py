"""What the data is declared to be: a column schema, and population marginals to compare with.

Both are small YAML documents, validated with pydantic; errors name the file, the field and what
was expected::

    # schema.yaml                               # population.yaml
    columns:                                    source: US Census Bureau, ACS 2019 (5-year)
      age: {type: integer, min: 17, max: 99}    marginals:
      sex: {type: string, allowed: [Female,       sex: {Female: 0.508, Male: 0.492}
                                    Male]}        race: {White: 0.72, Black: 0.13,
      income: {type: number, min: 0,                     Asian-Pac-Islander: 0.06,
               nullable: true}                           (other): 0.09}
    allow_extra_columns: true
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assay.errors import NotFoundError, SchemaError

ColumnType = Literal[
    "integer", "float", "number", "string", "boolean", "categorical", "date", "datetime"
]
#: A population category that collects every category of the data the marginals do not list.
OTHER_KEY = "(other)"
#: Population shares must add up to 1 within this tolerance (then they are rescaled to 1).
SHARE_TOLERANCE = 0.02


class ColumnRule(BaseModel):
    """What one column must hold."""

    model_config = ConfigDict(extra="forbid")

    type: ColumnType | None = None
    nullable: bool = True
    required: bool = True
    min: float | None = None
    max: float | None = None
    allowed: list[str | int | float | bool] | None = None
    pattern: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class DataSchema(BaseModel):
    """The declared columns of a dataset."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, ColumnRule] = Field(min_length=1)
    allow_extra_columns: bool = True


class Population(BaseModel):
    """Population shares of each category of some features, with where they come from."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1)
    year: int | str | None = None
    marginals: dict[str, dict[str, float]] = Field(min_length=1)

    @field_validator("marginals")
    @classmethod
    def _shares(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for feature, shares in value.items():
            if len(shares) < 2:
                raise ValueError(f"'{feature}' needs at least two categories")
            bad = [k for k, v in shares.items() if not (math.isfinite(v) and v >= 0)]
            if bad:
                raise ValueError(f"'{feature}' has shares that are not numbers >= 0: {bad}")
            total = sum(shares.values())
            if abs(total - 1.0) > SHARE_TOLERANCE:
                raise ValueError(
                    f"the shares of '{feature}' add up to {total:.4f}; they must add up to 1 "
                    f"(within {SHARE_TOLERANCE}); add a '{OTHER_KEY}' category for the rest"
                )
            out[feature] = {k: v / total for k, v in shares.items()}
        return out


def _read(source: Any, what: str) -> tuple[Any, str]:
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.exists():
            raise NotFoundError(f"The {what} file '{path}' does not exist.")
        try:
            return yaml.safe_load(path.read_text(encoding="utf-8")), str(path)
        except yaml.YAMLError as exc:
            raise SchemaError(f"The {what} file '{path}' is not valid YAML: {exc}") from None
    return source, f"the {what}"


def _explain(exc: ValidationError, where: str) -> SchemaError:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {loc}: {err['msg']}")
    return SchemaError(f"{where} is not valid:\n" + "\n".join(lines))


def load_schema(source: Any) -> DataSchema:
    """A :class:`DataSchema` from a model, a mapping or a YAML file."""
    if isinstance(source, DataSchema):
        return source
    raw, where = _read(source, "schema")
    try:
        return DataSchema.model_validate(raw)
    except ValidationError as exc:
        raise _explain(exc, where) from None


def load_population(source: Any) -> Population:
    """A :class:`Population` from a model, a mapping or a YAML file."""
    if isinstance(source, Population):
        return source
    raw, where = _read(source, "population")
    try:
        return Population.model_validate(raw)
    except ValidationError as exc:
        raise _explain(exc, where) from None
