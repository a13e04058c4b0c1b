"""``assay card|datasheet|report|packet|completeness|checklist``: documents from the evidence store.

Each command is a thin wrapper over :mod:`assay.documents`: build the document, render it in the
format asked for, write it to ``--output`` or print it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assay import documents as d
from assay.cli._files import format_for, input_file, write_output
from assay.cli._gov_common import DbOpt, WorkspaceOpt, console, opened
from assay.errors import InputError

__all__ = [
    "card_app",
    "checklist_command",
    "completeness_command",
    "datasheet_command",
    "packet_app",
    "report_app",
]

card_app = typer.Typer(help="Model and system cards: render them, or write their sections.",
                       no_args_is_help=True)  # fmt: skip
report_app = typer.Typer(help="Risk assessments, decision logs and program reports.",
                         no_args_is_help=True)  # fmt: skip
packet_app = typer.Typer(help="Frozen review packets: build, show, verify, sign.",
                         no_args_is_help=True)  # fmt: skip

FormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="md, html, pdf or json.", show_default=True)
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write to this file (required for pdf).", show_default=False
    ),
]
SectionOpt = Annotated[
    list[str] | None,
    typer.Option("--section", help="A section to write (repeat; pairs with --file or --text)."),
]
FileOpt = Annotated[
    list[Path] | None, typer.Option("--file", help="Markdown file with the section's text.")
]
TextOpt = Annotated[list[str] | None, typer.Option("--text", help="The section's text, inline.")]
FieldOpt = Annotated[
    list[str] | None, typer.Option("--field", help="A field as KEY=VALUE (license=mit...).")
]


def _emit(data: bytes, fmt: str, output: Path | None) -> None:
    if output is not None:
        write_output(output, data)
        console.print(f"Wrote {output} ({len(data):,} bytes).")
        return
    if fmt == "pdf":
        raise InputError("PDF is binary: give a file with --output FILE.pdf.")
    typer.echo(data.decode("utf-8"), nl=False)


def _output(doc: d.Document, fmt: str, output: Path | None) -> None:
    fmt = format_for(fmt, output, (*d.FORMATS, "pdf"), default="md")
    if fmt not in d.FORMATS:
        raise InputError(f"Unknown format {fmt!r}; choose one of: {', '.join(d.FORMATS)}.")
    if fmt == "pdf" and output is None:
        raise InputError("PDF is binary: give a file with --output FILE.pdf.")
    _emit(d.render_document(doc, fmt), fmt, output)


def _sections(
    section: list[str] | None, file: list[Path] | None, text: list[str] | None
) -> dict[str, str]:
    keys = list(section or [])
    sources = [f"--file '{p}'" for p in file or []] + ["--text"] * len(text or [])
    bodies = [input_file(p, option="--file").read_text(encoding="utf-8") for p in file or []]
    bodies += list(text or [])
    if len(keys) != len(bodies):
        raise InputError(
            f"Give one --file or --text per --section: got {len(keys)} section(s) and "
            f"{len(bodies)} text(s)."
        )
    for key, body, source in zip(keys, bodies, sources, strict=True):
        if not body.strip():
            raise InputError(
                f"The section {key!r} would be empty: {source} holds no text. Write the "
                "section's text; an empty section says nothing to a reader."
            )
    return dict(zip(keys, bodies, strict=True))


def _fields(fields: list[str] | None, features: str | None) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in fields or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--field {item!r} must be KEY=VALUE.")
        out[key.strip()] = [v.strip() for v in value.split(",")] if key == "language" else value
    if features is not None:
        out["sensitive_features"] = [f.strip() for f in features.split(",") if f.strip()]
    return out


def _edit(
    document: str,
    subject: str,
    section: list[str] | None,
    file: list[Path] | None,
    text: list[str] | None,
    field: list[str] | None,
    features: str | None,
    workspace: Path | None,
    db: str | None,
) -> bool:
    sections = _sections(section, file, text)
    fields = _fields(field, features)
    if not sections and not fields:
        return False
    with opened(workspace, db) as ws:
        record = d.write_sections(ws, document, subject, sections=sections, fields=fields)
    what = document.replace("_", " ")
    console.print(
        f"Recorded {record.ref}: {', '.join([*sections, *fields])} of the {what} of {subject} "
        f"(blob sha256 {record.blob_sha256[:12]}…)."
    )
    return True


@card_app.command("model")
def card_model(
    system: Annotated[str, typer.Argument(help="The system's name.")],
    model_version: Annotated[
        str | None, typer.Option("--model-version", help="Default: the latest registered.")
    ] = None,
    fmt: FormatOpt = "md",
    output: OutputOpt = None,
    hf: Annotated[
        bool, typer.Option("--huggingface", help="Write a Hugging Face README.md instead.")
    ] = False,
    section: SectionOpt = None,
    file: FileOpt = None,
    text: TextOpt = None,
    field: FieldOpt = None,
    sensitive_features: Annotated[
        str | None,
        typer.Option("--sensitive-features", help="Declare them, comma-separated (sex,race)."),
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Render the model card of SYSTEM; with --section/--file (or --field), write its sections."""
    if _edit("model_card", system, section, file, text, field, sensitive_features, workspace, db):
        return
    with opened(workspace, db) as ws:
        card = d.build_model_card(ws, system, model_version=model_version)
    if hf:
        _emit(d.huggingface_model_card(card).encode("utf-8"), "md", output)
        return
    _output(card, fmt, output)


@card_app.command("system")
def card_system(
    system: Annotated[str, typer.Argument(help="The system's name.")],
    fmt: FormatOpt = "md",
    output: OutputOpt = None,
    section: SectionOpt = None,
    file: FileOpt = None,
    text: TextOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Render the system card of SYSTEM; with --section/--file, write its sections."""
    if _edit("system_card", system, section, file, text, None, None, workspace, db):
        return
    with opened(workspace, db) as ws:
        _output(d.build_system_card(ws, system), fmt, output)


def datasheet_command(
    dataset: Annotated[str, typer.Argument(help="The dataset version, NAME@VERSION.")],
    fmt: FormatOpt = "md",
    output: OutputOpt = None,
    croissant: Annotated[
        bool, typer.Option("--croissant", help="Write Croissant JSON-LD with RAI fields instead.")
    ] = False,
    section: SectionOpt = None,
    file: FileOpt = None,
    text: TextOpt = None,
    field: FieldOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Render the datasheet of DATASET; with --section/--file (or --field), write its answers."""
    if _edit("datasheet", dataset, section, file, text, field, None, workspace, db):
        return
    with opened(workspace, db) as ws:
        sheet = d.build_datasheet(ws, dataset)
    if croissant:
        data = json.dumps(d.croissant_jsonld(sheet), indent=2, ensure_ascii=False) + "\n"
        _emit(data.encode("utf-8"), "json", output)
        return
    _output(sheet, fmt, output)


@report_app.command("risk")
def report_risk(
    system: Annotated[str, typer.Argument(help="The system's name.")],
    fmt: FormatOpt = "md",
    output: OutputOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """The risk assessment of SYSTEM: heat maps, register, mitigations, owners, due dates."""
    with opened(workspace, db) as ws:
        _output(d.build_risk_assessment(ws, system), fmt, output)


@report_app.command("decisions")
def report_decisions(
    system: Annotated[str, typer.Argument(help="The system's name.")],
    fmt: FormatOpt = "md",
    output: OutputOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """The waiver and decision log of SYSTEM."""
    with opened(workspace, db) as ws:
        _output(d.build_decision_log(ws, system), fmt, output)


@report_app.command("program")
def report_program(
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    fmt: FormatOpt = "md",
    output: OutputOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """The program report of a period: KPIs, risk themes, remediation, waivers, incidents."""
    with opened(workspace, db) as ws:
        _output(d.build_program_report(ws, start, end), fmt, output)


@report_app.command("soa")
def report_soa(
    system: Annotated[
        list[str] | None,
        typer.Option("--system", help="An AI system in scope (repeat; default: every system)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="md, html, pdf, json or csv.", show_default=True)
    ] = "md",
    output: OutputOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """The ISO/IEC 42001 statement of applicability: every Annex A control, included or excluded
    with its justification, the evidence that implements it and its gaps."""
    from assay.exports import build_soa, soa_csv, soa_document

    if output is not None and output.suffix.lower() == ".csv" and fmt == "md":
        fmt = "csv"
    with opened(workspace, db) as ws:
        soa = build_soa(ws, systems=system)
    if fmt == "csv":
        _emit(soa_csv(soa).encode("utf-8"), fmt, output)
        return
    _output(soa_document(soa), fmt, output)


@packet_app.command("build")
def packet_build(
    review: Annotated[str, typer.Argument(help="The review, REV-3.")],
    checkpoint: Annotated[
        str | None,
        typer.Option("--checkpoint", help="Default: the review's checkpoint (set at triage)."),
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Freeze the review packet of REVIEW as canonical JSON; print its sha256."""
    with opened(workspace, db) as ws:
        packet = d.build_packet(ws, review, checkpoint=checkpoint)
    state = d.packet_state(packet.content)
    meets = "meets" if state.passes else "below"
    console.print(
        f"Built the packet of {packet.review} as {packet.record.ref} (completeness "
        f"{state.score}%, {meets} the policy minimum of {state.minimum_percent}%; "
        f"{len(state.gaps)} gap(s)).\nsha256 {packet.sha256}\n"
        f"Render it with `assay packet show {packet.record.ref} --format pdf -o packet.pdf`; "
        f"approvers sign it with `assay packet sign {packet.record.ref} ...`."
    )


@packet_app.command("show")
def packet_show(
    ref: Annotated[str, typer.Argument(help="EV-12, REV-3 (its latest packet) or a sha256.")],
    fmt: FormatOpt = "md",
    output: OutputOpt = None,
    canonical: Annotated[
        bool, typer.Option("--canonical", help="Write the frozen canonical JSON bytes as stored.")
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Render a built packet (the frozen content, plus the approvals that sign it)."""
    with opened(workspace, db) as ws:
        if canonical:
            packet = d.load_packet(ws, ref)
            _emit(ws.blobs.read_bytes(packet.sha256), "json", output)
            return
        doc = d.packet_document(ws, ref)
    _output(doc, fmt, output)


@packet_app.command("verify")
def packet_verify(
    ref: Annotated[str, typer.Argument(help="EV-12, REV-3 or a sha256.")],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Re-check a packet's sha256, the hash of each item and every evidence record in it."""
    with opened(workspace, db) as ws:
        check = d.verify_packet(ws, ref)
    if check.ok:
        console.print(
            f"[green]ok[/green] {check.record}: sha256 {check.sha256} verified, "
            f"{check.items_checked} items and evidence hashes checked."
        )
        return
    console.print(f"[bold red]FAILED[/] {check.record} (sha256 {check.sha256}):")
    for problem in check.problems:
        console.print(f"  - {problem}")
    raise typer.Exit(1)


@packet_app.command("sign")
def packet_sign(
    ref: Annotated[str, typer.Argument(help="EV-12, REV-3 or a sha256.")],
    decision: Annotated[
        str,
        typer.Option(
            "--decision",
            help="approved, approved_with_conditions, rejected or returned_for_rework.",
        ),
    ],
    rationale: Annotated[str, typer.Option("--rationale")],
    conditions: Annotated[str | None, typer.Option("--conditions")] = None,
    acknowledge_incomplete: Annotated[
        bool,
        typer.Option(
            "--acknowledge-incomplete",
            help="Approve although the packet is below the policy's completeness minimum; kept "
            "in the audit trail.",
        ),
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Decide on the packet's review, signing the packet's sha256."""
    with opened(workspace, db) as ws:
        approval = d.sign_packet(
            ws,
            ref,
            decision=decision,
            rationale=rationale,
            conditions=conditions,
            acknowledge_incomplete=acknowledge_incomplete,
        )
    console.print(
        f"Recorded {approval.ref}: {approval.decision} by {approval.signer}, signing sha256 "
        f"{approval.subject_sha256}."
    )


def completeness_command(
    review: Annotated[str, typer.Argument(help="The review, REV-3.")],
    checkpoint: Annotated[
        str | None,
        typer.Option("--checkpoint", help="Default: the review's checkpoint (set at triage)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the review's state as JSON.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with 1 below the policy minimum.")
    ] = False,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """Score a review's evidence completeness and consistency; list the gaps with owners, the open
    and blocking risks and the waivers (the review's state, as its packet freezes it)."""
    with opened(workspace, db) as ws:
        state = d.review_state(ws, review, checkpoint=checkpoint)
    if as_json:
        typer.echo(json.dumps(state.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_state(state)
    if strict and not state.passes:
        raise typer.Exit(1)


def _print_state(state: d.ReviewState) -> None:
    colour = "green" if state.passes else "red"
    console.print(
        f"[bold]{state.review}[/] {state.system} · tier {state.tier} · {state.checkpoint}: "
        f"[{colour}]{state.score}%[/] complete (policy minimum {state.minimum_percent:g}%)"
    )
    per_doc = Table(title="By document", title_justify="left")
    for col in ("document", "present", "required", "score"):
        per_doc.add_column(col)
    for name, (present, total, pct) in state.completeness.by_document.items():
        per_doc.add_row(name, str(present), str(total), f"{pct}%")
    console.print(per_doc)
    if state.gaps:
        gaps = Table(title=f"Gaps ({len(state.gaps)})", title_justify="left")
        for col in ("document", "requirement", "status", "owner", "how to fill"):
            gaps.add_column(col, overflow="fold")
        for g in state.gaps:
            gaps.add_row(g.document, g.requirement, g.status, g.owner or "—", g.fix)
        console.print(gaps)
    checks = Table(title="Consistency", title_justify="left")
    for col in ("check", "result", "detail"):
        checks.add_column(col, overflow="fold")
    for c in state.completeness.consistency:
        checks.add_row(c.label, "[green]ok[/]" if c.ok else "[red]inconsistent[/]", c.detail)
    console.print(checks)
    risks = Table(title=f"Open risks ({len(state.open_risks)})", title_justify="left")
    for col in ("risk", "title", "rating", "owner", "blocks approval"):
        risks.add_column(col, overflow="fold")
    for r in state.open_risks:
        blocks = (
            "[red]yes[/]"
            if r.blocking
            else (f"no (waived by {r.waived_by})" if r.waived_by else "no")
        )
        risks.add_row(r.ref, r.title, r.rating, r.owner, blocks)
    console.print(risks)
    console.print(
        f"Blocking risks: {', '.join(state.blocking_risks) or 'none'} · active waivers: "
        f"{', '.join(w.ref for w in state.active_waivers) or 'none'} · signed decisions: "
        f"{len(state.approvals)}"
    )


def checklist_command(
    system: Annotated[str, typer.Argument(help="The system's name.")],
    tier: Annotated[str | None, typer.Option("--tier", help="Default: the system's tier.")] = None,
    fmt: FormatOpt = "md",
    output: OutputOpt = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
) -> None:
    """The team checklist of SYSTEM from the policy (Markdown for a wiki by default)."""
    with opened(workspace, db) as ws:
        _output(d.build_checklist(ws, system, tier=tier), fmt, output)
