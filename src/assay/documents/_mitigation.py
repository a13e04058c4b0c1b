"""Mitigation in documents: the trade-off a recorded mitigation chose and what it cost (accuracy
and disparity before and after, with their intervals) and its accuracy–disparity frontier, for
the model card and the risk assessment. Reads the ``assay.mitigation/v1`` payload as JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from assay.documents._doc import Badge, Block, Cell, Facts, Figure, Table
from assay.documents._gather import cite, load_json, short_date
from assay.render import (
    BAND,
    REFERENCE,
    Series,
    as_list,
    as_mapping,
    count,
    estimate,
    line_chart,
    metric_label,
    number,
    verdict_label,
)

if TYPE_CHECKING:
    from assay.governance import EvidenceRecord, Workspace

__all__ = [
    "cited_mitigations",
    "mitigation_blocks",
    "mitigation_frontier_svg",
    "mitigation_records",
]

#: The evidence kind of a mitigation (registered in :mod:`assay.policy`).
_KIND = "mitigation"


def _point(entry: Any) -> tuple[float, float] | None:
    """(disparity, accuracy) of a frontier point or side, when both are defined."""
    d = estimate(as_mapping(entry).get("disparity"))
    a = estimate(as_mapping(entry).get("accuracy"))
    if d.value is None or a.value is None:
        return None
    return (d.value, a.value)


def mitigation_frontier_svg(payload: Mapping[str, Any]) -> str:
    """The accuracy–disparity frontier of a mitigation: one point per setting of the method
    (hover for its intervals), the model before, and the setting chosen."""
    points = [as_mapping(p) for p in as_list(payload.get("frontier"))]
    placed = sorted(
        ((xy, p) for p in points if (xy := _point(p)) is not None), key=lambda item: item[0]
    )
    metric = metric_label(str(payload.get("disparity_metric", "disparity")))
    series = [
        Series(
            "settings of the method",
            [xy for xy, _ in placed],
            sizes=[0.4] * len(placed),
            notes=[_note(p, metric) for _, p in placed],
        )
    ]
    before = _point(payload.get("before"))
    if before is not None:
        series.append(Series("before", [before], sizes=[1.0], colour=REFERENCE, notes=["before"]))
    chosen = _point(payload.get("chosen"))
    if chosen is not None:
        label = str(as_mapping(payload.get("chosen")).get("label", "chosen"))
        series.append(Series(f"chosen ({label})", [chosen], sizes=[1.0], colour=BAND))
    ys = [y for s in series for _, y in s.points if y is not None]
    return line_chart(
        series,
        title=f"Accuracy and {metric.lower()} at each setting of {payload.get('method')}",
        description="Held-out accuracy against disparity for each setting of the mitigation; "
        "up and to the left is better.",
        x_label=f"{metric} (held-out)",
        y_label="Accuracy (held-out)",
        fmt=number,
        y_domain=(max(0.0, min(ys) - 0.05), min(1.0, max(ys) + 0.05)) if ys else None,
    )


def _note(point: Mapping[str, Any], metric: str) -> str:
    d, a = estimate(point.get("disparity")), estimate(point.get("accuracy"))
    return f"{point.get('label')}: accuracy {a.text}, {metric.lower()} {d.text}"


def _change(before: Any, after: Any) -> str:
    b, a = estimate(before), estimate(after)
    if b.value is None or a.value is None:
        return "—"
    return f"{a.value - b.value:+.3f}"


def _verdict(side: Mapping[str, Any]) -> Cell:
    v = side.get("verdict")
    return Badge(str(v), verdict_label(str(v))) if isinstance(v, str) else "no limit set"


def mitigation_blocks(payload: Mapping[str, Any], record: EvidenceRecord | None) -> list[Block]:
    """The facts of a mitigation, its before/after table and its frontier."""
    before, after = as_mapping(payload.get("before")), as_mapping(payload.get("after"))
    chosen = as_mapping(payload.get("chosen"))
    metric = str(payload.get("disparity_metric", ""))
    limit = payload.get("limit")
    artefact = as_mapping(payload.get("artefact"))
    n_train, n_test = payload.get("n_train"), payload.get("n_test")
    facts: list[tuple[str, Cell]] = [
        ("Method", str(payload.get("method", "")).replace("_", " ")),
        ("Constraint", str(payload.get("constraint", "")).replace("_", " ")),
        ("Setting chosen", str(chosen.get("label", "—"))),
        ("Rows", f"{count(n_train)} to learn from, {count(n_test)} held out"),
        ("Written", f"{artefact.get('kind')}: {artefact.get('path') or 'not written'}"),
    ]
    if record is not None:
        facts.append(("Evidence", f"{record.ref}, recorded {short_date(record.created_at)}"))
    rows: tuple[tuple[Cell, ...], ...] = (
        ("Accuracy", estimate(before.get("accuracy")).text, estimate(after.get("accuracy")).text,
         _change(before.get("accuracy"), after.get("accuracy"))),
        (metric_label(metric), estimate(before.get("disparity")).text,
         estimate(after.get("disparity")).text,
         _change(before.get("disparity"), after.get("disparity"))),
        ("Selection rate", estimate(before.get("selection_rate")).text,
         estimate(after.get("selection_rate")).text,
         _change(before.get("selection_rate"), after.get("selection_rate"))),
        (f"Verdict (limit {limit if limit is not None else 'not set'})", _verdict(before),
         _verdict(after), ""),
    )  # fmt: skip
    return [
        Facts(tuple(facts)),
        Table(
            ("Measure", "Before [CI]", "After [CI]", "Change"),
            rows,
            caption="What the chosen trade-off cost: held-out accuracy and disparity before and "
            "after, with their confidence intervals",
            source=cite(record) if record is not None else "",
        ),
        Figure(
            mitigation_frontier_svg(payload),
            "Each point is one setting of the method, judged on the held-out rows; the larger "
            "points are the model before and the setting chosen.",
        ),
    ]


def mitigation_records(
    ws: Workspace, system: str, *, model_version: str | None = None
) -> list[EvidenceRecord]:
    """The system's current mitigation evidence, newest first (of one model version if given)."""
    from assay.governance import list_evidence

    return list_evidence(ws, system=system, kind=_KIND, model_version=model_version)


def cited_mitigations(
    ws: Workspace, evidence_ids: Sequence[int]
) -> list[tuple[EvidenceRecord, dict[str, Any]]]:
    """The mitigation records among ``evidence_ids``, with their payloads."""
    from assay.governance import get_evidence

    out = []
    for ev in evidence_ids:
        record = get_evidence(ws, ev)
        if record.kind == _KIND:
            out.append((record, load_json(ws, record)))
    return out
