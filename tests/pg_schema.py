"""A fresh PostgreSQL schema on the server named by ``ASSAY_TEST_POSTGRES_URL``, dropped after.

Each test (or module) gets its own schema, so parallel workers never collide; shared by the
``db_url`` fixture and the web tests that serve a workspace on PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fresh_schema(prefix: str) -> Iterator[str]:
    """The URL of a new, empty schema named ``PREFIX_<random>`` (dropped with its contents)."""
    import sqlalchemy as sa

    from assay.store import normalize_url

    base = normalize_url(os.environ["ASSAY_TEST_POSTGRES_URL"])
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(base, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()
