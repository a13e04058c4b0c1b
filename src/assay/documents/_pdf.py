"""PDF from a document's HTML: WeasyPrint (the ``[pdf]`` extra), else headless Chromium.

Both are offline: WeasyPrint is given a URL fetcher that refuses every URL (documents are
self-contained, so nothing should be fetched), and Chromium runs with networking features off on a
local file.

Printing takes seconds, and the web app prints the same packet on every download: the last PDFs
are kept in memory, keyed by the sha256 of their HTML and the engine (a packet is immutable, so its
HTML — and its PDF — never change), up to :data:`CACHE_BYTES`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from assay.errors import InputError

__all__ = ["CACHE_BYTES", "html_to_pdf", "pdf_cache_info", "pdf_engine"]

#: How many bytes of printed PDFs are kept (least recently used first out).
CACHE_BYTES = 64 * 1024 * 1024
_cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_cache_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0}

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


def pdf_cache_info() -> dict[str, int]:
    """Hits, misses, entries and bytes of the PDF cache (for tests and diagnostics)."""
    with _cache_lock:
        size = sum(len(v) for v in _cache.values())
        return {**_stats, "entries": len(_cache), "bytes": size}


def html_to_pdf(html: str) -> bytes:
    """Print a self-contained HTML document to PDF bytes (A4, page numbers in the footer); the
    same HTML printed again comes from the cache.

    Raises
    ------
    InputError
        Neither WeasyPrint nor Chromium is available; the message says how to install one.
    """
    engine = pdf_engine()
    key = (str(engine), hashlib.sha256(html.encode("utf-8")).hexdigest())
    with _cache_lock:
        if (cached := _cache.get(key)) is not None:
            _cache.move_to_end(key)
            _stats["hits"] += 1
            return cached
    pdf = _print(html, engine)
    with _cache_lock:
        _stats["misses"] += 1
        _cache[key] = pdf
        while sum(len(v) for v in _cache.values()) > CACHE_BYTES and len(_cache) > 1:
            _cache.popitem(last=False)
    return pdf


def _print(html: str, engine: str | None) -> bytes:
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
