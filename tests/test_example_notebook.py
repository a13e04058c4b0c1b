"""The worked notebook in examples/ runs top to bottom in a real Jupyter kernel (nbclient and
ipykernel), and every result it shows renders as its report: HTML in a sandboxed frame, with the
report's own title and charts, no script."""

from __future__ import annotations

import html
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parents[1] / "examples" / "assay-in-a-notebook.ipynb"
SRC = Path(__file__).parents[1] / "src"

#: The last line of a cell that shows a result → a phrase of its report's page.
REPORTS = {
    "fair": "Fairness",
    "checked": "Data quality",
    "shift": "Drift check",
    "found": "PII scan",
    "robust": "Robustness",
    "run": "red-team",
    "kpis": "Program KPIs 2026-10-01 to 2026-12-31",
}


@pytest.mark.slow
def test_example_notebook_runs_and_shows_every_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # the kernel (a child process) imports this checkout's assay, as the tests do
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.execute()
    shown: dict[str, str] = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        last = cell.source.strip().splitlines()[-1]
        pages = [o.data["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
        if last in REPORTS:
            assert pages, f"{last} showed no HTML"
            shown[last] = pages[-1]
    assert set(shown) == set(REPORTS)
    for name, phrase in REPORTS.items():
        frame = shown[name]
        assert frame.startswith('<iframe sandbox="" title="Assay report" srcdoc="'), name
        page = html.unescape(frame.split('srcdoc="', 1)[1].split('" style=', 1)[0])
        assert phrase.lower() in page.lower(), name
        assert "<script" not in page, name
        assert "http://" not in page.replace("http://www.w3.org/2000/svg", ""), name
    for name in ("fair", "checked", "shift", "robust"):
        assert "<svg" in html.unescape(shown[name]), name
