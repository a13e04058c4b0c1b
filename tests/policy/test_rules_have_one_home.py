"""Every governance rule is written once, in ``src/assay/policy``; this test finds second copies.

It reads the source (Python, templates, YAML) outside ``policy/`` and fails on the shapes a copied
rule takes: a list of evidence kinds or of risk ratings, a rating band's score threshold, a
reporting period computed by hand, the waiver-aging limit, the open risk statuses, a completeness
minimum recomputed. Places where the same words mean something else (alert severities, command
names) are listed with the reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from assay.policy import KINDS, RATINGS, WAIVER_AGING_DAYS

SRC = Path(__file__).resolve().parents[2] / "src" / "assay"
KIND_NAMES = {k.name for k in KINDS} | {a for k in KINDS for a in k.aliases}

#: path (relative to src/assay) → why a collection of these words there is not a copied rule
NOT_RULES: dict[str, str] = {
    "cli/_app.py": "command names (assay pii, assay redteam, ...), not evidence kinds",
    "evaluate/__init__.py": "function names in __all__ (drift, fairness, quality)",
    "monitor/_spec.py": "monitoring metric families and alert severities, not kinds or ratings",
    "monitor/_notify.py": "alert severities of a monitor, not risk ratings",
    "monitor/_run.py": "alert severity → incident severity, not risk ratings",
    "genai/_suite.py": "red-team case severities, not risk ratings",
    "genai/_result.py": "red-team case severities, not risk ratings",
    "documents/_sections.py": "section specifications per document kind (a registry of renderers)",
}


def _python_files() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "policy" not in p.relative_to(SRC).parts[:1]]


def _text_files() -> list[Path]:
    found = [*SRC.rglob("*.html"), *SRC.rglob("*.j2"), *SRC.rglob("*.yaml"), *SRC.rglob("*.md")]
    return [p for p in found if "policy" not in p.relative_to(SRC).parts[:1]]


def _rel(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def _strings(node: ast.AST) -> list[str] | None:
    """The string members of a literal that lists things (a dict with plain values counts)."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        elts = node.elts
    elif isinstance(node, ast.Dict) and all(isinstance(v, ast.Constant) for v in node.values):
        elts = [k for k in node.keys if k is not None]
    else:
        return None
    return [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _collections(words: set[str], *, marker: set[str] | None = None) -> list[str]:
    found = []
    for path in _python_files():
        if _rel(path) in NOT_RULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            members = _strings(node)
            hits = [m for m in members or () if m in words]
            if len(hits) >= 2 and (marker is None or marker & set(hits)):
                found.append(f"{_rel(path)}:{getattr(node, 'lineno', '?')}: {members}")
    return found


def test_no_list_of_evidence_kinds_outside_the_registry() -> None:
    assert _collections(KIND_NAMES) == [], "use assay.policy.KINDS / find_kind / stored_kinds"


def test_no_list_of_risk_ratings_outside_the_policy() -> None:
    # "low" and "high" alone are common words; a rating list names "critical" or "medium" too
    found = _collections(set(RATINGS), marker={"critical", "medium"})
    assert found == [], "use assay.policy.RATINGS / rating()"


def _lines(pattern: str, files: list[Path]) -> list[str]:
    rx = re.compile(pattern)
    return [
        f"{_rel(p)}:{i}: {line.strip()}"
        for p in files
        if _rel(p) not in NOT_RULES
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if rx.search(line)
    ]


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("a rating band threshold", r"(>=|>)\s*(20|10)\b.*(critical|high)|\(20, \"critical\"\)"),
        ("a quarter computed by hand", r"month\s*-\s*1\)\s*//\s*3"),
        ("a reporting period of a fixed number of days", r"timedelta\(days\s*=\s*90\)"),
        ("the open risk statuses", r"\(\s*\"open\",\s*\"mitigating\"\s*\)(?!\s*:)"),
        ("a completeness minimum recomputed", r"100(\.0)?\s*\*\s*\S*minimum"),
        ("a hard-coded critical-only block", r"==\s*\"critical\"\s+and"),
    ],
)
def test_no_copied_rule_in_python(what: str, pattern: str) -> None:
    assert _lines(pattern, _python_files()) == [], f"{what}: use assay.policy"


def test_the_waiver_aging_limit_is_not_restated() -> None:
    limit = str(WAIVER_AGING_DAYS)
    pattern = rf"\b{limit}\b.*(waiver|aging)|(waiver|aging).*\b{limit}\b|\b{limit} days\b"
    found = _lines(pattern, _python_files() + _text_files())
    assert found == [], "use assay.policy.WAIVER_AGING_DAYS / waiver_over_aged / waiver_age_band"


def test_the_checks_find_a_copy() -> None:
    """The scanners are not vacuous: each finds the copy it is meant to find."""
    probe = ast.parse('KINDS = ("fairness", "quality")\nR = {"critical": 1, "high": 2}')
    lists = [_strings(n) for n in ast.walk(probe)]
    assert ["fairness", "quality"] in lists
    assert ["critical", "high"] in lists
    assert re.search(r"month\s*-\s*1\)\s*//\s*3", "q0 = 3 * ((today.month - 1) // 3) + 1")
