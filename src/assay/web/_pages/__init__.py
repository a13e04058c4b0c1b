"""The server-rendered pages, one module per noun, as one router."""

from __future__ import annotations

from fastapi import APIRouter

from assay.web._pages import (
    actions,
    audit,
    dashboard,
    documents,
    evidence,
    incidents,
    monitors,
    packets,
    reviews,
    risks,
    search,
    systems,
    waivers,
)

__all__ = ["router"]

router = APIRouter()
for _noun in (
    dashboard,
    systems,
    monitors,
    risks,
    actions,
    waivers,
    reviews,
    audit,
    search,
    incidents,
    packets,
    documents,
    evidence,
):
    router.include_router(_noun.router)
