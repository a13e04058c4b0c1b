"""MLflow (the ``[mlflow]`` extra): read a registered model version, register it with its lineage,
and log Assay results back to its run. MLflow is imported only when one of these is called.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.errors import AssayError, InputError, NotFoundError

if TYPE_CHECKING:
    from assay.governance import ModelVersion, Workspace

__all__ = ["MlflowModelVersion", "log_to_mlflow_run", "read_mlflow_model", "register_mlflow_model"]

_URI = re.compile(r"^models:/(?P<name>[^/]+)/(?P<version>\d+)$")


@dataclass(frozen=True, slots=True)
class MlflowModelVersion:
    """A registered model version and the lineage its run recorded."""

    uri: str
    name: str
    version: str
    run_id: str | None
    source: str | None
    git_commit: str | None
    datasets: tuple[dict[str, str | None], ...]
    params: dict[str, str]


def _client(tracking_uri: str | None) -> Any:
    try:
        from mlflow import MlflowClient
    except ImportError:
        raise InputError(
            "Reading from MLflow needs the mlflow extra: pip install 'assay-rai[mlflow]'."
        ) from None
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _where(tracking_uri: str | None) -> str:
    import mlflow

    return tracking_uri or mlflow.get_tracking_uri()


def read_mlflow_model(uri: str, *, tracking_uri: str | None = None) -> MlflowModelVersion:
    """Read ``models:/NAME/VERSION`` from an MLflow tracking server or store.

    Raises
    ------
    InputError
        The URI is not ``models:/NAME/VERSION``, or MLflow is not installed.
    NotFoundError
        The registry has no such model version.
    AssayError
        The tracking server could not be reached.
    """
    match = _URI.match(uri)
    if match is None:
        raise InputError(f"{uri!r} is not a model version URI; write models:/NAME/VERSION.")
    client = _client(tracking_uri)
    from mlflow.exceptions import MlflowException

    name, version = match["name"], match["version"]
    try:
        mv = client.get_model_version(name, version)
        run = client.get_run(mv.run_id) if mv.run_id else None
    except MlflowException as exc:
        code = str(getattr(exc, "error_code", ""))
        if code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
            raise NotFoundError(
                f"MLflow at {_where(tracking_uri)} has no model version {uri}: {exc.message}"
            ) from None
        raise AssayError(f"MLflow at {_where(tracking_uri)} failed on {uri}: {exc}") from None
    except OSError as exc:
        raise AssayError(f"MLflow at {_where(tracking_uri)} is unreachable: {exc}") from None
    datasets: list[dict[str, str | None]] = []
    params: dict[str, str] = {}
    commit = None
    if run is not None:
        params = dict(run.data.params)
        commit = run.data.tags.get("mlflow.source.git.commit")
        for item in run.inputs.dataset_inputs:
            datasets.append(
                {"name": item.dataset.name, "digest": item.dataset.digest,
                 "source": item.dataset.source}
            )  # fmt: skip
    return MlflowModelVersion(
        uri, name, str(mv.version), mv.run_id, mv.source, commit, tuple(datasets), params
    )


def register_mlflow_model(ws: Workspace, system: str, model: MlflowModelVersion) -> ModelVersion:
    """Register an MLflow model version in the inventory with its registry URI and lineage.

    The run's datasets (name and MLflow digest) and parameters are kept in the model version's
    notes; MLflow's dataset digests are not sha256 digests of the data, so they are not registered
    as dataset versions.
    """
    from assay.governance import add_model_version

    notes = json.dumps(
        {"mlflow_run_id": model.run_id, "source": model.source, "datasets": list(model.datasets),
         "params": model.params},
        sort_keys=True,
    )  # fmt: skip
    commit = model.git_commit
    if commit is not None and not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
        commit = None
    return add_model_version(
        ws, system, model.version, name=model.name, registry_uri=model.uri, code_commit=commit,
        notes=notes,
    )  # fmt: skip


def log_to_mlflow_run(
    run_id: str,
    *,
    metrics: Mapping[str, float],
    artifacts: Sequence[Path | str] = (),
    tracking_uri: str | None = None,
    artifact_path: str = "assay",
) -> None:
    """Log Assay results back to an MLflow run: metrics and report files as artifacts."""
    client = _client(tracking_uri)
    for key, value in metrics.items():
        client.log_metric(run_id, re.sub(r"[^\w./ -]", "_", key), float(value))
    for path in artifacts:
        client.log_artifact(run_id, str(path), artifact_path=artifact_path)
