"""Per-person database roles: identity enforced by PostgreSQL itself.

- ``users.db_role``: the PostgreSQL login role of an Assay user (``assay admin grant``); a late
  column, so row images recorded before it keep their digests; unique, so one role is one person;
- on PostgreSQL only:

  - ``assay_identity()``, a trigger on every governed table and on ``audit_events``: when the
    connected role (``current_user``) is a mapped per-person role, every "who" column it writes
    (``actor``, ``signer``, ``requester``, ``created_by``, ``updated_by``) must name that role's
    user, and the user must be active. The owner (and the server, which connects as the owner and
    authenticates web users itself) is unaffected;
  - ``assay_person()``: the active user mapped to ``current_user``, used by row-level security
    on the credential tables: a person writes only their own password, tokens and sessions;
  - ``assay_lock_chain()``: takes the chain's writer lock for a role that, holding only INSERT on
    ``audit_events``, cannot ``LOCK TABLE ... IN EXCLUSIVE MODE`` itself (security definer).

  Every function pins its ``search_path`` to the workspace's schema, so a role cannot redirect
  its lookups to tables of its own (a temporary ``users`` table, say).

Revision ID: 0007
Revises: 0006
Create Date: 2027-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: Tables whose rows say who wrote them, as of this migration (the governed tables, the chain).
_CHECKED = (
    "users", "ai_systems", "dataset_versions", "model_versions", "model_training_data",
    "system_components", "evidence", "reviews", "review_transitions", "risks", "incidents",
    "remediation_actions", "waivers", "waiver_rounds", "approvals", "incident_timeline", "links",
    "monitors", "monitor_runs", "monitor_windows", "monitor_values", "monitor_alerts",
    "monitor_notifications", "audit_events",
)  # fmt: skip
_WHO = ("created_by", "updated_by", "signer", "actor", "requester")
_OWN_ROWS = ("web_passwords", "web_tokens")

_PERSON = """
CREATE FUNCTION assay_person() RETURNS text LANGUAGE sql STABLE SET search_path = {path} AS $$
  SELECT u.name::text FROM users u WHERE u.db_role = current_user::text AND u.active
$$"""

_IDENTITY = """
CREATE FUNCTION assay_identity() RETURNS trigger LANGUAGE plpgsql SET search_path = {path} AS $$
DECLARE
  me text; live boolean; fresh jsonb; prior jsonb; col text;
BEGIN
  SELECT u.name, u.active INTO me, live FROM users u WHERE u.db_role = current_user::text;
  IF NOT FOUND THEN
    RETURN NEW;
  END IF;
  IF NOT live THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
      'The database role %s belongs to the deactivated Assay user %s.', current_user, me);
  END IF;
  fresh := to_jsonb(NEW);
  prior := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) ELSE '{{}}'::jsonb END;
  FOREACH col IN ARRAY ARRAY[{who}] LOOP
    CONTINUE WHEN fresh -> col IS NULL;
    CONTINUE WHEN TG_OP = 'UPDATE' AND col <> 'updated_by' AND fresh -> col = prior -> col;
    IF fresh ->> col IS DISTINCT FROM me THEN
      RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
        'The database role %s is the Assay user %s; it cannot write %s = %L in %s.',
        current_user, me, col, fresh ->> col, TG_TABLE_NAME);
    END IF;
  END LOOP;
  RETURN NEW;
END $$"""

_LOCK = """
CREATE FUNCTION assay_lock_chain() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {path} AS $$
BEGIN
  LOCK TABLE audit_events IN EXCLUSIVE MODE;
END $$"""


def upgrade() -> None:
    op.add_column("users", sa.Column("db_role", sa.String(63), nullable=True))
    op.create_index("ix_users_db_role", "users", ["db_role"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        _person_checks()


def _person_checks() -> None:
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    path = '"' + str(schema).replace('"', '""') + '", pg_temp'
    who = ", ".join(f"'{name}'" for name in _WHO)
    op.execute(_PERSON.format(path=path))
    op.execute(_IDENTITY.format(path=path, who=who))
    op.execute(_LOCK.format(path=path))
    op.execute("REVOKE ALL ON FUNCTION assay_lock_chain() FROM PUBLIC")
    for table in _CHECKED:
        op.execute(
            f"CREATE TRIGGER {table}_identity BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION assay_identity()"
        )
    mine = "user_name = assay_person()"
    for table in _OWN_ROWS:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY assay_read ON {table} FOR SELECT USING (true)")
        op.execute(f"CREATE POLICY assay_own_insert ON {table} FOR INSERT WITH CHECK ({mine})")
        op.execute(
            f"CREATE POLICY assay_own_update ON {table} FOR UPDATE USING ({mine}) "
            f"WITH CHECK ({mine})"
        )
    op.execute("ALTER TABLE web_sessions ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY assay_own ON web_sessions FOR ALL USING ({mine})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS assay_own ON web_sessions")
        op.execute("ALTER TABLE web_sessions DISABLE ROW LEVEL SECURITY")
        for table in _OWN_ROWS:
            for policy in ("assay_read", "assay_own_insert", "assay_own_update"):
                op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for table in _CHECKED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_identity ON {table}")
        for function in ("assay_lock_chain()", "assay_identity()", "assay_person()"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_index("ix_users_db_role", table_name="users")
    op.drop_column("users", "db_role")
