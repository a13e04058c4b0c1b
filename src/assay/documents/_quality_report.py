"""The data quality and representativeness report: one self-contained HTML document."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from assay.errors import SchemaError
from assay.evaluate import QualityResult
from assay.render import Bar, DotPanel, Interval, bar_chart, dot_whisker, environment

QUALITY_SCHEMA = QualityResult.SCHEMA

STATUS_TEXT = {"under": "under-represented", "over": "over-represented", "ok": "in line"}


def _pct(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * float(value):.1f}%"


def _ci_text(ci: Sequence[Any] | None) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return ""
    return f"[{100 * float(ci[0]):.1f}, {100 * float(ci[1]):.1f}]"


def _count(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def _num(value: Any) -> str:
    if value is None:
        return "—"
    x = float(value)
    return f"{x:,.1f}" if abs(x) >= 100 else f"{x:.3g}"


def _pvalue(value: Any, eq: bool = False) -> str:
    """A p- or q-value; one that underflowed double precision is written as a bound."""
    if value is None:
        return "—"
    x = float(value)
    if x < 1e-300:
        return "< 1e-300"
    text = f"{x:.3g}"
    return f"= {text}" if eq else text


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _representation_chart(entry: Mapping[str, Any], ratio: float) -> str:
    bars = [
        Bar(
            str(c["category"]),
            float(c["ratio"]) if c.get("ratio") is not None else 0.0,
            text=_num(c.get("ratio")),
            muted=c.get("status") == "ok",
        )
        for c in entry["categories"]
    ]
    return bar_chart(
        bars,
        title=f"{entry['feature']}: share in the data ÷ share in the population",
        description=(
            f"Ratio of each {entry['feature']} category's share in the data to its population "
            f"share; the dashed line marks {ratio} (under-represented below it)."
        ),
        reference=ratio,
        reference_label=f"{ratio} × population share",
        width=560,
    )


def _cells_chart(cells: Mapping[str, Any]) -> str:
    rows = cells["cells"]
    bars = [
        Bar(
            " × ".join(str(v) for v in row["group"].values()),
            float(row["n"]),
            text=f"{int(row['n']):,}",
            muted=bool(row.get("small")),
        )
        for row in rows
    ]
    return bar_chart(
        bars,
        title="Rows per intersectional cell",
        description=(
            "Number of rows in each combination of "
            + " × ".join(cells["features"])
            + f"; grey bars are cells under {cells['min_cell_size']} rows."
        ),
        reference=float(cells["min_cell_size"]),
        reference_label=f"minimum cell size {cells['min_cell_size']}",
        width=640,
    )


def _label_charts(label: Mapping[str, Any]) -> list[str]:
    """One dot-and-whisker chart per sensitive feature: the minority class's share by group."""
    classes = label.get("classes") or []
    if len(classes) != 2 or not label.get("by_group"):
        return []
    minority = min(classes, key=lambda c: c["n"])["class"]
    charts = []
    by_feature: dict[str, list[Mapping[str, Any]]] = {}
    for g in label["by_group"]:
        by_feature.setdefault(str(g["by"]), []).append(g)
    overall = next(c for c in classes if c["class"] == minority)["share"]
    for feature, groups in by_feature.items():
        points = []
        for g in groups:
            share = next((c for c in g["classes"] if c["class"] == minority), None)
            if share is None:
                points.append(Interval(None))
            else:
                points.append(Interval(share["share"], share["ci"][0], share["ci"][1]))
        charts.append(
            dot_whisker(
                [str(g["group"]) for g in groups],
                [
                    DotPanel(
                        f"share of '{minority}'",
                        points,
                        reference=overall,
                        reference_label="all rows",
                        bounds=(0.0, 1.0),
                    )
                ],
                title=f"Share of '{minority}' by {feature}",
                description=f"Share of label '{minority}' in each {feature} group, with interval",
                annotations=[f"n={int(g['n']):,}" for g in groups],
                annotation_title="rows",
                width=560,
            )
        )
    return charts


def render_quality_html(result: Mapping[str, Any], *, title: str | None = None) -> str:
    """Render a data quality and representativeness result as one self-contained HTML document.

    The document opens offline and prints cleanly (inline CSS and SVG, no scripts). It holds the
    warnings, every column's missingness with its interval and range, missingness by group with
    the test behind each flag, class balance and label noise, representativeness against the
    population marginals, intersectional cell sizes, duplicates, the methods and the provenance.

    Parameters
    ----------
    result : Mapping
        A result in the ``assay.quality/v1`` schema (``assay.evaluate.quality(...).to_dict()``).
    title : str, optional
        The document title; "Data quality and representativeness" by default.

    Raises
    ------
    assay.errors.SchemaError
        If ``result`` is not an ``assay.quality/v1`` result.

    Examples
    --------
    >>> import polars as pl
    >>> from assay.evaluate import quality
    >>> df = pl.DataFrame({"age": [25, None, 40, 40], "sex": ["f", "m", "m", "m"]})
    >>> html = render_quality_html(quality(df, sensitive_features="sex").to_dict())
    >>> html.startswith("<!DOCTYPE html>"), "<script" in html
    (True, False)
    """
    if not isinstance(result, Mapping) or result.get("schema") != QUALITY_SCHEMA:
        got = result.get("schema") if isinstance(result, Mapping) else type(result).__name__
        raise SchemaError(
            f"render_quality_html needs an {QUALITY_SCHEMA} result (QualityResult.to_dict()); "
            f"got {got!r}."
        )
    params = result.get("params") or {}
    ratio = float(params.get("representation_ratio", 0.8))
    representativeness = [
        dict(r) | {"chart": _representation_chart(r, ratio)}
        for r in result.get("representativeness") or []
    ]
    missing_by_group = [
        m
        for m in result.get("missingness_by_group") or []
        if any(g["missing"] for g in m["groups"])
    ]
    cells = result.get("cells")
    warnings = list(result.get("warnings") or [])
    ci_level = float(params.get("ci_level", 0.95))
    template = environment("assay.documents").get_template("quality_report.html.j2")
    return template.render(
        pct=_pct,
        ci_text=_ci_text,
        count=_count,
        num=_num,
        pvalue=_pvalue,
        value=_value,
        title=title or "Data quality and representativeness",
        schema=QUALITY_SCHEMA,
        **_provenance_context(result.get("provenance") or {}),
        n_text=_count(result.get("n")),
        columns=result.get("columns") or [],
        features=params.get("sensitive_features") or [],
        **_label_context(result.get("label")),
        warnings=warnings,
        errors=sum(1 for w in warnings if w.get("severity") == "error"),
        schema_check=result.get("schema_check"),
        missing_by_group=missing_by_group,
        representativeness=representativeness,
        status_text=STATUS_TEXT,
        cells=cells,
        cells_chart=_cells_chart(cells) if cells and cells.get("cells") else "",
        duplicates=result.get("duplicates"),
        constant_columns=result.get("constant_columns") or [],
        methods=result.get("methods") or {},
        params=params,
        ci_label=f"{ci_level:.0%} Wilson score intervals",
        toc=TOC,
    )


TOC = [
    ("summary", "Summary"),
    ("columns", "Columns"),
    ("missingness", "Missingness by group"),
    ("label", "Label"),
    ("representativeness", "Representativeness"),
    ("cells", "Intersectional cells"),
    ("duplicates", "Duplicates and constants"),
    ("methods", "Methods and provenance"),
]


def _provenance_context(provenance: Mapping[str, Any]) -> dict[str, Any]:
    """Who made the result, when, and from which data: the report's header and methods."""
    dataset = provenance.get("dataset") or {}
    digest = str(dataset.get("digest") or "")
    created = provenance.get("created_at")
    try:
        created_text = (
            dt.datetime.fromisoformat(created).strftime("%Y-%m-%d %H:%M UTC") if created else "—"
        )
    except ValueError:
        created_text = str(created)
    return {
        "assay_version": provenance.get("assay_version", "—"),
        "created": created_text,
        "digest_full": digest,
        "digest_short": (digest.split(":")[-1][:12] if digest else "—"),
        "source": dataset.get("path") or dataset.get("engine") or "a dataframe",
        "python": provenance.get("python", "—"),
    }


def _label_context(label: Mapping[str, Any] | None) -> dict[str, Any]:
    """The label section: its column, classes and balance charts (empty without a label)."""
    return {
        "label": (label or {}).get("column"),
        "label_info": label,
        "label_classes": [c["class"] for c in (label or {}).get("classes") or []],
        "label_charts": _label_charts(label) if label else [],
    }
