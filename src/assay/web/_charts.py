"""Server-side SVG charts for the dashboard (no scripts, no inline styles: CSP-safe)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from assay.governance._risks import Risk

__all__ = ["heat_counts", "heat_map_svg"]

_BANDS = ((20, "critical"), (10, "high"), (5, "medium"), (1, "low"))


def heat_counts(risks: Iterable[Risk]) -> dict[tuple[int, int], int]:
    """Open risks per (likelihood, severity), using residual scores where set."""
    counts: dict[tuple[int, int], int] = {}
    for r in risks:
        like = r.residual_likelihood or r.inherent_likelihood
        sev = r.residual_severity or r.inherent_severity
        counts[(like, sev)] = counts.get((like, sev), 0) + 1
    return counts


def _band(score: int) -> str:
    return next(name for low, name in _BANDS if score >= low)


def heat_map_svg(counts: dict[tuple[int, int], int], *, cell: int = 52) -> str:
    """A 5×5 risk heat map (likelihood up, severity across) as an accessible inline SVG.

    Examples
    --------
    >>> "<svg" in heat_map_svg({(5, 5): 2})
    True
    """
    pad = 34
    size = pad + 5 * cell
    total = sum(counts.values())
    parts = [
        f'<svg class="heat" viewBox="0 0 {size + 4} {size + 22}" role="img" '
        f'aria-labelledby="heat-title"><title id="heat-title">Risk heat map: {total} open risks '
        "by likelihood (rows) and severity (columns)</title>"
    ]
    for like in range(1, 6):
        y = (5 - like) * cell
        ty = y + cell / 2 + 4
        parts.append(f'<text class="axis" x="{pad - 10}" y="{ty}" text-anchor="end">{like}</text>')
        for sev in range(1, 6):
            x = pad + (sev - 1) * cell
            n = counts.get((like, sev), 0)
            band = _band(like * sev)
            parts.append(
                f'<rect class="cell {band}" x="{x}" y="{y}" width="{cell - 3}" height="{cell - 3}" '
                f'rx="3"><title>likelihood {like} × severity {sev}: {n} risks</title></rect>'
            )
            if n:
                parts.append(
                    f'<text class="count" x="{x + (cell - 3) / 2}" y="{y + cell / 2 + 3}" '
                    f'text-anchor="middle">{n}</text>'
                )
    for sev in range(1, 6):
        tx = pad + (sev - 1) * cell + (cell - 3) / 2
        parts.append(
            f'<text class="axis" x="{tx}" y="{5 * cell + 14}" text-anchor="middle">{sev}</text>'
        )
    parts.append(
        f'<text class="axis-label" x="{pad + 5 * cell / 2}" y="{size + 18}" '
        f'text-anchor="middle">{escape("severity →")}</text></svg>'
    )
    return "".join(parts)
