"""A review names the policy checkpoint it prepares (pre-launch, post-launch, ...).

The column is nullable and marked as a late column in the schema, so the audit log's images of
rows written before this migration still match. A review without one prepares the policy's
default checkpoint.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reviews", sa.Column("checkpoint", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("reviews", "checkpoint")
