"""The REST API: JSON for each resource, documented at ``/openapi.json``, one module per noun,
as one router.

Authenticate with ``Authorization: Bearer TOKEN`` (``assay user token NAME``) or with the
browser session plus the ``X-CSRF-Token`` header for writes.
"""

from __future__ import annotations

from fastapi import APIRouter

from assay.web._api import (
    audit,
    export,
    incidents,
    kpis,
    me,
    metrics,
    packets,
    reviews,
    risks,
    soa,
    systems,
    tokens,
    waivers,
)

__all__ = ["router"]

router = APIRouter()
# in this order: /openapi.json lists the paths in the order they were added
_NOUNS = (incidents, packets, me, systems, risks, waivers, reviews, kpis, audit, tokens)
for _noun in (*_NOUNS, export, metrics, soa):
    router.include_router(_noun.router)
