"""The render package: one environment, one Markdown escaper, one JUnit writer, one heat map."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import xmlschema

from assay.render import (
    JUnitCase,
    JUnitSuite,
    environment,
    heat_map,
    junit_xml,
    markdown_escape,
    markdown_prose,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "assay"
JUNIT = Path(__file__).resolve().parents[1] / "data" / "schemas" / "junit" / "junit-10.xsd"


def _calls(name: str) -> list[str]:
    """Every place in src/ that constructs ``name(`` (a call of that attribute or name)."""
    found = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                called = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                if called == name:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_one_jinja_environment_and_one_junit_writer() -> None:
    constructions = _calls("Environment")
    assert len(constructions) == 1, constructions
    assert constructions[0].startswith("render/_environment.py:")
    writers = {p.split(":")[0] for p in _calls("ElementTree") + _calls("SubElement")}
    assert writers <= {"render/_junit.py"}, writers


def test_no_second_markdown_escaper() -> None:
    """A hand-written ``replace("|", "\\|")`` is a second escaper that misses links and HTML."""
    pattern = re.compile(r"""replace\(\s*["']\|["']""")
    copies = [
        str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if pattern.search(p.read_text("utf-8"))
    ]
    assert copies == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[x](javascript:alert(1))", "[x\\](javascript:alert(1))"),
        ("a | b", "a \\| b"),
        ("line\nbreak", "line break"),
        ("y_true", "y_true"),
    ],
)
def test_markdown_escape_shows_text_literally(text: str, shown: str) -> None:
    assert markdown_escape(text) == shown


def test_markdown_prose_keeps_formatting_but_not_html_or_script_links() -> None:
    text = "# Notes\n**bold** <img src=x onerror=alert(1)>\n[a](JavaScript:alert(1))\n[r]: data:x"
    out = markdown_prose(text)
    assert "**bold**" in out
    assert "# Notes" in out
    assert "<img" not in out
    assert "javascript" not in out.lower()
    assert "data:x" not in out
    assert "[b](https://example.org/a_(b))" in markdown_prose("[b](https://example.org/a_(b))")


def test_markdown_environment_escapes_every_value() -> None:
    env = environment(markdown=True)
    assert env.from_string("{{ v }}").render(v="*a* <b>") == "\\*a\\* &lt;b&gt;"
    assert environment().from_string("{{ v }}").render(v="<b>") == "&lt;b&gt;"


def test_junit_is_valid_with_failures_errors_skips_and_bad_characters() -> None:
    cases = [
        JUnitCase("ok", "x"),
        JUnitCase("bad", "x", "failure", 0.5, message="unsafe \x00 reply", kind="unsafe"),
        JUnitCase("down", "x", "error", message="target down", kind="target", text="\ud800"),
        JUnitCase("later", "x", "skipped", message="not run"),
    ]
    text = junit_xml("suite", [JUnitSuite("s", cases, properties=[("k", "v")])])
    xmlschema.XMLSchema(str(JUNIT)).validate(text)
    assert 'tests="4" failures="1" errors="1"' in text
    assert "\ufffd" in text


def test_heat_map_counts_and_labels_place_risks_alike() -> None:
    def band(likelihood: int, severity: int) -> str:
        return "critical" if likelihood * severity >= 20 else "low"

    by_labels = heat_map(
        [(4, 5, "R-1"), (4, 5, "R-2")],
        rating=band,
        fill={"critical": "#ffc1c0", "low": "#dafbe1"},
        title="t",
    )
    by_counts = heat_map(
        {(4, 5): 2}, rating=band, fill={"critical": "#ffc1c0", "low": "#dafbe1"}, title="t"
    )
    assert ">2</text>" in by_labels
    assert ">2</text>" in by_counts
    assert by_labels.count("#ffc1c0") == by_counts.count("#ffc1c0") == 3  # (4, 5), (5, 4), (5, 5)
