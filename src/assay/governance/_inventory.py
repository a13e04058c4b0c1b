"""The inventory: AI systems and their components (model versions, dataset versions, prompts,
guardrails, monitoring specifications)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from assay.errors import ConflictError, InputError
from assay.governance._common import (
    Record,
    check_choice,
    check_text,
    not_found,
    stamps,
    writing,
)
from assay.governance._names import check_record_name
from assay.governance._owners import check_owner
from assay.governance._scope import MAIN_ORG, check_org, home_org, readable, scope_clause, shown
from assay.policy import OPEN_RISK_STATUSES, RISK_TIERS
from assay.store import BlobStore, check_json_value, tables

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "COMPONENT_KINDS",
    "LIFECYCLE_STATUSES",
    "Component",
    "DatasetVersion",
    "ModelVersion",
    "System",
    "SystemOverview",
    "add_component",
    "add_dataset_version",
    "add_model_version",
    "get_dataset_version",
    "get_system",
    "list_dataset_versions",
    "list_model_versions",
    "list_systems",
    "show_system",
    "update_system",
]

"""Risk tiers, aligned with the EU AI Act's categories; ``unassessed`` until triage sets one."""

LIFECYCLE_STATUSES = ("proposed", "development", "validation", "production", "retired")
"""Lifecycle of a system; ``validation`` is final integration, so findings there are late."""

COMPONENT_KINDS = ("prompt", "guardrail", "monitoring")
"""Components besides model and dataset versions; prompts and guardrails for generative systems."""

_SYS = tables.ai_systems.c


@dataclass(frozen=True, slots=True)
class System(Record):
    """An AI system under governance."""

    id: int
    name: str
    purpose: str
    intended_use: str | None
    out_of_scope_use: str | None
    deployment_context: str | None
    owner: str
    risk_tier: str
    lifecycle_status: str
    generative: bool
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str
    org: str = MAIN_ORG
    """The organisation the system belongs to."""

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], **extra: Any) -> System:
        """The system of an ``ai_systems`` row (``org`` NULL: the main organisation)."""
        return cls(**{**{f: row[f] for f in _SYSTEM_FIELDS}, "org": shown(row.get("org")), **extra})


_SYSTEM_FIELDS = tuple(f.name for f in dataclasses.fields(System) if f.name != "org")


@dataclass(frozen=True, slots=True)
class DatasetVersion(Record):
    """One exact version of a dataset, identified by its digest."""

    id: int
    name: str
    version: str
    digest: str
    source: str | None
    rows: int | None
    columns: Any
    collection_notes: str | None
    created_at: dt.datetime
    created_by: str

    @property
    def ref(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True)
class ModelVersion(Record):
    """One exact version of a model of a system."""

    id: int
    system: str
    name: str
    version: str
    registry_uri: str | None
    artifact_sha256: str | None
    code_commit: str | None
    notes: str | None
    training_datasets: tuple[str, ...]
    created_at: dt.datetime
    created_by: str

    @property
    def ref(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True)
class Component(Record):
    """A prompt, guardrail or monitoring specification of a system."""

    id: int
    system: str
    kind: str
    name: str
    version: str
    content_sha256: str | None
    details: Any
    created_at: dt.datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class SystemOverview(Record):
    """A system with its components and counts of its governance records."""

    system: System
    model_versions: tuple[ModelVersion, ...]
    dataset_versions: tuple[DatasetVersion, ...]
    components: tuple[Component, ...]
    evidence: int
    open_risks: int
    open_reviews: int
    active_waivers: int


def normalize_digest(digest: str) -> str:
    """``sha256:<hex>`` for a bare 64-character hex digest; other ``algo:value`` forms kept.

    >>> normalize_digest("AB" * 32)[:11]
    'sha256:abab'
    """
    text = digest.strip()
    if ":" in text:
        algo, _, value = text.partition(":")
        if not algo or not value:
            raise InputError(f"{digest!r} is not a digest; write it as sha256:<64 hex digits>.")
        return f"{algo.lower()}:{value.lower()}"
    return "sha256:" + BlobStore.check_digest(text)


def system_row(conn: Connection, name: str) -> RowMapping:
    """The row of the system called ``name``; NotFoundError naming how to list systems."""
    row = conn.execute(sa.select(tables.ai_systems).where(_SYS.name == name)).mappings().first()
    if row is None or not readable(conn, tables.ai_systems, row):
        raise not_found("AI system", repr(name), "List them with `assay system list`.")
    return row


def system_name(conn: Connection, system_id: int) -> str:
    """The name of the system with this id."""
    return str(conn.execute(sa.select(_SYS.name).where(_SYS.id == system_id)).scalar_one())


def add_system(
    ws: Workspace,
    name: str,
    *,
    purpose: str,
    owner: str,
    intended_use: str | None = None,
    out_of_scope_use: str | None = None,
    deployment_context: str | None = None,
    risk_tier: str = "unassessed",
    lifecycle_status: str = "development",
    generative: bool = False,
    org: str | None = None,
) -> System:
    """Register an AI system.

    Parameters
    ----------
    ws
        The workspace.
    name
        Unique name, used to refer to the system everywhere (``credit-scoring``).
    purpose
        What the system does and for whom.
    owner
        Who is accountable for it (a person or team).
    intended_use, out_of_scope_use, deployment_context
        Free text, copied into system cards.
    risk_tier
        One of :data:`RISK_TIERS`; triage of a review sets it.
    lifecycle_status
        One of :data:`LIFECYCLE_STATUSES`.
    generative
        Generative systems may use NIST AI 600-1 risk categories and prompt components.
    org
        The organisation it belongs to (``assay org list``); default: the user's own.
    """
    name = check_record_name(name, what="system name")
    check_choice(risk_tier, RISK_TIERS, what="risk tier")
    check_choice(lifecycle_status, LIFECYCLE_STATUSES, what="lifecycle status")
    values = {
        "name": name,
        "purpose": check_text(purpose, what="purpose"),
        "owner": check_text(owner, what="owner"),
        "intended_use": check_text(intended_use, what="intended use", required=False),
        "out_of_scope_use": check_text(out_of_scope_use, what="out-of-scope use", required=False),
        "deployment_context": check_text(
            deployment_context, what="deployment context", required=False
        ),
        "risk_tier": risk_tier,
        "lifecycle_status": lifecycle_status,
        "generative": bool(generative),
        **stamps(ws),
    }
    with writing(ws, "edit the inventory", action="system.add", entity_type="system") as tx:
        values["org"] = home_org(tx.conn, ws.user) if org is None else check_org(tx.conn, org)
        check_owner(tx.conn, values["owner"], what="owner", orgs=[shown(values["org"])])
        exists = tx.conn.execute(sa.select(_SYS.id).where(_SYS.name == name)).first()
        if exists is not None:
            raise ConflictError(
                f"An AI system called {name!r} already exists. Pick another name, or change it "
                f"with `assay system update {name} ...`."
            )
        row = tx.insert(tables.ai_systems, values)
        tx.set_entity("system", row["id"])
    return System.from_row(row)


def update_system(
    ws: Workspace,
    name: str,
    *,
    purpose: str | None = None,
    owner: str | None = None,
    intended_use: str | None = None,
    out_of_scope_use: str | None = None,
    deployment_context: str | None = None,
    risk_tier: str | None = None,
    lifecycle_status: str | None = None,
    generative: bool | None = None,
) -> System:
    """Change fields of a system; arguments left as None keep their value."""
    values: dict[str, Any] = {
        k: v
        for k, v in {
            "purpose": purpose,
            "owner": owner,
            "intended_use": intended_use,
            "out_of_scope_use": out_of_scope_use,
            "deployment_context": deployment_context,
            "risk_tier": risk_tier,
            "lifecycle_status": lifecycle_status,
            "generative": generative,
        }.items()
        if v is not None
    }
    if not values:
        raise InputError("Nothing to change: give at least one field with a new value.")
    if risk_tier is not None:
        check_choice(risk_tier, RISK_TIERS, what="risk tier")
    if lifecycle_status is not None:
        check_choice(lifecycle_status, LIFECYCLE_STATUSES, what="lifecycle status")
    for key in ("purpose", "owner"):
        if key in values:
            values[key] = check_text(values[key], what=key)
    with writing(ws, "edit the inventory", action="system.update", entity_type="system") as tx:
        current = system_row(tx.conn, name)
        check_owner(tx.conn, values.get("owner"), what="owner", orgs=[shown(current["org"])])
        tx.set_entity("system", current["id"])
        row = tx.update(tables.ai_systems, current["id"], {**values, **stamps(ws, created=False)})
    return System.from_row(row)


def get_system(ws: Workspace, name: str) -> System:
    """One system by name."""
    with ws.store.read() as conn:
        return System.from_row(system_row(conn, name))


def system_names(ws: Workspace) -> list[str]:
    """The names of all systems, by name (the order of :func:`list_systems`), without loading
    their records."""
    with ws.store.read() as conn:
        q = sa.select(_SYS.name).where(scope_clause(conn, tables.ai_systems)).order_by(_SYS.name)
        return [str(n) for n in conn.execute(q).scalars()]


def list_systems(
    ws: Workspace, *, lifecycle_status: str | None = None, risk_tier: str | None = None
) -> list[System]:
    """Systems by name, optionally filtered."""
    q = sa.select(tables.ai_systems).order_by(_SYS.name)
    if lifecycle_status is not None:
        q = q.where(_SYS.lifecycle_status == lifecycle_status)
    if risk_tier is not None:
        q = q.where(_SYS.risk_tier == risk_tier)
    with ws.store.read() as conn:
        q = q.where(scope_clause(conn, tables.ai_systems))
        return [System.from_row(r) for r in conn.execute(q).mappings()]


# -- dataset versions ---------------------------------------------------------------------------


def parse_versioned(ref: str, *, what: str) -> tuple[str, str | None]:
    """Split ``name@version``; the version may be absent.

    >>> parse_versioned("adult@2024-01", what="dataset version")
    ('adult', '2024-01')
    """
    name, sep, version = ref.rpartition("@")
    if not sep:
        return ref, None
    if not name or not version:
        raise InputError(f"{ref!r} is not a {what}; write it as NAME@VERSION.")
    return name, version


def dataset_row(conn: Connection, ref: str) -> RowMapping:
    """Find a dataset version by ``name@version``, by its digest, or by a name with one version."""
    d = tables.dataset_versions.c
    hint = "List them with `assay dataset-version list`."
    if ref.startswith("sha256:"):
        rows = list(
            conn.execute(sa.select(tables.dataset_versions).where(d.digest == ref)).mappings()
        )
    else:
        name, version = parse_versioned(ref, what="dataset version")
        q = sa.select(tables.dataset_versions).where(d.name == name)
        if version is not None:
            q = q.where(d.version == version)
        rows = list(conn.execute(q).mappings())
    if not rows:
        raise not_found("dataset version", repr(ref), hint)
    if len(rows) > 1:
        options = ", ".join(f"{r['name']}@{r['version']}" for r in rows)
        raise InputError(f"{ref!r} matches several dataset versions ({options}); name one.")
    return rows[0]


def add_dataset_version(
    ws: Workspace,
    name: str,
    version: str,
    *,
    digest: str | None = None,
    path: Path | str | None = None,
    source: str | None = None,
    rows: int | None = None,
    columns: Sequence[str] | Mapping[str, str] | None = None,
    collection_notes: str | None = None,
) -> DatasetVersion:
    """Register one version of a dataset.

    Give its ``digest`` (``sha256:...``, as evaluation results report it) or a ``path`` to hash.
    ``columns`` is the schema: a list of names or a mapping name → type.
    """
    name = check_record_name(name, what="dataset name")
    version = check_record_name(version, what="dataset version")
    if "@" in name:
        raise InputError(f"The dataset name {name!r} cannot contain '@'.")
    if digest is None and path is None:
        raise InputError(
            "Give the dataset's digest (--digest sha256:...) or a file to hash (--file PATH)."
        )
    if path is not None:
        from assay.store import sha256_file

        p = Path(path)
        if not p.is_file():
            state = "is a folder" if p.is_dir() else "does not exist"
            raise InputError(f"The dataset file {str(p)!r} {state}; give the path of a file.")
        file_digest = "sha256:" + sha256_file(p)
        if digest is not None and normalize_digest(digest) != file_digest:
            raise InputError(
                f"The file {str(p)!r} hashes to {file_digest}, not {normalize_digest(digest)}."
            )
        digest = file_digest
    assert digest is not None
    if rows is not None and (isinstance(rows, bool) or rows < 0):
        raise InputError(f"rows must be a non-negative integer; got {rows!r}.")
    cols: Any = None
    if columns is not None:
        cols = dict(columns) if isinstance(columns, Mapping) else list(columns)
        check_json_value(cols, name="columns")
    values = {
        "name": name,
        "version": version,
        "digest": normalize_digest(digest),
        "source": check_text(source, what="source", required=False),
        "rows": rows,
        "columns": cols,
        "collection_notes": check_text(collection_notes, what="notes", required=False),
        **stamps(ws),
    }
    d = tables.dataset_versions.c
    with writing(
        ws, "edit the inventory", action="dataset_version.add", entity_type="dataset_version"
    ) as tx:
        if tx.conn.execute(sa.select(d.id).where(d.name == name, d.version == version)).first():
            raise ConflictError(
                f"The dataset version {name}@{version} already exists; versions are immutable, "
                "register the changed data as a new version."
            )
        row = tx.insert(tables.dataset_versions, values)
        tx.set_entity("dataset_version", row["id"])
    return DatasetVersion.from_row(row)


def get_dataset_version(ws: Workspace, ref: str) -> DatasetVersion:
    """A dataset version by ``name@version`` or digest."""
    with ws.store.read() as conn:
        return DatasetVersion.from_row(dataset_row(conn, ref))


def list_dataset_versions(ws: Workspace, *, name: str | None = None) -> list[DatasetVersion]:
    """Dataset versions by name and creation time."""
    d = tables.dataset_versions.c
    q = sa.select(tables.dataset_versions).order_by(d.name, d.created_at, d.id)
    if name is not None:
        q = q.where(d.name == name)
    with ws.store.read() as conn:
        return [DatasetVersion.from_row(r) for r in conn.execute(q).mappings()]


# -- model versions -----------------------------------------------------------------------------


def model_row(conn: Connection, system_id: int, system: str, ref: str) -> RowMapping:
    """A model version of a system by ``name@version`` or by ``version`` alone."""
    m = tables.model_versions.c
    name, version = parse_versioned(ref, what="model version")
    q = sa.select(tables.model_versions).where(m.system_id == system_id)
    q = (
        q.where(m.version == name)
        if version is None
        else q.where(m.name == name, m.version == version)
    )
    rows = list(conn.execute(q).mappings())
    if not rows:
        raise not_found(
            "model version",
            f"{ref!r} of {system!r}",
            f"Register it with `assay model-version add {system} {ref}`, or list them with "
            f"`assay model-version list {system}`.",
        )
    if len(rows) > 1:
        options = ", ".join(f"{r['name']}@{r['version']}" for r in rows)
        raise InputError(f"{ref!r} matches several model versions of {system!r}: {options}.")
    return rows[0]


def _model_record(conn: Connection, row: RowMapping, system: str) -> ModelVersion:
    d = tables.dataset_versions.c
    t = tables.model_training_data.c
    refs = conn.execute(
        sa.select(d.name, d.version)
        .join(tables.model_training_data, t.dataset_version_id == d.id)
        .where(t.model_version_id == row["id"])
        .order_by(d.name, d.version)
    ).all()
    return ModelVersion.from_row(
        row, system=system, training_datasets=tuple(f"{n}@{v}" for n, v in refs)
    )


def _artifact_digest(sha256: str | None, path: Path | str | None) -> str | None:
    """The model artifact's sha256: of the file at ``path`` when given, else ``sha256`` checked."""
    if path is not None:
        from assay.store import sha256_file

        p = Path(path)
        if not p.is_file():
            state = "is a folder" if p.is_dir() else "does not exist"
            raise InputError(f"The model artifact {str(p)!r} {state}; give the path of a file.")
        sha256 = sha256_file(p)
    if sha256 is not None:
        sha256 = BlobStore.check_digest(sha256)
    return sha256


def _refuse_taken(
    conn: Connection, sys_row: RowMapping, system: str, model_name: str, version: str
) -> None:
    """Refuse a model name or version with '@', or one the system already registered."""
    if "@" in model_name or "@" in version:
        raise InputError("Model names and versions cannot contain '@'.")
    m = tables.model_versions.c
    if conn.execute(
        sa.select(m.id).where(
            m.system_id == sys_row["id"], m.name == model_name, m.version == version
        )
    ).first():
        raise ConflictError(
            f"{system!r} already has the model version {model_name}@{version}; versions "
            "are immutable, register a new version instead."
        )


def add_model_version(
    ws: Workspace,
    system: str,
    version: str,
    *,
    name: str | None = None,
    registry_uri: str | None = None,
    artifact_sha256: str | None = None,
    artifact_path: Path | str | None = None,
    code_commit: str | None = None,
    training_datasets: Sequence[str] = (),
    notes: str | None = None,
) -> ModelVersion:
    """Register a version of a model of ``system``.

    Parameters
    ----------
    ws
        The workspace.
    system
        The system's name.
    version
        The version label (``"3"``, ``"2025-06-01"``, an MLflow version).
    name
        The model's name; default: the system's name.
    registry_uri
        Where the model lives (``models:/credit/3`` in MLflow).
    artifact_sha256, artifact_path
        The artifact's sha256, or a file to hash.
    code_commit
        The training code's commit.
    training_datasets
        Dataset versions it was trained on, as ``name@version`` or digest.
    """
    version = check_record_name(version, what="model version")
    artifact_sha256 = _artifact_digest(artifact_sha256, artifact_path)
    with writing(
        ws, "edit the inventory", action="model_version.add", entity_type="model_version"
    ) as tx:
        sys_row = system_row(tx.conn, system)
        model_name = check_record_name(name or sys_row["name"], what="model name")
        _refuse_taken(tx.conn, sys_row, system, model_name, version)
        datasets = [dataset_row(tx.conn, ref) for ref in training_datasets]
        row = tx.insert(
            tables.model_versions,
            {
                "system_id": sys_row["id"],
                "name": model_name,
                "version": version,
                "registry_uri": check_text(registry_uri, what="registry URI", required=False),
                "artifact_sha256": artifact_sha256,
                "code_commit": check_text(code_commit, what="code commit", required=False),
                "notes": check_text(notes, what="notes", required=False),
                **stamps(ws),
            },
        )
        tx.set_entity("model_version", row["id"])
        for ds in {d["id"]: d for d in datasets}.values():
            tx.insert(
                tables.model_training_data,
                {
                    "model_version_id": row["id"],
                    "dataset_version_id": ds["id"],
                    "created_at": ws.now(),
                    "created_by": ws.user,
                },
            )
        return _model_record(tx.conn, row, sys_row["name"])


def list_model_versions(ws: Workspace, system: str) -> list[ModelVersion]:
    """The model versions of a system, oldest first."""
    m = tables.model_versions.c
    with ws.store.read() as conn:
        sys_row = system_row(conn, system)
        rows = conn.execute(
            sa.select(tables.model_versions)
            .where(m.system_id == sys_row["id"])
            .order_by(m.created_at, m.id)
        ).mappings()
        return [_model_record(conn, r, sys_row["name"]) for r in list(rows)]


# -- components ---------------------------------------------------------------------------------


def add_component(
    ws: Workspace,
    system: str,
    kind: str,
    name: str,
    version: str,
    *,
    path: Path | str | None = None,
    details: Mapping[str, Any] | None = None,
) -> Component:
    """Register a prompt, guardrail or monitoring specification of a system.

    ``path`` is stored as a blob (a prompt template, a guardrail config). A ``monitoring``
    component must list its ``metrics`` and ``alerts`` in ``details``; monitoring coverage
    counts production systems that have one.
    """
    check_choice(kind, COMPONENT_KINDS, what="component kind")
    name = check_record_name(name, what="component name")
    version = check_record_name(version, what="component version")
    data = dict(details or {})
    check_json_value(data, name="details")
    if kind == "monitoring" and not (data.get("metrics") and data.get("alerts")):
        raise InputError(
            "A monitoring specification must list what is watched and who is alerted: give "
            "details with non-empty 'metrics' and 'alerts' lists."
        )
    sha = None
    if path is not None:
        sha, _ = ws.blobs.put_file(Path(path))
    with writing(ws, "edit the inventory", action="component.add", entity_type="component") as tx:
        sys_row = system_row(tx.conn, system)
        if kind == "prompt" and not sys_row["generative"]:
            raise InputError(
                f"{system!r} is not marked generative; prompts are components of generative "
                f"systems. Mark it with `assay system update {system} --generative`."
            )
        c = tables.system_components.c
        if tx.conn.execute(
            sa.select(c.id).where(
                c.system_id == sys_row["id"], c.kind == kind, c.name == name, c.version == version
            )
        ).first():
            raise ConflictError(f"{system!r} already has the {kind} {name} version {version}.")
        row = tx.insert(
            tables.system_components,
            {
                "system_id": sys_row["id"],
                "kind": kind,
                "name": name,
                "version": version,
                "content_sha256": sha,
                "details": data or None,
                **stamps(ws),
            },
        )
        tx.set_entity("component", row["id"])
    return Component.from_row(row, system=sys_row["name"])


def show_system(ws: Workspace, name: str) -> SystemOverview:
    """A system with its model versions, dataset versions, components and record counts."""
    from assay.governance._waivers import active_waiver_filter

    with ws.store.read() as conn:
        row = system_row(conn, name)
        sid = row["id"]
        m = tables.model_versions.c
        models = [
            _model_record(conn, r, name)
            for r in list(
                conn.execute(
                    sa.select(tables.model_versions)
                    .where(m.system_id == sid)
                    .order_by(m.created_at, m.id)
                ).mappings()
            )
        ]
        d = tables.dataset_versions.c
        t = tables.model_training_data.c
        e = tables.evidence.c
        used = sa.union(
            sa.select(t.dataset_version_id.label("id"))
            .join(tables.model_versions, m.id == t.model_version_id)
            .where(m.system_id == sid),
            sa.select(e.dataset_version_id.label("id")).where(
                e.system_id == sid, e.dataset_version_id.is_not(None)
            ),
        ).subquery()
        datasets = [
            DatasetVersion.from_row(r)
            for r in conn.execute(
                sa.select(tables.dataset_versions)
                .where(d.id.in_(sa.select(used.c.id)))
                .order_by(d.name, d.version)
            ).mappings()
        ]
        c = tables.system_components.c
        components = [
            Component.from_row(r, system=name)
            for r in conn.execute(
                sa.select(tables.system_components)
                .where(c.system_id == sid)
                .order_by(c.kind, c.name, c.version)
            ).mappings()
        ]

        def count(q: Any) -> int:
            return int(conn.execute(q).scalar_one())

        r = tables.risks.c
        rv = tables.reviews.c
        w = tables.waivers.c
        today = ws.today()
        return SystemOverview(
            system=System.from_row(row),
            model_versions=tuple(models),
            dataset_versions=tuple(datasets),
            components=tuple(components),
            evidence=count(sa.select(sa.func.count()).where(e.system_id == sid)),
            open_risks=count(
                sa.select(sa.func.count()).where(
                    r.system_id == sid, r.status.in_(OPEN_RISK_STATUSES)
                )
            ),
            open_reviews=count(
                sa.select(sa.func.count()).where(
                    rv.system_id == sid,
                    rv.status.not_in(
                        ("approved", "approved_with_conditions", "rejected", "withdrawn")
                    ),
                )
            ),
            active_waivers=count(
                sa.select(sa.func.count()).where(w.system_id == sid, active_waiver_filter(today))
            ),
        )
