"""Roles and who may do what: the one permission table, checked inside each write transaction."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ROLES", "ROLE_PERMISSIONS", "Role"]


class Role(StrEnum):
    """What a user may do. Permissions are listed per action in :data:`ROLE_PERMISSIONS`."""

    VIEWER = "viewer"
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    ADMIN = "admin"


_ALL = frozenset(Role)
_WRITERS = frozenset({Role.ANALYST, Role.REVIEWER, Role.APPROVER, Role.ADMIN})

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "manage users": frozenset({Role.ADMIN}),
    # one's own password and API tokens; an admin's for anyone ("manage users")
    "manage own credentials": _ALL,
    "edit the inventory": frozenset({Role.ANALYST, Role.ADMIN}),
    "add evidence": frozenset({Role.ANALYST, Role.ADMIN}),
    "open a review": _ALL,
    "triage and advance reviews": frozenset({Role.ANALYST, Role.ADMIN}),
    "decide on a review": frozenset({Role.REVIEWER, Role.APPROVER, Role.ADMIN}),
    "edit risks": _WRITERS,
    "accept a risk": frozenset({Role.APPROVER, Role.ADMIN}),
    "edit remediation actions": _WRITERS,
    "request a waiver": _WRITERS,
    "decide on a waiver": frozenset({Role.APPROVER, Role.ADMIN}),
    "manage incidents": _WRITERS,
}
"""Which roles may do what."""

#: The role names, least to most privileged.
ROLES: tuple[str, ...] = tuple(r.value for r in Role)
