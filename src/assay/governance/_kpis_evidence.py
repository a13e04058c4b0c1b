"""The evidence KPI: documentation traceability, the share of evidence recorded in the period
that names the model version, dataset and code commit it is about."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assay.governance._kpi import Kpi, KpiPeriod, pct
from assay.governance._scope import scope_clause
from assay.policy import RESERVED_KINDS
from assay.store import tables

__all__ = ["traceability_kpi"]


def traceability_kpi(conn: Connection, period: KpiPeriod) -> Kpi:
    """The share of evidence recorded in the period linked to a model, a dataset and a commit."""
    e = tables.evidence.c
    traced = sa.and_(
        e.model_version_id.is_not(None),
        sa.or_(e.dataset_version_id.is_not(None), e.dataset_digest.is_not(None)),
        e.code_commit.is_not(None),
    )
    total, linked = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((traced, 1), else_=0)), 0),
        ).where(
            e.created_at >= period.lo,
            e.created_at < period.hi,
            e.kind.not_in(RESERVED_KINDS),
            scope_clause(conn, tables.evidence),
        )
    ).one()
    return Kpi(
        "evidence_traceability",
        "Documentation traceability",
        pct(int(linked), int(total)),
        "%",
        int(total),
        "≥ 90–95%",
        "Of evidence recorded in the period, the share linked to a model version, a dataset "
        "(version or digest) and a code commit. Records Assay derives from others (review "
        "packets, gate decisions, incident bundles, reports) are left out.",
    )
