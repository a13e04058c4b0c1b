"""A fairness result as readable tables on the terminal (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assay.evaluate import FairnessResult

_VERDICT_STYLE = {"pass": "bold green", "fail": "bold red", "insufficient_evidence": "bold yellow"}
_CLASSIFICATION_COLUMNS = ("selection_rate", "tpr", "fpr", "ppv", "accuracy", "roc_auc")
_REGRESSION_COLUMNS = ("mae", "rmse", "mean_prediction", "mean_residual")
_MULTICLASS_COLUMNS = ("accuracy", "macro_tpr", "macro_ppv", "macro_f1")
_COLUMNS = {"regression": _REGRESSION_COLUMNS, "multiclass": _MULTICLASS_COLUMNS}
_SHORT = {
    "selection_rate": "selected",
    "accuracy": "acc.",
    "roc_auc": "AUC",
    "mean_prediction": "mean pred.",
    "mean_residual": "mean resid.",
    "macro_tpr": "macro recall",
    "macro_ppv": "macro precision",
    "macro_f1": "macro F1",
}


def fmt_estimate(est: dict[str, Any] | None, sep: str = "\n") -> str:
    """``0.216`` over ``0.211–0.221`` (the interval), or the reason a value is undefined."""
    if not est or est.get("value") is None:
        reason = (est or {}).get("undefined") or "undefined"
        return f"[dim]— ({reason})[/dim]"
    text = f"{est['value']:.3f}"
    if est.get("ci_low") is not None and est.get("ci_high") is not None:
        text += f"{sep}[dim]{est['ci_low']:.3f}–{est['ci_high']:.3f}[/dim]"
    return text


def _class_of(entry: dict[str, Any]) -> str:
    """`` (class X)`` for a multiclass summary or estimate, else nothing."""
    return f" (class {escape(str(entry['class']))})" if "class" in entry else ""


def _group_label(group: dict[str, Any]) -> str:
    return escape(", ".join("(missing)" if v is None else str(v) for v in group.values()))


def print_fairness(result: FairnessResult, console: Console) -> None:
    """Print the verdicts, the metrics by group and the summaries."""
    data = result.to_dict()
    params = data["params"]
    dataset = data["provenance"]["dataset"]
    console.print(
        f"[bold]Fairness evaluation[/bold] · {data['task']} · {data['n']:,} rows · "
        f"sensitive: {', '.join(params['sensitive_features'])} · "
        f"dataset {str(dataset.get('digest', ''))[:19]}…"
    )
    if data["verdicts"]:
        # the render package (Jinja, XML) loads only when there are verdicts to explain
        from assay.render import sample_size_text

        console.print("\n[bold]Verdicts[/bold]")
        for v in data["verdicts"]:
            style = _VERDICT_STYLE.get(v["verdict"], "")
            console.print(
                f"  [{style}]{v['verdict'].replace('_', ' ').upper()}[/]  {v['rule']} by "
                f"{' × '.join(v['by'])}: {fmt_estimate(v['estimate'], ' ')}"
                f"{_class_of(v['estimate'])} "
                f"(limit: {v['direction']} {v['limit']})"
            )
            console.print(f"      [dim]{escape(v['reason'])}[/dim]")
            if advice := sample_size_text(v):
                console.print(f"      [dim]{escape(advice)}[/dim]")
    columns = _COLUMNS.get(data["task"], _CLASSIFICATION_COLUMNS)
    present = [c for c in columns if c in data["overall"]["metrics"]]
    groupings: list[list[str]] = []
    for g in data["groups"]:
        if g["by"] not in groupings:
            groupings.append(g["by"])
    for by in groupings:
        table = Table(title=f"\nBy {' × '.join(by)}", title_justify="left", title_style="bold")
        table.add_column("group", overflow="fold")
        table.add_column("n", justify="right")
        for c in present:
            table.add_column(_SHORT.get(c, c), justify="right")
        for g in [g for g in data["groups"] if g["by"] == by]:
            label = _group_label(g["group"]) + (" [yellow](small)[/yellow]" if g["small"] else "")
            table.add_row(label, f"{g['n']:,}", *(fmt_estimate(g["metrics"][c]) for c in present))
        overall = data["overall"]
        table.add_row(
            "[bold]overall[/bold]",
            f"{overall['n']:,}",
            *(fmt_estimate(overall["metrics"][c]) for c in present),
        )
        console.print(table)
    if data["summaries"]:
        table = Table(title="Fairness summaries", title_justify="left")
        for col in (
            "by",
            "demographic parity diff",
            "demographic parity ratio",
            "equalized odds diff",
            "four-fifths",
        ):
            table.add_column(col, overflow="fold")
        for s, ff in zip(data["summaries"], data["four_fifths"], strict=True):
            passes = ff.get("passes")
            rule = (
                "—"
                if passes is None
                else ("[green]passes[/green]" if passes else "[red]fails[/red]")
            )
            if passes is not None:
                rule += f" (min ratio {ff['min_impact_ratio']:.3f})"
            table.add_row(
                " × ".join(s["by"]) + _class_of(s),
                fmt_estimate(s["demographic_parity_difference"]),
                fmt_estimate(s["demographic_parity_ratio"]),
                fmt_estimate(s["equalized_odds_difference"]),
                rule,
            )
        console.print(table)
    for note in data["notes"]:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
