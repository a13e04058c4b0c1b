"""``assay system``, ``assay model-version``, ``assay dataset-version``: the inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay import governance as g
from assay.cli._gov_common import (
    DbOpt,
    JsonOpt,
    WorkspaceOpt,
    emit,
    list_table,
    opened,
    read_mapping,
    record_table,
)
from assay.errors import InputError

__all__ = ["dataset_version_app", "model_version_app", "system_app"]

system_app = typer.Typer(
    help="AI systems under governance, and their components.", no_args_is_help=True
)
model_version_app = typer.Typer(help="Model versions of a system.", no_args_is_help=True)
dataset_version_app = typer.Typer(
    help="Dataset versions, identified by digest.", no_args_is_help=True
)

Text = Annotated[str | None, typer.Option(show_default=False)]


@system_app.command("add")
def system_add(
    name: str,
    purpose: Annotated[str, typer.Option(help="What it does and for whom.")],
    owner: Annotated[str, typer.Option(help="Who is accountable for it.")],
    intended_use: Text = None,
    out_of_scope_use: Text = None,
    deployment_context: Text = None,
    risk_tier: Annotated[
        str, typer.Option(help="unassessed, minimal, limited, high, prohibited")
    ] = "unassessed",
    lifecycle: Annotated[
        str, typer.Option(help="proposed, development, validation, production, retired")
    ] = "development",
    generative: Annotated[bool, typer.Option("--generative", help="A generative system.")] = False,
    org: Annotated[
        str | None,
        typer.Option("--org", help="The organisation it belongs to (default: your own)."),
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an AI system."""
    with opened(workspace, db) as ws:
        system = g.add_system(
            ws,
            name,
            purpose=purpose,
            owner=owner,
            intended_use=intended_use,
            out_of_scope_use=out_of_scope_use,
            deployment_context=deployment_context,
            risk_tier=risk_tier,
            lifecycle_status=lifecycle,
            generative=generative,
            org=org,
        )
    emit(system, as_json, message=f"Registered the AI system {system.name} in {system.org}.")


@system_app.command("update")
def system_update(
    name: str,
    purpose: Text = None,
    owner: Text = None,
    intended_use: Text = None,
    out_of_scope_use: Text = None,
    deployment_context: Text = None,
    risk_tier: Text = None,
    lifecycle: Text = None,
    generative: Annotated[
        bool | None, typer.Option("--generative/--not-generative", show_default=False)
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change fields of a system."""
    with opened(workspace, db) as ws:
        system = g.update_system(
            ws,
            name,
            purpose=purpose,
            owner=owner,
            intended_use=intended_use,
            out_of_scope_use=out_of_scope_use,
            deployment_context=deployment_context,
            risk_tier=risk_tier,
            lifecycle_status=lifecycle,
            generative=generative,
        )
    emit(system, as_json, record_table(f"AI system {system.name}", system))


@system_app.command("list")
def system_list(
    lifecycle: Text = None,
    risk_tier: Text = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List AI systems."""
    with opened(workspace, db) as ws:
        systems = g.list_systems(ws, lifecycle_status=lifecycle, risk_tier=risk_tier)
    emit(
        systems,
        as_json,
        list_table(
            "AI systems", systems, ["name", "risk_tier", "lifecycle_status", "owner", "generative"]
        ),
    )


@system_app.command("show")
def system_show(
    name: str, workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Show a system with its versions, components and open records."""
    with opened(workspace, db) as ws:
        ov = g.show_system(ws, name)
    counts = {
        "evidence": ov.evidence,
        "open risks": ov.open_risks,
        "open reviews": ov.open_reviews,
        "active waivers": ov.active_waivers,
    }
    emit(
        ov,
        as_json,
        record_table(f"AI system {name}", ov.system),
        list_table(
            "Model versions",
            ov.model_versions,
            ["name", "version", "registry_uri", "artifact_sha256", "training_datasets"],
        ),
        list_table("Dataset versions", ov.dataset_versions, ["name", "version", "digest", "rows"]),
        list_table("Components", ov.components, ["kind", "name", "version", "content_sha256"]),
        record_table("Records", counts),
    )


@system_app.command("component")
def system_component(
    system: str,
    kind: Annotated[str, typer.Argument(help="prompt, guardrail or monitoring")],
    name: str,
    version: str,
    file: Annotated[
        Path | None, typer.Option("--file", help="Content to store (a prompt).")
    ] = None,
    details: Annotated[
        Path | None,
        typer.Option("--details", help="YAML/JSON details; monitoring needs metrics and alerts."),
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a prompt, guardrail or monitoring specification of a system."""
    data = read_mapping(details, what="details") if details is not None else None
    with opened(workspace, db) as ws:
        comp = g.add_component(ws, system, kind, name, version, path=file, details=data)
    emit(comp, as_json, message=f"Added the {comp.kind} {comp.name} {comp.version} to {system}.")


@model_version_app.command("add")
def model_version_add(
    system: str,
    version: str,
    name: Annotated[str | None, typer.Option(help="Model name (default: the system's).")] = None,
    registry_uri: Text = None,
    artifact: Annotated[Path | None, typer.Option("--artifact", help="File to hash.")] = None,
    artifact_sha256: Text = None,
    commit: Annotated[str | None, typer.Option("--commit", help="Training code commit.")] = None,
    train_dataset: Annotated[
        list[str] | None, typer.Option("--train-dataset", help="NAME@VERSION; repeatable.")
    ] = None,
    notes: Text = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a model version of a system."""
    with opened(workspace, db) as ws:
        mv = g.add_model_version(
            ws,
            system,
            version,
            name=name,
            registry_uri=registry_uri,
            artifact_sha256=artifact_sha256,
            artifact_path=artifact,
            code_commit=commit,
            training_datasets=train_dataset or (),
            notes=notes,
        )
    emit(mv, as_json, message=f"Registered the model version {mv.ref} of {system}.")


@model_version_app.command("list")
def model_version_list(
    system: str, workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """List the model versions of a system."""
    with opened(workspace, db) as ws:
        mvs = g.list_model_versions(ws, system)
    emit(
        mvs,
        as_json,
        list_table(
            f"Model versions of {system}",
            mvs,
            ["name", "version", "registry_uri", "training_datasets", "created_at"],
        ),
    )


def _column_types(text: str) -> dict[str, str]:
    """``--columns '{"age": "int", ...}'``: a JSON object of column name to type."""
    value = g.parse_json(text, what="--columns")
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InputError(
            "--columns takes NAME,NAME,... or a JSON object of name to type, such as "
            '\'{"age": "int", "sex": "category"}\'.'
        )
    return value


@dataset_version_app.command("add")
def dataset_version_add(
    name: str,
    version: str,
    file: Annotated[Path | None, typer.Option("--file", help="Data file to hash.")] = None,
    digest: Annotated[
        str | None, typer.Option("--digest", help="sha256:... as results report")
    ] = None,
    source: Text = None,
    rows: Annotated[int | None, typer.Option(min=0, show_default=False)] = None,
    columns: Annotated[
        str | None, typer.Option(help="Comma-separated names, or a JSON object name -> type.")
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Collection notes.")] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a dataset version by its digest (or a file to hash)."""
    cols: list[str] | dict[str, str] | None = None
    if columns:
        cols = (
            _column_types(columns)
            if columns.lstrip().startswith("{")
            else [c.strip() for c in columns.split(",") if c.strip()]
        )
    with opened(workspace, db) as ws:
        ds = g.add_dataset_version(
            ws,
            name,
            version,
            digest=digest,
            path=file,
            source=source,
            rows=rows,
            columns=cols,
            collection_notes=notes,
        )
    emit(ds, as_json, message=f"Registered the dataset version {ds.ref} ({ds.digest}).")


@dataset_version_app.command("list")
def dataset_version_list(
    name: Text = None, workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """List dataset versions."""
    with opened(workspace, db) as ws:
        rows = g.list_dataset_versions(ws, name=name)
    emit(
        rows,
        as_json,
        list_table("Dataset versions", rows, ["name", "version", "digest", "rows", "source"]),
    )
