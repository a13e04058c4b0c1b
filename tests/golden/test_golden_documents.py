"""Goldens of the governance documents, records and standard exports, printed by the CLI from the
golden workspace with its clock pinned on the report day (so ages, overdue counts and "as of"
dates are the same every day)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from golden_house import DATASET, REPORT_DAY, SYSTEM
from golden_support import CliWorker, Golden, Outputs, Run

from assay import governance as g

FORMATS = ("md", "html", "json")
DOCUMENTS: dict[str, tuple[str, ...]] = {
    "model-card": ("card", "model", SYSTEM),
    "system-card": ("card", "system", SYSTEM),
    "datasheet": ("datasheet", DATASET),
    "risk-assessment": ("report", "risk", SYSTEM),
    "decision-log": ("report", "decisions", SYSTEM),
    "program-report": ("report", "program", "--from", "2025-01-01", "--to", "2025-03-31"),
    "checklist": ("checklist", SYSTEM),
    "review-packet": ("packet", "show", "REV-1"),
}
#: Commands whose whole standard output is the golden (a document, JSON or CSV).
PRINTED: dict[str, tuple[str, ...]] = {
    "documents/model-card.huggingface.md": ("card", "model", SYSTEM, "--huggingface"),
    "documents/datasheet.croissant.json": ("datasheet", DATASET, "--croissant"),
    "documents/review-packet.canonical.json": ("packet", "show", "REV-1", "--canonical"),
    "documents/completeness.json": ("completeness", "REV-1", "--json"),
    "governance/kpis.json": ("kpis", "--from", "2025-01-01", "--to", "2025-03-31", "--json"),
    "governance/kpis.csv": ("kpis", "--from", "2025-01-01", "--to", "2025-03-31", "-f", "csv"),
    "governance/system-show.json": ("system", "show", SYSTEM, "--json"),
    "governance/system-list.json": ("system", "list", "--json"),
    "governance/risk-list.json": ("risk", "list", "--json"),
    "governance/action-list.json": ("action", "list", "--json"),
    "governance/waiver-list.json": ("waiver", "list", "--json"),
    "governance/incident-show.json": ("incident", "show", "INC-1", "--json"),
    "governance/review-show.json": ("review", "show", "REV-1", "--json"),
    "governance/evidence-list.json": ("evidence", "list", "--json"),
    "governance/audit-log.json": ("audit", "log", "--limit", "200", "--json"),
    "frameworks/coverage.json": ("frameworks", "coverage", SYSTEM, "-f", "json"),
    "frameworks/coverage.md": ("frameworks", "coverage", SYSTEM, "-f", "md"),
    "exports/cyclonedx.json": ("bom", "cyclonedx", SYSTEM),
    "exports/oscal-assessment-results.json": ("oscal", "assessment-results", SYSTEM),
    "exports/oscal-poam.json": ("oscal", "poam", SYSTEM),
}
#: Commands kept as transcripts: what the terminal shows, and the exit code.
TRANSCRIPTS: dict[str, tuple[str, ...]] = {
    "documents/card-to-file.txt": ("card", "model", SYSTEM, "-f", "html", "-o", "out/card.html"),
    "documents/packet-verify.txt": ("packet", "verify", "REV-1"),
    "documents/completeness-table.txt": ("completeness", "REV-1"),
    "documents/completeness-strict.txt": ("completeness", "REV-1", "--strict"),
    "governance/kpis-table.txt": ("kpis", "--from", "2025-01-01", "--to", "2025-03-31"),
    "governance/risk-list-table.txt": ("risk", "list"),
    "governance/system-list-table.txt": ("system", "list"),
    "governance/audit-verify.txt": ("audit", "verify"),
    "frameworks/coverage-table.txt": ("frameworks", "coverage", SYSTEM, "--framework", "nist"),
    "frameworks/list.txt": ("frameworks", "list"),
}

#: Commands that write (kept as transcripts), run in order on a copy of the golden workspace.
WRITES: dict[str, tuple[str, ...]] = {
    "documents/packet-build.txt": ("packet", "build", "REV-1"),
    "documents/packet-verify-rebuilt.txt": ("packet", "verify", "REV-1"),
}

GOLDENS = [
    *(f"documents/{doc}.{fmt}" for doc in DOCUMENTS for fmt in FORMATS),
    *PRINTED,
    *TRANSCRIPTS,
    *WRITES,
]


@pytest.fixture(scope="module")
def outputs(
    house_cli: Callable[..., Run], house: g.Workspace, worker: CliWorker, root: Path
) -> Outputs:
    out = Outputs()
    copy = root / "house-writes"
    shutil.copytree(house.root, copy)
    for name, args in WRITES.items():
        out.run(name, worker.run(*args, cwd=copy, clock=REPORT_DAY))

    def printed(name: str, *args: str) -> None:
        run = house_cli(*args)
        assert run.code == 0, run.transcript()
        assert not run.err, run.transcript()
        out[name] = run.out

    for doc, args in DOCUMENTS.items():
        for fmt in FORMATS:
            printed(f"documents/{doc}.{fmt}", *args, "-f", fmt)
    for name, args in PRINTED.items():
        printed(name, *args)
    for name, args in TRANSCRIPTS.items():
        out.run(name, house_cli(*args))
    return out


@pytest.mark.parametrize("name", GOLDENS)
def test_golden(name: str, outputs: Outputs, golden: Golden) -> None:
    golden.check(name, outputs[name])


def test_printed_document_is_the_file_written(
    house_cli: Callable[..., Run], house: g.Workspace
) -> None:
    """``-o FILE`` writes the same bytes the command prints."""
    printed = house_cli("card", "model", SYSTEM, "-f", "html")
    house_cli("card", "model", SYSTEM, "-f", "html", "-o", "out/card-again.html")
    written = (house.root / "out" / "card-again.html").read_text(encoding="utf-8")
    assert written == printed.out
