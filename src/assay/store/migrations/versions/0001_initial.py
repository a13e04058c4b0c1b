"""The initial schema: users, inventory, evidence, reviews, risks, actions, waivers, approvals,
incidents, links and the audit log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: One JSON type for every JSON column (a JSON null is stored as SQL NULL).
JSON = sa.JSON(none_as_null=True)

APPEND_ONLY = ("evidence", "review_transitions", "approvals", "incident_timeline", "audit_events")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _stamps(updated: bool = True) -> list[sa.Column[Any]]:
    cols: list[sa.Column[Any]] = [
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    ]
    if updated:
        cols += [
            sa.Column("updated_at", _ts(), nullable=False),
            sa.Column("updated_by", sa.String(100), nullable=False),
        ]
    return cols


def upgrade() -> None:
    _users_and_inventory()
    _evidence()
    _reviews()
    _risks_incidents_and_actions()
    _waivers_and_approvals()
    _timeline_links_and_audit()
    _append_only_triggers()


def _users_and_inventory() -> None:
    """People and the inventory: users, systems, dataset and model versions, components."""
    op.create_table(
        "users",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "ai_systems",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("intended_use", sa.Text(), nullable=True),
        sa.Column("out_of_scope_use", sa.Text(), nullable=True),
        sa.Column("deployment_context", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("risk_tier", sa.String(20), nullable=False),
        sa.Column("lifecycle_status", sa.String(20), nullable=False),
        sa.Column("generative", sa.Boolean(), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False, index=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("rows", sa.BigInteger(), nullable=True),
        sa.Column("columns", JSON, nullable=True),
        sa.Column("collection_notes", sa.Text(), nullable=True),
        *_stamps(),
        sa.UniqueConstraint("name", "version"),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("system_id", sa.Integer(), sa.ForeignKey("ai_systems.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("registry_uri", sa.Text(), nullable=True),
        sa.Column("artifact_sha256", sa.String(64), nullable=True),
        sa.Column("code_commit", sa.String(64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        *_stamps(),
        sa.UniqueConstraint("system_id", "name", "version"),
    )
    op.create_table(
        "model_training_data",
        sa.Column(
            "model_version_id", sa.Integer(), sa.ForeignKey("model_versions.id"), primary_key=True
        ),
        sa.Column(
            "dataset_version_id",
            sa.Integer(),
            sa.ForeignKey("dataset_versions.id"),
            primary_key=True,
        ),
        *_stamps(updated=False),
    )
    op.create_table(
        "system_components",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("system_id", sa.Integer(), sa.ForeignKey("ai_systems.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=True),
        sa.Column("details", JSON, nullable=True),
        *_stamps(),
        sa.UniqueConstraint("system_id", "kind", "name", "version"),
    )


def _evidence() -> None:
    """Evidence: immutable records bound to a system, model and dataset version."""
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("blob_sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("system_id", sa.Integer(), sa.ForeignKey("ai_systems.id"), nullable=True),
        sa.Column(
            "model_version_id", sa.Integer(), sa.ForeignKey("model_versions.id"), nullable=True
        ),
        sa.Column(
            "dataset_version_id", sa.Integer(), sa.ForeignKey("dataset_versions.id"), nullable=True
        ),
        sa.Column("dataset_digest", sa.String(80), nullable=True),
        sa.Column("code_commit", sa.String(64), nullable=True),
        sa.Column("code_dirty", sa.Boolean(), nullable=True),
        sa.Column("tool", sa.String(100), nullable=True),
        sa.Column("tool_version", sa.String(100), nullable=True),
        sa.Column("parameters", JSON, nullable=True),
        sa.Column("summary", JSON, nullable=True),
        sa.Column("observed_from", _ts(), nullable=True),
        sa.Column("observed_to", _ts(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), sa.ForeignKey("evidence.id"), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        *_stamps(updated=False),
    )
    op.create_index("ix_evidence_created_at", "evidence", ["created_at"])
    op.create_index("ix_evidence_system_id_kind", "evidence", ["system_id", "kind"])
    op.create_index("ix_evidence_model_version_id", "evidence", ["model_version_id"])
    op.create_index("ix_evidence_supersedes_id", "evidence", ["supersedes_id"])


def _reviews() -> None:
    """Reviews and the append-only history of their status."""
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("system_id", sa.Integer(), sa.ForeignKey("ai_systems.id"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("questionnaire", sa.String(100), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("suggested_tier", sa.String(20), nullable=False),
        sa.Column("suggested_priority", sa.String(5), nullable=False),
        sa.Column("screening", JSON, nullable=False),
        sa.Column("tier", sa.String(20), nullable=True),
        sa.Column("priority", sa.String(5), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("triage_due", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        *_stamps(),
    )
    op.create_index("ix_reviews_system_id", "reviews", ["system_id"])
    op.create_table(
        "review_transitions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("review_id", sa.Integer(), sa.ForeignKey("reviews.id"), nullable=False),
        sa.Column("from_status", sa.String(30), nullable=True),
        sa.Column("to_status", sa.String(30), nullable=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("details", JSON, nullable=True),
    )
    op.create_index("ix_review_transitions_at", "review_transitions", ["at"])
    op.create_index("ix_review_transitions_review_id", "review_transitions", ["review_id"])


def _risks_incidents_and_actions() -> None:
    """Risks, incidents and the remediation actions that close them."""
    op.create_table(
        "risks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("system_id", sa.Integer(), sa.ForeignKey("ai_systems.id"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("taxonomy", sa.String(30), nullable=False),
        sa.Column("category", sa.String(60), nullable=False),
        sa.Column("inherent_likelihood", sa.Integer(), nullable=False),
        sa.Column("inherent_severity", sa.Integer(), nullable=False),
        sa.Column("mitigations", sa.Text(), nullable=True),
        sa.Column("residual_likelihood", sa.Integer(), nullable=True),
        sa.Column("residual_severity", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("found_stage", sa.String(30), nullable=False),
        sa.Column("closure_evidence_id", sa.Integer(), sa.ForeignKey("evidence.id"), nullable=True),
        sa.Column("closed_at", _ts(), nullable=True),
        *_stamps(),
    )
    op.create_index("ix_risks_system_id", "risks", ["system_id"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("occurred_at", _ts(), nullable=False),
        sa.Column("detected_at", _ts(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("affected_cohorts", JSON, nullable=False),
        sa.Column("immediate_mitigations", sa.Text(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("postmortem", sa.Text(), nullable=True),
        sa.Column("commander", sa.String(200), nullable=False),
        sa.Column("first_bundle_at", _ts(), nullable=True),
        sa.Column("closed_at", _ts(), nullable=True),
        *_stamps(),
    )
    op.create_table(
        "remediation_actions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("risk_id", sa.Integer(), sa.ForeignKey("risks.id"), nullable=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), nullable=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("closure_evidence_id", sa.Integer(), sa.ForeignKey("evidence.id"), nullable=True),
        sa.Column("closed_at", _ts(), nullable=True),
        *_stamps(),
    )
    op.create_index("ix_remediation_actions_due_date", "remediation_actions", ["due_date"])


def _waivers_and_approvals() -> None:
    """Waivers and the append-only approvals signed on them (and on other subjects)."""
    op.create_table(
        "waivers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("system_id", sa.Integer(), sa.ForeignKey("ai_systems.id"), nullable=False),
        sa.Column("risk_id", sa.Integer(), sa.ForeignKey("risks.id"), nullable=True),
        sa.Column("control", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("compensating_controls", sa.Text(), nullable=False),
        sa.Column("residual_risk", sa.Text(), nullable=False),
        sa.Column("requester", sa.String(100), nullable=False),
        sa.Column("required_approvals", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("proposed_expires_on", sa.Date(), nullable=True),
        sa.Column("granted_at", _ts(), nullable=True),
        *_stamps(),
    )
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subject_type", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(30), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=True),
        sa.Column("signer", sa.String(100), nullable=False),
        sa.Column("signed_at", _ts(), nullable=False),
        sa.Column("subject_sha256", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_approvals_subject_type_subject_id", "approvals", ["subject_type", "subject_id"]
    )


def _timeline_links_and_audit() -> None:
    """The incident timeline, links between records and the hash-chained audit log."""
    op.create_table(
        "incident_timeline",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        *_stamps(updated=False),
    )
    op.create_index("ix_incident_timeline_incident_id", "incident_timeline", ["incident_id"])
    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("from_type", sa.String(30), nullable=False),
        sa.Column("from_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(30), nullable=False),
        sa.Column("to_type", sa.String(30), nullable=False),
        sa.Column("to_id", sa.Integer(), nullable=False),
        *_stamps(updated=False),
        sa.UniqueConstraint("from_type", "from_id", "relation", "to_type", "to_id"),
    )
    op.create_index("ix_links_to_type_to_id", "links", ["to_type", "to_id"])
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("entity_type", sa.String(30), nullable=False),
        sa.Column("entity_id", sa.String(100), nullable=False),
        sa.Column("row_keys", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_index(
        "ix_audit_events_entity_type_entity_id", "audit_events", ["entity_type", "entity_id"]
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])


def _append_only_triggers() -> None:
    # Defence in depth: the library never updates these tables; a hand edit has to drop the
    # trigger first, and `assay audit verify` still catches the edit.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION assay_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'Rows in % are append-only in Assay: record a new entry (a "
            "correction supersedes evidence) instead of changing one.', TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION assay_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'Rows in {table} are append-only in Assay: "
                    "record a new entry (a correction supersedes evidence) instead of changing "
                    "one.'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS assay_append_only()")
    for table in (
        "audit_events",
        "links",
        "incident_timeline",
        "approvals",
        "waivers",
        "remediation_actions",
        "incidents",
        "risks",
        "review_transitions",
        "reviews",
        "evidence",
        "system_components",
        "model_training_data",
        "model_versions",
        "dataset_versions",
        "ai_systems",
        "users",
    ):
        op.drop_table(table)
