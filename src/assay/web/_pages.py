"""Server-rendered pages: dashboard, inventory, risks, waivers, review pipeline, audit, search."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.datastructures import FormData

from assay.errors import NotFoundError
from assay.governance import (
    DECISIONS,
    REVIEW_STATUSES,
    REVIEW_TRANSITIONS,
    RISK_SORTS,
    RISK_STATUSES,
    Risk,
    add_risk,
    add_system,
    advance_review,
    approve_waiver,
    audit_log,
    count_risks,
    get_evidence,
    get_review,
    get_risk,
    list_actions,
    list_evidence,
    list_incidents,
    list_reviews,
    list_risks,
    list_systems,
    list_waivers,
    open_review,
    program_status,
    reject_waiver,
    renew_waiver,
    request_waiver,
    revoke_waiver,
    show_system,
    system_names,
    taxonomy,
    triage_review,
    update_risk,
    workspace_questionnaire,
)
from assay.policy import RATING_FILL, RISK_TIERS, rating
from assay.render import heat_map
from assay.web._cache import Head, PartCache, audit_head
from assay.web._context import Ctx
from assay.web._dashboard import TrendCache, kpi_trends
from assay.web._forms import form_int as _int
from assay.web._forms import form_text as _text
from assay.web._templates import render

__all__ = ["register_pages"]

RISK_PAGE = 100
OVERDUE_SHOWN = 25


def dashboard_data(ctx: Ctx, cache: TrendCache, head: Head) -> dict[str, Any]:
    """Everything the program dashboard shows, computed from records."""
    from assay.web._document_pages import review_readiness

    ws = ctx.ws
    kpis, trends = kpi_trends(ws, cache, head)
    status = program_status(ws)
    return {
        "kpis": kpis,
        "readiness": review_readiness(ws),
        "trends": trends,
        "stages": list(status.reviews_by_stage),
        "overdue": list_actions(ws, overdue=True)[:OVERDUE_SHOWN],
        "overdue_count": status.overdue_actions,
        "waiver_ages": dict(status.open_waivers_by_age),
        "heat": status.heat_counts(),
        "open_risks": status.open_risks,
        "systems": status.systems,
        "open_incidents": len(list_incidents(ws, open_only=True)),
    }


def _fragment(request: Request, template: str, **values: Any) -> Markup:
    """A template rendered on its own: a part of a page that does not depend on the user."""
    templates: Jinja2Templates = request.app.state.templates
    return Markup(templates.get_template(template).render(**values))


def _options(values: list[str]) -> Markup:
    return Markup("".join(f"<option>{escape(v)}</option>" for v in values))


def register_pages(app: FastAPI) -> None:
    """Add the HTML pages to ``app``."""
    resolve = app.state.resolve
    writer = app.state.writer

    parts: PartCache = app.state.parts

    @app.get("/", include_in_schema=False)
    def dashboard(request: Request, ctx: Ctx = Depends(resolve)) -> Response:
        head = audit_head(ctx.ws)

        def body() -> Markup:
            data = dashboard_data(ctx, app.state.trend_cache, head)
            total = sum(data["heat"].values())
            svg = heat_map(
                data["heat"],
                rating=rating,
                fill=RATING_FILL,
                title=f"Open risks: {total}",
                description="Open risks by likelihood (rows) and severity (columns).",
            )
            return _fragment(request, "_dashboard_body.html", heat_svg=svg, **data)

        return render(request, "dashboard.html", ctx, body=parts.get(("dashboard", head), body))

    @app.get("/systems", include_in_schema=False)
    def systems(request: Request, ctx: Ctx = Depends(resolve)) -> Response:
        return render(request, "systems.html", ctx, systems=list_systems(ctx.ws), tiers=RISK_TIERS)

    @app.post("/systems", include_in_schema=False)
    def register_system(posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        system = add_system(
            ctx.ws,
            _text(form, "name") or "",
            purpose=_text(form, "purpose") or "",
            owner=_text(form, "owner") or "",
            risk_tier=_text(form, "risk_tier", required=False) or "unassessed",
            intended_use=_text(form, "intended_use", required=False),
        )
        return RedirectResponse(f"/systems/{quote(system.name)}", 303)

    @app.get("/systems/{name}", include_in_schema=False)
    def system_page(request: Request, name: str, ctx: Ctx = Depends(resolve)) -> Response:
        from assay.monitor import list_alerts, monitor_status
        from assay.web._document_pages import system_documents
        from assay.web._reports import has_html_view

        overview = show_system(ctx.ws, name)
        name = overview.system.name
        evidence = list_evidence(ctx.ws, system=name, limit=50)
        alerts = list_alerts(ctx.ws, status="firing", system=name)
        return render(
            request,
            "system.html",
            ctx,
            o=overview,
            risks=list_risks(ctx.ws, system=name),
            waivers=list_waivers(ctx.ws, system=name),
            reviews=list_reviews(ctx.ws, system=name),
            incidents=[i for i in list_incidents(ctx.ws) if name in i.systems],
            evidence=[e for e in evidence if e.kind != "review_packet"],
            packets=[e for e in evidence if e.kind == "review_packet"],
            viewable={e.ref for e in evidence if has_html_view(e)},
            monitors=monitor_status(ctx.ws, system=name),
            alerts=alerts,
            documents=system_documents(ctx.ws, name),
        )

    @app.get("/systems/{name}/coverage", include_in_schema=False)
    def coverage(request: Request, name: str, ctx: Ctx = Depends(resolve)) -> Response:
        from assay.frameworks import framework_coverage

        report = framework_coverage(ctx.ws, show_system(ctx.ws, name).system.name)
        fragment = request.headers.get("hx-request") == "true"
        return render(
            request, "_coverage.html" if fragment else "coverage.html", ctx, report=report
        )

    @app.get("/monitors/{name}/view", include_in_schema=False)
    def monitor_view(name: str, ctx: Ctx = Depends(resolve)) -> Response:
        from assay.monitor import render_monitor_report
        from assay.web._security import REPORT_CSP

        html = render_monitor_report(ctx.ws, name)
        return Response(
            html, media_type="text/html", headers={"Content-Security-Policy": REPORT_CSP}
        )

    @app.get("/evidence/{ref}/download", include_in_schema=False)
    def evidence_download(ref: str, ctx: Ctx = Depends(resolve)) -> Response:
        return _evidence_download(ctx, ref)

    @app.get("/risks", include_in_schema=False)
    def risks(
        request: Request,
        ctx: Ctx = Depends(resolve),
        system: str | None = None,
        status: str | None = None,
        owner: str | None = None,
        sort: str = "rating",
        page: int = Query(default=1, ge=1, le=100_000),
    ) -> Response:
        head = audit_head(ctx.ws)
        order = sort if sort.lstrip("-") in RISK_SORTS else "rating"
        f = {"system": system or "", "status": status or "", "owner": owner or "", "sort": sort}

        def register() -> Markup:
            rows, total = _filtered_risks(ctx, system, status, owner, order, page)
            return _fragment(
                request,
                "_risk_register.html",
                risks=rows,
                total=total,
                page=page,
                first=(page - 1) * RISK_PAGE + 1,
                pages=max(1, -(-total // RISK_PAGE)),
                query=urlencode({k: v for k, v in f.items() if v}),
            )

        key = ("risks", head, f["system"], f["status"], f["owner"], order, sort, page)
        systems = parts.get(("system options", head), lambda: _options(system_names(ctx.ws)))
        return render(
            request,
            "risks.html",
            ctx,
            register=parts.get(key, register),
            system_options=systems,
            category_options=parts.get(("categories",), _category_options),
            statuses=RISK_STATUSES,
            f=f,
            sorts=RISK_SORTS,
        )

    @app.post("/risks", include_in_schema=False)
    def file_risk(posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        risk = add_risk(
            ctx.ws,
            system=_text(form, "system") or "",
            title=_text(form, "title") or "",
            category=_text(form, "category") or "",
            likelihood=_int(form, "likelihood"),
            severity=_int(form, "severity"),
            owner=_text(form, "owner") or "",
            due_date=_text(form, "due_date", required=False),
            description=_text(form, "description", required=False),
            mitigations=_text(form, "mitigations", required=False),
        )
        return RedirectResponse(f"/risks/{risk.ref}", 303)

    @app.get("/risks/{ref}", include_in_schema=False)
    def risk_page(request: Request, ref: str, ctx: Ctx = Depends(resolve)) -> Response:
        risk = get_risk(ctx.ws, ref)
        history = audit_log(ctx.ws, entity=risk.ref, newest_first=True, limit=50)
        return render(request, "risk.html", ctx, r=risk, history=history, statuses=RISK_STATUSES)

    @app.post("/risks/{ref}", include_in_schema=False)
    def edit_risk(ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        current = get_risk(ctx.ws, ref)
        status = _text(form, "status", required=False)
        update_risk(
            ctx.ws,
            ref,
            status=status if status and status != current.status else None,
            note=_text(form, "note", required=False),
            title=_text(form, "title", required=False),
            mitigations=_text(form, "mitigations", required=False),
            likelihood=_int(form, "likelihood"),
            severity=_int(form, "severity"),
        )
        return RedirectResponse(f"/risks/{current.ref}", 303)

    @app.get("/waivers", include_in_schema=False)
    def waivers(request: Request, ctx: Ctx = Depends(resolve), sort: str = "expiry") -> Response:
        today = ctx.ws.today()
        rows = list_waivers(ctx.ws)
        if sort == "age":
            rows.sort(key=lambda w: -w.age_days(today))
        return render(
            request,
            "waivers.html",
            ctx,
            waivers=rows,
            ages=dict(program_status(ctx.ws).open_waivers_by_age),
            sort="age" if sort == "age" else "expiry",
            systems=list_systems(ctx.ws),
            today=today,
        )

    @app.post("/waivers", include_in_schema=False)
    def request_waiver_page(posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        risk = _text(form, "risk", required=False)
        waiver = request_waiver(
            ctx.ws,
            system=_text(form, "system") or "",
            control=_text(form, "control") or "",
            rationale=_text(form, "rationale") or "",
            compensating_controls=_text(form, "compensating_controls") or "",
            residual_risk=_text(form, "residual_risk") or "",
            expires_on=_text(form, "expires_on") or "",
            risk=risk,
        )
        return RedirectResponse(f"/waivers#{waiver.ref}", 303)

    @app.post("/waivers/{ref}/{decision}", include_in_schema=False)
    def decide_waiver(
        ref: str, decision: str, posted: tuple[Ctx, FormData] = Depends(writer)
    ) -> Response:
        ctx, form = posted
        if decision == "approve":
            waiver = approve_waiver(ctx.ws, ref, rationale=_text(form, "rationale") or "")
        elif decision == "reject":
            waiver = reject_waiver(ctx.ws, ref, rationale=_text(form, "rationale") or "")
        elif decision == "revoke":
            waiver = revoke_waiver(ctx.ws, ref, rationale=_text(form, "rationale") or "")
        elif decision == "renew":
            waiver = renew_waiver(
                ctx.ws,
                ref,
                expires_on=_text(form, "expires_on") or "",
                rationale=_text(form, "rationale", required=False),
            )
        else:
            raise NotFoundError(
                f"No waiver action {decision!r}; use approve, reject, renew or revoke."
            )
        return RedirectResponse(f"/waivers#{waiver.ref}", 303)

    @app.get("/reviews", include_in_schema=False)
    def reviews(request: Request, ctx: Ctx = Depends(resolve)) -> Response:
        all_reviews = list_reviews(ctx.ws)
        columns = [(s, [r for r in all_reviews if r.status == s]) for s in REVIEW_STATUSES]
        return render(
            request,
            "reviews.html",
            ctx,
            columns=columns,
            systems=list_systems(ctx.ws),
            questionnaire=workspace_questionnaire(ctx.ws),
            today=ctx.ws.today(),
        )

    @app.post("/reviews", include_in_schema=False)
    def intake(posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        questionnaire = workspace_questionnaire(ctx.ws)
        answers: dict[str, Any] = {}
        for q in questionnaire.questions:
            key = f"q_{q.id}"
            if q.type == "multi":
                values = [v for v in form.getlist(key) if isinstance(v, str)]
                if values:
                    answers[q.id] = values
            elif q.type == "boolean":
                value = form.get(key)
                if value in ("yes", "no"):
                    answers[q.id] = value == "yes"
            else:
                text = _text(form, key, required=False)
                if text is not None:
                    answers[q.id] = text
        review = open_review(
            ctx.ws,
            _text(form, "system") or "",
            answers=answers,
            title=_text(form, "title", required=False),
        )
        return RedirectResponse(f"/reviews/{review.ref}", 303)

    @app.get("/reviews/{ref}", include_in_schema=False)
    def review_page(request: Request, ref: str, ctx: Ctx = Depends(resolve)) -> Response:
        from assay.documents import review_state
        from assay.web._document_pages import latest_packet, packet_differs, packet_summary

        review = get_review(ctx.ws, ref)
        nexts = [to for (frm, to) in REVIEW_TRANSITIONS if frm == review.status]
        record = latest_packet(ctx.ws, review.ref)
        packet = packet_summary(ctx.ws, record) if record is not None else None
        state = review_state(ctx.ws, review.ref)
        return render(
            request,
            "review.html",
            ctx,
            rv=review,
            st=state,
            steps=[n for n in nexts if n not in DECISIONS],
            decisions=[n for n in nexts if n in DECISIONS],
            packet=packet,
            changed=packet_differs(packet["state"], state) if packet is not None else [],
        )

    @app.post("/reviews/{ref}/triage", include_in_schema=False)
    def triage(ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        review = triage_review(
            ctx.ws,
            ref,
            owner=_text(form, "owner") or "",
            due_date=_text(form, "due_date", required=False),
            note=_text(form, "note", required=False),
        )
        return RedirectResponse(f"/reviews/{review.ref}", 303)

    @app.post("/reviews/{ref}/advance", include_in_schema=False)
    def advance(ref: str, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
        ctx, form = posted
        review = advance_review(
            ctx.ws,
            ref,
            _text(form, "to") or "",
            note=_text(form, "note", required=False),
            rationale=_text(form, "rationale", required=False),
            conditions=_text(form, "conditions", required=False),
            acknowledge_incomplete=_text(form, "acknowledge_incomplete", required=False)
            is not None,
        )
        return RedirectResponse(f"/reviews/{review.ref}", 303)

    @app.get("/audit", include_in_schema=False)
    def audit(request: Request, ctx: Ctx = Depends(resolve), entity: str | None = None) -> Response:
        events = audit_log(ctx.ws, entity=entity or None, newest_first=True, limit=200)
        return render(request, "audit.html", ctx, events=events, entity=entity or "")

    @app.get("/search", include_in_schema=False)
    def search(request: Request, ctx: Ctx = Depends(resolve), q: str = "") -> Response:
        needle = q.strip().lower()
        hits: list[tuple[str, str, str]] = []
        if needle:
            for s in list_systems(ctx.ws):
                if needle in f"{s.name} {s.purpose} {s.owner}".lower():
                    hits.append(("System", s.name, f"/systems/{quote(s.name)}"))
            for r in list_risks(ctx.ws):
                if needle in f"{r.ref} {r.title} {r.description or ''} {r.owner}".lower():
                    hits.append(("Risk", f"{r.ref} {r.title}", f"/risks/{r.ref}"))
            for w in list_waivers(ctx.ws):
                if needle in f"{w.ref} {w.control} {w.rationale}".lower():
                    hits.append(("Waiver", f"{w.ref} {w.control}", f"/waivers#{w.ref}"))
            for rv in list_reviews(ctx.ws):
                if needle in f"{rv.ref} {rv.title} {rv.system}".lower():
                    hits.append(("Review", f"{rv.ref} {rv.title}", f"/reviews/{rv.ref}"))
        return render(request, "search.html", ctx, q=q, hits=hits[:200])


def _category_options() -> Markup:
    return Markup(
        "".join(
            f'<option value="{escape(c.code)}">{escape(c.code)} {escape(c.name)}</option>'
            for c in taxonomy()
        )
    )


def _filtered_risks(
    ctx: Ctx, system: str | None, status: str | None, owner: str | None, order: str, page: int
) -> tuple[list[Risk], int]:
    """One page of the register, sorted and paged by the database, and the total count."""
    sys_, st, own = system or None, status or None, owner or None
    rows = list_risks(
        ctx.ws,
        system=sys_,
        status=st,
        owner=own,
        sort=order,
        limit=RISK_PAGE,
        offset=(page - 1) * RISK_PAGE,
    )
    return rows, count_risks(ctx.ws, system=sys_, status=st, owner=own)


def _evidence_download(ctx: Ctx, ref: str) -> Response:
    from assay.web._security import REPORT_CSP

    record = get_evidence(ctx.ws, ref)
    data = ctx.ws.blobs.read_bytes(record.blob_sha256)
    safe = "".join(c for c in record.title if c.isalnum() or c in "-_. ")[:80] or record.ref
    ext = {"application/json": ".json", "text/html": ".html", "application/zip": ".zip"}.get(
        record.media_type, ""
    )
    headers = {
        "Content-Security-Policy": REPORT_CSP,
        "Content-Disposition": f'attachment; filename="{safe}{ext}"',
    }
    return Response(data, media_type=record.media_type, headers=headers)
