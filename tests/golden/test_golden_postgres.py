"""The documents and records of the golden workspace are the same on PostgreSQL as on SQLite.

The golden workspace is built again, through the same API calls, in a fresh schema of the server
named by ``ASSAY_TEST_POSTGRES_URL`` (the postgres lane), and the workspace commands print what
the SQLite goldens hold, byte for byte after normalisation. Each document is compared in its
JSON form (Markdown and HTML render that same document, whatever the database), with every
record listing, the exports and the frozen packet: a command on PostgreSQL takes up to a second.
These tests only compare: ``ASSAY_UPDATE_GOLDEN=1`` skips them, the goldens are SQLite's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from golden_house import REPORT_DAY, build_house
from golden_support import UPDATE, CliWorker, Golden
from test_golden_documents import DOCUMENTS, PRINTED, TRANSCRIPTS

from pg_schema import fresh_schema

pytestmark = pytest.mark.postgres

#: Golden name -> arguments; the printed output is compared, or the transcript of the last two.
COMPARED: dict[str, tuple[str, ...]] = {
    **{f"documents/{doc}.json": (*args, "-f", "json") for doc, args in DOCUMENTS.items()},
    **{name: args for name, args in PRINTED.items() if not name.startswith("frameworks/")},
    **{name: TRANSCRIPTS[name] for name in ("documents/packet-verify.txt",
                                             "governance/audit-verify.txt")},
}  # fmt: skip


@pytest.fixture(scope="module")
def pg_house(root: Path, inputs: Path, api_results: dict[str, Any]) -> Iterator[Path]:
    with fresh_schema("assay_golden") as url:
        ws = build_house(root / "house-pg", inputs, api_results, db_url=url)
        ws.close()
        yield root / "house-pg"


@pytest.mark.skipif(UPDATE, reason="the goldens are SQLite's; compare once they are rewritten")
@pytest.mark.parametrize("name", COMPARED)
def test_same_as_sqlite(name: str, pg_house: Path, worker: CliWorker, golden: Golden) -> None:
    run = worker.run(*COMPARED[name], cwd=pg_house, clock=REPORT_DAY)
    golden.check(name, run.transcript() if name.endswith(".txt") else run.out)
