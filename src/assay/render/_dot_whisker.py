"""The dot-and-whisker chart: one row per group, one panel per measure, sharing the rows.

Each panel has its own x axis (fitted to its estimates and intervals, or fixed), an optional
shaded band (for example the region beyond a limit) and a dashed reference line (for example the
overall value). Built from the primitives of :mod:`assay.render._svg`, with the same
accessibility rules: every mark carries its own ``<title>``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assay.render._svg import (
    ACCENT,
    BAND,
    GRID,
    MUTED,
    REFERENCE,
    STRIPE,
    _clip_text,
    _domain,
    _e,
    _fmt,
    _legend_items,
    _n,
    _open,
    _swatch_line,
    _text_width,
    _tick,
)

__all__ = ["DotPanel", "Interval", "dot_whisker"]


@dataclass(frozen=True)
class Interval:
    """One estimate in a dot-and-whisker panel; ``value`` is None when it is undefined."""

    value: float | None
    low: float | None = None
    high: float | None = None
    note: str = ""
    """Text for the mark's tooltip; when empty the builder writes the value and interval."""


@dataclass(frozen=True)
class DotPanel:
    """A column of a dot-and-whisker chart: one estimate per row, on its own x axis."""

    title: str
    points: Sequence[Interval]
    reference: float | None = None
    """Draws a dashed vertical line, for example at the overall value."""
    reference_label: str = ""
    band: tuple[float, float] | None = None
    """Shades this x range, for example the region beyond a limit."""
    band_label: str = ""
    include_zero: bool = True
    domain: tuple[float, float] | None = None
    """Fixes the x range instead of fitting it to the data."""
    bounds: tuple[float, float] | None = None
    """Keeps a fitted x range inside these limits, for example [0, 1] for a rate."""


def dot_whisker(
    labels: Sequence[str],
    panels: Sequence[DotPanel],
    *,
    title: str,
    description: str = "",
    annotations: Sequence[str] | None = None,
    annotation_title: str = "",
    flagged: Sequence[bool] | None = None,
    flagged_label: str = "",
    interval_label: str = "estimate and confidence interval",
    fmt: Callable[[float], str] = _fmt,
    width: float = 960,
) -> str:
    """A dot-and-whisker chart: one row per label, one panel per measure, sharing the rows.

    Parameters
    ----------
    labels
        The row labels (for example group names), top to bottom.
    panels
        One :class:`DotPanel` per measure; each must hold one :class:`Interval` per label.
    title, description
        The accessible name and description of the chart.
    annotations, annotation_title
        Optional text per row printed in a right-hand column (for example ``n=1,234``).
    flagged, flagged_label
        Rows drawn with a hollow marker and listed in the legend (for example small groups).
    interval_label
        The legend text for a dot with whiskers.
    fmt
        Formats numbers in the tooltips.
    width
        The width of the ``viewBox``; text and marks scale with the page.

    Returns
    -------
    str
        One ``<svg>`` element.

    Examples
    --------
    >>> svg = dot_whisker(["a", "b"], [DotPanel("Rate", [Interval(0.2, 0.1, 0.3), Interval(None)])],
    ...                   title="Rate by group")
    >>> svg.startswith("<svg") and "<title>Rate by group</title>" in svg
    True
    """
    for panel in panels:
        if len(panel.points) != len(labels):
            raise ValueError(
                f"Panel {panel.title!r} has {len(panel.points)} points for {len(labels)} labels."
            )
    notes = list(annotations) if annotations is not None else []
    layout = _dot_layout(labels, notes, annotation_title, len(panels), width)
    body = _dot_rows(labels, notes, annotation_title, layout)
    legend = _Legend([(INTERVAL_SWATCH, interval_label)])
    flags = list(flagged) if flagged is not None else [False] * len(labels)
    if any(flags) and flagged_label:
        legend.items.append((FLAGGED_SWATCH, flagged_label))
    for p, panel in enumerate(panels):
        x0 = layout.label_w + p * (layout.plot_w + layout.gap)
        body += _dot_panel(panel, x0, labels, flags, layout, fmt, legend)
    bottom = layout.top + layout.rows_h + layout.axis_h
    legend_marks, legend_h = _legend_items(legend.items, 8, bottom + 14, width - 16)
    height = bottom + legend_h + 10
    marks = _open(width, height, title, description)
    return "".join([*marks, *body, *legend_marks, "</svg>"])


INTERVAL_SWATCH = (
    f'<line x1="0" y1="0" x2="18" y2="0" stroke="{ACCENT}" stroke-width="1.6"/>'
    f'<circle cx="9" cy="0" r="4" fill="{ACCENT}"/>'
)


FLAGGED_SWATCH = f'<circle cx="9" cy="0" r="4" fill="#fff" stroke="{ACCENT}" stroke-width="1.6"/>'


BAND_SWATCH = f'<rect x="0" y="-5" width="18" height="10" fill="{BAND}" fill-opacity="0.18"/>'


@dataclass
class _Legend:
    """Legend entries in order of first appearance; each band and reference is listed once."""

    items: list[tuple[str, str]]
    seen: set[tuple[str, str]] = field(default_factory=set)

    def once(self, kind: str, swatch: str, label: str) -> None:
        if (kind, label) not in self.seen:
            self.seen.add((kind, label))
            self.items.append((swatch, label))


@dataclass(frozen=True)
class _DotLayout:
    """Where the rows, the label and note columns and the panels of a dot-and-whisker go."""

    width: float
    size: float
    row_h: float
    label_w: float
    gap: float
    top: float
    axis_h: float
    plot_w: float
    target: int
    rows_h: float


def _dot_layout(
    labels: Sequence[str], notes: list[str], annotation_title: str, n_panels: int, width: float
) -> _DotLayout:
    size = 12.0
    row_h = 22.0
    label_w = min(max(max((_text_width(t, size) for t in labels), default=40) + 16, 70), 250)
    note_w = (
        max(max((_text_width(t, 11) for t in [*notes, annotation_title]), default=0) + 14, 50)
        if notes
        else 0.0
    )
    gap = 40.0
    plot_w = (width - label_w - note_w - gap * (n_panels - 1) - 18) / max(n_panels, 1)
    return _DotLayout(
        width=width,
        size=size,
        row_h=row_h,
        label_w=label_w,
        gap=gap,
        top=30.0,
        axis_h=26.0,
        plot_w=plot_w,
        target=max(2, int(plot_w // 48)),
        rows_h=row_h * len(labels),
    )


def _dot_rows(
    labels: Sequence[str], notes: list[str], annotation_title: str, layout: _DotLayout
) -> list[str]:
    """Row stripes, row labels (clipped, with the full text as tooltip) and the notes column."""
    body: list[str] = []
    top, row_h, width = layout.top, layout.row_h, layout.width
    for i, label in enumerate(labels):
        y = top + i * row_h
        if i % 2 == 0:
            body.append(
                f'<rect x="0" y="{_n(y)}" width="{_n(width)}" height="{_n(row_h)}" '
                f'fill="{STRIPE}"/>'
            )
        shown = _clip_text(label, layout.size, layout.label_w - 12)
        tooltip = f"<title>{_e(label)}</title>" if shown != label else ""
        body.append(
            f'<text x="{_n(layout.label_w - 10)}" y="{_n(y + row_h / 2 + 4)}" text-anchor="end">'
            f"{tooltip}{_e(shown)}</text>"
        )
        if notes:
            body.append(
                f'<text x="{_n(width - 4)}" y="{_n(y + row_h / 2 + 4)}" text-anchor="end" '
                f'font-size="11" fill="{MUTED}">{_e(notes[i])}</text>'
            )
    if notes and annotation_title:
        body.append(
            f'<text x="{_n(width - 4)}" y="{_n(top - 10)}" text-anchor="end" font-size="11" '
            f'font-weight="600" fill="{MUTED}">{_e(annotation_title)}</text>'
        )
    return body


@dataclass(frozen=True)
class _Scale:
    """A panel's x axis: data value to x coordinate, clamped to the panel."""

    x0: float
    low: float
    span: float
    plot_w: float

    def __call__(self, v: float) -> float:
        low, span = self.low, self.span
        return self.x0 + (min(max(v, low), low + span) - low) / span * self.plot_w


def _dot_panel(
    panel: DotPanel,
    x0: float,
    labels: Sequence[str],
    flags: list[bool],
    layout: _DotLayout,
    fmt: Callable[[float], str],
    legend: _Legend,
) -> list[str]:
    """One panel: its title, band, axis, reference line and one mark per row."""
    values = [v for pt in panel.points for v in (pt.value, pt.low, pt.high) if v is not None]
    if panel.reference is not None:
        values.append(panel.reference)
    if panel.band is not None and panel.domain is None:
        inner = [b for b in panel.band if math.isfinite(b)]
        values.extend(inner)
    low, high, ticks = _domain(
        values, panel.include_zero, panel.domain, layout.target, panel.bounds
    )
    sx = _Scale(x0, low, (high - low) or 1.0, layout.plot_w)
    top = layout.top
    body = [
        f'<text x="{_n(x0)}" y="{_n(top - 10)}" font-weight="600">'
        f"{_e(_clip_text(panel.title, layout.size, layout.plot_w))}</text>"
    ]
    if panel.band is not None:
        b0 = sx(max(panel.band[0], low))
        b1 = sx(min(panel.band[1], high))
        if b1 > b0:
            body.append(
                f'<rect x="{_n(b0)}" y="{_n(top)}" width="{_n(b1 - b0)}" '
                f'height="{_n(layout.rows_h)}" fill="{BAND}" fill-opacity="0.12">'
                f"<title>{_e(panel.band_label)}</title></rect>"
            )
        if panel.band_label:
            legend.once("band", BAND_SWATCH, panel.band_label)
    body += _dot_axis(ticks, sx, x0, layout)
    if panel.reference is not None:
        x = sx(panel.reference)
        ref_title = panel.reference_label or "reference"
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(top - 4)}" x2="{_n(x)}" '
            f'y2="{_n(top + layout.rows_h)}" '
            f'stroke="{REFERENCE}" stroke-width="1.3" stroke-dasharray="4 3">'
            f"<title>{_e(ref_title)}: {_e(fmt(panel.reference))}</title></line>"
        )
        legend.once("reference", _swatch_line(REFERENCE, "4 3", 1.3), ref_title)
    for i, pt in enumerate(panel.points):
        cy = top + i * layout.row_h + layout.row_h / 2
        body.append(_dot(labels[i], pt, flags[i], sx, cy, fmt))
    return body


def _dot_axis(ticks: list[float], sx: _Scale, x0: float, layout: _DotLayout) -> list[str]:
    """Grid lines and tick labels of a panel, and its baseline."""
    top, rows_h = layout.top, layout.rows_h
    body: list[str] = []
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    for t in ticks:
        x = sx(t)
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(top + rows_h)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(
            f'<text x="{_n(x)}" y="{_n(top + rows_h + 15)}" text-anchor="middle" '
            f'font-size="10.5" fill="{MUTED}">{_e(_tick(t, step))}</text>'
        )
    body.append(
        f'<line x1="{_n(x0)}" y1="{_n(top + rows_h)}" x2="{_n(x0 + layout.plot_w)}" '
        f'y2="{_n(top + rows_h)}" stroke="{MUTED}" stroke-width="1"/>'
    )
    return body


def _dot(
    label: str, pt: Interval, flagged: bool, sx: _Scale, cy: float, fmt: Callable[[float], str]
) -> str:
    """One estimate: a dot with its whiskers (hollow when flagged), or "undefined"."""
    if pt.value is None:
        tip = pt.note or f"{label}: undefined"
        return (
            f'<text x="{_n(sx.x0 + 4)}" y="{_n(cy + 4)}" font-size="10.5" fill="{MUTED}" '
            f'font-style="italic"><title>{_e(tip)}</title>undefined</text>'
        )
    tip = pt.note or _interval_text(label, pt, fmt)
    parts = [f"<g><title>{_e(tip)}</title>"]
    if pt.low is not None and pt.high is not None:
        a, b = sx(pt.low), sx(pt.high)
        parts.append(
            f'<line x1="{_n(a)}" y1="{_n(cy)}" x2="{_n(b)}" y2="{_n(cy)}" '
            f'stroke="{ACCENT}" stroke-width="1.6"/>'
        )
        for x in (a, b):
            parts.append(
                f'<line x1="{_n(x)}" y1="{_n(cy - 4)}" x2="{_n(x)}" y2="{_n(cy + 4)}" '
                f'stroke="{ACCENT}" stroke-width="1.6"/>'
            )
    fill = "#fff" if flagged else ACCENT
    parts.append(
        f'<circle cx="{_n(sx(pt.value))}" cy="{_n(cy)}" r="4.2" fill="{fill}" '
        f'stroke="{ACCENT}" stroke-width="1.6"/></g>'
    )
    return "".join(parts)


def _interval_text(label: str, pt: Interval, fmt: Callable[[float], str]) -> str:
    assert pt.value is not None
    text = f"{label}: {fmt(pt.value)}"
    if pt.low is not None and pt.high is not None:
        text += f" [{fmt(pt.low)}, {fmt(pt.high)}]"
    return text
