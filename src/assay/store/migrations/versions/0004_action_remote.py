"""Remediation actions remember the tracker issue they were pushed to: system, id and address.

The columns are nullable and marked as late columns in the schema, so the audit log's images of
rows written before this migration still match (``assay audit verify`` stays clean).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = ("remote_system", "remote_id", "remote_url")


def upgrade() -> None:
    op.add_column("remediation_actions", sa.Column("remote_system", sa.String(20), nullable=True))
    op.add_column("remediation_actions", sa.Column("remote_id", sa.String(100), nullable=True))
    op.add_column("remediation_actions", sa.Column("remote_url", sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite has had ALTER TABLE ... DROP COLUMN since 3.35; no table copy is needed.
    for name in reversed(_COLUMNS):
        op.drop_column("remediation_actions", name)
