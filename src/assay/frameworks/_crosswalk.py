"""The crosswalk: which Assay signals (evidence kinds, governance records) evidence which items.

The shipped crosswalk is ``crosswalk.yaml`` in this package; an organisation can copy and edit it.
Each mapping's ``requires`` lists signals; an entry that is a list means "any one of these".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assay.errors import SchemaError
from assay.frameworks._catalog import Framework, list_frameworks
from assay.policy import load_yaml_model, parse_yaml_model

__all__ = [
    "Crosswalk",
    "Mapping",
    "Signal",
    "load_crosswalk",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signal(_Strict):
    """Something Assay can check for a system, and the command that provides it."""

    label: str
    fix: str


class Mapping(_Strict):
    """The signals one framework item needs; a nested list is a set of alternatives."""

    requires: tuple[str | tuple[str, ...], ...] = Field(min_length=1)
    note: str = ""

    @property
    def groups(self) -> tuple[tuple[str, ...], ...]:
        """Each requirement as a tuple of alternatives (a single signal is a 1-tuple)."""
        return tuple((r,) if isinstance(r, str) else r for r in self.requires)

    @property
    def signals(self) -> tuple[str, ...]:
        """Every signal named, in order, without repeats."""
        return tuple(dict.fromkeys(s for g in self.groups for s in g))


class _CrosswalkFile(_Strict):
    schema_: Literal["assay.crosswalk/v1"] = Field(alias="schema")
    version: str = "1"
    signals: dict[str, Signal]
    frameworks: dict[str, dict[str, Mapping]]


@dataclass(frozen=True, slots=True)
class Crosswalk:
    """A validated crosswalk: signals, and per framework id a mapping of item id → Mapping."""

    version: str
    source: str
    signals: dict[str, Signal]
    frameworks: dict[str, dict[str, Mapping]]

    def mapping(self, framework: str, item: str) -> Mapping | None:
        """The mapping of one item, or None when Assay has no evidence for it."""
        return self.frameworks.get(framework, {}).get(item)

    def items_for(self, signal: str) -> list[tuple[str, str]]:
        """Every (framework id, item id) that names ``signal``."""
        return [
            (fw, item)
            for fw, items in self.frameworks.items()
            for item, m in items.items()
            if signal in m.signals
        ]


def _check(file: _CrosswalkFile, source: str, frameworks: tuple[Framework, ...]) -> Crosswalk:
    from assay.frameworks._signals import SIGNAL_IDS

    problems: list[str] = []
    for sid in file.signals:
        if sid not in SIGNAL_IDS:
            problems.append(f"signal '{sid}' is not one Assay can check (known: see SIGNAL_IDS)")
    by_id = {f.id: f for f in frameworks}
    for fw, items in file.frameworks.items():
        if fw not in by_id:
            problems.append(f"framework '{fw}' is not a catalog; known: {', '.join(by_id)}")
            continue
        leaves = {i.id for i in by_id[fw].leaves}
        for item, mapping in items.items():
            if item not in leaves:
                problems.append(f"{fw}: '{item}' is not an assessable item of the catalog")
            for sid in mapping.signals:
                if sid not in file.signals:
                    problems.append(f"{fw} {item}: signal '{sid}' is not declared under 'signals'")
    if problems:
        raise SchemaError(f"The crosswalk {source} is inconsistent:\n" + "\n".join(problems[:20]))
    return Crosswalk(
        version=file.version,
        source=source,
        signals=dict(file.signals),
        frameworks={k: dict(v) for k, v in file.frameworks.items()},
    )


@functools.cache
def _shipped() -> Crosswalk:
    text = resources.files("assay.frameworks").joinpath("crosswalk.yaml").read_text("utf-8")
    file = parse_yaml_model(text, _CrosswalkFile, what="crosswalk", source="crosswalk.yaml")
    return _check(file, "crosswalk.yaml", list_frameworks())


def load_crosswalk(path: str | Path | None = None) -> Crosswalk:
    """Load a crosswalk file, or the shipped one when ``path`` is None.

    Raises
    ------
    SchemaError
        The file does not match the schema, names an unknown signal, framework or item.

    Examples
    --------
    >>> cw = load_crosswalk()
    >>> cw.mapping("nist-ai-rmf-1.0", "MEASURE 2.11").signals
    ('evidence.fairness',)
    """
    if path is None:
        return _shipped()
    file = load_yaml_model(Path(path), _CrosswalkFile, what="crosswalk")
    return _check(file, str(path), list_frameworks())
