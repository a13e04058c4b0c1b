"""Helpers shared by the store tests (rows in the shape governance writes them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assay.store import Store, WriteTx, tables

NOW = dt.datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=dt.UTC)


def add_user(store: Store, name: str, role: str = "analyst") -> None:
    """Insert a user through an audited write, as governance does."""
    with store.write(actor="root", action="user.add", entity_type="user", entity_id=name) as tx:
        tx.insert(tables.users, user_values(name, role))


def user_values(name: str, role: str = "analyst") -> dict[str, Any]:
    return {
        "name": name,
        "role": role,
        "display_name": None,
        "email": None,
        "active": True,
        "created_at": NOW,
        "created_by": "root",
        "updated_at": NOW,
        "updated_by": "root",
    }


def system_values(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "purpose": "Scores loan applications",
        "intended_use": None,
        "out_of_scope_use": None,
        "deployment_context": None,
        "owner": "risk-team",
        "risk_tier": "unassessed",
        "lifecycle_status": "development",
        "generative": False,
        "created_at": NOW,
        "created_by": "root",
        "updated_at": NOW,
        "updated_by": "root",
    }


def add_system(tx: WriteTx, name: str) -> int:
    row = tx.insert(tables.ai_systems, system_values(name))
    tx.set_entity("system", row["id"])
    return int(row["id"])
