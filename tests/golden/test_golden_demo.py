"""Goldens of ``assay demo``: what it prints and its exit code, every text file it writes (HTML,
Markdown, JSON, XML, YAML, JSON lines), the text of its PDFs, its data files (described in
``demo/files.txt``), and the web app's pages and ``/api`` JSON on the workspace it leaves.

The demo runs once per session on a frozen wall clock (:mod:`golden_demo`). It is one test, not one
per file: under pytest-xdist tests of a module spread over the workers, and each worker would run
the demo again. The failure lists every golden that differs, each with its diff.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path

import polars as pl
import pytest
from cli_worker import pinned_clock
from golden_demo import DEMO_DAY, DemoRun
from golden_support import FILES, REPO, REWRITE, UPDATE, Golden
from golden_web import PASSWORD, login, shown

from assay import governance as g

#: Files the demo generates as data, described (shape, schema, digest) rather than stored: the
#: Parquet files' bytes name the polars version that wrote them, and the support-chat log (1 MB of
#: planted personal data, the input of a scan whose reports are compared) is its sha256; an
#: incident bundle (zip) is the files it holds.
DATA = ("*.parquet", "support_chat.jsonl", "*.zip")
#: Written in the order the replies arrive (cases run concurrently): compared sorted.
ARRIVAL_ORDER = ("redteam/responses.jsonl",)
#: Pages and ``/api`` JSON of the demo workspace, as its analyst sees them. ``{review}`` is the
#: income model's review (after the program history's reviews).
WEB = {
    "/": "web/dashboard.html",
    "/systems/adult-income": "web/system.html",
    "/reviews/{review}": "web/review.html",
    "/risks": "web/risks.html",
    "/waivers": "web/waivers.html",
    "/api/systems": "web/api-systems.json",
    "/api/systems/adult-income": "web/api-system.json",
    "/api/risks": "web/api-risks.json",
    "/api/waivers": "web/api-waivers.json",
    "/api/reviews/{review}": "web/api-review.json",
    "/api/kpis": "web/api-kpis.json",
}


def test_demo(demo: DemoRun) -> None:
    run = demo.result()
    assert run.code == 0, run.transcript()[-5000:]
    golden = Golden({str(demo.root): "<TMP>", str(REPO): "<REPO>"})
    for parquet in sorted(demo.folder.rglob("*.parquet")):
        # Their bytes name the polars version that wrote them; files.txt compares their rows.
        golden.add_digest(parquet, f"{parquet.name} SHA256")
    mask_varying_digests(golden, demo.folder)
    outputs = {"stdout.txt": run.transcript(), **folder_outputs(demo.folder, golden)}
    outputs.update(web_outputs(demo.folder, demo.root / "web-copy"))
    names = {f"demo/{name}" for name in outputs}
    failures = [f for name, text in outputs.items() if (f := golden.compare(f"demo/{name}", text))]
    failures += stale_goldens(names, keep_pdf_text=PDFTOTEXT is None)
    if failures:
        pytest.fail("\n\n".join([*failures, REWRITE]), pytrace=False)


def mask_varying_digests(golden: Golden, folder: Path) -> None:
    """Mask the digests of the evidence whose content holds a masked value (durations, run ids,
    ports: the robustness and red-team results), then of what hashes those (the review packet)."""
    with g.open_workspace(folder, user="ada") as ws:
        records = sorted(g.list_evidence(ws, include_superseded=True), key=lambda r: r.id)
        for record in records:
            content = g.evidence_content(ws, record.ref).decode("utf-8", errors="replace")
            golden.add_if_varies(content, {record.blob_sha256: f"{record.ref} SHA256"})
            fields = "\n".join(f"{k}: {v}" for k, v in record.to_dict().items())
            golden.add_if_varies(fields, {record.content_hash: f"{record.ref} CONTENT HASH"})


PDFTOTEXT = shutil.which("pdftotext")


def folder_outputs(folder: Path, golden: Golden) -> dict[str, str]:
    """Every file the demo wrote outside its workspace, by golden name."""
    outputs: dict[str, str] = {}
    listing = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name.startswith(".assay/"):
            continue
        if any(path.match(pattern) for pattern in DATA):
            listing.append(f"{name}: {describe_data(path)}")
        elif path.suffix == ".pdf":
            listing.append(f"{name}: PDF, its text in {name}.txt")
            if PDFTOTEXT is not None:
                outputs[f"{name}.txt"] = pdf_text(path, golden.digests)
        else:
            listing.append(name)
            text = path.read_text(encoding="utf-8")
            if name in ARRIVAL_ORDER:
                text = "".join(sorted(text.splitlines(keepends=True)))
            outputs[name] = text
    if PDFTOTEXT is None:
        warnings.warn(
            "pdftotext (poppler-utils) is not installed: PDF text not compared", stacklevel=2
        )
    outputs["files.txt"] = "\n".join(listing)
    return outputs


def describe_data(path: Path) -> str:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return "zip of " + ", ".join(sorted(archive.namelist()))
    if path.suffix != ".parquet":
        return f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}"
    frame = pl.read_parquet(path)
    schema = ", ".join(f"{column} {dtype}" for column, dtype in frame.schema.items())
    csv = hashlib.sha256(frame.write_csv().encode("utf-8")).hexdigest()
    return f"{frame.height} rows ({schema}); sha256 of the rows as CSV {csv}"


def pdf_text(path: Path, digests: Iterable[str]) -> str:
    """The words of a PDF in the order they are drawn (``pdftotext -raw``), a line per sentence
    (or per 16 words).

    Where a line wraps depends on the width of what it holds, so lines are joined and the text
    broken after each sentence instead: a digest masked because it varies (of a width that varies)
    then moves no other word, nor does a table whose columns it widens. Pages are kept
    (``<PAGE BREAK>``), each with its footer. The ``digests`` to mask are first rejoined where a
    narrow cell wrapped them over lines.
    """
    assert PDFTOTEXT is not None
    done = subprocess.run(
        [PDFTOTEXT, "-raw", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    )
    text = done.stdout
    for digest in digests:
        for pattern in _wrapped(digest):
            text = pattern.sub(lambda m: re.sub(r"\s+", "", m.group(0)), text)
    # A word the layout broke after its hyphen ("re-" / "evaluate") is one word again.
    text = re.sub(r"(?<=\w)-\s+(?=\w)", "-", text)
    pages = (" ".join(page.split()) for page in text.split("\f"))
    return "\n<PAGE BREAK>\n".join(_sentences(page) for page in pages)


def _sentences(text: str, words: int = 16) -> str:
    """A line per sentence, long ones (tables) cut every ``words`` words."""
    lines = []
    for sentence in re.split(r"(?<=[.:;?!]) ", text):
        split = sentence.split(" ")
        lines += [" ".join(split[i : i + words]) for i in range(0, len(split), words)]
    return "\n".join(lines)


def _wrapped(digest: str) -> list[re.Pattern[str]]:
    """The digest, whole, as 8…8 or as a prefix of 12+ characters, with line breaks anywhere."""
    gap = r"\s*"
    rest = "".join(f"(?:{gap}{c}" for c in digest[12:]) + ")?" * (len(digest) - 12)
    return [
        re.compile(gap.join(digest[:8]) + f"{gap}…{gap}" + gap.join(digest[-8:])),
        re.compile(gap.join(digest[:12]) + rest),
    ]


def web_outputs(folder: Path, copy: Path) -> dict[str, str]:
    """The pages of :data:`WEB`, served on a copy of the demo folder on the demo's day."""
    from fastapi.testclient import TestClient

    from assay.web import create_app, set_password

    shutil.copytree(folder, copy)
    with pinned_clock(lambda: DEMO_DAY):
        with g.open_workspace(copy, user="ada") as ws:
            set_password(ws, "ada", PASSWORD)
            review = g.list_reviews(ws, system="adult-income")[0].ref
        app = create_app(copy)
        with TestClient(app) as client:
            login(client, "ada")
            outputs = {
                name: shown(client.get(path.format(review=review))) for path, name in WEB.items()
            }
        app.state.base.close()
    return outputs


def stale_goldens(names: set[str], *, keep_pdf_text: bool) -> list[str]:
    """Goldens under ``files/demo`` the demo no longer writes: removed when updating."""
    stale = []
    for path in sorted((FILES / "demo").rglob("*")):
        name = path.relative_to(FILES).as_posix()
        if path.is_dir() or name in names or (keep_pdf_text and name.endswith(".pdf.txt")):
            continue
        if UPDATE:
            path.unlink()
        else:
            stale.append(f"{path.relative_to(FILES.parent)}: the demo no longer writes it")
    return stale
