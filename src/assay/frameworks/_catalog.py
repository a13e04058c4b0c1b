"""Framework catalogs as data: NIST AI RMF 1.0, EU AI Act Annex IV, ISO/IEC 42001:2023 Annex A.

Each catalog is a YAML file shipped in this package (``assay.framework/v1``), with its source named
and dated. Items nest (function → category → subcategory); the leaves are what coverage counts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assay.errors import InputError, NotFoundError
from assay.policy import load_yaml_model, parse_yaml_model

__all__ = [
    "FRAMEWORK_FILES",
    "Framework",
    "FrameworkItem",
    "FrameworkSource",
    "get_framework",
    "list_frameworks",
    "load_framework",
]

FRAMEWORK_FILES = (
    "nist_ai_rmf_1_0.yaml",
    "eu_ai_act_annex_iv.yaml",
    "iso_iec_42001_2023_annex_a.yaml",
)
"""The catalogs shipped with Assay, in the order they are listed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ItemFile(_Strict):
    id: str = Field(min_length=1)
    title: str = ""
    text: str = ""
    children: tuple[_ItemFile, ...] = ()

    @model_validator(mode="after")
    def _has_words(self) -> _ItemFile:
        if not self.title and not self.text:
            raise ValueError(f"item '{self.id}' needs a title or a text")
        return self


class FrameworkSource(_Strict):
    """Where a catalog's content comes from, and when it was transcribed."""

    publisher: str
    document: str
    published: str
    reference: str
    rights: str
    transcribed: str
    content: str


class _FrameworkFile(_Strict):
    schema_: Literal["assay.framework/v1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    name: str
    short_name: str
    version: str
    levels: tuple[str, ...] = Field(min_length=1)
    source: FrameworkSource
    items: tuple[_ItemFile, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class FrameworkItem:
    """One item of a framework: a function, category, subcategory, section, point or control."""

    id: str
    title: str
    text: str
    level: str
    parent: str | None
    children: tuple[str, ...]

    @property
    def is_leaf(self) -> bool:
        """Leaves are the items coverage is computed on."""
        return not self.children

    @property
    def label(self) -> str:
        """The title, or the text when the item has no title (NIST subcategories)."""
        return self.title or self.text


@dataclass(frozen=True, slots=True)
class Framework:
    """A framework catalog: its items in document order, and its source."""

    id: str
    name: str
    short_name: str
    version: str
    levels: tuple[str, ...]
    source: FrameworkSource
    items: tuple[FrameworkItem, ...]

    @property
    def leaves(self) -> tuple[FrameworkItem, ...]:
        """The assessable items (subcategories, points, controls), in document order."""
        return tuple(i for i in self.items if i.is_leaf)

    def item(self, item_id: str) -> FrameworkItem:
        """One item by its id; NotFoundError names the framework."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise NotFoundError(f"{self.short_name} has no item {item_id!r}.")

    def top_level(self, item_id: str) -> FrameworkItem:
        """The top-level ancestor of an item (a NIST function, an Annex IV section...)."""
        it = self.item(item_id)
        while it.parent is not None:
            it = self.item(it.parent)
        return it


def _flatten(file: _FrameworkFile) -> Framework:
    out: list[FrameworkItem] = []
    seen: set[str] = set()

    def walk(items: tuple[_ItemFile, ...], depth: int, parent: str | None) -> None:
        for it in items:
            if it.id in seen:
                raise InputError(f"The framework '{file.id}' lists the item {it.id!r} twice.")
            seen.add(it.id)
            level = file.levels[min(depth, len(file.levels) - 1)]
            out.append(
                FrameworkItem(
                    id=it.id,
                    title=it.title,
                    text=" ".join(it.text.split()),
                    level=level,
                    parent=parent,
                    children=tuple(c.id for c in it.children),
                )
            )
            walk(it.children, depth + 1, it.id)

    walk(file.items, 0, None)
    return Framework(
        id=file.id,
        name=file.name,
        short_name=file.short_name,
        version=file.version,
        levels=file.levels,
        source=file.source,
        items=tuple(out),
    )


def load_framework(path: str | Path) -> Framework:
    """Load a framework catalog from a YAML file (``schema: assay.framework/v1``).

    Raises
    ------
    NotFoundError
        The file does not exist.
    SchemaError
        The file does not match the schema; the message names the file, line and field.
    """
    return _flatten(load_yaml_model(Path(path), _FrameworkFile, what="framework catalog"))


@functools.cache
def _shipped() -> tuple[Framework, ...]:
    out = []
    for name in FRAMEWORK_FILES:
        text = resources.files("assay.frameworks").joinpath(name).read_text(encoding="utf-8")
        out.append(_flatten(parse_yaml_model(text, _FrameworkFile, what="framework", source=name)))
    return tuple(out)


def list_frameworks() -> tuple[Framework, ...]:
    """The framework catalogs shipped with Assay.

    Examples
    --------
    >>> [(f.id, len(f.leaves)) for f in list_frameworks()]
    [('nist-ai-rmf-1.0', 72), ('eu-ai-act-annex-iv', 23), ('iso-iec-42001-2023', 38)]
    """
    return _shipped()


def get_framework(name: str) -> Framework:
    """A shipped framework by id, or by an unambiguous prefix of its id (``nist``, ``iso``, ``eu``).

    Examples
    --------
    >>> get_framework("nist").item("MEASURE 2.11").parent
    'MEASURE 2'
    >>> get_framework("iso").item("A.7.5").title
    'Data provenance'
    """
    wanted = name.strip().lower()
    frameworks = list_frameworks()
    exact = [f for f in frameworks if f.id == wanted]
    if exact:
        return exact[0]
    matches = [f for f in frameworks if f.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(f.id for f in frameworks)
    if not matches:
        raise NotFoundError(f"There is no framework {name!r}. The frameworks are: {known}.")
    raise InputError(f"{name!r} matches several frameworks ({known}); name one.")
