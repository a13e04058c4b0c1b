"""Generative-AI risk taxonomies: red-team categories mapped to OWASP LLM Top 10 and NIST AI 600-1.

``genai_taxonomy.yaml`` is the one place the mapping lives; the two taxonomies ship as catalogs
in the ``assay.framework/v1`` format (``owasp_llm_top_10_2025.yaml``, ``nist_ai_600_1.yaml``).
:func:`genai_coverage` turns per-category counts (probes of a suite, or cases and outcomes of a
red-team run) into one row per risk: which categories test it and how they fared.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assay.errors import SchemaError
from assay.frameworks._catalog import Framework, _flatten, _FrameworkFile
from assay.policy import parse_yaml_model

__all__ = [
    "GENAI_TAXONOMY_FILES",
    "CategoryTally",
    "GenaiTaxonomy",
    "RiskCoverage",
    "genai_coverage",
    "load_genai_taxonomy",
]

GENAI_TAXONOMY_FILES = ("owasp_llm_top_10_2025.yaml", "nist_ai_600_1.yaml")


class _CategoryFile(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    note: str = ""


class _TaxonomyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_: Literal["assay.genai-taxonomy/v1"] = Field(alias="schema")
    frameworks: tuple[str, ...] = Field(min_length=1)
    categories: dict[str, _CategoryFile]

    @model_validator(mode="after")
    def _lists(self) -> _TaxonomyFile:
        for name, entry in self.categories.items():
            extra = entry.model_extra or {}
            unknown = set(extra) - set(self.frameworks)
            if unknown:
                raise ValueError(
                    f"category {name!r} maps to unknown framework {sorted(unknown)[0]!r}; "
                    f"frameworks: {', '.join(self.frameworks)}"
                )
            for fw, ids in extra.items():
                if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                    raise ValueError(f"category {name!r}: {fw} must be a list of item ids")
        return self


@dataclass(frozen=True, slots=True)
class GenaiTaxonomy:
    """The taxonomies and the mapping of red-team categories to their items."""

    frameworks: tuple[Framework, ...]
    categories: Mapping[str, Mapping[str, tuple[str, ...]]]
    notes: Mapping[str, str]

    def items_of(self, category: str, framework_id: str) -> tuple[str, ...]:
        """The item ids of ``framework_id`` that ``category`` tests (empty when not mapped)."""
        return self.categories.get(category, {}).get(framework_id, ())


@dataclass(frozen=True, slots=True)
class CategoryTally:
    """What is known of one category: probes (a suite) or cases and outcomes (a run)."""

    cases: int
    passed: int | None = None
    failed: int | None = None


@dataclass(frozen=True, slots=True)
class RiskCoverage:
    """One risk of one taxonomy: the categories that test it and their totals."""

    framework: str
    id: str
    title: str
    categories: tuple[str, ...]
    cases: int
    passed: int | None
    failed: int | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        rate = None
        if self.passed is not None and self.failed is not None and self.passed + self.failed:
            rate = round(self.passed / (self.passed + self.failed), 6)
        return {
            "framework": self.framework,
            "id": self.id,
            "title": self.title,
            "categories": list(self.categories),
            "cases": self.cases,
            "passed": self.passed,
            "failed": self.failed,
            "pass_rate": rate,
        }


@functools.cache
def load_genai_taxonomy() -> GenaiTaxonomy:
    """The shipped taxonomies and mapping, checked: every id exists in its taxonomy.

    Examples
    --------
    >>> tax = load_genai_taxonomy()
    >>> tax.items_of("system_prompt_leakage", "owasp-llm-top-10-2025")
    ('LLM07', 'LLM02')
    >>> [len(f.items) for f in tax.frameworks]
    [10, 12]
    """
    root = resources.files("assay.frameworks")
    frameworks = tuple(
        _flatten(parse_yaml_model(root.joinpath(name).read_text("utf-8"), _FrameworkFile,
                                  what="framework", source=name))
        for name in GENAI_TAXONOMY_FILES
    )  # fmt: skip
    text = root.joinpath("genai_taxonomy.yaml").read_text("utf-8")
    file = parse_yaml_model(text, _TaxonomyFile, what="taxonomy", source="genai_taxonomy.yaml")
    by_id = {f.id: f for f in frameworks}
    categories: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, entry in file.categories.items():
        mapped: dict[str, tuple[str, ...]] = {}
        for fw_id, ids in (entry.model_extra or {}).items():
            known = {i.id for i in by_id[fw_id].items}
            bad = [i for i in ids if i not in known]
            if bad:
                raise SchemaError(f"genai_taxonomy.yaml: {name}: {fw_id} has no item {bad[0]!r}.")
            mapped[fw_id] = tuple(ids)
        categories[name] = mapped
    notes = {n: " ".join(e.note.split()) for n, e in file.categories.items() if e.note}
    return GenaiTaxonomy(frameworks, categories, notes)


def genai_coverage(tallies: Mapping[str, CategoryTally]) -> list[RiskCoverage]:
    """One row per risk of each taxonomy, from per-category tallies.

    Examples
    --------
    >>> rows = genai_coverage({"pii_leakage": CategoryTally(4, 3, 1)})
    >>> [(r.id, r.cases, r.passed) for r in rows if r.cases]
    [('LLM02', 4, 3), ('2.4', 4, 3)]
    """
    tax = load_genai_taxonomy()
    rows = []
    for fw in tax.frameworks:
        for item in fw.items:
            cats = tuple(c for c in tallies if item.id in tax.items_of(c, fw.id))
            counts = [tallies[c] for c in cats]
            outcomes = [t for t in counts if t.passed is not None and t.failed is not None]
            rows.append(
                RiskCoverage(
                    framework=fw.short_name,
                    id=item.id,
                    title=item.title,
                    categories=cats,
                    cases=sum(t.cases for t in counts),
                    passed=sum(t.passed or 0 for t in outcomes) if outcomes else None,
                    failed=sum(t.failed or 0 for t in outcomes) if outcomes else None,
                )
            )
    return rows
