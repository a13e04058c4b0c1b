"""Integrations: issue trackers (Jira, GitHub Issues) and chat webhooks, standard library only.

MLflow (the ``[mlflow]`` extra) is not here yet; see docs/integrations.md.
"""

from __future__ import annotations

from assay.integrations._http import post_json
from assay.integrations._trackers import (
    RemoteIssue,
    create_github_issue,
    create_jira_issue,
    integration_config,
    post_gate_to_webhook,
)

__all__ = [
    "RemoteIssue",
    "create_github_issue",
    "create_jira_issue",
    "integration_config",
    "post_gate_to_webhook",
    "post_json",
]
