"""``assay redteam ...``: run a prompt suite against a model, report, compare, record it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assay.cli._console import make_console
from assay.cli._files import emit_text, format_for
from assay.cli._outcome import note_errored, require_evaluated
from assay.errors import InputError

redteam_app = typer.Typer(
    help="Generative-AI safety: run a prompt suite against a model, report, compare two runs.",
    no_args_is_help=True,
)

REPORT_FORMATS = ("md", "html", "junit", "json", "all")
COMPARE_FORMATS = ("table", "md", "html", "json")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ci(ci: dict[str, float] | None) -> str:
    return "" if not ci else f"[{ci['low'] * 100:.1f}, {ci['high'] * 100:.1f}]"


def _print_summary(run: Any, console: Console) -> None:
    result = run.result.to_dict()
    table = Table(title=f"Red-team results: {result['params']['suite']}", title_justify="left")
    for name, justify in (
        ("Category", "left"),
        ("Cases", "right"),
        ("Passed", "right"),
        ("Failed", "right"),
        ("Errored", "right"),
        ("Pass rate", "right"),
        ("95% CI", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in result["by_category"]:
        table.add_row(
            row["label"],
            str(row["cases"]),
            str(row["passed"]),
            f"[red]{row['failed']}[/]" if row["failed"] else "0",
            f"[yellow]{row['errored']}[/]" if row["errored"] else "0",
            _pct(row["pass_rate"]),
            _ci(row["ci"]),
        )
    c = result["counts"]
    table.add_section()
    table.add_row(
        "[bold]All[/]",
        str(c["cases"]),
        str(c["pass"]),
        str(c["fail"]),
        str(c["error"]),
        f"[bold]{_pct(result['overall']['pass_rate'])}[/]",
        _ci(result["overall"]["ci"]),
    )
    console.print(table)
    if c["error"]:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(result["errors_by_kind"].items()))
        console.print(f"{c['error']} errored cases are counted apart, never as passes ({kinds}).")


def _record(run: Any, system: str | None, model_version: str | None, workspace: Path | None,
            console: Console) -> None:  # fmt: skip
    if not system or not model_version:
        raise InputError(
            "--record files the run as evidence of a system's model version: give --system NAME "
            "and --model-version VERSION (registered with `assay system add NAME ...` and "
            "`assay model-version add NAME VERSION`)."
        )
    from assay.genai import record_run
    from assay.governance import open_workspace

    ws = open_workspace(workspace)
    try:
        summary, responses = record_run(ws, run, system=system, model_version=model_version)
    finally:
        ws.close()
    console.print(
        f"recorded evidence {summary.ref} (summary) and {responses.ref} (responses) for "
        f"{system} {model_version}"
    )


def _default_output(suite: str) -> Path:
    stem = "builtin" if suite == "builtin" else Path(suite).stem
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path("redteam-runs") / f"{stem}-{stamp}"


class _CaseProgress:
    """A progress bar on a terminal; in a log (CI), a line each time another tenth is done."""

    def __init__(self, console: Console, quiet: bool) -> None:
        self.console = console
        self.lines = not quiet and not console.is_terminal
        self.tally = {"pass": 0, "fail": 0, "error": 0}
        self.shown = -1
        self.bar = Progress(
            TextColumn("[bold]red-team[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[tally]}"),
            TimeElapsedColumn(),
            console=console,
            disable=quiet or self.lines,
            transient=True,
        )
        self.task = self.bar.add_task("cases", total=None, tally="")

    def __enter__(self) -> _CaseProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def update(self, done: int, total: int, rec: Any) -> None:
        if rec is not None:
            self.tally[rec["outcome"]] += 1
        t = self.tally
        text = f"pass {t['pass']} · fail {t['fail']} · error {t['error']}"
        self.bar.update(self.task, completed=done, total=total, tally=text)
        tenth = done * 10 // total if total else 10
        if self.lines and tenth > self.shown:
            self.shown = tenth
            self.console.print(f"red-team: {done:,}/{total:,} cases ({text})", highlight=False)


@redteam_app.command("run")
def run_command(
    target: str = typer.Option(
        ...,
        "--target",
        "-t",
        help="An OpenAI-compatible base URL (http://127.0.0.1:8000/v1), module:function, "
        "or cmd:COMMAND.",
    ),
    suite: str = typer.Option("builtin", "--suite", "-s", help="builtin, or a .yaml/.jsonl file."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name sent to the target."),
    api_key_env: str | None = typer.Option(
        None,
        "--api-key-env",
        help="Environment variable holding the API key (default: OPENAI_API_KEY if set).",
    ),
    concurrency: int = typer.Option(
        8, "--concurrency", "-c", min=1, help="Cases in flight at once."
    ),
    timeout: float = typer.Option(60.0, "--timeout", min=0, help="Seconds to wait for each call."),
    retries: int = typer.Option(
        4,
        "--retries",
        min=0,
        help="Retries after HTTP 429/5xx or a dropped connection, with backoff.",
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Run folder; running again with the same folder resumes (default: "
        "redteam-runs/SUITE-TIME).",
    ),
    cache: Path | None = typer.Option(
        None, "--cache", help="Response cache folder (reuses replies to identical requests)."
    ),
    strategy: list[str] = typer.Option(
        [], "--strategy", help="Apply this strategy to every probe (repeatable)."
    ),
    category: list[str] = typer.Option([], "--category", help="Only this category (repeatable)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Only the first N cases."),
    judge: str | None = typer.Option(
        None, "--judge", help="A target to use as LLM judge (same forms as --target)."
    ),
    judge_model: str | None = typer.Option(None, "--judge-model", help="The judge's model name."),
    toxicity_lexicon: Path | None = typer.Option(
        None, "--toxicity-lexicon", help="Extra toxicity terms (YAML, same format as built-in)."
    ),
    fresh: bool = typer.Option(False, "--fresh", help="Discard what --output holds; start over."),
    fail_under: float | None = typer.Option(
        None, "--fail-under", help="Exit with code 1 when the overall pass rate is below this."
    ),
    record: bool = typer.Option(False, "--record", help="File the run as evidence."),
    system: str | None = typer.Option(None, "--system", help="With --record: the AI system."),
    model_version: str | None = typer.Option(
        None, "--model-version", help="With --record: the system's model version."
    ),
    workspace: Path | None = typer.Option(
        None, "--workspace", help="With --record: a folder inside the workspace."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Send every case of a suite to a target, score the replies offline, write the run folder."""
    opts = _RunOptions(
        target=target, suite=suite, model=model, api_key_env=api_key_env,
        concurrency=concurrency, timeout=timeout, retries=retries, cache=cache,
        strategy=strategy, category=category, limit=limit, judge=judge, judge_model=judge_model,
        toxicity_lexicon=toxicity_lexicon, fresh=fresh,
    )  # fmt: skip
    _check_run_options(record, system, model_version, fail_under)
    console = make_console(stderr=True)
    folder = output or _default_output(suite)
    run = _run_cases(opts, folder, console, quiet)
    _require_scored(run, target, folder)
    _report_run(run, folder, console)
    if record:
        _record(run, system, model_version, workspace, console)
    _check_fail_under(run, fail_under, console)


def _check_run_options(
    record: bool, system: str | None, model_version: str | None, fail_under: float | None
) -> None:
    """Refuse --record without its system and model version, and a --fail-under outside 0..1."""
    if record and (not system or not model_version):
        raise InputError("--record needs --system NAME and --model-version VERSION.")
    if fail_under is not None and not 0 <= fail_under <= 1:
        raise InputError(f"--fail-under takes a pass rate between 0 and 1; got {fail_under}.")


@dataclass(frozen=True)
class _RunOptions:
    """What ``assay redteam run`` sends to which target, and how."""

    target: str
    suite: str
    model: str | None
    api_key_env: str | None
    concurrency: int
    timeout: float
    retries: int
    cache: Path | None
    strategy: list[str]
    category: list[str]
    limit: int | None
    judge: str | None
    judge_model: str | None
    toxicity_lexicon: Path | None
    fresh: bool


def _run_cases(opts: _RunOptions, folder: Path, console: Console, quiet: bool) -> Any:
    """Run the suite into ``folder``, with progress; Ctrl-C keeps what finished (exit 130)."""
    from assay.genai import load_lexicon, parse_target, run_redteam

    the_target = parse_target(opts.target, model=opts.model, api_key_env=opts.api_key_env)
    the_judge = parse_target(opts.judge, model=opts.judge_model) if opts.judge else None
    lexicon = load_lexicon(opts.toxicity_lexicon) if opts.toxicity_lexicon is not None else None
    progress = _CaseProgress(console, quiet)
    try:
        with progress:
            return run_redteam(
                opts.suite,
                the_target,
                output=folder,
                concurrency=opts.concurrency,
                timeout=opts.timeout,
                retries=opts.retries,
                cache=opts.cache,
                strategies=opts.strategy or None,
                categories=opts.category or None,
                limit=opts.limit,
                judge=the_judge,
                lexicon=lexicon,
                fresh=opts.fresh,
                progress=progress.update,
            )
    except KeyboardInterrupt:
        console.print(
            f"[yellow]interrupted[/]: what finished is kept in {folder}. Resume with the same "
            f"command and --output {folder}, or summarise it with `assay redteam report {folder}`."
        )
        raise typer.Exit(130) from None


def _report_run(run: Any, folder: Path, console: Console) -> None:
    """Write the reports into the run folder and print the summary."""
    from assay.genai import write_reports

    written = write_reports(run)
    _print_summary(run, make_console())
    console.print(f"run folder {folder}: " + ", ".join(p.name for p in written) + ", summary.json")


def _check_fail_under(run: Any, fail_under: float | None, console: Console) -> None:
    """Count the errored cases; exit 1 when --fail-under is not met or the run is partial."""
    counts = run.result.counts
    errored = note_errored(
        counts["error"], counts["cases"], unit="case", flag="--fail-under", console=console
    )
    rate = run.result.pass_rate
    if fail_under is not None and (rate is None or rate < fail_under):
        console.print(f"[red]pass rate {_pct(rate)} is below --fail-under {fail_under:.0%}[/]")
        raise typer.Exit(1)
    if fail_under is not None and errored:
        raise typer.Exit(1)


def _require_scored(run: Any, target: str, folder: Path) -> None:
    """Exit 2 when no case was scored: the suite selected none, or every one errored."""
    counts = run.result.counts
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(run.result.to_dict()["errors_by_kind"].items()))
    errors = run.errors()
    require_evaluated(
        run.result.n,
        counts["cases"],
        unit="case",
        first_error=(f"{errors[0].get('reason')}; by kind: {kinds}" if errors else None),
        fix=f"Check that the target {target} is up and answers (the run is kept in {folder}; "
        "the same command retries the errored cases)."
        if errors
        else "Check --category, --strategy and --limit: they selected no case of the suite.",
    )


@redteam_app.command("report")
def report_command(
    run: Path = typer.Argument(..., help="A run folder: the --output of a red-team run."),
    fmt: str = typer.Option("md", "--format", "-f", help="md, html, junit, json, or all."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (a folder with --format all)."
    ),
) -> None:
    """Re-render a past run from its stored records, without calling the target again."""
    from assay.genai import (
        load_run,
        render_redteam_html,
        render_redteam_junit,
        render_redteam_markdown,
        write_reports,
    )

    fmt = format_for(fmt, output, REPORT_FORMATS, default="md")
    if fmt not in REPORT_FORMATS:
        raise InputError(f"--format must be one of {', '.join(REPORT_FORMATS)}; got '{fmt}'.")
    console = make_console(stderr=True)
    the_run = load_run(run)
    if fmt == "all":
        written = write_reports(the_run, output)
        console.print("wrote " + ", ".join(str(p) for p in written))
        return
    if fmt == "json":
        text = the_run.result.to_json() + "\n"
    elif fmt == "html":
        text = render_redteam_html(the_run)
    elif fmt == "junit":
        text = render_redteam_junit(the_run)
    else:
        text = render_redteam_markdown(the_run)
    emit_text(text, output, console)


@redteam_app.command("compare")
def compare_command(
    run_a: Path = typer.Argument(..., help="The baseline run folder (for example the old model)."),
    run_b: Path = typer.Argument(..., help="The candidate run folder (the new model)."),
    alpha: float = typer.Option(
        0.05, "--alpha", min=0, max=1, help="Family-wise error rate (Holm)."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table, md, html or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write."),
    fail_on_regression: bool = typer.Option(
        False, "--fail-on-regression", help="Exit with code 1 if any category regressed."
    ),
) -> None:
    """Compare two runs category by category; flag significant regressions (Holm-adjusted)."""
    from assay.genai import (
        compare_runs,
        load_run,
        render_comparison_html,
        render_comparison_markdown,
    )

    fmt = format_for(fmt, output, COMPARE_FORMATS, default="table")
    if fmt not in COMPARE_FORMATS:
        raise InputError(f"--format must be one of {', '.join(COMPARE_FORMATS)}; got '{fmt}'.")
    console = make_console(stderr=fmt != "table" or output is not None)
    comparison = compare_runs(load_run(run_a), load_run(run_b), alpha=alpha)
    rows = comparison.categories()
    require_evaluated(
        sum(row["flag"] != "insufficient_evidence" for row in rows),
        len(rows),
        unit="category",
        first_error="no category has scored cases in both runs",
        fix="Compare runs that scored cases (see `assay redteam report RUN`); a run whose every "
        "case errored has nothing to compare.",
    )
    if fmt == "table":
        if output is not None:
            raise InputError("--format table prints to the terminal; use md, html or json with -o.")
        table = Table(title="Run B compared with run A", title_justify="left")
        for name in ("Category", "A pass rate", "B pass rate", "B − A", "p (Holm)", "Flag"):
            table.add_column(name, justify="left" if name in ("Category", "Flag") else "right")
        for row in comparison.categories():
            diff = row["difference"]
            flag = row["flag"].replace("_", " ")
            style = {"regression": "bold red", "improvement": "bold green"}.get(row["flag"])
            table.add_row(
                row["label"],
                f"{_pct(row['a']['pass_rate'])} ({row['a']['passed']}/{row['a']['n']})",
                f"{_pct(row['b']['pass_rate'])} ({row['b']['passed']}/{row['b']['n']})",
                "—" if diff is None else f"{diff['value'] * 100:+.1f} pp",
                "—" if row["p_holm"] is None else f"{row['p_holm']:.3g}",
                f"[{style}]{flag}[/]" if style else flag,
            )
        console.print(table)
    elif fmt == "json":
        emit_text(comparison.to_json() + "\n", output, console)
    elif fmt == "html":
        emit_text(render_comparison_html(comparison), output, console)
    else:
        emit_text(render_comparison_markdown(comparison), output, console)
    err = make_console(stderr=True)
    untested = note_errored(
        sum(row["flag"] == "insufficient_evidence" for row in rows),
        len(rows),
        unit="category",
        flag="--fail-on-regression",
        console=err,
        verb="have no scored case in one of the runs",
    )
    if comparison.regressions:
        err.print(f"[red]regressions[/]: {', '.join(comparison.regressions)}")
    if fail_on_regression and (comparison.regressions or untested):
        raise typer.Exit(1)


@redteam_app.command("suite")
def suite_command(
    suite: str = typer.Argument("builtin", help="builtin, or a .yaml/.jsonl suite file."),
    strategy: list[str] = typer.Option([], "--strategy", help="As for a red-team run."),
    category: list[str] = typer.Option([], "--category", help="As for a red-team run."),
) -> None:
    """Validate a suite and show its categories, probes and the cases it expands to."""
    from assay.genai import CATEGORY_LABELS, load_suite, strategy_names

    the_suite = load_suite(suite)
    cases = the_suite.cases(strategies=strategy or None, categories=category or None)
    console = make_console()
    console.print(
        f"[bold]{the_suite.name}[/] {the_suite.version} · {len(the_suite.probes)} probes · "
        f"{len(cases)} cases · {the_suite.digest}"
    )
    table = Table(title_justify="left")
    for name, justify in (("Category", "left"), ("Probes", "right"), ("Cases", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for cat in the_suite.categories:
        probes = sum(p.category == cat for p in the_suite.probes)
        n = sum(c.category == cat for c in cases)
        table.add_row(CATEGORY_LABELS.get(cat, cat), str(probes), str(n))
    console.print(table)
    console.print("strategies: " + ", ".join(strategy_names(the_suite.wrappers)))


@redteam_app.command("record")
def record_command(
    run: Path = typer.Argument(..., help="A run folder."),
    system: str = typer.Option(..., "--system", help="The AI system."),
    model_version: str = typer.Option(..., "--model-version", help="Its model version."),
    workspace: Path | None = typer.Option(
        None, "--workspace", help="A folder inside the workspace (default: the current one)."
    ),
) -> None:
    """File a past run as evidence: its summary and its responses (JSON lines)."""
    from assay.genai import load_run

    _record(load_run(run), system, model_version, workspace, make_console(stderr=True))


def _register_more() -> None:
    """The commands kept in their own modules (RAG evaluation, judge calibration)."""
    from assay.cli._agents import agent_command
    from assay.cli._judge import judge_calibrate_command, judge_correct_command
    from assay.cli._rag import rag_command

    redteam_app.command("rag")(rag_command)
    redteam_app.command("judge-calibrate")(judge_calibrate_command)
    redteam_app.command("judge-correct")(judge_correct_command)
    redteam_app.command("agent")(agent_command)


_register_more()
