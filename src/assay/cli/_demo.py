"""``assay demo``: the whole workflow end to end on the UCI Adult data (:mod:`assay.demo`)."""

from __future__ import annotations

from pathlib import Path

import typer

from assay.cli._console import make_console
from assay.cli._fairness_table import print_fairness
from assay.errors import InputError


def demo_command(
    output: Path = typer.Option(
        Path("assay-demo"), "--output", "-o", help="Folder for everything the demo writes."
    ),
    serve: bool = typer.Option(
        False, "--serve", help="Then start the web app on the demo workspace with demo logins."
    ),
    port: int = typer.Option(8000, "--port", help="With --serve: the port on 127.0.0.1."),
) -> None:
    """Run Assay end to end on the UCI Adult data and write the results to a folder."""
    from assay import demo

    console = make_console()
    if serve and not demo.web_installed():
        raise InputError(
            "`assay demo --serve` needs the [web] extra: pip install 'assay-rai[web]' "
            "(`make demo` installs it); or run `assay demo` without --serve."
        )
    run = demo.run_demo(output, console)
    print_fairness(run.fairness, console)
    demo.print_story(run, console)
    if serve:
        demo.serve_demo(output, port, console)
