"""``assay plan sample-size``: rows per group a fairness verdict needs, before collecting data."""

from __future__ import annotations

import json

import typer

from assay.cli._console import make_console
from assay.errors import InputError
from assay.evaluate import SampleSizePlan, plan_sample_size

plan_app = typer.Typer(
    help="Plan an evaluation before collecting data: rows per group a verdict needs.",
    no_args_is_help=True,
)


def _rates(text: str | None) -> list[float] | None:
    if text is None:
        return None
    rates = []
    for part in (p.strip() for p in text.split(",")):
        try:
            rates.append(float(part))
        except ValueError:
            raise InputError(
                f"--rates takes numbers separated by commas, for example 0.30,0.25,0.28; "
                f"'{part}' is not a number."
            ) from None
    return rates


@plan_app.command("sample-size")
def sample_size_command(
    limit: float = typer.Option(
        ..., "--limit", help="The limit: largest allowed difference, or smallest allowed ratio."
    ),
    rule: str = typer.Option("difference", "--rule", help="difference or ratio."),
    rate: float | None = typer.Option(
        None, "--rate", help="The expected rate of most groups (with --gap and --groups)."
    ),
    gap: float = typer.Option(
        0.0, "--gap", help="How far one group's rate is expected from --rate (rate + gap)."
    ),
    groups: int | None = typer.Option(None, "--groups", help="Number of groups (default 2)."),
    rates: str | None = typer.Option(
        None, "--rates", help="Instead of --rate: each group's expected rate, e.g. 0.30,0.25,0.28."
    ),
    power: float = typer.Option(0.8, "--power", help="Probability of a decision, in (0, 1)."),
    ci_level: float = typer.Option(0.95, "--ci-level", help="1 − α of the verdict's tests."),
    min_group_size: int = typer.Option(
        30, "--min-group-size", help="The verdict's minimum group size."
    ),
    share: float = typer.Option(
        1.0,
        "--share",
        help="Share of a group's rows in the rate's denominator, e.g. the positive share for tpr.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """How many rows per group a fairness verdict needs to decide with the given power.

    Computed by the same tests the verdicts use (assay.evaluate.plan_sample_size), at the rates
    you expect: for example `assay plan sample-size --rate 0.3 --gap 0.02 --groups 5 --limit 0.1`.
    """
    if rule not in ("difference", "ratio"):
        raise InputError(f"--rule must be difference or ratio; got '{rule}'.")
    if (rates is None) == (rate is None):
        raise InputError(
            "Give the expected rates with --rates (one per group, e.g. --rates 0.30,0.25,0.28) "
            "or with --rate (and --gap, --groups, e.g. --rate 0.3 --gap 0.05 --groups 4): one "
            "of the two."
        )
    plan = plan_sample_size(
        _rates(rates),
        limit=limit,
        rule="ratio" if rule == "ratio" else "difference",
        rate=rate,
        gap=gap,
        groups=groups,
        power=power,
        ci_level=ci_level,
        min_group_size=min_group_size,
        share=share,
    )
    if as_json:
        typer.echo(json.dumps(plan.to_dict(), indent=2, ensure_ascii=False))
        return
    _print(plan)


def _print(plan: SampleSizePlan) -> None:
    console = make_console()
    goal = {
        ("difference", "pass"): f"show that every pair of groups differs by at most {plan.limit:g}",
        (
            "difference",
            "fail",
        ): f"show that some pair of groups differs by more than {plan.limit:g}",
        ("ratio", "pass"): f"show that every pair's ratio (min/max) is at least {plan.limit:g}",
        ("ratio", "fail"): f"show that some pair's ratio (min/max) is below {plan.limit:g}",
    }[(plan.rule, plan.decision)]
    rates = ", ".join(f"{r:g}" for r in plan.rates)
    if plan.rows_per_group is None:
        console.print(
            f"[bold yellow]More than {plan.more_than:,} rows per group[/] would be needed to "
            f"{goal} with {plan.power:.0%} power: the expected rates ({rates}) are at, or too "
            "close to, the limit."
        )
        return
    console.print(f"[bold]{plan.rows_per_group:,} rows per group[/]")
    console.print(
        f"to {goal} with {plan.power:.0%} power (computed: {plan.achieved_power:.1%}), at expected "
        f"rates {rates}, {plan.ci_level:.0%} level, minimum group size {plan.min_group_size}"
        + (
            f", {plan.share:g} of each group's rows in the rate's denominator."
            if plan.share < 1
            else "."
        )
    )
