"""``assay frameworks ...``: the framework catalogs, the crosswalk and a system's coverage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assay.cli._files import write_output
from assay.cli._gov_common import DbOpt, WorkspaceOpt, console, opened
from assay.errors import InputError
from assay.frameworks import (
    coverage_markdown,
    framework_coverage,
    get_framework,
    list_frameworks,
    load_crosswalk,
)
from assay.policy import load_policy
from assay.render import markdown_escape

__all__ = ["frameworks_app"]

frameworks_app = typer.Typer(
    help="Frameworks as data (NIST AI RMF, EU AI Act Annex IV, ISO/IEC 42001) and coverage; "
    "red-team categories mapped to OWASP LLM Top 10 and NIST AI 600-1.",
    no_args_is_help=True,
)

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, json or md")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of printing.")
]
CrosswalkOpt = Annotated[
    Path | None,
    typer.Option("--crosswalk", help="A crosswalk YAML file (default: the shipped one)."),
]


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json", "md"):
        raise InputError(f"--format must be table, json or md, not {fmt!r}.")


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_output(output, text)
        console.print(f"wrote {output}")


@frameworks_app.command("list")
def list_command(fmt: FormatOpt = "table") -> None:
    """List the framework catalogs, their sources and how many items Assay can evidence."""
    _check_format(fmt)
    cw = load_crosswalk()
    rows = [
        {
            "id": f.id,
            "name": f.name,
            "version": f.version,
            "items": len(f.leaves),
            "mapped": len(cw.frameworks.get(f.id, {})),
            "source": f.source.document,
            "published": f.source.published,
            "content": f.source.content,
        }
        for f in list_frameworks()
    ]
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if fmt == "md":
        lines = ["| Framework | Items | Evidenced by Assay | Source |", "|---|---:|---:|---|"]
        lines += [
            f"| {r['name']} (`{r['id']}`) | {r['items']} | {r['mapped']} | {r['source']}, "
            f"{r['published']} |"
            for r in rows
        ]
        typer.echo("\n".join(lines))
        return
    table = Table(title="Framework catalogs", title_justify="left")
    for col in ("id", "name", "items", "evidenced by Assay", "source"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["id"]), str(r["name"]), str(r["items"]), str(r["mapped"]),
            f"{r['source']} ({r['published']})",
        )  # fmt: skip
    console.print(table)


@frameworks_app.command("show")
def show_command(
    framework: Annotated[str, typer.Argument(help="Framework id or prefix: nist, eu, iso.")],
    fmt: FormatOpt = "table",
    crosswalk: CrosswalkOpt = None,
) -> None:
    """Show a framework's items and the Assay signals the crosswalk maps to each."""
    _check_format(fmt)
    fw = get_framework(framework)
    cw = load_crosswalk(crosswalk)
    rows = []
    for it in fw.items:
        mapping = cw.mapping(fw.id, it.id)
        rows.append(
            {
                "id": it.id,
                "level": it.level,
                "title": it.title,
                "text": it.text,
                "assessable": it.is_leaf,
                "requires": [list(g) for g in mapping.groups] if mapping else [],
                "note": mapping.note if mapping else "",
            }
        )
    if fmt == "json":
        doc = {
            "id": fw.id,
            "name": fw.name,
            "version": fw.version,
            "source": fw.source.model_dump(),
            "items": rows,
        }
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return

    def needs(r: dict[str, object]) -> str:
        groups = r["requires"]
        assert isinstance(groups, list)
        if not r["assessable"]:
            return ""
        if not groups:
            return "not evidenced by Assay"
        return "; ".join(" or ".join(g) for g in groups)

    if fmt == "md":
        lines = [
            f"# {fw.name}",
            "",
            f"Source: {fw.source.document}, {fw.source.published} ({fw.source.reference}). "
            f"{fw.source.rights} Transcribed {fw.source.transcribed}.",
            "",
            "| Item | Text | Assay evidence |",
            "|---|---|---|",
        ]
        for r in rows:
            text = markdown_escape(r["text"])
            label = f"**{markdown_escape(r['title'])}** {text}".strip() if r["title"] else text
            lines.append(f"| {markdown_escape(r['id'])} | {label} | {markdown_escape(needs(r))} |")
        typer.echo("\n".join(lines))
        return
    table = Table(title=f"{fw.name} — {fw.source.document}", title_justify="left")
    for col in ("item", "title / text", "Assay evidence"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), str(r["title"] or r["text"]), needs(r))
    console.print(table)


@frameworks_app.command("coverage")
def coverage_command(
    system: Annotated[str, typer.Argument(help="The AI system.")],
    framework: Annotated[
        list[str] | None,
        typer.Option("--framework", help="Framework id or prefix; repeatable (default: all)."),
    ] = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Policy file (default: the shipped one).")
    ] = None,
    crosswalk: CrosswalkOpt = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="With the table: list covered items too.")
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Coverage of each framework by the system's evidence and records, and what is missing."""
    _check_format(fmt)
    pol = load_policy(policy)
    cw = load_crosswalk(crosswalk)
    with opened(workspace, db) as ws:
        report = framework_coverage(ws, system, frameworks=framework, policy=pol, crosswalk=cw)
    if fmt == "json":
        _emit(report.to_json(), output)
        return
    if fmt == "md":
        _emit(coverage_markdown(report), output)
        return
    if output is not None:
        raise InputError("--output writes json or md; add --format json or --format md.")
    summary = Table(
        title=f"Framework coverage of {report.system} (tier {report.tier})", title_justify="left"
    )
    for col in ("framework", "items", "covered", "partial", "missing", "not evidenced", "coverage"):
        summary.add_column(col, justify="left" if col == "framework" else "right")
    for c in report.frameworks:
        summary.add_row(
            c.framework.name, str(len(c.items)), str(c.count("covered")),
            str(c.count("partial")), str(c.count("missing")), str(c.count("not_evidenced")),
            f"{c.percent:.1f}%",
        )  # fmt: skip
    console.print(summary)
    for c in report.frameworks:
        table = Table(title=c.framework.name, title_justify="left")
        for col in ("item", "status", "evidence", "still needed"):
            table.add_column(col, overflow="fold")
        for it in c.items:
            if it.status == "not_evidenced" or (it.status == "covered" and not show_all):
                continue
            table.add_row(
                it.id,
                it.status,
                "\n".join(f"{s.signal}: {s.detail}" for s in it.met),
                "\n".join(
                    " or ".join(f"{s.signal} ({s.detail})" for s in group) for group in it.unmet
                ),
            )
        console.print(table)
    if report.gaps:
        fixes = Table(title="Filling the gaps", title_justify="left")
        fixes.add_column("signal")
        fixes.add_column("how", overflow="fold")
        for sid, fix in report.gaps.items():
            fixes.add_row(sid, fix)
        console.print(fixes)
    console.print(
        "Coverage counts covered items over all items; items not evidenced by Assay are "
        "organisational (see `assay frameworks show FRAMEWORK`)."
    )


@frameworks_app.command("genai-coverage")
def genai_coverage_command(
    suite: Annotated[
        str, typer.Option("--suite", help="'builtin' or a suite YAML file: count its probes.")
    ] = "builtin",
    run: Annotated[
        Path | None,
        typer.Option("--run", help="A red-team run folder: count its cases and outcomes instead."),
    ] = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    """Red-team categories mapped to OWASP Top 10 for LLM Applications 2025 and NIST AI 600-1."""
    from assay.frameworks import CategoryTally, genai_coverage
    from assay.genai import load_run, load_suite

    _check_format(fmt)
    if run is not None:
        cats = load_run(run).result.by_category()
        tallies = {
            c["category"]: CategoryTally(int(c["cases"]), int(c["passed"]), int(c["failed"]))
            for c in cats
            if c["cases"]
        }
    else:
        probes = load_suite(suite).probes
        counts: dict[str, int] = {}
        for p in probes:
            counts[p.category] = counts.get(p.category, 0) + 1
        tallies = {c: CategoryTally(n) for c, n in counts.items()}
    rows = [r.to_dict() for r in genai_coverage(tallies)]
    if fmt == "json":
        _emit(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", output)
        return
    unit = "cases" if run is not None else "probes"
    if fmt == "md":
        lines = [f"| Framework | Risk | Tested by | {unit.capitalize()} | Pass rate |",
                 "|---|---|---|---:|---:|"]  # fmt: skip
        for r in rows:
            rate = "" if r["pass_rate"] is None else f"{r['pass_rate']:.1%}"
            tested = markdown_escape(", ".join(r["categories"])) or "not covered"
            lines.append(
                f"| {r['framework']} | {r['id']} {markdown_escape(r['title'])} | {tested} "
                f"| {r['cases']} | {rate} |"
            )
        _emit("\n".join(lines) + "\n", output)
        return
    table = Table(title="OWASP LLM Top 10 (2025) and NIST AI 600-1", title_justify="left")
    for col in ("framework", "risk", "tested by", unit, "pass rate"):
        table.add_column(col, overflow="fold")
    for r in rows:
        rate = "" if r["pass_rate"] is None else f"{r['pass_rate']:.1%}"
        tested = ", ".join(r["categories"]) or "[dim]not covered[/dim]"
        table.add_row(r["framework"], f"{r['id']} {r['title']}", tested, str(r["cases"]), rate)
    console.print(table)
