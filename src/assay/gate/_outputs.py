"""The gate's decision in the formats CI systems read: JUnit XML, SARIF 2.1.0, Markdown, JSON."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from assay._version import __version__
from assay.gate._model import GateResult, RuleOutcome

__all__ = ["to_json", "to_junit", "to_markdown", "to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/assay-rai/assay"


def _name(o: RuleOutcome) -> str:
    return f"{o.rule} [{o.subject}]"


def to_json(result: GateResult) -> str:
    """The decision as ``assay.gate/v1`` JSON text."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def to_junit(result: GateResult) -> str:
    """The decision as JUnit XML: one test case per rule, a ``failure`` for each failed rule.

    The layout is the common Jenkins/Ant one (``testsuites > testsuite > testcase``) that GitHub,
    GitLab and Jenkins test reports read.
    """
    suites = ET.Element(
        "testsuites",
        name="assay gate",
        tests=str(len(result.outcomes)),
        failures=str(len(result.failures)),
        errors="0",
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"assay gate: {result.system or 'results'} {result.model_version or ''}".strip(),
        tests=str(len(result.outcomes)),
        failures=str(len(result.failures)),
        errors="0",
        skipped="0",
        time="0",
        timestamp=result.evaluated_at.strftime("%Y-%m-%dT%H:%M:%S"),
        hostname="localhost",
        id="0",
        package="assay.gate",
    )
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("policy", result.policy),
        ("policy_path", result.policy_path),
        ("tier", result.tier or ""),
        ("checkpoint", result.checkpoint),
        ("decision", result.decision),
    ):
        ET.SubElement(props, "property", name=key, value=value)
    for o in result.outcomes:
        case = ET.SubElement(
            suite, "testcase", name=_name(o), classname=f"assay.gate.{o.rule}", time="0"
        )
        if not o.passed:
            failure = ET.SubElement(case, "failure", message=o.message, type=o.rule)
            failure.text = (
                f"value: {o.value}\nthreshold: {o.threshold}\nfix: {o.fix}\nsource: {o.source}"
            )
    ET.SubElement(suite, "system-out").text = f"decision: {result.decision}"
    ET.SubElement(suite, "system-err").text = ""
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def to_sarif(result: GateResult) -> str:
    """The decision as a SARIF 2.1.0 log: one rule per gate rule, one result per failure.

    The policy file is the artifact every result points at, so code-scanning views show the
    failures against the policy that set the limit.
    """
    rule_ids = sorted({o.rule for o in result.outcomes})
    rules = [
        {
            "id": rid,
            "name": "".join(p.title() for p in rid.replace("-", "_").replace(".", "_").split("_")),
            "shortDescription": {"text": f"Assay gate rule {rid}"},
            "defaultConfiguration": {"level": "error"},
        }
        for rid in rule_ids
    ]
    location = {
        "physicalLocation": {
            "artifactLocation": {
                "uri": result.policy_path
                if result.policy_path not in ("default policy", "given policy")
                else "assay-default-policy.yaml"
            },
            "region": {"startLine": 1},
        }
    }
    results: list[dict[str, Any]] = []
    for o in result.failures:
        results.append(
            {
                "ruleId": o.rule,
                "ruleIndex": rule_ids.index(o.rule),
                "level": "error",
                "message": {
                    "text": f"{o.message} Value: {o.value}; threshold: {o.threshold}. Fix: {o.fix}"
                },
                "locations": [location],
                "properties": {
                    "subject": o.subject,
                    "value": o.value,
                    "threshold": o.threshold,
                    "source": o.source,
                },
            }
        )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "assay-gate",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": {
                    "decision": result.decision,
                    "policy": result.policy,
                    "system": result.system,
                    "modelVersion": result.model_version,
                },
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(result: GateResult) -> str:
    """A Markdown summary for ``$GITHUB_STEP_SUMMARY`` or a merge-request comment."""
    icon = "✅" if result.passed else "❌"
    what = (
        f"`{result.system}` model `{result.model_version}`"
        if result.system
        else "the evaluation results"
    )
    lines = [
        f"## {icon} Assay gate: {result.decision.upper()}",
        "",
        f"Policy **{result.policy}** (`{result.policy_path}`), checkpoint "
        f"**{result.checkpoint}**{f' of tier **{result.tier}**' if result.tier else ''}, "
        f"for {what}: {len(result.failures)} of {len(result.outcomes)} rules failed.",
        "",
    ]
    if result.failures:
        lines += [
            "| Rule | Subject | Value | Threshold | Fix |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{o.rule}` | {_cell(o.subject)} | {_cell(o.value)} | {_cell(o.threshold)} "
            f"| {_cell(o.fix)} |"
            for o in result.failures
        ]
        lines.append("")
    passed = [o for o in result.outcomes if o.passed]
    if passed:
        lines += ["<details><summary>Rules that pass</summary>", ""]
        lines += [f"- `{o.rule}` {_cell(o.subject)}: {_cell(o.value)}" for o in passed]
        lines += ["", "</details>", ""]
    return "\n".join(lines)
