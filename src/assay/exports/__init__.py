"""Exports of a system's records to standard formats: CycloneDX 1.6 ML-BOM and OSCAL.

:func:`cyclonedx_bom` describes the system, its model (with a model card whose metrics come from
the latest recorded fairness evidence) and its datasets with their sha256.
:func:`oscal_assessment_results` reports the recorded evaluations and their verdicts as OSCAL
observations and findings; :func:`oscal_poam` turns open risks and their remediation actions into
a plan of action and milestones. :func:`write_system_exports` writes all of them and the framework
coverage into one folder. UUIDs derive from record ids and timestamps come from the records, so
re-exporting unchanged records gives identical files.

:func:`bi_table` flattens the program's KPIs, risks, actions, waivers and reviews into tables of
stable, typed columns for BI tools, written by :func:`bi_csv` and :func:`bi_parquet`.

:func:`build_soa` is the ISO/IEC 42001 statement of applicability of the systems in scope, as a
document (:func:`soa_document`) and a CSV export (:func:`soa_csv`).

(The Hugging Face model card and Croissant exports live in :mod:`assay.documents`.)
"""

from __future__ import annotations

from assay.exports._bi import (
    BI_COLUMNS,
    BI_KINDS,
    BiColumn,
    BiTable,
    BiValue,
    bi_table,
    check_bi_kind,
)
from assay.exports._bi_write import BI_FORMATS, bi_bytes, bi_csv, bi_json_rows, bi_parquet, write_bi
from assay.exports._common import ASSAY_NAMESPACE, write_json
from assay.exports._csv_cells import FORMULA_STARTS, csv_text
from assay.exports._cyclonedx import CYCLONEDX_SPEC_VERSION, cyclonedx_bom, performance_metrics
from assay.exports._oscal import OSCAL_NS, OSCAL_VERSION, oscal_assessment_results, oscal_poam
from assay.exports._soa import (
    ISO_42001,
    SOA_SCHEMA,
    SOA_STATUSES,
    SoaControl,
    SoaEvidence,
    SoaGap,
    StatementOfApplicability,
    build_soa,
)
from assay.exports._soa_document import SOA_COLUMNS, soa_csv, soa_document
from assay.exports._write import SystemExports, write_system_exports

__all__ = [
    "ASSAY_NAMESPACE",
    "BI_COLUMNS",
    "BI_FORMATS",
    "BI_KINDS",
    "CYCLONEDX_SPEC_VERSION",
    "FORMULA_STARTS",
    "ISO_42001",
    "OSCAL_NS",
    "OSCAL_VERSION",
    "SOA_COLUMNS",
    "SOA_SCHEMA",
    "SOA_STATUSES",
    "BiColumn",
    "BiTable",
    "BiValue",
    "SoaControl",
    "SoaEvidence",
    "SoaGap",
    "StatementOfApplicability",
    "SystemExports",
    "bi_bytes",
    "bi_csv",
    "bi_json_rows",
    "bi_parquet",
    "bi_table",
    "build_soa",
    "check_bi_kind",
    "csv_text",
    "cyclonedx_bom",
    "oscal_assessment_results",
    "oscal_poam",
    "performance_metrics",
    "soa_csv",
    "soa_document",
    "write_bi",
    "write_json",
    "write_system_exports",
]
