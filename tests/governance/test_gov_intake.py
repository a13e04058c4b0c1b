"""The questionnaire is data: validated, replaceable per workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from gov_helpers import credit_system

from assay import governance as g
from assay.errors import SchemaError

CUSTOM = {
    "schema": "assay.questionnaire/v1",
    "id": "bank",
    "version": 3,
    "sla": {"triage_business_days": 1, "readiness_business_days": {"P1": 5, "P2": 10, "P3": 15}},
    "questions": [
        {"id": "purpose", "text": "Purpose?", "type": "text"},
        {"id": "customer_facing", "text": "Customer facing?", "type": "boolean"},
    ],
    "tier_rules": [
        {"tier": "high", "when": {"answer": "customer_facing", "equals": True}},
        {"tier": "minimal", "when": "always"},
    ],
    "priority": {
        "points": {"customer_facing": {"true": 5, "false": 0}},
        "bands": [{"min": 5, "priority": "P1"}, {"min": 0, "priority": "P3"}],
    },
}


def test_shipped_questionnaire_and_template() -> None:
    qn = g.load_questionnaire()
    assert qn.ref == "assay-default@1"
    template = qn.template()
    for q in qn.questions:
        assert f"\n{q.id}:" in "\n" + template
    assert yaml.safe_load(template)["annex_iii_areas"] == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": "x"}, "expected 'schema: assay.questionnaire/v1'"),
        (
            {
                "tier_rules": [
                    {"tier": "high", "when": {"answer": "nope", "in": [1]}},
                    {"tier": "minimal", "when": "always"},
                ]
            },
            r"tier_rules\[0\].when: no question has the id 'nope'",
        ),
        (
            {
                "tier_rules": [
                    {"tier": "high", "when": {"answer": "purpose", "like": "x"}},
                    {"tier": "minimal", "when": "always"},
                ]
            },
            r"tier_rules\[0\].when: write \{answer",
        ),
        (
            {
                "tier_rules": [
                    {"tier": "high", "when": "always"},
                    {"tier": "minimal", "when": {"answer": "purpose", "equals": "x"}},
                ]
            },
            "the last rule must be 'when: always'",
        ),
        ({"sla": {"readiness_business_days": {"P1": 5}}}, "give days for P1, P2 and P3"),
    ],
)
def test_bad_questionnaires_name_the_place(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({**CUSTOM, **change}))
    with pytest.raises(SchemaError, match=message):
        g.load_questionnaire(path)


def test_workspace_uses_its_replacement_questionnaire(ws: g.Workspace) -> None:
    (ws.root / "bank.yaml").write_text(yaml.safe_dump(CUSTOM))
    config = ws.root / ".assay" / "config.toml"
    config.write_text(
        config.read_text().replace('questionnaire = ""', 'questionnaire = "bank.yaml"')
    )
    with g.open_workspace(ws.root, db_url=ws.store.url) as reopened:
        reopened.clock = ws.clock
        credit_system(reopened)
        review = g.open_review(
            reopened, "credit", answers={"purpose": "Loans", "customer_facing": "yes"}
        )
    assert (review.questionnaire, review.suggested_tier, review.suggested_priority) == (
        "bank@3",
        "high",
        "P1",
    )
    assert review.screening["due_date"] == "2025-03-10"  # 5 business days after Monday 3 March
