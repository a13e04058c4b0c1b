"""JUnit XML, the test-report format every CI system reads (GitHub, GitLab, Jenkins).

One writer for the gate and the red team: ``testsuites > testsuite > testcase`` in the common
Jenkins/Ant layout, counts computed from the cases, and text that XML cannot hold (control
characters, lone surrogates) replaced by U+FFFD so the report always parses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["JUnitCase", "JUnitSuite", "junit_xml"]

_XML_BAD = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Outcome = Literal["pass", "failure", "error", "skipped"]


@dataclass(frozen=True, slots=True)
class JUnitCase:
    """One test case; ``message``, ``kind`` and ``text`` describe a failure, error or skip."""

    name: str
    classname: str
    outcome: Outcome = "pass"
    seconds: float = 0.0
    message: str = ""
    kind: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class JUnitSuite:
    """One test suite: its cases, ``properties`` and extra attributes (``timestamp``...)."""

    name: str
    cases: Sequence[JUnitCase]
    properties: Sequence[tuple[str, str]] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
    system_out: str | None = None
    system_err: str | None = None


def _x(text: Any) -> str:
    return _XML_BAD.sub("\ufffd", "" if text is None else str(text))


def _counts(cases: Sequence[JUnitCase]) -> dict[str, str]:
    return {
        "tests": str(len(cases)),
        "failures": str(sum(c.outcome == "failure" for c in cases)),
        "errors": str(sum(c.outcome == "error" for c in cases)),
        "skipped": str(sum(c.outcome == "skipped" for c in cases)),
    }


def _case(suite: ET.Element, case: JUnitCase) -> None:
    node = ET.SubElement(
        suite,
        "testcase",
        name=_x(case.name),
        classname=_x(case.classname),
        time=f"{case.seconds:.3f}",
    )
    if case.outcome == "skipped":
        ET.SubElement(node, "skipped", message=_x(case.message))
    elif case.outcome != "pass":
        detail = ET.SubElement(node, case.outcome, message=_x(case.message), type=_x(case.kind))
        detail.text = _x(case.text)


def junit_xml(name: str, suites: Sequence[JUnitSuite]) -> str:
    """The JUnit XML document of ``suites``.

    Examples
    --------
    >>> xml = junit_xml("demo", [JUnitSuite("s", [JUnitCase("a", "x"), JUnitCase(
    ...     "b", "x", "failure", message="too high", kind="limit", text="0.3 > 0.1")])])
    >>> 'tests="2" failures="1"' in xml and '<failure message="too high" type="limit">' in xml
    True
    """
    every = [c for s in suites for c in s.cases]
    # the root carries no ``skipped``: the common JUnit schema does not allow it there
    totals = {k: v for k, v in _counts(every).items() if k != "skipped"}
    root = ET.Element("testsuites", {"name": _x(name), **totals})
    for s in suites:
        seconds = sum(c.seconds for c in s.cases)
        attributes = {k: _x(v) for k, v in s.attributes.items()}
        head = {"name": _x(s.name), **_counts(s.cases), "time": f"{seconds:.3f}"}
        suite = ET.SubElement(root, "testsuite", head | attributes)
        if s.properties:
            props = ET.SubElement(suite, "properties")
            for key, value in s.properties:
                ET.SubElement(props, "property", name=_x(key), value=_x(value))
        for case in s.cases:
            _case(suite, case)
        if s.system_out is not None:
            ET.SubElement(suite, "system-out").text = _x(s.system_out)
        if s.system_err is not None:
            ET.SubElement(suite, "system-err").text = _x(s.system_err)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
