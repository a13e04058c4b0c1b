"""The REST API: JSON for each resource, documented at ``/openapi.json``.

Authenticate with ``Authorization: Bearer TOKEN`` (``assay user token NAME``) or with the
browser session plus the ``X-CSRF-Token`` header for writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, Field

from assay.governance import (
    add_risk,
    add_system,
    approve_waiver,
    audit_log,
    compute_kpis,
    get_review,
    get_risk,
    get_waiver,
    list_reviews,
    list_risks,
    list_systems,
    list_waivers,
    reject_waiver,
    request_waiver,
    show_system,
    update_risk,
)
from assay.web._app import Ctx

__all__ = ["register_api"]

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


class Decision(BaseModel):
    """A decision's rationale."""

    rationale: str = Field(min_length=1, max_length=5000)


def register_api(app: FastAPI) -> None:
    """Add the ``/api`` routes to ``app``."""
    resolve = app.state.resolve
    api_writer = app.state.api_writer

    @app.get("/api/me", tags=["session"])
    def me(ctx: Ctx = Depends(resolve)) -> Json:
        """Who the request acts as."""
        return {"user": ctx.user, "role": ctx.role, "csrf_token": ctx.csrf or None}

    @app.get("/api/systems", tags=["inventory"])
    def systems(ctx: Ctx = Depends(resolve)) -> list[Json]:
        """Every system in the inventory."""
        return [s.to_dict() for s in list_systems(ctx.ws)]

    @app.post("/api/systems", tags=["inventory"], status_code=201)
    def create_system(body: SystemIn, ctx: Ctx = Depends(api_writer)) -> Json:
        """Register a system (analyst, admin)."""
        return add_system(ctx.ws, **body.model_dump()).to_dict()

    @app.get("/api/systems/{name}", tags=["inventory"])
    def system(name: str, ctx: Ctx = Depends(resolve)) -> Json:
        """One system with its versions, components and record counts."""
        return show_system(ctx.ws, name).to_dict()

    @app.get("/api/risks", tags=["risks"])
    def risks(
        ctx: Ctx = Depends(resolve),
        system: str | None = Query(default=None, max_length=100),
        status: str | None = Query(default=None, max_length=40),
        owner: str | None = Query(default=None, max_length=100),
        open_only: bool = False,
        limit: int = Query(default=100, ge=1, le=1000),
        offset: int = Query(default=0, ge=0),
    ) -> list[Json]:
        """The risk register, filtered, by id."""
        rows = list_risks(ctx.ws, system=system, status=status, owner=owner, open_only=open_only)
        return [r.to_dict() for r in rows[offset : offset + limit]]

    @app.post("/api/risks", tags=["risks"], status_code=201)
    def create_risk(body: RiskIn, ctx: Ctx = Depends(api_writer)) -> Json:
        """File a risk."""
        return add_risk(ctx.ws, **body.model_dump()).to_dict()

    @app.get("/api/risks/{ref}", tags=["risks"])
    def risk(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
        """One risk by reference (``RISK-3`` or ``3``)."""
        return get_risk(ctx.ws, ref).to_dict()

    @app.patch("/api/risks/{ref}", tags=["risks"])
    def patch_risk(ref: str, body: RiskPatch, ctx: Ctx = Depends(api_writer)) -> Json:
        """Edit a risk or move it along its workflow."""
        return update_risk(ctx.ws, ref, **body.model_dump()).to_dict()

    @app.get("/api/waivers", tags=["waivers"])
    def waivers(ctx: Ctx = Depends(resolve), active_only: bool = False) -> list[Json]:
        """Waivers by expiry date."""
        return [w.to_dict() for w in list_waivers(ctx.ws, active_only=active_only)]

    @app.post("/api/waivers", tags=["waivers"], status_code=201)
    def create_waiver(body: WaiverIn, ctx: Ctx = Depends(api_writer)) -> Json:
        """Request a waiver."""
        return request_waiver(ctx.ws, **body.model_dump()).to_dict()

    @app.get("/api/waivers/{ref}", tags=["waivers"])
    def waiver(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
        """One waiver."""
        return get_waiver(ctx.ws, ref).to_dict()

    @app.post("/api/waivers/{ref}/approve", tags=["waivers"])
    def approve(ref: str, body: Decision, ctx: Ctx = Depends(api_writer)) -> Json:
        """Approve a waiver (approver, admin; never the requester)."""
        return approve_waiver(ctx.ws, ref, rationale=body.rationale).to_dict()

    @app.post("/api/waivers/{ref}/reject", tags=["waivers"])
    def reject(ref: str, body: Decision, ctx: Ctx = Depends(api_writer)) -> Json:
        """Reject a waiver."""
        return reject_waiver(ctx.ws, ref, rationale=body.rationale).to_dict()

    @app.get("/api/reviews", tags=["reviews"])
    def reviews(ctx: Ctx = Depends(resolve), open_only: bool = False) -> list[Json]:
        """Reviews, oldest first."""
        return [r.to_dict() for r in list_reviews(ctx.ws, open_only=open_only)]

    @app.get("/api/reviews/{ref}", tags=["reviews"])
    def review(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
        """One review with its transitions and approvals."""
        return get_review(ctx.ws, ref).to_dict()

    @app.get("/api/kpis", tags=["program"])
    def kpis(
        ctx: Ctx = Depends(resolve), start: dt.date | None = None, end: dt.date | None = None
    ) -> Json:
        """The program KPIs of a period (default: this quarter)."""
        from assay.web._pages import quarter_bounds

        q_start, q_end = quarter_bounds(ctx.ws.today())
        return compute_kpis(ctx.ws, start or q_start, end or q_end).to_dict()

    @app.get("/api/audit", tags=["audit"])
    def audit(
        ctx: Ctx = Depends(resolve),
        entity: str | None = Query(default=None, max_length=120),
        limit: int = Query(default=100, ge=1, le=1000),
    ) -> list[Json]:
        """Audit events, newest first."""
        return [
            e.to_dict() for e in audit_log(ctx.ws, entity=entity, limit=limit, newest_first=True)
        ]
