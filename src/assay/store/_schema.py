"""The database schema, as SQLAlchemy Core tables.

Migrations in ``assay/store/migrations`` create exactly this schema (a test compares them). Every
table except ``audit_events`` is *governed*: each of its rows is covered by the hash-chained audit
log, so ``assay audit verify`` can tell whether a row was edited outside Assay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from assay.store._types import UTCDateTime

__all__ = [
    "APPEND_ONLY_TABLES",
    "GOVERNED_TABLES",
    "LATE_COLUMN",
    "SECRET_COLUMN",
    "VOLATILE_COLUMN",
    "actions",
    "ai_systems",
    "approvals",
    "audit_events",
    "dataset_versions",
    "evidence",
    "incident_timeline",
    "incidents",
    "links",
    "metadata",
    "model_training_data",
    "model_versions",
    "monitor_alerts",
    "monitor_notifications",
    "monitor_runs",
    "monitor_values",
    "monitor_windows",
    "monitors",
    "org_roles",
    "organisations",
    "review_transitions",
    "reviews",
    "risks",
    "row_key",
    "system_components",
    "users",
    "waiver_rounds",
    "waivers",
]

metadata: sa.MetaData = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JSON = sa.JSON(none_as_null=True)

LATE_COLUMN = "audit_omit_null"
"""``Column.info`` key of a nullable column added to a governed table by a later migration.

The audit log's row image leaves such a column out while it is NULL, so a row written before the
migration still hashes to the image its last audit event recorded (see ``row_image``).
"""


SECRET_COLUMN = "audit_secret"
"""``Column.info`` key of a column whose value the audit log keeps only as a sha256 (a password
hash): the chain still pins the value, without spreading it into every export of the log."""

VOLATILE_COLUMN = "audit_volatile"
"""``Column.info`` key of a column written on every use (a token's ``last_used_at``): left out of
row images, so using a credential needs no audit event."""


def _late() -> dict[str, Any]:
    return {LATE_COLUMN: True}


def _stamps(updated: bool = True) -> list[sa.Column[Any]]:
    cols: list[sa.Column[Any]] = [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    ]
    if updated:
        cols += [
            sa.Column("updated_at", UTCDateTime(), nullable=False),
            sa.Column("updated_by", sa.String(100), nullable=False),
        ]
    return cols


organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("title", sa.Text(), nullable=False),
    *_stamps(),
)
"""The organisations (business units, customers) a workspace holds besides its main one
(migration 0009). Records of the main organisation carry ``org`` NULL, so a workspace that never
adds one reads and hashes exactly as before."""

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=True),
    sa.Column("email", sa.String(200), nullable=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    *_stamps(),
    # The user's own PostgreSQL login role (migration 0007, `assay admin grant`): the database
    # itself then refuses that role any record or audit event naming someone else.
    sa.Column("db_role", sa.String(63), nullable=True, info=_late()),
    sa.Index("ix_users_db_role", "db_role", unique=True),
    # The organisation the user belongs to (migration 0009); NULL: the main one, whose members
    # act in every organisation with their role.
    sa.Column("org", sa.String(100), nullable=True, info=_late()),
)

org_roles = sa.Table(
    "org_roles",
    metadata,
    sa.Column("user_name", sa.String(100), sa.ForeignKey("users.name"), primary_key=True),
    sa.Column("org", sa.String(100), sa.ForeignKey("organisations.name"), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),
    *_stamps(),
)
"""A role a user holds in an organisation other than their own (migration 0009)."""

ai_systems = sa.Table(
    "ai_systems",
    metadata,
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
    sa.Column("org", sa.String(100), nullable=True, info=_late()),
    sa.Index("ix_ai_systems_org", "org"),
)

dataset_versions = sa.Table(
    "dataset_versions",
    metadata,
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

model_versions = sa.Table(
    "model_versions",
    metadata,
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

model_training_data = sa.Table(
    "model_training_data",
    metadata,
    sa.Column(
        "model_version_id", sa.Integer(), sa.ForeignKey("model_versions.id"), primary_key=True
    ),
    sa.Column(
        "dataset_version_id", sa.Integer(), sa.ForeignKey("dataset_versions.id"), primary_key=True
    ),
    *_stamps(updated=False),
)

system_components = sa.Table(
    "system_components",
    metadata,
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

evidence = sa.Table(
    "evidence",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("blob_sha256", sa.String(64), nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("size_bytes", sa.BigInteger(), nullable=False),
    sa.Column("system_id", sa.Integer(), sa.ForeignKey("ai_systems.id"), nullable=True),
    sa.Column("model_version_id", sa.Integer(), sa.ForeignKey("model_versions.id"), nullable=True),
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
    sa.Column("observed_from", UTCDateTime(), nullable=True),
    sa.Column("observed_to", UTCDateTime(), nullable=True),
    sa.Column("valid_until", sa.Date(), nullable=True),
    sa.Column("supersedes_id", sa.Integer(), sa.ForeignKey("evidence.id"), nullable=True),
    sa.Column("correction_reason", sa.Text(), nullable=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    *_stamps(updated=False),
    sa.Column("org", sa.String(100), nullable=True, info=_late()),
    sa.Index("ix_evidence_created_at", "created_at"),
    sa.Index("ix_evidence_system_id_kind", "system_id", "kind"),
    sa.Index("ix_evidence_model_version_id", "model_version_id"),
    sa.Index("ix_evidence_supersedes_id", "supersedes_id"),
)

reviews = sa.Table(
    "reviews",
    metadata,
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
    sa.Column("checkpoint", sa.String(40), nullable=True, info=_late()),
    *_stamps(),
    sa.Index("ix_reviews_system_id", "system_id"),
)

review_transitions = sa.Table(
    "review_transitions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("review_id", sa.Integer(), sa.ForeignKey("reviews.id"), nullable=False),
    sa.Column("from_status", sa.String(30), nullable=True),
    sa.Column("to_status", sa.String(30), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("details", JSON, nullable=True),
    sa.Index("ix_review_transitions_at", "at"),
    sa.Index("ix_review_transitions_review_id", "review_id"),
)

risks = sa.Table(
    "risks",
    metadata,
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
    sa.Column("closed_at", UTCDateTime(), nullable=True),
    *_stamps(),
    sa.Index("ix_risks_system_id", "system_id"),
)

actions = sa.Table(
    "remediation_actions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("description", sa.Text(), nullable=True),
    sa.Column("risk_id", sa.Integer(), sa.ForeignKey("risks.id"), nullable=True),
    sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), nullable=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("due_date", sa.Date(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("closure_evidence_id", sa.Integer(), sa.ForeignKey("evidence.id"), nullable=True),
    sa.Column("closed_at", UTCDateTime(), nullable=True),
    *_stamps(),
    # The issue the action was pushed to in a tracker (migration 0004).
    sa.Column("remote_system", sa.String(20), nullable=True, info=_late()),
    sa.Column("remote_id", sa.String(100), nullable=True, info=_late()),
    sa.Column("remote_url", sa.Text(), nullable=True, info=_late()),
    sa.Index("ix_remediation_actions_due_date", "due_date"),
)

waivers = sa.Table(
    "waivers",
    metadata,
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
    sa.Column("granted_at", UTCDateTime(), nullable=True),
    *_stamps(),
)

waiver_rounds = sa.Table(
    "waiver_rounds",
    metadata,
    sa.Column("waiver_id", sa.Integer(), sa.ForeignKey("waivers.id"), primary_key=True),
    sa.Column("round", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("requester", sa.String(100), nullable=False),
    sa.Column("rationale", sa.Text(), nullable=True),
    sa.Column("proposed_expires_on", sa.Date(), nullable=False),
    *_stamps(updated=False),
)
"""One row per approval round of a waiver (migration 0006): who requested it, why and until when.
A renewal adds a round; nothing here is ever updated, so every round's rationale stays."""

approvals = sa.Table(
    "approvals",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("subject_type", sa.String(20), nullable=False),
    sa.Column("subject_id", sa.Integer(), nullable=False),
    sa.Column("round", sa.Integer(), nullable=False),
    sa.Column("decision", sa.String(30), nullable=False),
    sa.Column("rationale", sa.Text(), nullable=False),
    sa.Column("conditions", sa.Text(), nullable=True),
    sa.Column("signer", sa.String(100), nullable=False),
    sa.Column("signed_at", UTCDateTime(), nullable=False),
    sa.Column("subject_sha256", sa.String(64), nullable=False),
    # The audit chain's head when the approval was signed (migration 0006).
    sa.Column("chain_seq", sa.BigInteger(), nullable=True, info=_late()),
    sa.Column("chain_hash", sa.String(64), nullable=True, info=_late()),
    sa.Index("ix_approvals_subject_type_subject_id", "subject_type", "subject_id"),
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("occurred_at", UTCDateTime(), nullable=False),
    sa.Column("detected_at", UTCDateTime(), nullable=False),
    sa.Column("summary", sa.Text(), nullable=True),
    sa.Column("affected_cohorts", JSON, nullable=False),
    sa.Column("immediate_mitigations", sa.Text(), nullable=True),
    sa.Column("root_cause", sa.Text(), nullable=True),
    sa.Column("postmortem", sa.Text(), nullable=True),
    sa.Column("commander", sa.String(200), nullable=False),
    sa.Column("first_bundle_at", UTCDateTime(), nullable=True),
    sa.Column("closed_at", UTCDateTime(), nullable=True),
    *_stamps(),
    sa.Column("org", sa.String(100), nullable=True, info=_late()),
)

incident_timeline = sa.Table(
    "incident_timeline",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("entry", sa.Text(), nullable=False),
    *_stamps(updated=False),
    sa.Index("ix_incident_timeline_incident_id", "incident_id"),
)

links = sa.Table(
    "links",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("from_type", sa.String(30), nullable=False),
    sa.Column("from_id", sa.Integer(), nullable=False),
    sa.Column("relation", sa.String(30), nullable=False),
    sa.Column("to_type", sa.String(30), nullable=False),
    sa.Column("to_id", sa.Integer(), nullable=False),
    *_stamps(updated=False),
    sa.UniqueConstraint("from_type", "from_id", "relation", "to_type", "to_id"),
    sa.Index("ix_links_to_type_to_id", "to_type", "to_id"),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("entity_type", sa.String(30), nullable=False),
    sa.Column("entity_id", sa.String(100), nullable=False),
    sa.Column("row_keys", sa.Text(), nullable=False),
    sa.Column("changes", sa.Text(), nullable=False),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Index("ix_audit_events_entity_type_entity_id", "entity_type", "entity_id"),
    sa.Index("ix_audit_events_at", "at"),
)

# The monitoring tables (migration 0002) live in their own module, on this metadata.
from assay.store._monitoring import (  # noqa: E402
    MONITOR_TABLES,
    monitor_alerts,
    monitor_notifications,
    monitor_runs,
    monitor_values,
    monitor_windows,
    monitors,
)

GOVERNED_TABLES: tuple[sa.Table, ...] = (
    organisations,
    users,
    org_roles,
    ai_systems,
    dataset_versions,
    model_versions,
    model_training_data,
    system_components,
    evidence,
    reviews,
    review_transitions,
    risks,
    incidents,
    actions,
    waivers,
    waiver_rounds,
    approvals,
    incident_timeline,
    links,
    *MONITOR_TABLES,
)
"""Tables whose rows the audit chain covers, in an order that satisfies foreign keys."""

APPEND_ONLY_TABLES = frozenset(
    {
        "evidence",
        "review_transitions",
        "approvals",
        "incident_timeline",
        "waiver_rounds",
        "audit_events",
    }
)
"""Tables whose rows are never updated or deleted once written."""


def row_key(table: sa.Table, row: Mapping[Any, Any]) -> str:
    """The key of ``row`` in audit events: its primary key values joined by ``/``.

    >>> row_key(users, {"name": "ada"})
    'ada'
    """
    return "/".join(str(row[col.name]) for col in table.primary_key.columns)


# The web adapter's credential and session tables (migration 0003), on this metadata.
from assay.store._web import CREDENTIAL_TABLES as CREDENTIAL_TABLES  # noqa: E402
from assay.store._web import WEB_TABLES as WEB_TABLES  # noqa: E402
from assay.store._web import web_login_failures as web_login_failures  # noqa: E402
from assay.store._web import web_oidc_logins as web_oidc_logins  # noqa: E402
from assay.store._web import web_passwords as web_passwords  # noqa: E402
from assay.store._web import web_sessions as web_sessions  # noqa: E402
from assay.store._web import web_sso_identities as web_sso_identities  # noqa: E402
from assay.store._web import web_tokens as web_tokens  # noqa: E402
