"""Organisations: several business units or customers in one workspace.

- ``organisations``: the organisations besides the main one (governed);
- ``org_roles``: a role a user holds in an organisation other than their own (governed);
- ``org`` on ``users``, ``ai_systems``, ``evidence`` and ``incidents``: the organisation a record
  belongs to, NULL for the main one. Late columns: rows written before this migration keep the
  row images their audit events recorded, and every existing record stays in the main
  organisation. Reviews, risks, waivers, actions, approvals and monitors belong to their
  system's organisation;
- on PostgreSQL, the per-person identity trigger of migration 0007 on the two new tables, and
  SELECT on them for every per-person role granted before (``assay admin grant`` grants it to
  new ones): every write reads the writer's roles there.

Revision ID: 0009
Revises: 0008
Create Date: 2027-04-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_NEW = ("organisations", "org_roles")
_LATE = ("users", "ai_systems", "evidence", "incidents")


def _stamps() -> list[sa.Column[object]]:
    ts = sa.DateTime(timezone=True)
    return [
        sa.Column("created_at", ts, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("name", name="pk_organisations"),
    )
    op.create_table(
        "org_roles",
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("org", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("user_name", "org", name="pk_org_roles"),
        sa.ForeignKeyConstraint(["user_name"], ["users.name"], name="fk_org_roles_user_name_users"),
        sa.ForeignKeyConstraint(
            ["org"], ["organisations.name"], name="fk_org_roles_org_organisations"
        ),
    )
    for table in _LATE:
        op.add_column(table, sa.Column("org", sa.String(100), nullable=True))
    op.create_index("ix_ai_systems_org", "ai_systems", ["org"])
    if op.get_bind().dialect.name == "postgresql":
        for table in _NEW:
            op.execute(
                f"CREATE TRIGGER {table}_identity BEFORE INSERT OR UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION assay_identity()"
            )
        _grant_to_person_roles()


def _grant_to_person_roles() -> None:
    """SELECT on the new tables for each role that reads ``users`` without owning it."""
    persons = op.get_bind().exec_driver_sql(
        "SELECT DISTINCT grantee FROM information_schema.role_table_grants "
        "WHERE table_schema = current_schema() AND table_name = 'users' "
        "AND privilege_type = 'SELECT' AND grantee <> current_user "
        "AND grantee NOT IN (SELECT tableowner FROM pg_tables "
        "WHERE schemaname = current_schema() AND tablename = 'users')"
    )
    for (role,) in persons.all():
        quoted = '"' + str(role).replace('"', '""') + '"'
        for table in _NEW:
            op.execute(f"GRANT SELECT ON {table} TO {quoted}")


def downgrade() -> None:
    op.drop_index("ix_ai_systems_org", table_name="ai_systems")
    for table in _LATE:
        op.drop_column(table, "org")
    op.drop_table("org_roles")
    op.drop_table("organisations")
