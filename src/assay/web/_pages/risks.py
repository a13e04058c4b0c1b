"""The risk register: filtered, sorted and paged by the database; filing a risk; one risk's page
with its history, and editing it."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from starlette.datastructures import FormData

from assay.governance import (
    RISK_SORTS,
    RISK_STATUSES,
    Risk,
    add_risk,
    audit_log,
    count_risks,
    get_risk,
    list_actions,
    list_risks,
    possible_owners,
    system_names,
    taxonomy,
    update_risk,
)
from assay.web._cache import Head, PartCache, audit_head
from assay.web._context import Ctx, resolve, writer
from assay.web._flash import flash_redirect
from assay.web._forms import form_int, form_text
from assay.web._templates import fragment, render

__all__ = ["RISK_PAGE", "router"]

RISK_PAGE = 100


def _options(values: list[str]) -> Markup:
    return Markup("".join(f"<option>{escape(v)}</option>" for v in values))


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


def _register(request: Request, ctx: Ctx, f: dict[str, str], order: str, page: int) -> Markup:
    """The register's table of one page, for the filters ``f`` sorted by ``order``."""
    rows, total = _filtered_risks(ctx, f["system"], f["status"], f["owner"], order, page)
    return fragment(
        request,
        "_risk_register.html",
        risks=rows,
        total=total,
        page=page,
        first=(page - 1) * RISK_PAGE + 1,
        pages=max(1, -(-total // RISK_PAGE)),
        query=urlencode({k: v for k, v in f.items() if v}),
    )


router = APIRouter()


@router.get("/risks", include_in_schema=False)
def risks(
    request: Request,
    ctx: Ctx = Depends(resolve),
    system: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    sort: str = "rating",
    page: int = Query(default=1, ge=1, le=100_000),
) -> Response:
    """The register, with the form to file a risk; its parts are cached per state of the
    records."""
    head: Head = audit_head(ctx.ws)
    parts: PartCache = request.app.state.parts
    order = sort if sort.lstrip("-") in RISK_SORTS else "rating"
    f = {"system": system or "", "status": status or "", "owner": owner or "", "sort": sort}
    key = ("risks", head, f["system"], f["status"], f["owner"], order, sort, page)
    systems = parts.get(("system options", head), lambda: _options(system_names(ctx.ws)))
    return render(
        request,
        "risks.html",
        ctx,
        register=parts.get(key, lambda: _register(request, ctx, f, order, page)),
        system_options=systems,
        category_options=parts.get(("categories",), _category_options),
        statuses=RISK_STATUSES,
        f=f,
        sorts=RISK_SORTS,
    )


@router.post("/risks", include_in_schema=False)
def file_risk(request: Request, posted: tuple[Ctx, FormData] = Depends(writer)) -> Response:
    """File a risk and go to its page."""
    ctx, form = posted
    risk = add_risk(
        ctx.ws,
        system=form_text(form, "system") or "",
        title=form_text(form, "title") or "",
        category=form_text(form, "category") or "",
        likelihood=form_int(form, "likelihood"),
        severity=form_int(form, "severity"),
        owner=form_text(form, "owner") or "",
        due_date=form_text(form, "due_date", required=False),
        description=form_text(form, "description", required=False),
        mitigations=form_text(form, "mitigations", required=False),
    )
    return flash_redirect(
        request, ctx, f"/risks/{risk.ref}", f"Filed {risk.ref}, rated {risk.rating}."
    )


@router.get("/risks/{ref}", include_in_schema=False)
def risk_page(request: Request, ref: str, ctx: Ctx = Depends(resolve)) -> Response:
    """One risk with its history."""
    risk = get_risk(ctx.ws, ref)
    history = audit_log(ctx.ws, entity=risk.ref, newest_first=True, limit=50)
    return render(
        request,
        "risk.html",
        ctx,
        r=risk,
        history=history,
        statuses=RISK_STATUSES,
        actions=list_actions(ctx.ws, risk=risk.ref),
        overdue={a.ref for a in list_actions(ctx.ws, risk=risk.ref, overdue=True)},
        users=possible_owners(ctx.ws, "risk", risk.ref),  # owners of its new actions
        today=ctx.ws.today(),
    )


@router.post("/risks/{ref}", include_in_schema=False)
def edit_risk(
    request: Request, ref: str, posted: tuple[Ctx, FormData] = Depends(writer)
) -> Response:
    """Edit a risk's scores, mitigations or status, with a note for the audit chain."""
    ctx, form = posted
    current = get_risk(ctx.ws, ref)
    status = form_text(form, "status", required=False)
    update_risk(
        ctx.ws,
        ref,
        status=status if status and status != current.status else None,
        note=form_text(form, "note", required=False),
        title=form_text(form, "title", required=False),
        mitigations=form_text(form, "mitigations", required=False),
        likelihood=form_int(form, "likelihood"),
        severity=form_int(form, "severity"),
    )
    return flash_redirect(
        request, ctx, f"/risks/{current.ref}", f"Saved the changes to {current.ref}."
    )
