"""The REST API: JSON for each resource, documented at ``/openapi.json``.

Authenticate with ``Authorization: Bearer TOKEN`` (``assay user token NAME``) or with the
browser session plus the ``X-CSRF-Token`` header for writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Depends, FastAPI, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from assay.errors import InputError, NotFoundError
from assay.governance import (
    DECISIONS,
    add_risk,
    add_system,
    approve_waiver,
    audit_log,
    compute_kpis,
    get_evidence,
    get_review,
    get_risk,
    get_waiver,
    list_reviews,
    list_risks,
    list_systems,
    list_waivers,
    reject_waiver,
    renew_waiver,
    request_waiver,
    revoke_waiver,
    show_system,
    update_risk,
)
from assay.policy import reporting_period
from assay.web._context import Ctx

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


class RenewIn(BaseModel):
    """A renewal request: the new expiry and why the waiver is still needed."""

    expires_on: dt.date
    rationale: str | None = Field(default=None, max_length=5000)


class Decision(BaseModel):
    """A decision's rationale."""

    rationale: str = Field(min_length=1, max_length=5000)


def register_api(app: FastAPI) -> None:
    """Add the ``/api`` routes to ``app``."""
    resolve = app.state.resolve
    api_writer = app.state.api_writer

    register_incident_api(app)
    register_packet_api(app)

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
        offset: int = Query(default=0, ge=0, le=2**31 - 1),
    ) -> list[Json]:
        """The risk register, filtered, by id."""
        rows = list_risks(
            ctx.ws,
            system=system,
            status=status,
            owner=owner,
            open_only=open_only,
            sort="ref",
            limit=limit,
            offset=offset,
        )
        return [r.to_dict() for r in rows]

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

    @app.post("/api/waivers/{ref}/renew", tags=["waivers"])
    def renew(ref: str, body: RenewIn, ctx: Ctx = Depends(api_writer)) -> Json:
        """Ask to extend an approved waiver: a new round that needs fresh approvals."""
        return renew_waiver(ctx.ws, ref, **body.model_dump()).to_dict()

    @app.post("/api/waivers/{ref}/revoke", tags=["waivers"])
    def revoke(ref: str, body: Decision, ctx: Ctx = Depends(api_writer)) -> Json:
        """Withdraw a waiver before it expires (approver, admin)."""
        return revoke_waiver(ctx.ws, ref, rationale=body.rationale).to_dict()

    @app.get("/api/reviews", tags=["reviews"])
    def reviews(ctx: Ctx = Depends(resolve), open_only: bool = False) -> list[Json]:
        """Reviews, oldest first."""
        return [r.to_dict() for r in list_reviews(ctx.ws, open_only=open_only)]

    @app.get("/api/reviews/{ref}", tags=["reviews"])
    def review(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
        """One review with its transitions and approvals, and its state now (``state``:
        completeness, gaps with owners, open and blocking risks, waivers, approvals), as
        ``assay completeness REF --json`` prints it."""
        from assay.documents import review_state

        rv = get_review(ctx.ws, ref)
        return {**rv.to_dict(), "state": review_state(ctx.ws, rv.ref).to_dict()}

    @app.get("/api/kpis", tags=["program"])
    def kpis(
        ctx: Ctx = Depends(resolve), start: dt.date | None = None, end: dt.date | None = None
    ) -> Json:
        """The program KPIs of a period (default: the reporting period containing today)."""
        q_start, q_end = reporting_period(ctx.ws.today())
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


def register_incident_api(app: FastAPI) -> None:
    """Add the ``/api/incidents`` routes to ``app``."""
    from assay.governance import (
        add_timeline_entry,
        close_incident,
        get_incident,
        list_incidents,
        open_incident,
        update_incident,
    )
    from assay.web._pages.incidents import make_bundle

    resolve = app.state.resolve
    api_writer = app.state.api_writer

    @app.get("/api/incidents", tags=["incidents"])
    def incidents(ctx: Ctx = Depends(resolve), open_only: bool = False) -> list[Json]:
        """Incidents, newest first."""
        return [i.to_dict() for i in list_incidents(ctx.ws, open_only=open_only)]

    @app.post("/api/incidents", tags=["incidents"], status_code=201)
    def create_incident(body: IncidentIn, ctx: Ctx = Depends(api_writer)) -> Json:
        """Open an incident (any role but viewer)."""
        return open_incident(ctx.ws, **body.model_dump()).to_dict()

    @app.get("/api/incidents/{ref}", tags=["incidents"])
    def incident(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
        """One incident with its timeline and links."""
        return get_incident(ctx.ws, ref).to_dict()

    @app.patch("/api/incidents/{ref}", tags=["incidents"])
    def patch_incident(ref: str, body: IncidentPatch, ctx: Ctx = Depends(api_writer)) -> Json:
        """Update an incident's fields, links or status (open, mitigated)."""
        return update_incident(ctx.ws, ref, **body.model_dump()).to_dict()

    @app.post("/api/incidents/{ref}/timeline", tags=["incidents"])
    def timeline(ref: str, body: TimelineIn, ctx: Ctx = Depends(api_writer)) -> Json:
        """Add a timeline entry."""
        return add_timeline_entry(ctx.ws, ref, body.entry, at=body.at).to_dict()

    @app.post("/api/incidents/{ref}/close", tags=["incidents"])
    def close(ref: str, body: CloseIn, ctx: Ctx = Depends(api_writer)) -> Json:
        """Close an incident (needs a root cause, a postmortem, and for sev1/sev2 an action)."""
        return close_incident(ctx.ws, ref, **body.model_dump()).to_dict()

    @app.post(
        "/api/incidents/{ref}/bundle",
        tags=["incidents"],
        response_class=Response,
        responses={200: {"content": {"application/zip": {}}, "description": "The zip archive."}},
    )
    def bundle(ref: str, ctx: Ctx = Depends(api_writer)) -> Response:
        """Make the incident's evidence bundle and return the zip; ``X-Assay-Evidence`` names the
        evidence record it was filed as and ``X-Assay-Sha256`` its hash."""
        made, data = make_bundle(ctx.ws, ref)
        name = f"{made.evidence.parameters['incident']}-bundle.zip"
        return Response(
            data,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "X-Assay-Evidence": made.evidence.ref,
                "X-Assay-Sha256": made.sha256,
            },
        )


class SignIn(BaseModel):
    """A decision on a packet's review, signing the packet's sha256."""

    decision: str = Field(min_length=1, max_length=40)
    rationale: str = Field(min_length=1, max_length=5000)
    conditions: str | None = Field(default=None, max_length=5000)
    acknowledge_incomplete: bool = False


def _packet_json(ws: Any, ref: str) -> Json:
    from assay.web._pages.packets import packet_summary

    s = packet_summary(ws, get_evidence(ws, ref))
    state = s["state"]
    return {
        "record": s["record"].ref,
        "review": s["review"],
        "sha256": s["sha256"],
        "built_at": s["record"].created_at.isoformat(),
        "built_by": s["built_by"],
        "completeness": state.score,
        "passes": state.passes,
        "state": state.to_dict(),
        "verification": s["check"].to_dict(),
        "approvals": [a.to_dict() for a in s["approvals"]],
    }


def register_packet_api(app: FastAPI) -> None:
    """Add the review packet routes to ``app``."""
    from assay.documents import build_packet, sign_packet
    from assay.web._pages.packets import latest_packet

    resolve = app.state.resolve
    api_writer = app.state.api_writer

    @app.get("/api/reviews/{ref}/packet", tags=["reviews"])
    def review_packet(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
        """The newest packet built for a review: sha256, verification and the approvals on it."""
        review = get_review(ctx.ws, ref)
        record = latest_packet(ctx.ws, review.ref)
        if record is None:
            raise NotFoundError(f"No packet was built for {review.ref}.")
        return _packet_json(ctx.ws, record.ref)

    @app.post("/api/reviews/{ref}/packet", tags=["reviews"], status_code=201)
    def build(ref: str, ctx: Ctx = Depends(api_writer)) -> Json:
        """Build and freeze the review's packet (analyst, admin)."""
        packet = build_packet(ctx.ws, get_review(ctx.ws, ref).ref)
        return _packet_json(ctx.ws, packet.record.ref)

    @app.get("/api/packets/{ref}", tags=["reviews"])
    def packet(ref: str, ctx: Ctx = Depends(resolve)) -> Json:
        """A built packet by its evidence record (``EV-12``)."""
        return _packet_json(ctx.ws, ref)

    @app.post("/api/packets/{ref}/sign", tags=["reviews"])
    def sign(ref: str, body: SignIn, ctx: Ctx = Depends(api_writer)) -> Json:
        """Decide on the packet's review, signing its sha256 (reviewer, approver, admin; never
        the review's requester)."""
        if body.decision not in DECISIONS:
            raise InputError(
                f"No decision {body.decision!r}; choose one of {', '.join(DECISIONS)}."
            )
        record = get_evidence(ctx.ws, ref)
        return sign_packet(ctx.ws, record.ref, **body.model_dump()).to_dict()
