"""The web adapter: FastAPI + Jinja2 + htmx (vendored, no build step) over :mod:`assay.governance`.

Install with ``pip install assay-rai[web]``; run with ``assay serve`` or :func:`serve`.
"""

from __future__ import annotations

from assay.web._app import create_app
from assay.web._auth import create_token, set_password
from assay.web._serve import serve

__all__ = ["create_app", "create_token", "serve", "set_password"]
