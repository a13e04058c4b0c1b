"""Write a system's standard exports, its framework coverage and its ISO/IEC 42001 statement of
applicability into one folder (for the demo)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assay.documents import render_document
from assay.errors import InputError
from assay.exports._common import write_json
from assay.exports._cyclonedx import cyclonedx_bom
from assay.exports._oscal import oscal_assessment_results, oscal_poam
from assay.exports._soa import StatementOfApplicability, build_soa
from assay.exports._soa_document import soa_csv, soa_document
from assay.frameworks import CoverageReport, coverage_markdown, framework_coverage
from assay.governance import file_slug

if TYPE_CHECKING:
    from assay.governance import Workspace
    from assay.policy import Policy

__all__ = ["SystemExports", "write_system_exports"]


@dataclass(frozen=True, slots=True)
class SystemExports:
    """What :func:`write_system_exports` wrote, and the coverage it computed."""

    cyclonedx: Path
    coverage_json: Path
    coverage_markdown: Path
    assessment_results: Path | None
    poam: Path | None
    coverage: CoverageReport
    soa: tuple[Path, ...] = ()
    """The statement of applicability: Markdown, HTML and CSV."""
    statement: StatementOfApplicability | None = None

    @property
    def paths(self) -> list[Path]:
        """Every file written."""
        return [
            p
            for p in (
                self.cyclonedx,
                self.coverage_json,
                self.coverage_markdown,
                self.assessment_results,
                self.poam,
                *self.soa,
            )
            if p is not None
        ]


def write_system_exports(
    ws: Workspace,
    system: str,
    folder: str | Path,
    *,
    model_version: str | None = None,
    policy: Policy | None = None,
) -> SystemExports:
    """Write the CycloneDX ML-BOM, the OSCAL documents and the framework coverage of a system.

    Files, named after the system (:func:`assay.governance.file_slug` of its name, the name
    itself when it is made of letters, digits and ``._-``): ``SYSTEM.cdx.json`` (CycloneDX 1.6),
    ``SYSTEM.coverage.json`` and ``SYSTEM.coverage.md`` (every framework),
    ``SYSTEM.oscal-ar.json`` (when the system has evidence), ``SYSTEM.oscal-poam.json``
    (when it has open risks) and the ISO/IEC 42001 statement of applicability with the system in
    scope, ``SYSTEM.soa.md``, ``SYSTEM.soa.html`` and ``SYSTEM.soa.csv``.

    Parameters
    ----------
    ws
        The open workspace.
    system
        The system's name.
    folder
        Created if needed.
    model_version
        The model version to describe; default: the latest.
    policy
        Default: the shipped default policy.

    Returns
    -------
    SystemExports
        The paths written and the coverage report (print ``coverage.frameworks[i].percent``).
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    stem = file_slug(system)  # never a path built from the raw name
    bom = write_json(
        cyclonedx_bom(ws, system, model_version=model_version), out / f"{stem}.cdx.json"
    )
    report = framework_coverage(ws, system, policy=policy)
    cov_json = out / f"{stem}.coverage.json"
    cov_json.write_text(report.to_json(), encoding="utf-8")
    cov_md = out / f"{stem}.coverage.md"
    cov_md.write_text(coverage_markdown(report), encoding="utf-8")
    ar: Path | None
    poam: Path | None
    try:
        ar = write_json(
            oscal_assessment_results(ws, system, model_version=model_version, policy=policy),
            out / f"{stem}.oscal-ar.json",
        )
    except InputError:  # no evidence yet: nothing to assess
        ar = None
    try:
        poam = write_json(
            oscal_poam(ws, system, model_version=model_version), out / f"{stem}.oscal-poam.json"
        )
    except InputError:  # no open risk: no plan of action
        poam = None
    return SystemExports(bom, cov_json, cov_md, ar, poam, report,
                         *_write_soa(ws, system, out / f"{stem}.soa", policy))  # fmt: skip


def _write_soa(
    ws: Workspace, system: str, stem: Path, policy: Policy | None
) -> tuple[tuple[Path, ...], StatementOfApplicability]:
    statement = build_soa(ws, systems=[system], policy=policy)
    doc = soa_document(statement)
    paths = []
    for fmt in ("md", "html"):
        path = stem.with_name(f"{stem.name}.{fmt}")
        path.write_bytes(render_document(doc, fmt))
        paths.append(path)
    table = stem.with_name(f"{stem.name}.csv")
    table.write_text(soa_csv(statement), encoding="utf-8")
    return (*paths, table), statement
