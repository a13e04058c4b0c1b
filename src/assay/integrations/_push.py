"""Push a remediation action to Jira or GitHub Issues and keep the issue's id on the action."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.errors import ConflictError, InputError
from assay.integrations._trackers import create_github_issue, create_jira_issue, integration_config

if TYPE_CHECKING:
    from assay.governance import Action, Workspace

__all__ = ["ActionPush", "push_action"]


@dataclass(frozen=True, slots=True)
class ActionPush:
    """The outcome of :func:`push_action`: the action as linked, and whether an issue was made."""

    action: Action
    created: bool
    """False when the action was already linked and nothing was sent."""
    replaced_url: str | None
    """With ``force``: the address of the issue the action was linked to before."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return {
            "created": self.created,
            "replaced_url": self.replaced_url,
            "action": self.action.to_dict(),
        }


def _issue_text(ws: Workspace, action: Action) -> tuple[str, str]:
    from assay.governance import get_incident, get_risk

    lines = [action.description] if action.description else []
    lines.append(
        f"Assay remediation action {action.ref}, owned by {action.owner}, due "
        f"{action.due_date.isoformat()}, status {action.status}."
    )
    if action.risk is not None:
        risk = get_risk(ws, action.risk)
        lines.append(
            f"It remediates risk {risk.ref} of the AI system {risk.system}: {risk.title} "
            f"(rated {risk.rating}, {risk.status})."
        )
    if action.incident is not None:
        incident = get_incident(ws, action.incident)
        lines.append(
            f"It corrects incident {incident.ref} ({incident.severity}, {incident.status}): "
            f"{incident.title}."
        )
    lines.append(
        f"Close it in Assay with evidence that it was done: assay action update {action.ref} "
        "--status done --evidence EV-N."
    )
    return f"[{action.ref}] {action.title}", "\n\n".join(lines)


def _labels(config: Mapping[str, Any], to: str) -> tuple[str, ...]:
    labels = config.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        raise InputError(f"[integrations.{to}] labels must be a list of names, got {labels!r}.")
    return tuple(labels)


def push_action(
    ws: Workspace,
    ref: str | int,
    *,
    to: str,
    force: bool = False,
    config: Mapping[str, Any] | None = None,
) -> ActionPush:
    """Create an issue for a remediation action in Jira or GitHub and link it to the action.

    Idempotent: an action already linked to an issue is returned as it is (``created`` False)
    and nothing is sent, unless ``force``, which creates a new issue and links that one instead.

    Parameters
    ----------
    ws
        The open workspace; the tracker's settings are ``[integrations.jira]`` or
        ``[integrations.github]`` in its ``.assay/config.toml``.
    ref
        The action, ``ACT-3`` or ``3``.
    to
        ``jira`` or ``github``.
    force
        Create another issue even when the action is already linked to one.
    config
        The tracker's settings, instead of reading them from the workspace.

    Raises
    ------
    InputError
        An unknown tracker, missing settings or secrets, or the tracker refused the request.
    PermissionDeniedError
        The user may not edit remediation actions.
    TransitionError
        The action is done or cancelled.
    ConflictError
        Another push linked the action while this one was creating its issue; the message names
        the duplicate issue to close.
    AssayError
        The tracker could not be reached after every retry.
    """
    from assay.governance import (
        ACTION_REMOTE_SYSTEMS,
        check_action_push,
        get_action,
        link_action_remote,
    )

    if to not in ACTION_REMOTE_SYSTEMS:
        raise InputError(
            f"{to!r} is not an issue tracker Assay can push to. Choose one of: "
            f"{', '.join(ACTION_REMOTE_SYSTEMS)}."
        )
    current = get_action(ws, ref)
    if current.remote_id is not None and not force:
        return ActionPush(current, created=False, replaced_url=None)
    action = check_action_push(ws, current.ref, system=to)
    settings = dict(config) if config is not None else integration_config(ws.root, to)
    title, body = _issue_text(ws, action)
    labels = _labels(settings, to)
    if to == "jira":
        issue = create_jira_issue(settings, summary=title, description=body, labels=labels)
    else:
        issue = create_github_issue(settings, title=title, body=body, labels=labels)
    try:
        linked = link_action_remote(
            ws, action.ref, system=to, remote_id=issue.id, url=issue.url, replace=force
        )
    except ConflictError as exc:
        raise ConflictError(
            f"{exc} It was linked while this push ran, so the {to} issue just created, "
            f"{issue.url}, is a duplicate: close it."
        ) from None
    return ActionPush(linked, created=True, replaced_url=current.remote_url)
