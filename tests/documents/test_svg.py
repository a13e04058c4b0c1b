"""The SVG chart builders: well-formed, accessible, escaped, deterministic."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from assay.render import (
    PALETTE,
    Bar,
    DotPanel,
    Interval,
    Series,
    bar_chart,
    dot_whisker,
    line_chart,
    nice_ticks,
)

NASTY = '<b>"A&B"</b>'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == "svg"
    assert root.get("role") == "img"
    assert root.get("aria-label")
    assert re.fullmatch(r"0 0 \d+(\.\d)? \d+(\.\d)?", root.get("viewBox", ""))
    assert root[0].tag == "title"
    assert root[0].text
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter() if e.tag in {"text", "title"}]


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.08, 0.27, (0.05, 0.3, [0.05, 0.1, 0.15, 0.2, 0.25, 0.3])),
        (0.0, 1.0, (0.0, 1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])),
        (-0.049, 0.273, (-0.1, 0.3, [-0.1, 0.0, 0.1, 0.2, 0.3])),
        (5.0, 5.0, (4.4, 5.6, [4.4, 4.6, 4.8, 5.0, 5.2, 5.4, 5.6])),
    ],
)
def test_nice_ticks(low: float, high: float, expected: tuple[float, float, list[float]]) -> None:
    assert nice_ticks(low, high) == expected


def sample_dot_whisker() -> str:
    rate = DotPanel(
        "Rate",
        [Interval(0.2, 0.1, 0.3), Interval(0.5, 0.4, 0.6), Interval(None, note="c: no rows")],
        reference=0.3,
        reference_label="overall",
    )
    other = DotPanel(
        "Other",
        [Interval(0.9, 0.85, 0.95), Interval(0.8), Interval(0.7, 0.6, 0.8)],
        band=(0.0, 0.8),
        band_label="below the limit",
    )
    return dot_whisker(
        ["a", NASTY, "c"],
        [rate, other],
        title=f"Rates by {NASTY}",
        annotations=["n=1", "n=2", "n=3"],
        flagged=[False, True, False],
        flagged_label="small group",
    )


def test_dot_whisker_draws_every_row_and_explains_undefined_ones() -> None:
    svg = sample_dot_whisker()
    root = parse(svg)
    shown = texts(root)
    assert NASTY in shown  # escaped in the markup, intact once parsed
    assert "&lt;b&gt;" in svg
    assert "<b>" not in svg
    assert "c: no rows" in shown
    hollow = [e for e in root.iter("circle") if e.get("fill") == "#fff"]
    assert len(hollow) == 3  # the flagged row in both panels, and the legend
    assert {"overall", "below the limit", "small group", "n=3"} <= set(shown)
    assert svg == sample_dot_whisker()


def test_dot_whisker_refuses_panels_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="2 points for 3 labels"):
        dot_whisker(["a", "b", "c"], [DotPanel("Rate", [Interval(0.1), Interval(0.2)])], title="t")


def test_line_chart_breaks_lines_at_missing_values_and_marks_the_threshold() -> None:
    svg = line_chart(
        [
            Series("first", [(0.0, 0.1), (0.25, 0.2), (0.5, None), (0.75, 0.6), (1.0, 0.9)]),
            Series(NASTY, [(0.0, 0.5), (1.0, 0.5)], sizes=[0.1, 1.0], notes=["p1", "p2"]),
        ],
        title="Sweep",
        x_label="threshold",
        y_label="rate",
        diagonal="perfectly calibrated",
        marker_x=0.5,
        marker_label="operating threshold 0.5",
    )
    root = parse(svg)
    paths = list(root.iter("path"))
    assert len(paths) == 3  # two segments for the first series, one for the second
    assert paths[0].get("stroke") == PALETTE[0]
    assert paths[2].get("stroke") == PALETTE[1]
    shown = texts(root)
    assert {"operating threshold 0.5", "perfectly calibrated", NASTY, "p1", "p2"} <= set(shown)


def test_line_chart_keeps_a_point_between_two_gaps() -> None:
    svg = line_chart(
        [Series("a", [(0.0, None), (0.5, 0.4), (1.0, None)])], title="t", x_label="x", y_label="y"
    )
    root = parse(svg)
    assert not list(root.iter("path"))
    assert [e.get("fill") for e in root.iter("circle")] == [PALETTE[0]]


def test_line_chart_changes_dash_after_the_palette_runs_out() -> None:
    series = [Series(f"s{i}", [(0.0, i / 10), (1.0, i / 10)]) for i in range(len(PALETTE) + 1)]
    root = parse(line_chart(series, title="Many", x_label="x", y_label="y"))
    paths = list(root.iter("path"))
    assert paths[0].get("stroke") == paths[-1].get("stroke")
    assert paths[0].get("stroke-dasharray") is None
    assert paths[-1].get("stroke-dasharray")


def test_line_chart_without_legend() -> None:
    root = parse(
        line_chart(
            [Series("only", [(0.0, 0.0), (1.0, 1.0)])],
            title="t",
            x_label="x",
            y_label="y",
            show_legend=False,
        )
    )
    assert not any(e.text == "only" for e in root.iter("text"))


def test_bar_chart() -> None:
    root = parse(
        bar_chart(
            [Bar("big", 300, "n=300"), Bar(NASTY, 10, muted=True)],
            title="Rows per group",
            reference=30,
            reference_label="minimum 30",
        )
    )
    shown = texts(root)
    assert {"n=300", NASTY, "minimum 30"} <= set(shown)
    widths = [float(e.get("width", 0)) for e in root.iter("rect")]
    assert widths[0] == pytest.approx(30 * widths[1], rel=0.02)
