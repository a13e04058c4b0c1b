"""Shared fixtures, and the report of which test lanes ran.

Lanes that need a system component run whenever it is present:
- postgres: ``ASSAY_TEST_POSTGRES_URL`` points at a PostgreSQL server (``.ci/run`` starts one);
- spark: PySpark is installed and a Java runtime is on the PATH;
- browser: Debian's Chromium is at ``/usr/bin/chromium``;
- oidc: Node.js and panva's oidc-provider (``npm ci --prefix tests/web/oidc``, which
  ``.ci/run`` does) for single sign-on against a real OpenID Provider.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pg_schema import fresh_schema

REPO = Path(__file__).resolve().parents[1]


def _spark_reason() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install 'assay-rai[spark]')"
    if shutil.which("java") is None:
        return "no Java runtime on the PATH (apt-get install openjdk-17-jre-headless)"
    return None


def _postgres_reason() -> str | None:
    if not os.environ.get("ASSAY_TEST_POSTGRES_URL"):
        return "ASSAY_TEST_POSTGRES_URL is not set (.ci/run starts a server and sets it)"
    return None


def _browser_reason() -> str | None:
    if not Path("/usr/bin/chromium").exists():
        return "Debian's chromium is not installed (apt-get install chromium)"
    return None


def _oidc_reason() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed (apt-get install nodejs npm)"
    if not (REPO / "tests" / "web" / "oidc" / "node_modules" / "oidc-provider").is_dir():
        return "the test OpenID Provider is not installed (npm ci --prefix tests/web/oidc)"
    return None


LANES = {
    "postgres": _postgres_reason,
    "spark": _spark_reason,
    "browser": _browser_reason,
    "oidc": _oidc_reason,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reasons = {lane: check() for lane, check in LANES.items()}
    for item in items:
        for lane, reason in reasons.items():
            if reason and lane in item.keywords:
                item.add_marker(pytest.mark.skip(reason=f"{lane} lane skipped: {reason}"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("test lanes")
    for lane, check in LANES.items():
        reason = check()
        terminalreporter.write_line(
            f"{lane:9s} {'ran' if reason is None else 'SKIPPED: ' + reason}"
        )


@pytest.fixture(scope="session")
def adult_scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's trained Adult model, its held-out split scored, as a Parquet file."""
    from assay.demo import train_adult_model

    path = tmp_path_factory.mktemp("adult") / "scored.parquet"
    train_adult_model().scored.write_parquet(path)
    return path


# -- Databases for the store, governance and their CLI tests ---------------------------------------
# Each test gets its own database: a SQLite file in its tmp_path, or a fresh schema in the
# PostgreSQL server named by ASSAY_TEST_POSTGRES_URL (so parallel workers never collide).


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: SQLite, then PostgreSQL when the lane runs."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'assay.db'}"
        return
    with fresh_schema("assay_test") as url:
        yield url


@pytest.fixture
def pg_roles(db_url: str) -> Iterator[Callable[[str], str]]:
    """Makes unique PostgreSQL role names for one test (roles are cluster-wide, shared by parallel
    workers); every role so named is dropped, with its privileges, after the test."""
    import uuid

    import sqlalchemy as sa

    made: list[str] = []

    def name(prefix: str) -> str:
        made.append(f"{prefix}_{uuid.uuid4().hex[:10]}")
        return made[-1]

    yield name
    admin = sa.create_engine(os.environ["ASSAY_TEST_POSTGRES_URL"], poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        for role in reversed(made):  # a role made by an earlier one goes first
            found = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            if found.first():
                conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
                conn.exec_driver_sql(f'DROP ROLE "{role}"')
    admin.dispose()
