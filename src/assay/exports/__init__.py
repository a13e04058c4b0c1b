"""Exports of a system's records to standard formats: CycloneDX 1.6 ML-BOM and OSCAL.

:func:`cyclonedx_bom` describes the system, its model (with a model card whose metrics come from
the latest recorded fairness evidence) and its datasets with their sha256.
:func:`oscal_assessment_results` reports the recorded evaluations and their verdicts as OSCAL
observations and findings; :func:`oscal_poam` turns open risks and their remediation actions into
a plan of action and milestones. :func:`write_system_exports` writes all of them and the framework
coverage into one folder. UUIDs derive from record ids and timestamps come from the records, so
re-exporting unchanged records gives identical files.

(The Hugging Face model card and Croissant exports live in :mod:`assay.documents`.)
"""

from __future__ import annotations

from assay.exports._common import ASSAY_NAMESPACE, write_json
from assay.exports._cyclonedx import CYCLONEDX_SPEC_VERSION, cyclonedx_bom, performance_metrics
from assay.exports._oscal import OSCAL_NS, OSCAL_VERSION, oscal_assessment_results, oscal_poam
from assay.exports._write import SystemExports, write_system_exports

__all__ = [
    "ASSAY_NAMESPACE",
    "CYCLONEDX_SPEC_VERSION",
    "OSCAL_NS",
    "OSCAL_VERSION",
    "SystemExports",
    "cyclonedx_bom",
    "oscal_assessment_results",
    "oscal_poam",
    "performance_metrics",
    "write_json",
    "write_system_exports",
]
