"""One base for every versioned result: a frozen JSON payload and the schema it follows.

Every result Assay computes (a fairness evaluation, a drift check, a PII scan, a gate decision, a
red-team summary, ...) is a :class:`Result`: it holds one JSON payload whose ``schema`` key names
a versioned schema (``assay.fairness/v1``), and a ``TypedDict`` (:attr:`Result.Payload`) names
that payload's top-level keys, so that ``mypy`` checks the code that builds and reads it. The
base class holds what every result shares:

- :meth:`Result.from_dict` and :meth:`Result.from_json` rebuild a result, refusing (with
  :class:`~assay.errors.SchemaError`) a payload of another schema or one missing a required key;
- :meth:`Result.to_dict` (a deep copy) and :meth:`Result.to_json`;
- :attr:`Result.schema` and equality (same class, same payload).

In a Jupyter notebook a result shows itself as its report (:meth:`Result._repr_html_`): a subclass
names the function that renders its HTML report in :attr:`Result.HTML_REPORT` as an import path
(``"assay.documents:render_fairness_html"``). The renderers live in the packages above the results
(they import them), so the path is resolved only when a notebook asks; the page is shown in a
sandboxed frame (:func:`notebook_html`) so its stylesheet stays inside it, and opens offline.

Each subclass adds its views (``overall``, ``by_group()``, ``outcome``, ...). Defining a subclass
with a ``SCHEMA`` registers it; :func:`load_result` rebuilds a payload with the class registered
for its ``schema`` (the class's package must have been imported: the registry lives here, at the
bottom of the layers, and knows no package above it).

>>> from typing import TypedDict
>>> class CountPayload(TypedDict):
...     schema: str
...     n: int
>>> class Count(Result[CountPayload]):
...     SCHEMA = "assay.example-count/v1"
...     Payload = CountPayload
>>> Count.from_dict({"schema": "assay.example-count/v1", "n": 3}).to_json(indent=None)
'{"schema": "assay.example-count/v1", "n": 3}'
>>> Count.from_dict({"schema": "assay.example-count/v1"})
Traceback (most recent call last):
...
assay.errors.SchemaError: The 'assay.example-count/v1' result is missing the keys: n.
>>> loaded = load_result({"schema": "assay.example-count/v1", "n": 3})
>>> type(loaded).__name__, loaded.to_dict()
('Count', {'schema': 'assay.example-count/v1', 'n': 3})
"""

from __future__ import annotations

import copy
import html
import importlib
import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import FrozenInstanceError
from typing import Any, ClassVar, Generic, Self, TypeVar, Union, cast

from assay.errors import SchemaError

__all__ = ["Result", "load_result", "notebook_html", "result_types"]

_P = TypeVar("_P", bound=Mapping[str, Any])

_REGISTRY: dict[str, type[Result[Any]]] = {}


def result_types() -> dict[str, type[Result[Any]]]:
    """Every registered result class, by the schema id it reads and writes.

    Only classes whose package has been imported are registered.
    """
    return dict(_REGISTRY)


class Result(Generic[_P]):
    """A frozen, JSON-serialisable result in one versioned schema.

    Subclasses set :attr:`SCHEMA` and :attr:`Payload` and are built from a payload of that type
    (``FairnessResult(payload)``); they never change it after.
    """

    #: The schema id every payload of this class carries in its ``schema`` key.
    SCHEMA: ClassVar[str] = ""
    #: The ``TypedDict`` of the payload's top-level keys (required and optional).
    Payload: ClassVar[type[Mapping[str, Any]]]
    #: What the messages call a payload of this class ("result", "profile", "comparison").
    NOUN: ClassVar[str] = "result"
    #: ``default`` of :func:`json.dumps` in :meth:`to_json` (None: only JSON types).
    JSON_DEFAULT: ClassVar[Callable[[Any], Any] | None] = None
    #: ``"module:function"`` rendering the payload as the report's HTML page ("": none).
    HTML_REPORT: ClassVar[str] = ""

    _payload: _P

    def __init__(self, payload: _P) -> None:
        object.__setattr__(self, "_payload", payload)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "SCHEMA" not in cls.__dict__:
            return
        payload = getattr(cls, "Payload", None)
        if payload is None or "schema" not in getattr(payload, "__annotations__", {}):
            raise TypeError(
                f"{cls.__qualname__} sets SCHEMA but no Payload TypedDict with 'schema'."
            )
        known = _REGISTRY.get(cls.SCHEMA)
        same = known is not None and (known.__module__, known.__qualname__) == (
            cls.__module__,
            cls.__qualname__,
        )
        if known is not None and not same:
            raise TypeError(
                f"Two result classes read '{cls.SCHEMA}': {known.__module__}.{known.__qualname__} "
                f"and {cls.__module__}.{cls.__qualname__}."
            )
        _REGISTRY[cls.SCHEMA] = cls  # a class rebuilt by @dataclass(slots=True) replaces itself

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._data() == cast(Result[Any], other)._data()

    __hash__ = None  # type: ignore[assignment]  # a payload is a dict: results are not hashable

    def __repr__(self) -> str:
        return f"{type(self).__name__}(schema={self.schema!r})"

    def _repr_html_(self) -> str | None:
        """The result's HTML report, for Jupyter (None when it has none: the text repr shows)."""
        if not self.HTML_REPORT:
            return None
        module, _, function = self.HTML_REPORT.partition(":")
        render = getattr(importlib.import_module(module), function)
        return notebook_html(str(render(self.to_dict())))

    # -- the payload --------------------------------------------------------------------------

    def _data(self) -> Mapping[str, Any]:
        """The payload itself, not a copy: read it, never change it."""
        return self._payload

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> Self:
        """Build the result from a payload :meth:`from_dict` has checked (and copied)."""
        return cls(cast(_P, payload))

    @classmethod
    def required_keys(cls) -> tuple[str, ...]:
        """The top-level keys every payload has, in the order :attr:`Payload` declares them."""
        required: frozenset[str] = getattr(cls.Payload, "__required_keys__", frozenset())
        return tuple(k for k in cls.payload_keys() if k in required)

    @classmethod
    def payload_keys(cls) -> tuple[str, ...]:
        """Every top-level key a payload may have, in the order :attr:`Payload` declares them."""
        return tuple(getattr(cls.Payload, "__annotations__", {}))

    # -- reading and writing ------------------------------------------------------------------

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> Self:
        """Rebuild a result from :meth:`to_dict` output (for example a recorded evidence file).

        Raises
        ------
        assay.errors.SchemaError
            If ``payload`` is not a mapping, names another schema, or lacks a required key.
        """
        if not isinstance(payload, Mapping) or payload.get("schema") != cls.SCHEMA:
            found = (
                payload.get("schema") if isinstance(payload, Mapping) else type(payload).__name__
            )
            raise SchemaError(f"Expected a {cls.NOUN} with schema '{cls.SCHEMA}', found {found!r}.")
        missing = [k for k in cls.required_keys() if k not in payload]
        if missing:
            raise SchemaError(
                f"The '{cls.SCHEMA}' {cls.NOUN} is missing the keys: {', '.join(missing)}."
            )
        return cls._from_payload(copy.deepcopy(dict(payload)))

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Rebuild a result from :meth:`to_json` output.

        Raises
        ------
        assay.errors.SchemaError
            If ``text`` is not JSON, or not a payload of this schema.
        """
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"The {cls.NOUN} is not valid JSON: {exc}.") from None
        return cls.from_dict(payload)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the result as plain JSON types."""
        return copy.deepcopy(dict(self._data()))

    def to_json(self, *, indent: int | None = 2) -> str:
        """The result as JSON text (keys in the payload's order)."""
        return json.dumps(
            self._data(), indent=indent, ensure_ascii=False, default=type(self).JSON_DEFAULT
        )

    @property
    def schema(self) -> str:
        """The schema identifier, for example ``assay.fairness/v1``."""
        return str(self._data()["schema"])

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The payload's JSON Schema (draft 2020-12), generated from :attr:`Payload`.

        Every key the ``TypedDict`` declares, with its type, as deep as the ``TypedDict`` types it
        (a ``dict[str, Any]`` value is any object); required keys are required and no other key
        is allowed. ``scripts/write_result_schemas.py`` publishes them in ``docs/schemas``.
        """
        name, _, version = cls.SCHEMA.removeprefix("assay.").partition("/")
        body = _object_schema(cls.Payload)
        body["properties"]["schema"] = {"const": cls.SCHEMA}
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:assay:schema:{name}:{version}",
            "title": f"Assay {cls.NOUN} ({cls.SCHEMA})",
            "description": (cls.Payload.__doc__ or "").strip(),
            **body,
        }


def notebook_html(page: str, *, height: str = "36em") -> str:
    """A self-contained HTML page as a notebook shows it: in a sandboxed frame (no scripts, its
    stylesheet kept inside), ``height`` tall and resizable.

    >>> notebook_html("<p>a & b</p>")[:60]
    '<iframe sandbox="" title="Assay report" srcdoc="&lt;p&gt;a &'
    """
    return (
        f'<iframe sandbox="" title="Assay report" srcdoc="{html.escape(page, quote=True)}" '
        f'style="width:100%;height:{height};border:1px solid #d0d7de;resize:vertical"></iframe>'
    )


def load_result(payload: Mapping[str, Any]) -> Result[Any]:
    """Rebuild any registered result from its payload, by the payload's ``schema``.

    Raises
    ------
    assay.errors.SchemaError
        If no imported result class reads the payload's schema, or the payload is invalid.
    """
    schema = payload.get("schema") if isinstance(payload, Mapping) else None
    cls = _REGISTRY.get(schema) if isinstance(schema, str) else None
    if cls is None:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise SchemaError(
            f"No result class reads schema {schema!r}; import the package that defines it "
            f"(registered: {known})."
        )
    return cls.from_dict(payload)


def _object_schema(typed_dict: Any) -> dict[str, Any]:
    """The JSON Schema of a ``TypedDict``: its keys, their types, the required ones."""
    hints = typing.get_type_hints(typed_dict)
    keys = list(typed_dict.__annotations__)
    return {
        "type": "object",
        "properties": {k: _type_schema(hints[k]) for k in keys},
        "required": [k for k in keys if k in typed_dict.__required_keys__],
        "additionalProperties": False,
    }


_SIMPLE: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def _type_schema(tp: Any) -> dict[str, Any]:
    """The JSON Schema of one annotation (the types payloads use; anything else is refused)."""
    if tp is Any:
        return {}
    if tp in _SIMPLE:
        return {"type": _SIMPLE[tp]}
    if typing.is_typeddict(tp):
        return _object_schema(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        members = [_type_schema(a) for a in args]
        if all(set(m) == {"type"} for m in members):
            return {"type": [m["type"] for m in members]}
        return {"anyOf": members}
    if origin is list:
        return {"type": "array", "items": _type_schema(args[0])}
    if origin is dict:
        values = _type_schema(args[1])
        return {"type": "object", **({"additionalProperties": values} if values else {})}
    raise TypeError(f"No JSON Schema for the payload type {tp!r}.")
