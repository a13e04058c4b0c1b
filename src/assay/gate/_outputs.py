"""The gate's decision in the formats CI systems read: JUnit XML, SARIF 2.1.0, Markdown, JSON."""

from __future__ import annotations

import json
from typing import Any

from assay import __version__
from assay.gate._model import GateResult, RuleOutcome
from assay.render import JUnitCase, JUnitSuite, junit_xml, markdown_escape

_md = markdown_escape

__all__ = ["to_json", "to_junit", "to_markdown", "to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/assay-rai/assay"


def _name(o: RuleOutcome) -> str:
    return f"{o.rule} [{o.subject}]"


def to_json(result: GateResult) -> str:
    """The decision as ``assay.gate/v1`` JSON text."""
    return result.to_json() + "\n"


def to_junit(result: GateResult) -> str:
    """The decision as JUnit XML: one test case per rule, a ``failure`` for each failed rule.

    The layout is the common Jenkins/Ant one (``testsuites > testsuite > testcase``) that GitHub,
    GitLab and Jenkins test reports read.
    """
    cases = [_junit_case(o) for o in result.outcomes]
    suite = JUnitSuite(
        f"assay gate: {result.system or 'results'} {result.model_version or ''}".strip(),
        cases,
        properties=[
            ("policy", result.policy),
            ("policy_path", result.policy_path),
            ("tier", result.tier or ""),
            ("checkpoint", result.checkpoint),
            ("decision", result.decision),
        ],
        attributes={
            "timestamp": result.evaluated_at.strftime("%Y-%m-%dT%H:%M:%S"),
            "hostname": "localhost",
            "id": "0",
            "package": "assay.gate",
        },
        system_out=f"decision: {result.decision}",
        system_err="",
    )
    return junit_xml("assay gate", [suite])


def _junit_case(o: RuleOutcome) -> JUnitCase:
    if o.passed:
        return JUnitCase(_name(o), f"assay.gate.{o.rule}")
    text = f"value: {o.value}\nthreshold: {o.threshold}\nfix: {o.fix}\nsource: {o.source}"
    return JUnitCase(
        _name(o), f"assay.gate.{o.rule}", "failure", message=o.message, kind=o.rule, text=text
    )


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
            f"| `{o.rule}` | {_md(o.subject)} | {_md(o.value)} | {_md(o.threshold)} "
            f"| {_md(o.fix)} |"
            for o in result.failures
        ]
        lines.append("")
    passed = [o for o in result.outcomes if o.passed]
    if passed:
        lines += ["<details><summary>Rules that pass</summary>", ""]
        lines += [f"- `{o.rule}` {_md(o.subject)}: {_md(o.value)}" for o in passed]
        lines += ["", "</details>", ""]
    return "\n".join(lines)
