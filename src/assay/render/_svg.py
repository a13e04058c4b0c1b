"""Small SVG chart builders for reports: no dependencies, deterministic output, inline-able.

Every builder returns one ``<svg>`` element as a string with a fixed ``viewBox`` (so it scales
with the page), ``role="img"``, an ``aria-label`` and a ``<title>``; every mark carries its own
``<title>`` so a reader can hover for the exact value. All text is escaped here, so callers can
pass labels straight from the data. Colours come from the Okabe–Ito palette, which stays
distinguishable under the common colour-vision deficiencies; lines beyond the seventh series also
change dash pattern, so no two series rely on colour alone.

The element is meant to be inlined in HTML, where it needs no namespace declaration (so a report
holds no URL at all); to save one as a standalone ``.svg`` file, add the SVG namespace
(``xmlns="http://www.w3.org/2000/svg"``) to the root element.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = [
    "PALETTE",
    "Bar",
    "Series",
    "bar_chart",
    "line_chart",
    "nice_ticks",
]

# Okabe & Ito (2008), without the yellow, which is too faint on white paper.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
DASHES = ("", "6 3", "2 2.5", "8 3 2 3")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK = "#1f2328"
MUTED = "#59636e"
GRID = "#d8dee4"
STRIPE = "#f6f8fa"
ACCENT = "#0072B2"
REFERENCE = "#3d444d"
BAND = "#D55E00"
CHAR_WIDTH = 0.56  # average advance of a sans-serif glyph, in em, for layout estimates


@dataclass(frozen=True)
class Series:
    """One line of a line chart; a ``None`` y breaks the line."""

    name: str
    points: Sequence[tuple[float, float | None]]
    sizes: Sequence[float] | None = None
    """Relative marker areas in [0, 1]; draws markers when given."""
    notes: Sequence[str] | None = None
    """Per-point tooltips, aligned with ``points``."""
    colour: str | None = None
    dash: str | None = None
    width: float = 2.0


@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal bar chart."""

    label: str
    value: float
    text: str = ""
    """What to print at the end of the bar; defaults to the value."""
    muted: bool = False


def _n(x: float) -> str:
    """A coordinate with one decimal and no trailing zeros."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _e(text: str) -> str:
    return escape(text, quote=True)


def _fmt(x: float) -> str:
    if x == 0 or abs(x) >= 0.001:
        return f"{x:,.3f}"
    return f"{x:.{2 - math.floor(math.log10(abs(x)))}f}"


def _tick(x: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    if step >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{decimals + (1 if _needs_extra_digit(step) else 0)}f}"


def _needs_extra_digit(step: float) -> bool:
    mantissa = step / 10.0 ** math.floor(math.log10(step))
    return abs(mantissa - 2.5) < 1e-9


def nice_ticks(low: float, high: float, target: int = 5) -> tuple[float, float, list[float]]:
    """A rounded axis range covering ``[low, high]`` and its ticks (steps of 1, 2, 2.5 or 5 × 10ᵏ).

    Examples
    --------
    >>> nice_ticks(0.08, 0.27)
    (0.05, 0.3, [0.05, 0.1, 0.15, 0.2, 0.25, 0.3])
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high < low:
        low, high = high, low
    if high - low < 1e-12:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw - 1e-12)
    start = math.floor(low / step + 1e-9) * step
    stop = math.ceil(high / step - 1e-9) * step
    count = round((stop - start) / step)
    ticks = [round(start + i * step, 12) for i in range(count + 1)]
    return ticks[0], ticks[-1], ticks


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def _clip_text(text: str, size: float, width: float) -> str:
    """Shorten ``text`` with an ellipsis so that it fits in ``width``."""
    if _text_width(text, size) <= width:
        return text
    keep = max(1, int(width / (size * CHAR_WIDTH)) - 1)
    return text[:keep] + "…"


def _open(width: float, height: float, title: str, description: str) -> list[str]:
    label = title if not description else f"{title}. {description}"
    return [
        f'<svg class="chart" role="img" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}" '
        f'aria-label="{_e(label)}" font-family="{_e(FONT)}" font-size="12" fill="{INK}">',
        f"<title>{_e(title)}</title>",
        *([f"<desc>{_e(description)}</desc>"] if description else []),
    ]


def _domain(
    values: Sequence[float],
    include_zero: bool,
    fixed: tuple[float, float] | None,
    target: int = 5,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float, list[float]]:
    if fixed is not None:
        _, _, ticks = nice_ticks(*fixed, target)
        return fixed[0], fixed[1], [t for t in ticks if fixed[0] - 1e-12 <= t <= fixed[1] + 1e-12]
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        finite = [0.0, 1.0]
    low, high = min(finite), max(finite)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    low, high, ticks = nice_ticks(low, high, target)
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
        ticks = [t for t in ticks if low - 1e-12 <= t <= high + 1e-12]
    return low, high, ticks


def _legend_items(
    items: Sequence[tuple[str, str]], x: float, y: float, width: float, size: float = 11.5
) -> tuple[list[str], float]:
    """Lay out (swatch svg at origin, label) pairs in rows; returns the marks and the height."""
    out: list[str] = []
    cx, cy = x, y
    row = 18.0
    for swatch, label in items:
        item_width = 26 + _text_width(label, size) + 18
        if cx > x and cx + item_width > x + width:
            cx, cy = x, cy + row
        out.append(f'<g transform="translate({_n(cx)},{_n(cy)})">{swatch}')
        out.append(f'<text x="24" y="4" font-size="{size}" fill="{MUTED}">{_e(label)}</text></g>')
        cx += item_width
    return out, (cy - y) + row if items else 0.0


def _swatch_line(colour: str, dash: str = "", width: float = 2.0) -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="0" y1="0" x2="18" y2="0" stroke="{colour}" stroke-width="{_n(width)}"{dashed}/>'
    )


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    description: str = "",
    x_domain: tuple[float, float] | None = None,
    y_domain: tuple[float, float] | None = None,
    diagonal: str = "",
    marker_x: float | None = None,
    marker_label: str = "",
    fmt: Callable[[float], str] = _fmt,
    width: float = 480,
    height: float = 300,
    show_legend: bool = True,
) -> str:
    """A line chart with several series and a legend below it.

    Parameters
    ----------
    series
        The lines, drawn in order; colours follow :data:`PALETTE` unless a series sets its own.
    title, description
        The accessible name and description of the chart.
    x_label, y_label
        Axis titles.
    x_domain, y_domain
        Fixed axis ranges; by default fitted to the data.
    diagonal
        When not empty, draws the line y = x (for a reliability diagram) with this legend text.
    marker_x, marker_label
        Draws a vertical line at this x (for example the operating threshold) with a label.
    fmt
        Formats numbers in the tooltips.
    width, height
        The size of the ``viewBox`` above the legend; the legend adds rows as needed.
    show_legend
        Set to False for small multiples that share a legend written elsewhere.

    Returns
    -------
    str
        One ``<svg>`` element.

    Examples
    --------
    >>> points = [(0.0, 0.1), (0.25, 0.3), (0.5, None), (0.75, 0.7), (1.0, 0.9)]
    >>> svg = line_chart([Series("a", points)], title="Calibration", x_label="score",
    ...                  y_label="fraction positive", diagonal="perfectly calibrated")
    >>> svg.count("<path"), "perfectly calibrated" in svg
    (2, True)
    """
    plot = _Plot.fit(series, width, height, x_domain, y_domain, marker_x)
    body = _line_axes(plot, x_label, y_label)
    legend: list[tuple[str, str]] = []
    if diagonal:
        lo = max(plot.x_low, plot.y_low)
        hi = min(plot.x_high, plot.y_high)
        if hi > lo:
            sx, sy = plot.sx, plot.sy
            body.append(
                f'<line x1="{_n(sx(lo))}" y1="{_n(sy(lo))}" x2="{_n(sx(hi))}" y2="{_n(sy(hi))}" '
                f'stroke="{MUTED}" stroke-width="1.2" stroke-dasharray="4 3">'
                f"<title>{_e(diagonal)}</title></line>"
            )
        legend.append((_swatch_line(MUTED, "4 3", 1.2), diagonal))
    for k, s in enumerate(series):
        colour = s.colour or PALETTE[k % len(PALETTE)]
        dash = s.dash if s.dash is not None else DASHES[(k // len(PALETTE)) % len(DASHES)]
        body.append(_line_series(s, colour, dash, plot, fmt))
        legend.append((_swatch_line(colour, dash, s.width), s.name))
    if marker_x is not None and plot.x_low <= marker_x <= plot.x_high:
        body += _line_marker(plot, marker_x, marker_label)
    if not show_legend:
        legend = []
    left, right = plot.left, plot.right
    legend_marks, legend_h = _legend_items(legend, left, height + 4, width - left - right)
    marks = _open(width, height + legend_h + (8 if legend else 0), title, description)
    return "".join([*marks, *body, *legend_marks, "</svg>"])


@dataclass(frozen=True)
class _Plot:
    """The plot area of a line chart and its two scales (clamped to the axes)."""

    width: float
    height: float
    left: float
    right: float
    top: float
    plot_w: float
    plot_h: float
    x_low: float
    x_high: float
    x_ticks: list[float]
    y_low: float
    y_high: float
    y_ticks: list[float]

    @classmethod
    def fit(
        cls,
        series: Sequence[Series],
        width: float,
        height: float,
        x_domain: tuple[float, float] | None,
        y_domain: tuple[float, float] | None,
        marker_x: float | None,
    ) -> _Plot:
        """Axes fitted to the data (and the marker), unless fixed by the caller."""
        left, right, top, bottom = 54.0, 14.0, 22.0, 44.0
        xs = [x for s in series for x, _ in s.points]
        ys = [y for s in series for _, y in s.points if y is not None]
        if marker_x is not None:
            xs.append(marker_x)
        x_low, x_high, x_ticks = _domain(xs, False, x_domain)
        y_low, y_high, y_ticks = _domain(ys, True, y_domain)
        return cls(
            width,
            height,
            left,
            right,
            top,
            width - left - right,
            height - top - bottom,
            x_low,
            x_high,
            x_ticks,
            y_low,
            y_high,
            y_ticks,
        )

    def sx(self, v: float) -> float:
        x_span = (self.x_high - self.x_low) or 1.0
        return (
            self.left + (min(max(v, self.x_low), self.x_high) - self.x_low) / x_span * self.plot_w
        )

    def sy(self, v: float) -> float:
        # clamped, so a fixed domain never lets a line escape the plot
        y_span = (self.y_high - self.y_low) or 1.0
        return (
            self.top
            + self.plot_h
            - (min(max(v, self.y_low), self.y_high) - self.y_low) / y_span * self.plot_h
        )


def _line_axes(plot: _Plot, x_label: str, y_label: str) -> list[str]:
    """Grid lines with tick labels on both axes, the frame, and the axis titles."""
    sx, sy = plot.sx, plot.sy
    left, top, plot_w, plot_h = plot.left, plot.top, plot.plot_w, plot.plot_h
    body: list[str] = []
    x_ticks, y_ticks = plot.x_ticks, plot.y_ticks
    x_step = x_ticks[1] - x_ticks[0] if len(x_ticks) > 1 else 1.0
    y_step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 1.0
    for t in x_ticks:
        body.append(
            f'<line x1="{_n(sx(t))}" y1="{_n(top)}" x2="{_n(sx(t))}" y2="{_n(top + plot_h)}" '
            f'stroke="{GRID}"/>'
            f'<text x="{_n(sx(t))}" y="{_n(top + plot_h + 15)}" text-anchor="middle" '
            f'font-size="10.5" fill="{MUTED}">{_e(_tick(t, x_step))}</text>'
        )
    for t in y_ticks:
        body.append(
            f'<line x1="{_n(left)}" y1="{_n(sy(t))}" x2="{_n(left + plot_w)}" y2="{_n(sy(t))}" '
            f'stroke="{GRID}"/>'
            f'<text x="{_n(left - 6)}" y="{_n(sy(t) + 3.5)}" text-anchor="end" font-size="10.5" '
            f'fill="{MUTED}">{_e(_tick(t, y_step))}</text>'
        )
    body.append(
        f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(plot_w)}" height="{_n(plot_h)}" '
        f'fill="none" stroke="{MUTED}" stroke-width="1"/>'
        f'<text x="{_n(left + plot_w / 2)}" y="{_n(plot.height - 8)}" text-anchor="middle" '
        f'font-size="11.5" fill="{MUTED}">{_e(x_label)}</text>'
        f'<text transform="translate(14,{_n(top + plot_h / 2)}) rotate(-90)" '
        f'text-anchor="middle" font-size="11.5" fill="{MUTED}">{_e(y_label)}</text>'
    )
    return body


def _line_series(
    s: Series, colour: str, dash: str, plot: _Plot, fmt: Callable[[float], str]
) -> str:
    """One series: its path (broken at missing values) and its markers when sized."""
    sx, sy = plot.sx, plot.sy
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    segments: list[list[tuple[float, float]]] = [[]]
    for x, y in s.points:
        if y is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((sx(x), sy(y)))
    group = [f"<g><title>{_e(s.name)}</title>"]
    for seg in segments:
        if len(seg) == 1 and s.sizes is None:
            # a point with gaps on both sides would otherwise vanish
            px, py = seg[0]
            group.append(f'<circle cx="{_n(px)}" cy="{_n(py)}" r="2.5" fill="{colour}"/>')
        if len(seg) >= 2:
            d = "M" + " L".join(f"{_n(px)},{_n(py)}" for px, py in seg)
            group.append(
                f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{_n(s.width)}" '
                f'stroke-linejoin="round" stroke-linecap="round"{dashed}/>'
            )
    if s.sizes is not None:
        notes = list(s.notes) if s.notes is not None else []
        for i, ((x, y), area) in enumerate(zip(s.points, s.sizes, strict=True)):
            if y is None:
                continue
            r = 2.0 + 4.0 * math.sqrt(max(0.0, min(area, 1.0)))
            tip = notes[i] if i < len(notes) else f"{s.name}: ({fmt(x)}, {fmt(y)})"
            group.append(
                f'<circle cx="{_n(sx(x))}" cy="{_n(sy(y))}" r="{_n(r)}" fill="{colour}" '
                f'fill-opacity="0.85" stroke="#fff" stroke-width="0.8">'
                f"<title>{_e(tip)}</title></circle>"
            )
    group.append("</g>")
    return "".join(group)


def _line_marker(plot: _Plot, marker_x: float, marker_label: str) -> list[str]:
    """A labelled vertical line, for example at the operating threshold."""
    x = plot.sx(marker_x)
    top = plot.top
    anchor = "start" if x < plot.left + plot.plot_w * 0.7 else "end"
    dx = 4 if anchor == "start" else -4
    return [
        f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(top + plot.plot_h)}" '
        f'stroke="{INK}" stroke-width="1.4"><title>{_e(marker_label)}</title></line>',
        f'<text x="{_n(x + dx)}" y="{_n(top - 7)}" text-anchor="{anchor}" font-size="11" '
        f'font-weight="600">{_e(marker_label)}</text>',
    ]


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    description: str = "",
    reference: float | None = None,
    reference_label: str = "",
    fmt: Callable[[float], str] = _fmt,
    width: float = 480,
) -> str:
    """Horizontal bars from zero, one per row, with the value at the end of each bar.

    Parameters
    ----------
    bars
        The rows, top to bottom; a ``muted`` bar is drawn in grey (for example a small group).
    title, description
        The accessible name and description of the chart.
    reference, reference_label
        Draws a dashed vertical line at this value (for example a minimum group size).
    fmt
        Formats the values printed at the bars when a bar has no ``text``.
    width
        The width of the ``viewBox``.

    Returns
    -------
    str
        One ``<svg>`` element.

    Examples
    --------
    >>> "<rect" in bar_chart([Bar("a", 3), Bar("b", 1)], title="Rows per group")
    True
    """
    size = 11.5
    row_h = 20.0
    label_w = min(max(max((_text_width(b.label, size) for b in bars), default=30) + 14, 50), 220)
    value_w = max((_text_width(b.text or fmt(b.value), 11) for b in bars), default=20) + 12
    top = 8.0
    plot_w = width - label_w - value_w - 8
    top_value = max([b.value for b in bars] + ([reference] if reference is not None else []))
    top_value = top_value if top_value > 0 else 1.0
    height = top + row_h * len(bars) + (22 if reference is not None else 6)
    marks = _open(width, height, title, description)
    for i, bar in enumerate(bars):
        y = top + i * row_h
        w = max(bar.value, 0.0) / top_value * plot_w
        colour = "#8c959f" if bar.muted else ACCENT
        text = bar.text or fmt(bar.value)
        shown = _clip_text(bar.label, size, label_w - 10)
        marks.append(
            f'<text x="{_n(label_w - 8)}" y="{_n(y + row_h / 2 + 4)}" text-anchor="end" '
            f'font-size="{size}"><title>{_e(bar.label)}</title>{_e(shown)}</text>'
            f'<rect x="{_n(label_w)}" y="{_n(y + 4)}" width="{_n(max(w, 0.8))}" '
            f'height="{_n(row_h - 8)}" fill="{colour}" rx="1.5">'
            f"<title>{_e(bar.label)}: {_e(text)}</title></rect>"
            f'<text x="{_n(label_w + w + 5)}" y="{_n(y + row_h / 2 + 4)}" font-size="11" '
            f'fill="{MUTED}">{_e(text)}</text>'
        )
    if reference is not None:
        x = label_w + reference / top_value * plot_w
        bottom = top + row_h * len(bars)
        marks.append(
            f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(bottom)}" '
            f'stroke="{BAND}" stroke-width="1.3" stroke-dasharray="4 3">'
            f"<title>{_e(reference_label)}</title></line>"
            f'<text x="{_n(x)}" y="{_n(bottom + 14)}" text-anchor="middle" font-size="10.5" '
            f'fill="{BAND}">{_e(reference_label)}</text>'
        )
    marks.append("</svg>")
    return "".join(marks)
