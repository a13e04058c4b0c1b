"""The workspace: a ``.assay/`` folder (like ``.git``) holding config.toml, blobs and, by default,
the SQLite database; or pointing to a PostgreSQL database shared by a team."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import sqlalchemy as sa

from assay.errors import ConflictError, InputError, NotFoundError
from assay.governance._common import check_name
from assay.governance._identity import acting_user
from assay.governance._scope import narrowed, user_scope
from assay.policy import Policy, load_policy
from assay.store import SCHEMA_REVISION, BlobStore, Store, sqlite_url, tables

__all__ = [
    "WORKSPACE_DIR",
    "Workspace",
    "WorkspaceConfig",
    "find_workspace",
    "init_workspace",
    "open_workspace",
    "upgrade_workspace",
]

WORKSPACE_DIR = ".assay"
CONFIG_FILE = "config.toml"
DB_FILE = "assay.db"
PRIVATE_DIR_MODE = 0o700
"""Mode of the folders ``assay init`` makes: the database, blobs and config are every record of
the workspace, for its owner only (files are 0600)."""


@dataclass(frozen=True, slots=True)
class WorkspaceConfig:
    """The settings in ``.assay/config.toml``."""

    database_url: str | None
    user: str | None
    questionnaire: str | None
    blobs: str | None
    policy: str | None = None


def _toml_str(value: str | None) -> str:
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(value or "")


def _write_private(path: Path, text: str) -> None:
    """Write a workspace file readable by its owner only (mode 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _write_config(path: Path, config: WorkspaceConfig) -> None:
    _write_private(
        path,
        "# Assay workspace settings. Created by `assay init`; safe to edit.\n\n"
        "[database]\n"
        "# Empty: the SQLite file .assay/assay.db. For a team database:\n"
        '# "postgresql+psycopg://USER@HOST:5432/DBNAME" (keep the password in PGPASSWORD or\n'
        "# ~/.pgpass, not here). ASSAY_DATABASE_URL overrides this setting.\n"
        f"url = {_toml_str(config.database_url)}\n\n"
        "[user]\n"
        "# Who the command line acts as. ASSAY_USER overrides it.\n"
        f"name = {_toml_str(config.user)}\n\n"
        "[intake]\n"
        "# A replacement intake questionnaire (YAML). Empty: the one shipped with Assay.\n"
        f"questionnaire = {_toml_str(config.questionnaire)}\n\n"
        "[blobs]\n"
        "# Where evidence files are kept, by sha256. Empty: .assay/blobs.\n"
        f"path = {_toml_str(config.blobs)}\n\n"
        "[policy]\n"
        "# The policy this workspace is governed by (YAML; relative to the project folder).\n"
        "# Empty: the default policy shipped with Assay. Reviews, packets, approvals, the gate\n"
        "# and the web app all read this one.\n"
        f"path = {_toml_str(config.policy)}\n",
    )


def _read_config(path: Path) -> WorkspaceConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path} is not valid TOML: {exc}. Fix the file by hand.") from exc

    def get(section: str, key: str) -> str | None:
        value = data.get(section, {}).get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(f"In {path}, [{section}] {key} must be a string.")
        return value or None

    return WorkspaceConfig(
        database_url=get("database", "url"),
        user=get("user", "name"),
        questionnaire=get("intake", "questionnaire"),
        blobs=get("blobs", "path"),
        policy=get("policy", "path"),
    )


def _strip_password(url: str) -> str:
    parsed = sa.make_url(url)
    if parsed.password is None:
        return url
    bare = sa.engine.URL.create(
        drivername=parsed.drivername,
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return bare.render_as_string(hide_password=False)


class Workspace:
    """An open workspace: its store, the acting user and the clock.

    Obtain one with :func:`open_workspace` or :func:`init_workspace`; close it (or use it as a
    context manager) to release database connections.

    Attributes
    ----------
    root
        The project folder that contains ``.assay/``.
    store
        The database and blob store.
    user
        The name every change is recorded under.
    clock
        Returns the current time (aware, UTC); tests and imports may replace it.
    """

    def __init__(
        self,
        root: Path,
        store: Store,
        *,
        user: str,
        config: WorkspaceConfig,
        clock: Callable[[], dt.datetime] | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.root = root
        self._base_store = store
        self._store: Store | None = None
        self.user = user
        self.config = config
        self.clock: Callable[[], dt.datetime] = clock or (lambda: dt.datetime.now(dt.UTC))
        self._policy: Policy | None = policy

    def as_user(self, name: str) -> Workspace:
        """This workspace (same store, settings, clock and policy) acting as ``name``: what
        ``name`` may see and do (the web app's view of each request)."""
        return Workspace(
            self.root,
            self._base_store,
            user=name,
            config=self.config,
            clock=self.clock,
            policy=self._policy,
        )

    def in_org(self, org: str) -> Workspace:
        """This workspace seeing only the organisation ``org`` (NotFoundError when its user
        does not see it): one organisation's dashboard, lists and KPIs."""
        view = self.as_user(self.user)
        view._store = narrowed(self.store, org)
        return view

    @property
    def store(self) -> Store:
        """The database and blob store, as seen by :attr:`user`: every connection it opens is
        scoped to the organisations the user may see (read once per workspace object)."""
        if self._store is None:
            self._store = self._base_store.scoped(user_scope(self._base_store, self.user))
        return self._store

    @property
    def dir(self) -> Path:
        """The ``.assay`` folder."""
        return self.root / WORKSPACE_DIR

    @property
    def blobs(self) -> BlobStore:
        """The content-addressed blob store."""
        return self._base_store.blobs

    @property
    def policy(self) -> Policy:
        """The policy this workspace is governed by (``[policy] path`` in config.toml, else the
        shipped default), read once per open workspace."""
        if self._policy is None:
            path = self.config.policy
            self._policy = load_policy(self.root / path if path else None)
        return self._policy

    def now(self) -> dt.datetime:
        """The current time in UTC, from :attr:`clock`."""
        return self.clock().astimezone(dt.UTC)

    def today(self) -> dt.date:
        """Today's date in UTC."""
        return self.now().date()

    def close(self) -> None:
        """Release the database connections."""
        self._base_store.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Workspace(root={str(self.root)!r}, db={self._base_store.dialect}, user={self.user!r})"
        )


def find_workspace(start: Path | str | None = None) -> Path:
    """The nearest folder, from ``start`` upwards, that contains ``.assay/config.toml``.

    ``ASSAY_WORKSPACE`` names the folder directly when ``start`` is not given.
    """
    if start is None and os.environ.get("ASSAY_WORKSPACE"):
        start = os.environ["ASSAY_WORKSPACE"]
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / WORKSPACE_DIR / CONFIG_FILE).is_file():
            return folder
    raise NotFoundError(
        f"No Assay workspace in {here} or any folder above it. Create one with `assay init` "
        "(or point to one with --workspace DIR / ASSAY_WORKSPACE)."
    )


def _resolve_user(explicit: str | None, config: WorkspaceConfig) -> str:
    name = explicit or os.environ.get("ASSAY_USER") or config.user
    if not name:
        raise InputError(
            "No user is set for this workspace. Set ASSAY_USER=NAME or [user] name in "
            ".assay/config.toml."
        )
    return check_name(name, what="user name")


def _store_for(root: Path, config: WorkspaceConfig, db_url: str | None) -> Store:
    url = db_url or os.environ.get("ASSAY_DATABASE_URL") or config.database_url
    if not url:
        url = sqlite_url(root / WORKSPACE_DIR / DB_FILE)
    blob_dir = Path(config.blobs) if config.blobs else root / WORKSPACE_DIR / "blobs"
    if not blob_dir.is_absolute():
        blob_dir = root / blob_dir
    return Store(url, blob_dir=blob_dir)


def open_workspace(
    path: Path | str | None = None,
    *,
    db_url: str | None = None,
    user: str | None = None,
    check_schema: bool = True,
    clock: Callable[[], dt.datetime] | None = None,
) -> Workspace:
    """Open the workspace that contains ``path`` (default: the current folder).

    Parameters
    ----------
    path
        A folder inside the workspace; searched upwards like git does.
    db_url
        Overrides ``ASSAY_DATABASE_URL`` and ``[database] url``.
    user
        Overrides ``ASSAY_USER`` and ``[user] name``.
    check_schema
        Refuse a database whose schema is not the one this Assay version expects
        (``assay db upgrade`` passes False).
    clock
        Returns the time every write is stamped with, audit events included (default: the wall
        clock); see :attr:`Workspace.clock`.
    """
    root = find_workspace(path)
    config = _read_config(root / WORKSPACE_DIR / CONFIG_FILE)
    store = _store_for(root, config, db_url)
    try:
        acting = acting_user(store, user, config.user) or _resolve_user(user, config)
        if check_schema:
            _check_schema(store)
    except BaseException:
        store.dispose()
        raise
    store.blobs.remove_stale_incoming()  # left by writes that were killed
    return Workspace(root, store, user=acting, config=config, clock=clock)


def _check_schema(store: Store) -> None:
    current = store.current_revision()
    if current == SCHEMA_REVISION:
        return
    if current is None:
        raise ConflictError(
            "The workspace database has no tables yet. Create them with `assay db upgrade`."
        )
    from assay.store import head_revision

    if current < SCHEMA_REVISION:
        raise ConflictError(
            f"The workspace database is at schema {current}; this Assay needs "
            f"{head_revision()}. Run `assay db upgrade` (back up first with "
            "`assay backup FILE.zip`)."
        )
    raise ConflictError(
        f"The workspace database is at schema {current}, newer than this Assay knows "
        f"({SCHEMA_REVISION}). Upgrade Assay: pip install -U assay-rai."
    )


_GITIGNORE = (
    "# The database and blobs are backed up with `assay backup FILE.zip` or exported with\n"
    "# `assay export DIR` (git-diffable); they are not meant for git itself.\n"
    "assay.db*\nblobs/\n"
)


def init_workspace(
    path: Path | str = ".",
    *,
    db_url: str | None = None,
    user: str | None = None,
    bootstrap_user: bool = True,
    clock: Callable[[], dt.datetime] | None = None,
) -> Workspace:
    """Create ``.assay/`` in ``path``: config.toml, blobs/, and the migrated database.

    Parameters
    ----------
    path
        The project folder (created if missing).
    db_url
        A PostgreSQL URL for a team database; default: SQLite in ``.assay/assay.db``.
        A password in the URL is not written to config.toml.
    user
        The first user, made admin when the database has no users yet. Default: ``ASSAY_USER``,
        then the operating-system login name.
    bootstrap_user
        Create that first admin user (``assay import`` and ``assay restore`` pass False).
    clock
        As in :func:`open_workspace`; the first user is added at its time.

    Returns
    -------
    Workspace
        The open workspace, acting as ``user``.

    Examples
    --------
    >>> import tempfile
    >>> with init_workspace(tempfile.mkdtemp(), user="ada") as ws:
    ...     ws.user, ws.store.dialect
    ('ada', 'sqlite')
    """
    root = Path(path).resolve()
    wdir = root / WORKSPACE_DIR
    if (wdir / CONFIG_FILE).exists():
        raise ConflictError(
            f"{root} already has an Assay workspace. Use it as it is, or run "
            "`assay db upgrade` to bring its database up to date."
        )
    name = check_name(user or os.environ.get("ASSAY_USER") or getpass.getuser(), what="user name")
    url = db_url
    config = WorkspaceConfig(
        database_url=_strip_password(url) if url else None,
        user=name,
        questionnaire=None,
        blobs=None,
    )
    created_dir = not wdir.exists()
    wdir.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    store: Store | None = None
    try:
        (wdir / "blobs").mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
        (wdir / ".gitignore").write_text(_GITIGNORE, encoding="utf-8")
        store = _store_for(root, config, url)
        store.upgrade()
        ws = Workspace(root, store, user=name, config=config, clock=clock)
        if bootstrap_user:
            with store.read() as conn:
                has_users = conn.execute(
                    sa.select(sa.func.count()).select_from(tables.users)
                ).scalar_one()
            if not has_users:
                from assay.governance._users import bootstrap_admin

                bootstrap_admin(ws, name)
        _write_config(wdir / CONFIG_FILE, config)
    except BaseException:
        if store is not None:
            store.dispose()
        if created_dir:
            shutil.rmtree(wdir, ignore_errors=True)
        raise
    return ws


def upgrade_workspace(path: Path | str | None = None, *, db_url: str | None = None) -> str:
    """Run pending migrations on the workspace database; return the revision it is now at."""
    root = find_workspace(path)
    config = _read_config(root / WORKSPACE_DIR / CONFIG_FILE)
    store = _store_for(root, config, db_url)
    try:
        store.upgrade()
        return store.current_revision() or ""
    finally:
        store.dispose()
