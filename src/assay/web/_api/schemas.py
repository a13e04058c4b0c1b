"""The API's request bodies (validated by pydantic, documented in ``/openapi.json``) and the
shape of its answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "CloseIn",
    "Decision",
    "IncidentIn",
    "IncidentPatch",
    "Json",
    "RenewIn",
    "RevokeIn",
    "RiskIn",
    "RiskPatch",
    "SignIn",
    "SystemIn",
    "TimelineIn",
    "TokenIn",
    "WaiverIn",
]

#: A JSON object answered by the API.
Json = dict[str, Any]


class SystemIn(BaseModel):
    """A system to register."""

    name: str = Field(min_length=1, max_length=100)
    purpose: str = Field(min_length=1, max_length=2000)
    owner: str = Field(min_length=1, max_length=100)
    risk_tier: str = "unassessed"
    intended_use: str | None = Field(default=None, max_length=2000)


class RiskIn(BaseModel):
    """A risk to file."""

    system: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    category: str = Field(min_length=1, max_length=100)
    likelihood: int = Field(ge=1, le=5)
    severity: int = Field(ge=1, le=5)
    owner: str = Field(min_length=1, max_length=100)
    due_date: dt.date | None = None
    description: str | None = Field(default=None, max_length=5000)
    mitigations: str | None = Field(default=None, max_length=5000)


class RiskPatch(BaseModel):
    """Changes to a risk; each change is written to the audit chain."""

    status: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=2000)
    title: str | None = Field(default=None, max_length=300)
    mitigations: str | None = Field(default=None, max_length=5000)
    likelihood: int | None = Field(default=None, ge=1, le=5)
    severity: int | None = Field(default=None, ge=1, le=5)


class WaiverIn(BaseModel):
    """A waiver (exception) request."""

    system: str = Field(min_length=1, max_length=100)
    control: str = Field(min_length=1, max_length=300)
    rationale: str = Field(min_length=1, max_length=5000)
    compensating_controls: str = Field(min_length=1, max_length=5000)
    residual_risk: str = Field(min_length=1, max_length=5000)
    expires_on: dt.date
    risk: str | None = Field(default=None, max_length=40)


class RenewIn(BaseModel):
    """A renewal request: the new expiry and why the waiver is still needed."""

    expires_on: dt.date
    rationale: str | None = Field(default=None, max_length=5000)


class Decision(BaseModel):
    """A decision's rationale."""

    rationale: str = Field(min_length=1, max_length=5000)


class IncidentIn(BaseModel):
    """An incident to open."""

    title: str = Field(min_length=1, max_length=300)
    severity: str = Field(min_length=1, max_length=10)
    occurred_at: dt.datetime
    detected_at: dt.datetime | None = None
    systems: list[str] = Field(default_factory=list, max_length=50)
    model_versions: list[str] = Field(default_factory=list, max_length=50)
    dataset_versions: list[str] = Field(default_factory=list, max_length=50)
    cohorts: list[str] = Field(default_factory=list, max_length=50)
    summary: str | None = Field(default=None, max_length=5000)
    commander: str | None = Field(default=None, max_length=100)


class IncidentPatch(BaseModel):
    """Changes to an incident; ``status`` is ``open`` or ``mitigated`` (close with /close)."""

    status: str | None = Field(default=None, max_length=20)
    severity: str | None = Field(default=None, max_length=10)
    summary: str | None = Field(default=None, max_length=5000)
    immediate_mitigations: str | None = Field(default=None, max_length=5000)
    root_cause: str | None = Field(default=None, max_length=5000)
    postmortem: str | None = Field(default=None, max_length=20000)
    commander: str | None = Field(default=None, max_length=100)
    add_cohorts: list[str] = Field(default_factory=list, max_length=50)
    add_systems: list[str] = Field(default_factory=list, max_length=50)
    add_risks: list[str] = Field(default_factory=list, max_length=50)
    note: str | None = Field(default=None, max_length=2000)


class TimelineIn(BaseModel):
    """A timeline entry; ``at`` defaults to now."""

    entry: str = Field(min_length=1, max_length=5000)
    at: dt.datetime | None = None


class CloseIn(BaseModel):
    """Closing an incident: the root cause and postmortem, unless already written."""

    root_cause: str | None = Field(default=None, max_length=5000)
    postmortem: str | None = Field(default=None, max_length=20000)


class SignIn(BaseModel):
    """A decision on a packet's review, signing the packet's sha256."""

    decision: str = Field(min_length=1, max_length=40)
    rationale: str = Field(min_length=1, max_length=5000)
    conditions: str | None = Field(default=None, max_length=5000)
    acknowledge_incomplete: bool = False


class TokenIn(BaseModel):
    """A token to make: whom it acts as (default: you), what for, and for how long."""

    user: str | None = Field(default=None, max_length=100)
    label: str = Field(default="ci", min_length=1, max_length=100)
    days: int | None = Field(default=None, ge=1, le=366)


class RevokeIn(BaseModel):
    """Why a token is revoked."""

    reason: str | None = Field(default=None, max_length=200)
