"""Reading YAML documents with errors that name the file, the line and the field."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from assay.errors import NotFoundError, SchemaError
from assay.policy._model import Policy

M = TypeVar("M", bound=BaseModel)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at ``loc``, or of its deepest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    key_line = line
    for part in loc:
        if part == "[key]":  # pydantic's marker for an invalid mapping key: point at the key
            return key_line
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
            if pair is None:
                return line
            key_line = pair[0].start_mark.line + 1
            node = pair[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def load_yaml_model(path: Path, model: type[M], *, what: str) -> M:
    """Parse ``path`` as YAML and validate it against ``model``.

    Raises
    ------
    NotFoundError
        The file does not exist.
    SchemaError
        The YAML does not parse or does not match the schema; the message names the file, the
        line and the field of every problem (at most ten).
    """
    if not path.exists():
        raise NotFoundError(f"The {what} file '{path}' does not exist.")
    text = path.read_text(encoding="utf-8")
    return parse_yaml_model(text, model, what=what, source=str(path))


def parse_yaml_model(text: str, model: type[M], *, what: str, source: str) -> M:
    """Validate YAML ``text`` against ``model``; errors name ``source``, line and field."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SchemaError(f"{source}{where}: the {what} is not valid YAML: {problem}.") from None
    if not isinstance(data, dict):
        raise SchemaError(f"{source}: the {what} must be a YAML mapping (key: value lines).")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:10]:
            loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
            field = ".".join(str(p) for p in loc if p != "[key]") or "(top level)"
            line = _line_of(root, loc)
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                message = "this field is not part of the schema (a typo?)"
            problems.append(f"{source}, line {line}, field '{field}': {message}")
        more = len(exc.errors()) - len(problems)
        tail = f"\n(and {more} more)" if more > 0 else ""
        raise SchemaError(
            f"The {what} does not match its schema:\n" + "\n".join(problems) + tail
        ) from None


def load_policy(path: str | Path | None = None) -> Policy:
    """Load a policy file, or the shipped default policy when ``path`` is None.

    Examples
    --------
    >>> from assay.policy import load_policy
    >>> policy = load_policy()
    >>> sorted(policy.tiers)
    ['high', 'limited', 'minimal']
    >>> policy.thresholds.fairness["demographic_parity_difference"]
    0.1
    """
    if path is None:
        text = resources.files("assay.policy").joinpath("default.yaml").read_text(encoding="utf-8")
        return parse_yaml_model(text, Policy, what="policy", source="default policy")
    return load_yaml_model(Path(path), Policy, what="policy")


def policy_json_schema() -> str:
    """The policy file's JSON Schema, as published in ``docs/schemas/policy-v1.schema.json``."""
    schema: dict[str, Any] = Policy.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:assay:schema:policy-v1"
    schema["title"] = "Assay policy (assay.policy/v1)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
