"""Remediation actions to Jira or GitHub Issues, and gate failures to a Slack-compatible webhook.

Configuration lives in the workspace's ``.assay/config.toml``; secrets never do — the file names the
environment variables that hold them::

    [integrations.jira]
    url = "https://example.atlassian.net"
    project = "RAI"
    issue_type = "Task"
    api_version = 3                 # 2 (Server/Data Center, text) or 3 (Cloud, ADF)
    user_env = "JIRA_USER"          # with token_env: Basic auth (Cloud); without: Bearer (a PAT)
    token_env = "JIRA_TOKEN"

    [integrations.github]
    repo = "owner/name"
    token_env = "GITHUB_TOKEN"
    api_url = "https://api.github.com"

    [integrations.webhook]
    url_env = "SLACK_WEBHOOK_URL"
"""

from __future__ import annotations

import base64
import json
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.errors import InputError, NotFoundError
from assay.integrations._http import post_json

__all__ = [
    "RemoteIssue",
    "create_github_issue",
    "create_jira_issue",
    "integration_config",
    "webhook_url",
]


@dataclass(frozen=True, slots=True)
class RemoteIssue:
    """An issue created in a tracker: its id there and its address."""

    tracker: str
    id: str
    url: str


def integration_config(workspace_root: Path | str, name: str) -> dict[str, Any]:
    """The ``[integrations.NAME]`` table of ``.assay/config.toml`` in ``workspace_root``."""
    path = Path(workspace_root) / ".assay" / "config.toml"
    if not path.is_file():
        raise NotFoundError(f"No workspace configuration at {path}; run `assay init` first.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path} is not valid TOML: {exc}.") from None
    table = data.get("integrations", {}).get(name)
    if not isinstance(table, dict):
        raise NotFoundError(
            f"{path} has no [integrations.{name}] table; see docs/integrations.md for its keys."
        )
    for key in table:
        if key in ("token", "password", "secret") or (key == "url" and name == "webhook"):
            raise InputError(
                f"{path}, [integrations.{name}] {key}: secrets are read from environment "
                f"variables only; name the variable with {key}_env instead."
            )
    return dict(table)


def _secret(config: Mapping[str, Any], key: str, *, what: str) -> str:
    var = config.get(key)
    if not var:
        raise InputError(f"[integrations.{what}] needs {key}, the environment variable to read.")
    value = os.environ.get(str(var))
    if not value:
        raise InputError(f"The environment variable {var} ({what} {key[:-4]}) is not set.")
    return value


def create_jira_issue(
    config: Mapping[str, Any], *, summary: str, description: str, labels: Sequence[str] = ()
) -> RemoteIssue:
    """Create a Jira issue with the REST API (``POST /rest/api/{2|3}/issue``).

    Version 3 (Cloud) takes the description as an Atlassian Document Format document, version 2
    as plain text.
    """
    base = str(config.get("url", "")).rstrip("/")
    if not base or not config.get("project"):
        raise InputError("[integrations.jira] needs url and project.")
    version = int(config.get("api_version", 3))
    if version not in (2, 3):
        raise InputError(f"[integrations.jira] api_version must be 2 or 3, got {version}.")
    token = _secret(config, "token_env", what="jira")
    if config.get("user_env"):
        user = _secret(config, "user_env", what="jira")
        auth = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode("ascii")
    else:
        auth = f"Bearer {token}"
    body: Any = description
    if version == 3:
        body = {
            "type": "doc",
            "version": 1,
            "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": line}]}
                for line in description.splitlines()
                if line.strip()
            ],
        }
    fields: dict[str, Any] = {
        "project": {"key": str(config["project"])},
        "summary": summary[:255],
        "issuetype": {"name": str(config.get("issue_type", "Task"))},
        "description": body,
    }
    if labels:
        fields["labels"] = [label.replace(" ", "-") for label in labels]
    _, raw = post_json(
        f"{base}/rest/api/{version}/issue", {"fields": fields},
        headers={"Authorization": auth}, what="Jira",
    )  # fmt: skip
    reply = json.loads(raw)
    return RemoteIssue("jira", str(reply["key"]), f"{base}/browse/{reply['key']}")


def create_github_issue(
    config: Mapping[str, Any], *, title: str, body: str, labels: Sequence[str] = ()
) -> RemoteIssue:
    """Create a GitHub issue with the REST API (``POST /repos/{owner}/{repo}/issues``)."""
    repo = str(config.get("repo", ""))
    if repo.count("/") != 1:
        raise InputError(f"[integrations.github] repo must be OWNER/NAME, got {repo!r}.")
    api = str(config.get("api_url", "https://api.github.com")).rstrip("/")
    token = _secret(config, "token_env", what="github")
    payload: dict[str, Any] = {"title": title, "body": body}
    if labels:
        payload["labels"] = list(labels)
    _, raw = post_json(
        f"{api}/repos/{repo}/issues",
        payload,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "assay-rai",
        },
        what="GitHub",
    )
    reply = json.loads(raw)
    return RemoteIssue("github", str(reply["number"]), str(reply["html_url"]))


def webhook_url(config: Mapping[str, Any]) -> str:
    """The address of the incoming webhook, read from the environment variable ``url_env`` names.

    Raises
    ------
    InputError
        ``url_env`` is missing, or the variable it names is not set.
    """
    return _secret(config, "url_env", what="webhook")
