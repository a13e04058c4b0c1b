"""The FastAPI application: its state, security middleware, error handlers and routers.

Handlers stay thin: they parse the request, call :mod:`assay.governance` acting as the logged-in
user (so the role rules and separation of duties are enforced there, inside each transaction),
and render a template or JSON.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from assay.governance import open_workspace
from assay.web import _api, _login, _pages, _sso
from assay.web._body_limit import BodyLimit
from assay.web._cache import PartCache
from assay.web._errors import ERROR_HANDLERS
from assay.web._oidc import OidcClient, load_auth_settings
from assay.web._openapi import install_openapi
from assay.web._pages import evidence
from assay.web._pages.dashboard import TrendCache
from assay.web._request_timer import RequestTimer
from assay.web._security import SecurityHeaders
from assay.web._templates import make_templates
from assay.web._write_auth import AuthBeforeBody

__all__ = ["create_app"]

HERE = Path(__file__).parent


def create_app(
    workspace: Path | str,
    *,
    secure_cookies: bool | None = None,
    db_url: str | None = None,
) -> FastAPI:
    """Build the web application on a workspace.

    Parameters
    ----------
    workspace
        A folder inside the Assay workspace.
    secure_cookies
        Mark cookies ``Secure``. Default: when the request arrived over HTTPS (directly or, with
        ``--proxy-headers``, through a TLS-terminating proxy).
    db_url
        Overrides the workspace's database URL.

    Returns
    -------
    FastAPI
        The application; serve it with uvicorn (``assay serve`` does).
    """
    app = FastAPI(
        title="Assay",
        version="1",
        description="Responsible-AI assurance: inventory, risks, waivers, reviews, audit.",
        docs_url=None,
        redoc_url=None,
        exception_handlers=ERROR_HANDLERS,
    )
    app.state.base = open_workspace(workspace, user="assay-web", db_url=db_url)
    app.state.templates = make_templates()
    app.state.secure_cookies = secure_cookies
    app.state.trend_cache = TrendCache()
    app.state.parts = PartCache()
    app.state.auth = load_auth_settings(app.state.base.dir / "config.toml")
    app.state.oidc = OidcClient(app.state.auth.oidc) if app.state.auth.oidc else None
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    # the last added runs first: headers on every answer, then who is asking, then the body
    app.add_middleware(BodyLimit, limits={evidence.upload_evidence: evidence.UPLOAD_BODY_BYTES})
    app.add_middleware(AuthBeforeBody)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestTimer)
    app.include_router(_login.router)
    app.include_router(_sso.router)
    app.include_router(_pages.router)
    app.include_router(_api.router)
    install_openapi(app)
    return app
