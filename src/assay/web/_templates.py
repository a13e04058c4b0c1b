"""The app's page templates: autoescaped, with the policy's rules as globals, and rendering a page
or a part of one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from assay.policy import WAIVER_AGE_BANDS, waiver_age_band, waiver_over_aged
from assay.web._context import Ctx
from assay.web._flash import clear_flash, read_flash
from assay.web._links import entity_link, link_refs, ref_link

__all__ = ["fragment", "make_templates", "render"]

HERE = Path(__file__).parent


def make_templates() -> Jinja2Templates:
    """The templates of ``web/templates``, autoescaped."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True
    # the policy's rules, so templates never restate a threshold
    templates.env.globals |= {
        "waiver_over_aged": waiver_over_aged,
        "waiver_age_band": waiver_age_band,
        "WAIVER_AGE_BANDS": WAIVER_AGE_BANDS,
    }
    templates.env.filters |= {
        "ref_link": ref_link,
        "entity_link": entity_link,
        "link_refs": link_refs,
    }
    return templates


def render(request: Request, template: str, ctx: Ctx, **values: Any) -> Response:
    """Render a page template with the user context, and the flash message waiting for it."""
    templates: Jinja2Templates = request.app.state.templates
    flash = read_flash(request, ctx)
    response = templates.TemplateResponse(request, template, {"ctx": ctx, "flash": flash, **values})
    if flash is not None:
        clear_flash(response)
    return response


def fragment(request: Request, template: str, **values: Any) -> Markup:
    """A template rendered on its own: a part of a page that does not depend on the user."""
    templates: Jinja2Templates = request.app.state.templates
    return Markup(templates.get_template(template).render(**values))
