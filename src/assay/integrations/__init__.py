"""Integrations: issue trackers (Jira, GitHub Issues) and chat webhooks, standard library only.

MLflow (the ``[mlflow]`` extra) is imported only when its functions are called.
"""

from __future__ import annotations

from assay.integrations._http import post_json
from assay.integrations._mlflow import (
    MlflowModelVersion,
    log_to_mlflow_run,
    read_mlflow_model,
    register_mlflow_model,
)
from assay.integrations._trackers import (
    RemoteIssue,
    create_github_issue,
    create_jira_issue,
    integration_config,
    post_gate_to_webhook,
)

__all__ = [
    "MlflowModelVersion",
    "RemoteIssue",
    "create_github_issue",
    "create_jira_issue",
    "integration_config",
    "log_to_mlflow_run",
    "post_gate_to_webhook",
    "post_json",
    "read_mlflow_model",
    "register_mlflow_model",
]
