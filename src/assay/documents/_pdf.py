"""PDF from a document's HTML: WeasyPrint (the ``[pdf]`` extra), else headless Chromium.

Both are offline: WeasyPrint is given a URL fetcher that refuses every URL (documents are
self-contained, so nothing should be fetched), and Chromium runs with networking features off on a
local file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from assay.errors import InputError

__all__ = ["html_to_pdf", "pdf_engine"]

_CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def _chromium() -> str | None:
    for name in _CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    return None


def pdf_engine() -> str | None:
    """``"weasyprint"``, ``"chromium"`` or None: what :func:`html_to_pdf` would use here.

    ``ASSAY_PDF_ENGINE`` forces one of the two.
    """
    forced = os.environ.get("ASSAY_PDF_ENGINE")
    if forced in ("weasyprint", "chromium"):
        return forced
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return "chromium" if _chromium() else None
    return "weasyprint"


def _refuse(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    raise ValueError(f"Documents are self-contained; refusing to fetch {url!r}.")


def html_to_pdf(html: str) -> bytes:
    """Print a self-contained HTML document to PDF bytes (A4, page numbers in the footer).

    Raises
    ------
    InputError
        Neither WeasyPrint nor Chromium is available; the message says how to install one.
    """
    engine = pdf_engine()
    if engine == "weasyprint":
        import logging

        import weasyprint

        # The shared stylesheet has screen-only rules WeasyPrint skips; it says so at WARNING.
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        document = weasyprint.HTML(string=html, url_fetcher=_refuse)
        return bytes(document.write_pdf())
    if engine == "chromium":
        return _chromium_pdf(html)
    raise InputError(
        "PDF output needs WeasyPrint (pip install 'assay-rai[pdf]', which uses the system's "
        "Pango: apt-get install libpango-1.0-0 libpangoft2-1.0-0) or Chromium on the PATH."
    )


def _chromium_pdf(html: str) -> bytes:
    binary = _chromium()
    if binary is None:
        raise InputError("ASSAY_PDF_ENGINE=chromium, but no chromium is on the PATH.")
    with tempfile.TemporaryDirectory(prefix="assay-pdf-") as tmp:
        src = Path(tmp) / "document.html"
        out = Path(tmp) / "document.pdf"
        src.write_text(html, encoding="utf-8")
        cmd = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            src.as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if not out.is_file():
            raise InputError(f"Chromium could not print the PDF: {done.stderr.strip()[-400:]}")
        return out.read_bytes()
