"""Where a review packet came from, and whether it says what the records said when it was built.

A packet's hashes only prove the packet is unchanged since it was stored. This check proves it was
stored by the packet builder and tells the truth about the records: the audit event that wrote the
packet's evidence record must be the builder's (``evidence.derive`` by :data:`PACKET_BUILDER`),
its ``built.by`` must be the record's authenticated creator, and its risks, waivers and their
approvals are rebuilt from the audit chain as it stood at that event and compared, item by item.
A packet forged by hand (through the API, or written into the database) fails here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from assay.policy import current_scores, rating
from assay.render import as_list, as_mapping

if TYPE_CHECKING:
    from assay.governance import EvidenceRecord, Workspace

__all__ = ["PACKET_BUILDER", "packet_origin_problems"]

#: The builder name :func:`assay.documents.build_packet` records its packets with.
PACKET_BUILDER = "assay.documents.build_packet"


def _risk_facts(image: Mapping[str, Any]) -> tuple[str, str]:
    scores = current_scores(
        image["inherent_likelihood"],
        image["inherent_severity"],
        image.get("residual_likelihood"),
        image.get("residual_severity"),
    )
    return str(image["status"]), rating(*scores)


def _compare(
    what: str, built: dict[str, tuple[Any, ...]], claimed: dict[str, tuple[Any, ...]]
) -> list[str]:
    problems = []
    for ref in sorted(set(built) | set(claimed)):
        if ref not in claimed:
            problems.append(f"{what}:{ref}: in the records when the packet was built, but left out")
        elif ref not in built:
            problems.append(
                f"{what}:{ref}: in the packet, but not in the records it was built from"
            )
        elif built[ref] != claimed[ref]:
            problems.append(
                f"{what}:{ref}: the packet says {claimed[ref]}, the records said {built[ref]}"
            )
    return problems


def packet_origin_problems(
    ws: Workspace, record: EvidenceRecord, content: Mapping[str, Any]
) -> list[str]:
    """What is wrong with where a packet came from and what it claims; empty when nothing is."""
    from assay.governance import evidence_origin, get_system, rows_as_of

    origin = evidence_origin(ws, record.ref)
    if origin is None:
        return [
            f"packet record {record.ref}: no audit event wrote it; it was put into the database "
            "outside Assay"
        ]
    problems = []
    if (origin.action, origin.note) != ("evidence.derive", PACKET_BUILDER):
        problems.append(
            f"packet record {record.ref}: written by {origin.action!r}, not by the packet builder "
            f"({PACKET_BUILDER})"
        )
    claimed_by = as_mapping(content.get("built")).get("by")
    if claimed_by != record.created_by or origin.actor != record.created_by:
        problems.append(
            f"built: the packet says it was built by {claimed_by!r}; {record.ref} was recorded "
            f"by {origin.actor!r}"
        )
    if record.system is None:
        return [*problems, f"packet record {record.ref}: names no system"]
    system_id = get_system(ws, record.system).id
    risks = {
        f"RISK-{key}": _risk_facts(image)
        for key, image in rows_as_of(ws, origin.seq, "risks").items()
        if image["system_id"] == system_id
    }
    approvals = rows_as_of(ws, origin.seq, "approvals").values()
    waivers = {
        f"WVR-{key}": (
            str(image["status"]),
            sorted(
                f"APR-{a['id']}"
                for a in approvals
                if a["subject_type"] == "waiver" and str(a["subject_id"]) == key
            ),
        )
        for key, image in rows_as_of(ws, origin.seq, "waivers").items()
        if image["system_id"] == system_id
    }
    claimed_risks = {
        str(as_mapping(r).get("ref")): (as_mapping(r).get("status"), as_mapping(r).get("rating"))
        for r in as_list(content.get("risks"))
    }
    claimed_waivers = {
        str(as_mapping(w).get("ref")): (
            as_mapping(w).get("status"),
            sorted(str(a) for a in as_list(as_mapping(w).get("approvals"))),
        )
        for w in as_list(content.get("waivers"))
    }
    problems += _compare("risk", risks, claimed_risks)
    problems += _compare("waiver", waivers, claimed_waivers)
    return problems
