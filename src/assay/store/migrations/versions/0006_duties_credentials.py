"""Separation of duties and credentials in the audit chain.

- ``waiver_rounds``: one append-only row per approval round of a waiver (who requested it, why,
  until when), so a renewal never overwrites the first rationale and each round has its own
  requester;
- ``approvals.chain_seq`` / ``chain_hash``: the audit chain's head when an approval was signed
  (late columns: approvals signed before stay as they were);
- ``web_tokens.expires_at`` / ``revoked_reason``: every token expires (tokens made before this
  migration get the default lifetime from now);
- the existing passwords and tokens are adopted into the chain by one event
  (``credentials.adopt``), so that from now on a password hash or token row planted in the
  database is found by ``assay audit verify``.

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-11
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: How long tokens made before this migration stay valid (the default token lifetime).
_LEGACY_TOKEN_DAYS = 90


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "waiver_rounds",
        sa.Column("waiver_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("requester", sa.String(100), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("proposed_expires_on", sa.Date(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("waiver_id", "round", name="pk_waiver_rounds"),
        sa.ForeignKeyConstraint(
            ["waiver_id"], ["waivers.id"], name="fk_waiver_rounds_waiver_id_waivers"
        ),
    )
    _append_only("waiver_rounds")
    op.add_column("approvals", sa.Column("chain_seq", sa.BigInteger(), nullable=True))
    op.add_column("approvals", sa.Column("chain_hash", sa.String(64), nullable=True))
    op.add_column("web_tokens", sa.Column("expires_at", _ts(), nullable=True))
    op.add_column("web_tokens", sa.Column("revoked_reason", sa.String(200), nullable=True))
    from assay.store._web import web_tokens

    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(days=_LEGACY_TOKEN_DAYS)
    op.get_bind().execute(sa.update(web_tokens).values(expires_at=expiry))
    _adopt_credentials()


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        # assay_append_only() is created by migration 0001
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION assay_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'Rows in {table} are append-only in Assay: record a new "
            "entry instead of changing one.'); END"
        )


def _adopt_credentials() -> None:
    """One audit event recording every existing password and token, so verification covers them."""
    from assay.store._store import WriteTx

    # the credential tables as of this migration (later ones, like 0008's, do not exist yet)
    from assay.store._web import web_passwords, web_tokens

    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE audit_events IN EXCLUSIVE MODE")
    tx = WriteTx(
        conn,
        actor="assay",
        action="credentials.adopt",
        entity_type="user",
        entity_id="",
        note="Migration 0006: existing passwords and API tokens enter the audit chain.",
        at=dt.datetime.now(dt.UTC),
    )
    for table in (web_passwords, web_tokens):
        for row in conn.execute(sa.select(table)).mappings():
            tx.record_existing(table, row)
    if tx.changed:
        tx.append_event()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS waiver_rounds_append_only ON waiver_rounds")
    op.drop_column("web_tokens", "revoked_reason")
    op.drop_column("web_tokens", "expires_at")
    op.drop_column("approvals", "chain_hash")
    op.drop_column("approvals", "chain_seq")
    op.drop_table("waiver_rounds")
