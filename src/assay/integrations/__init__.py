"""Integrations: issue trackers (Jira, GitHub Issues) and chat webhooks, standard library only;
remediation actions pushed to a tracker keep the issue's id.

MLflow (the ``[mlflow]`` extra) is imported only when its functions are called.
"""

from __future__ import annotations

from assay.integrations._http import RefusedError, post_json, request_once, send
from assay.integrations._mlflow import (
    MlflowModelVersion,
    log_to_mlflow_run,
    read_mlflow_model,
    register_mlflow_model,
)
from assay.integrations._push import ActionPush, push_action
from assay.integrations._retry import RetryPolicy, Transient, with_retries
from assay.integrations._trackers import (
    RemoteIssue,
    create_github_issue,
    create_jira_issue,
    integration_config,
    webhook_url,
)

__all__ = [
    "ActionPush",
    "MlflowModelVersion",
    "RefusedError",
    "RemoteIssue",
    "RetryPolicy",
    "Transient",
    "create_github_issue",
    "create_jira_issue",
    "integration_config",
    "log_to_mlflow_run",
    "post_json",
    "push_action",
    "read_mlflow_model",
    "register_mlflow_model",
    "request_once",
    "send",
    "webhook_url",
    "with_retries",
]
