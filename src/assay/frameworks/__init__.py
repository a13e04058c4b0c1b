"""Frameworks as data and the coverage of their items by a system's evidence.

Three catalogs ship as YAML in this package, each naming its source and the date it was
transcribed: NIST AI RMF 1.0 (functions, categories, subcategories with their text), EU AI Act
Annex IV (the nine sections of technical documentation) and ISO/IEC 42001:2023 Annex A (control
ids and titles only). ``crosswalk.yaml`` maps Assay's evidence kinds and governance records
(*signals*) to their items; :func:`framework_coverage` computes, for one system, which items are
covered, the percentage per framework, and what is missing.

Examples
--------
>>> from assay.frameworks import get_framework, load_crosswalk
>>> nist = get_framework("nist-ai-rmf-1.0")
>>> len(nist.leaves), nist.item("MEASURE 2.11").parent
(72, 'MEASURE 2')
>>> load_crosswalk().mapping(nist.id, "MEASURE 2.10").signals
('evidence.pii_scan',)
"""

from __future__ import annotations

from assay.frameworks._catalog import (
    FRAMEWORK_FILES,
    Framework,
    FrameworkItem,
    FrameworkSource,
    get_framework,
    list_frameworks,
    load_framework,
)
from assay.frameworks._coverage import (
    COVERAGE_SCHEMA,
    ITEM_STATUSES,
    CoverageReport,
    FrameworkCoverage,
    ItemCoverage,
    coverage_markdown,
    framework_coverage,
)
from assay.frameworks._crosswalk import Crosswalk, Mapping, Signal, load_crosswalk
from assay.frameworks._genai_taxonomy import (
    GENAI_TAXONOMY_FILES,
    CategoryTally,
    GenaiTaxonomy,
    RiskCoverage,
    genai_coverage,
    load_genai_taxonomy,
)
from assay.frameworks._signals import (
    SIGNAL_IDS,
    SignalState,
    SystemFacts,
    detect_signals,
    gather_facts,
)

__all__ = [
    "COVERAGE_SCHEMA",
    "FRAMEWORK_FILES",
    "GENAI_TAXONOMY_FILES",
    "ITEM_STATUSES",
    "SIGNAL_IDS",
    "CategoryTally",
    "CoverageReport",
    "Crosswalk",
    "Framework",
    "FrameworkCoverage",
    "FrameworkItem",
    "FrameworkSource",
    "GenaiTaxonomy",
    "ItemCoverage",
    "Mapping",
    "RiskCoverage",
    "Signal",
    "SignalState",
    "SystemFacts",
    "coverage_markdown",
    "detect_signals",
    "framework_coverage",
    "gather_facts",
    "genai_coverage",
    "get_framework",
    "list_frameworks",
    "load_crosswalk",
    "load_framework",
    "load_genai_taxonomy",
]
