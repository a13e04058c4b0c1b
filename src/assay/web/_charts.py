"""Server-side SVG charts for the dashboard (no scripts, no inline styles: CSP-safe)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["trend_svg"]


def _fmt(value: float, unit: str) -> str:
    text = f"{value:.0f}" if value == int(value) or abs(value) >= 100 else f"{value:.1f}"
    return f"{text}%" if unit == "%" else text


def trend_svg(
    name: str,
    unit: str,
    points: Sequence[tuple[str, float | None]],
    *,
    width: int = 200,
    height: int = 74,
) -> str:
    """A small column chart of one KPI over periods (oldest first) as an accessible inline SVG.

    Periods without a value (nothing measured) show as an empty slot marked "–".

    Examples
    --------
    >>> svg = trend_svg("Triage on time", "%", [("Q1 25", 50.0), ("Q2 25", None), ("Q3 25", 75.0)])
    >>> "Q2 25: no data" in svg and 'height="0' not in svg
    True
    """
    top, bottom = 14, 16
    plot = height - top - bottom
    values = [v for _, v in points if v is not None]
    ceiling = 100.0 if unit == "%" else max([*values, 0.0]) or 1.0
    slot = width / max(len(points), 1)
    bar = min(30.0, slot * 0.6)
    described = "; ".join(
        f"{label}: {'no data' if v is None else _fmt(v, unit)}" for label, v in points
    )
    parts = [
        f'<svg class="trend" viewBox="0 0 {width} {height}" role="img">'
        f"<title>{escape(name)} by quarter: {escape(described)}</title>",
        f'<line class="base" x1="0" y1="{top + plot}" x2="{width}" y2="{top + plot}"></line>',
    ]
    for i, (label, value) in enumerate(points):
        cx = slot * i + slot / 2
        last = i == len(points) - 1
        if value is None:
            parts.append(
                f'<text class="none" x="{cx:.1f}" y="{top + plot - 4}" '
                'text-anchor="middle">–</text>'
            )
        else:
            h = max(plot * min(value, ceiling) / ceiling, 1.5) if ceiling else 1.5
            y = top + plot - h
            parts.append(
                f'<rect class="{"now" if last else "past"}" x="{cx - bar / 2:.1f}" y="{y:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" rx="2"></rect>'
                f'<text class="val" x="{cx:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                f"{escape(_fmt(value, unit))}</text>"
            )
        parts.append(
            f'<text class="lab" x="{cx:.1f}" y="{height - 4}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
