"""Single sign-on (OpenID Connect).

- ``web_sso_identities``: the OpenID Connect identity (issuer, subject) that signs in as a user;
  a credential like a password: every link is an audit event and ``assay audit verify`` checks
  each row against the chain; never exported;
- ``web_oidc_logins``: logins under way at the identity provider, keyed by the sha256 of their
  ``state``; deleted when used (so a replayed callback is refused) or after ten minutes.

Revision ID: 0008
Revises: 0007
Create Date: 2027-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_sso_identities",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("issuer", sa.String(300), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_sso_identities"),
        sa.UniqueConstraint("issuer", "subject", name="uq_web_sso_identities_issuer_subject"),
        sa.UniqueConstraint("issuer", "user_name", name="uq_web_sso_identities_issuer_user_name"),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.name"], name="fk_web_sso_identities_user_name_users"
        ),
    )
    op.create_table(
        "web_oidc_logins",
        sa.Column("state_sha256", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("next_path", sa.String(300), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("expires_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("state_sha256", name="pk_web_oidc_logins"),
    )


def downgrade() -> None:
    op.drop_table("web_oidc_logins")
    op.drop_table("web_sso_identities")
