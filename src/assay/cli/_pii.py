"""``assay pii ...``: scan a table or log for personal data, and write a redacted copy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer
from rich.console import Console
from rich.table import Table

from assay.cli._console import make_console
from assay.cli._files import emit_text, format_for
from assay.cli._outcome import require_evaluated
from assay.cli._source import DATA_HELP, read_source, with_source
from assay.errors import InputError
from assay.evaluate.pii import POLICIES, PiiScanResult, Policy, load_ner, redact, scan

if TYPE_CHECKING:
    from assay.sources import SourceSpec

pii_app = typer.Typer(
    help="Personal data: column inventory, re-identification risk, minimisation, redaction.",
    no_args_is_help=True,
)

FORMATS = ("table", "json", "html", "md")


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _sample(value: str | None) -> float | int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise InputError(
            f"--sample takes a fraction (0.1) or a number of rows (100000); got '{value}'."
        ) from None
    if 0 < number < 1 or value.strip() in ("1.0", "1."):
        return number
    if number >= 1 and number.is_integer():
        return int(number)
    raise InputError(
        f"--sample takes a fraction in (0, 1) or a whole number of rows; got '{value}'."
    )


def _pct(value: float) -> str:
    return f"{value:.2%}"


def print_scan(result: PiiScanResult, console: Console) -> None:
    """The column inventory and, if present, the risk and minimisation findings as tables."""
    p = result.to_dict()
    head = f"{p['n_rows']:,} rows"
    if p["sample"]:
        head += f", {p['n_scanned']:,} sampled — {p['sample']['statement']}"
    console.print(f"[bold]PII scan[/] — {head}")
    table = Table(show_lines=False, header_style="bold")
    for name, justify in (("column", "left"), ("kind", "left"), ("entity", "left"),
                          ("rows", "right"), ("prevalence", "right"), ("confidence", "right"),
                          ("examples (masked)", "left")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for col in p["columns"]:
        if not col["entities"]:
            table.add_row(col["column"], col["kind"], "[dim]none found[/]", "0", "", "", "")
        for e in col["entities"]:
            prevalence = _pct(e["prevalence"])
            if e["prevalence_ci"]:
                lo, hi = e["prevalence_ci"]
                prevalence += f" ({_pct(lo)}–{_pct(hi)})"
            table.add_row(
                col["column"], col["kind"], e["entity"], f"{e['rows']:,}", prevalence,
                f"{e['confidence']:.2f}", ", ".join(e["examples"]),
            )  # fmt: skip
    console.print(table)
    for s in p["skipped"]:
        console.print(f"[dim]skipped {s['column']} ({s['dtype']}): {s['reason']}[/]")
    for note in p["input"]["notes"]:
        console.print(f"[dim]note: {note}[/]")
    if p["input"]["cells_truncated"]:
        console.print(
            f"[dim]{p['input']['cells_truncated']:,} cell(s) longer than "
            f"{p['params']['max_cell_chars']:,} characters were scanned up to that length[/]"
        )
    risk = p.get("risk")
    if risk:
        console.print(
            f"\n[bold]Re-identification risk[/] ({', '.join(risk['quasi_identifiers'])}): "
            f"k = {risk['k']}, unique records {risk['unique_records']:,} "
            f"({_pct(risk['unique_share'])}), records in classes < {risk['k_threshold']}: "
            f"{_pct(risk['records_at_risk_share'])}"
            + (
                f", l-diversity of {risk['sensitive']} = {risk['l_diversity']}"
                if risk["sensitive"]
                else ""
            )
        )
        for d in risk["drivers"][:5]:
            console.print(
                f"  without {d['column']}: k = {d['k_without']}, unique "
                f"{_pct(d['unique_share_without'])}"
            )
    mini = p.get("minimisation")
    if mini:
        console.print(f"\n[bold]Data minimisation[/]: {mini['finding']}")


def write_scan(result: PiiScanResult, fmt: str, output: Path | None, console: Console) -> None:
    """Print or write a scan result in one of ``FORMATS``."""
    if fmt == "table":
        if output is not None:
            raise InputError(
                "--format table prints to the terminal; use json, html or md with --output."
            )
        print_scan(result, console)
        return
    text = {"json": result.to_json, "html": result.to_html, "md": result.to_markdown}[fmt]()
    emit_text(text, output, console)


def _record(result: PiiScanResult, system: str | None, model_version: str | None,
            workspace: Path | None, console: Console) -> None:  # fmt: skip
    if not system or not model_version:
        raise InputError(
            "--record files the scan as evidence of a system's model version: give --system NAME "
            "and --model-version VERSION (registered with `assay system add NAME ...` and "
            "`assay model-version add NAME VERSION`)."
        )
    try:
        from assay.governance import open_workspace, record_evaluation
    except ImportError:
        raise InputError(
            "--record needs the evidence store (assay.governance), which this installation lacks."
        ) from None
    ws = open_workspace(workspace)
    try:
        record: Any = record_evaluation(
            ws, result.to_dict(), kind="pii_scan", system=system, model_version=model_version,
            title="PII scan",
        )  # fmt: skip
    finally:
        ws.store.dispose()
    console.print(f"recorded evidence {getattr(record, 'ref', record)}")


@pii_app.command("scan")
@with_source("path")
def scan_command(
    path: str | None = typer.Argument(None, help="A table or log: " + DATA_HELP),
    columns: list[str] | None = typer.Option(
        None, "--columns", help="Columns to scan (nested as parent.child); repeat or use commas."
    ),
    quasi_identifiers: list[str] | None = typer.Option(
        None,
        "--quasi-identifiers",
        "-q",
        help="Quasi-identifier columns for re-identification risk.",
    ),
    sensitive: str | None = typer.Option(
        None, "--sensitive", help="Sensitive column for l-diversity (with --quasi-identifiers)."
    ),
    features: list[str] | None = typer.Option(
        None, "--features", help="The model's input features: lists personal data it does not need."
    ),
    sample: str | None = typer.Option(
        None, "--sample", help="Scan a random sample: a fraction (0.1) or a number of rows."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed of the sample."),
    min_score: float = typer.Option(
        0.5, "--min-score", help="Ignore findings below this confidence."
    ),
    ner: str | None = typer.Option(
        None,
        "--ner",
        help="Optional NER for names and places: spacy or presidio (needs --ner-model).",
    ),
    ner_model: Path | None = typer.Option(
        None, "--ner-model", help="Folder of a spaCy pipeline on disk (never downloaded)."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json, html or md."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
    record: bool = typer.Option(False, "--record", help="File the result as evidence."),
    system: str | None = typer.Option(None, "--system", help="System the evidence is for."),
    model_version: str | None = typer.Option(
        None, "--model-version", help="Registered model version the evidence is for."
    ),
    workspace: Path | None = typer.Option(
        None, "--workspace", help="A folder inside the workspace (default: the current one)."
    ),
    source: SourceSpec | None = None,
) -> None:
    """Find personal data column by column; masked examples only, never raw values."""
    fmt = format_for(fmt, output, FORMATS, default="table")
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}; got '{fmt}'.")
    backend = None
    if ner is not None:
        if ner_model is None:
            raise InputError(
                "--ner needs --ner-model PATH: the folder of a spaCy pipeline on disk."
            )
        backend = load_ner(ner, ner_model)
    result = read_source(
        source,
        lambda data: scan(
            data, columns=_split(columns), quasi_identifiers=_split(quasi_identifiers),
            sensitive=sensitive, features=_split(features), sample=_sample(sample),
            random_state=seed, min_score=min_score, ner=backend,
        ),
        values=True,
    )  # fmt: skip
    if result.n_rows and not result.n_scanned:
        raise InputError(
            f"The sample drew none of the {result.n_rows:,} rows; nothing was scanned. "
            "Give a larger --sample (a fraction such as 0.1, or a number of rows)."
        )
    where = path or (source.table if source else None) or "the query"
    require_evaluated(result.n_scanned, result.n_rows, unit="row",
                      fix=f"'{where}' holds no rows (only a header?).")  # fmt: skip
    console = make_console(stderr=fmt != "table" and output is None)
    write_scan(result, fmt, output, console)
    if record:
        _record(result, system, model_version, workspace, console)


@pii_app.command("redact")
def redact_command(
    source: Path = typer.Argument(..., help="Input: .parquet, .csv, .tsv or .jsonl."),
    destination: Path = typer.Argument(..., help="Output; its suffix picks the format."),
    policy: str = typer.Option("mask", "--policy", help="mask, hash or drop."),
    columns: list[str] | None = typer.Option(None, "--columns", help="Only these columns."),
    min_score: float = typer.Option(
        0.5, "--min-score", help="Ignore findings below this confidence."
    ),
) -> None:
    """Write a copy with personal data masked, hashed (key: ASSAY_PII_HASH_KEY) or dropped."""
    if policy not in POLICIES:
        raise InputError(f"--policy must be one of {', '.join(POLICIES)}; got '{policy}'.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    report = redact(
        source,
        destination,
        policy=cast(Policy, policy),
        columns=_split(columns),
        min_score=min_score,
    )
    if report.rows == 0:
        Path(report.destination).unlink(missing_ok=True)
        raise InputError(
            f"'{source}' holds no rows (only a header?); nothing was redacted and no copy was "
            "written."
        )
    console = make_console(stderr=True)
    changed = ", ".join(
        f"{c} ({', '.join(f'{e} ×{n}' for e, n in ents.items())})"
        for c, ents in report.columns.items()
    )
    console.print(
        f"wrote {report.destination}: {report.rows:,} rows, {report.values_redacted:,} distinct "
        f"value(s) redacted ({policy})" + (f" in {changed}" if changed else "")
    )
