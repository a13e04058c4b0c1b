"""Validators for the official schemas shipped in tests/data/schemas (see the README there).

Both schemas are JSON Schema draft-07. References resolve from a local registry only: a reference
that is not shipped fails instead of being fetched. OSCAL's ``TokenDatatype`` pattern uses the
ECMA-262 Unicode property escapes ``\\p{L}`` (letter) and ``\\p{N}`` (number), which Python's ``re``
does not know; they are translated to ``[^\\W\\d_]`` and ``\\d`` (tested below on tokens).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, ValidationError, validators
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
CYCLONEDX = SCHEMAS / "cyclonedx"
OSCAL = SCHEMAS / "oscal" / "oscal_complete_schema.json"


def ecma_to_python(pattern: str) -> str:
    """Translate the two ECMA-262 Unicode property escapes OSCAL uses into Python ``re`` syntax."""
    return pattern.replace(r"\p{L}", r"[^\W\d_]").replace(r"\p{N}", r"\d")


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(ecma_to_python(pattern))


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft7Validator, {"pattern": _pattern})


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _no_fetch(uri: str) -> Resource[Any]:
    raise LookupError(f"the schema refers to {uri}, which is not shipped; nothing is fetched")


def cyclonedx_validator() -> Any:
    """A validator of CycloneDX 1.6 JSON BOMs, with the SPDX and JSF schemas it references."""
    bom = _load(CYCLONEDX / "bom-1.6.SNAPSHOT.schema.json")
    registry: Registry[Any] = Registry(retrieve=_no_fetch)  # type: ignore[call-arg]
    base = "http://cyclonedx.org/schema/"
    for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"):
        contents = _load(CYCLONEDX / name)
        resource = DRAFT7.create_resource(contents)
        registry = registry.with_resource(base + name, resource)
        registry = registry.with_resource(contents["$id"], resource)
    return _Validator(bom, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


@functools.cache
def oscal_schema() -> dict[str, Any]:
    return _load(OSCAL)


def oscal_validator(model: str | None = None) -> Any:
    """A validator of OSCAL documents: the complete schema, unmodified, when ``model`` is None;
    otherwise the same schema with its root narrowed to that model (the root is a ``oneOf`` over
    every model, whose error messages name no field)."""
    schema = oscal_schema()
    registry: Registry[Any] = Registry(retrieve=_no_fetch)  # type: ignore[call-arg]
    if model is None:
        return _Validator(schema, registry=registry)
    branches = [b for b in schema["oneOf"] if model in b.get("required", ())]
    assert len(branches) == 1, f"the OSCAL schema has no root model {model!r}"
    narrowed = {k: v for k, v in schema.items() if k != "oneOf"}
    narrowed.update(branches[0])
    return _Validator(narrowed, registry=registry)


def errors(validator: Any, document: Any) -> list[str]:
    """Every validation error as 'path: message', best match first."""
    found = list(validator.iter_errors(document))
    if not found:
        return []
    first = best_match(found)
    ordered = [first] + [e for e in found if e is not first]
    return [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:300]}" for e in ordered]
