"""A 5×5 likelihood × severity heat map as one inline SVG (no dependencies, deterministic).

The one heat map of Assay: the risk assessment, the packet and the web dashboard draw it. Which
rating a cell has is the policy's rule, so the caller passes it (``rating``); this module only
draws. Likelihood is on the rows (rising upwards), severity on the columns
(``assay.policy.HEAT_MAP_AXES``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

from assay.render._svg import FONT, INK, MUTED

__all__ = ["heat_map"]
_LIKELIHOOD = ("rare", "unlikely", "possible", "likely", "almost certain")
_SEVERITY = ("negligible", "minor", "moderate", "major", "severe")
#: The side of a cell, and where the grid starts (room for the row labels and the title).
CELL = 58.0
LEFT, TOP = 96.0, 30.0


def heat_map(
    points: Sequence[tuple[int, int, str]] | Mapping[tuple[int, int], int],
    *,
    rating: Callable[[int, int], str],
    fill: Mapping[str, str],
    title: str,
    description: str = "",
) -> str:
    """A 5×5 grid with the number of risks in each cell.

    Parameters
    ----------
    points
        One ``(likelihood, severity, label)`` per risk, each level 1–5, the labels (``RISK-3``)
        listed in the cell's tooltip; or the number of risks per ``(likelihood, severity)``.
    rating, fill
        The rating of a cell (``assay.policy.rating``) and the colour of each rating
        (``assay.policy.RATING_FILL``).
    title, description
        The accessible name and description.

    Returns
    -------
    str
        One ``<svg>`` element.

    Examples
    --------
    >>> band = lambda likelihood, severity: "high" if likelihood * severity >= 15 else "low"
    >>> colours = {"high": "#ffd8b5", "low": "#dafbe1"}
    >>> svg = heat_map([(4, 5, "RISK-1"), (4, 5, "RISK-2")], rating=band, fill=colours,
    ...                title="Inherent risk")
    >>> ">2</text>" in svg and "RISK-1, RISK-2" in svg
    True
    >>> ">3</text>" in heat_map({(1, 1): 3}, rating=band, fill=colours, title="Open risks")
    True
    """
    width = LEFT + 5 * CELL + 16
    height = TOP + 5 * CELL + 58
    cells = _cells(points)
    e = escape
    out = [
        f'<svg class="chart heatmap" role="img" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" aria-label="{e(title)}" '
        f'font-family="{e(FONT)}" font-size="12" fill="{INK}">',
        f"<title>{e(title)}</title>",
    ]
    if description:
        out.append(f"<desc>{e(description)}</desc>")
    out.append(f'<text x="{LEFT:.0f}" y="18" font-weight="600">{e(title)}</text>')
    # likelihood on the rows (rising upwards), severity on the columns: HEAT_MAP_AXES
    for lk in range(1, 6):
        y = TOP + (5 - lk) * CELL
        out.append(
            f'<text x="{LEFT - 8:.0f}" y="{y + CELL / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="10.5" fill="{MUTED}">{lk} {e(_LIKELIHOOD[lk - 1])}</text>'
        )
        for s in range(1, 6):
            n, labels = cells.get((lk, s), (0, []))
            out.append(_cell(lk, s, rating(lk, s), fill, n, labels))
    out += _severity_axis(height)
    out.append("</svg>")
    return "".join(out)


def _cell(lk: int, s: int, band: str, fill: Mapping[str, str], n: int, labels: list[str]) -> str:
    """One cell, coloured by its rating, with the count of risks and their labels as tooltip."""
    e = escape
    x = LEFT + (s - 1) * CELL
    y = TOP + (5 - lk) * CELL
    tip = f"likelihood {lk} × severity {s} = {lk * s} ({band})"
    if labels:
        tip += ": " + ", ".join(labels)
    elif n:
        tip += f": {n} risk{'s' if n != 1 else ''}"
    out = [
        f'<g><title>{e(tip)}</title><rect x="{x:.0f}" y="{y:.0f}" width="{CELL:.0f}" '
        f'height="{CELL:.0f}" fill="{fill[band]}" stroke="#ffffff" '
        'stroke-width="2"/>'
    ]
    if n:
        out.append(
            f'<circle cx="{x + CELL / 2:.1f}" cy="{y + CELL / 2:.1f}" r="15" '
            f'fill="{INK}"/><text x="{x + CELL / 2:.1f}" y="{y + CELL / 2 + 5:.1f}" '
            f'text-anchor="middle" font-size="14" font-weight="700" fill="#ffffff">'
            f"{n}</text>"
        )
    out.append("</g>")
    return "".join(out)


def _severity_axis(height: float) -> list[str]:
    """The severity levels under the columns, and both axis titles."""
    e = escape
    out = []
    for s in range(1, 6):
        x = LEFT + (s - 0.5) * CELL
        out.append(
            f'<text x="{x:.1f}" y="{TOP + 5 * CELL + 16:.1f}" text-anchor="middle" '
            f'font-size="10.5" fill="{MUTED}">{s}</text>'
            f'<text x="{x:.1f}" y="{TOP + 5 * CELL + 29:.1f}" text-anchor="middle" '
            f'font-size="9" fill="{MUTED}">{e(_SEVERITY[s - 1])}</text>'
        )
    out.append(
        f'<text x="{LEFT + 2.5 * CELL:.1f}" y="{height - 8:.1f}" text-anchor="middle" '
        f'font-size="11" fill="{MUTED}">severity →</text>'
        f'<text transform="translate(12,{TOP + 2.5 * CELL:.1f}) rotate(-90)" text-anchor="middle" '
        f'font-size="11" fill="{MUTED}">likelihood →</text>'
    )
    return out


def _cells(
    points: Sequence[tuple[int, int, str]] | Mapping[tuple[int, int], int],
) -> dict[tuple[int, int], tuple[int, list[str]]]:
    """The count and labels of each cell on the grid (cells off the grid are left out)."""
    cells: dict[tuple[int, int], tuple[int, list[str]]] = {}
    items: list[tuple[tuple[int, int], int, list[str]]]
    if isinstance(points, Mapping):
        items = [(key, int(n), []) for key, n in points.items()]
    else:
        items = [((lk, sev), 1, [label]) for lk, sev, label in points]
    for (lk, sev), n, labels in items:
        if 1 <= lk <= 5 and 1 <= sev <= 5:
            count, known = cells.get((lk, sev), (0, []))
            cells[(lk, sev)] = (count + n, known + labels)
    return cells
