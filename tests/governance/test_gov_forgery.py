"""Reserved evidence kinds and forged review packets (issue 16, H2), on SQLite and PostgreSQL.

Kinds Assay derives (review packets, gate decisions, incident bundles...) are written only by
their builders; a packet's verification checks it was written by the packet builder, that
``built.by`` is its authenticated creator, and rebuilds its risks and waivers from the records.
"""

from __future__ import annotations

import hashlib

import pytest
from gov_helpers import CREDIT_ANSWERS, as_user, credit_system

from assay import documents as d
from assay import governance as g
from assay.canonical import canonical_json
from assay.documents._packet import item_hashes
from assay.documents._packet_origin import PACKET_BUILDER
from assay.errors import InputError, IntegrityError
from assay.policy import RESERVED_KINDS
from assay.store import row_image, tables


def _ready_review(ws: g.Workspace) -> str:
    credit_system(ws)
    g.add_risk(ws, system="credit", title="Disparate denials", category="mit:1.1",
               likelihood=4, severity=4, owner="ada")  # fmt: skip
    review = g.open_review(as_user(ws, "rex"), "credit", answers=CREDIT_ANSWERS)
    g.triage_review(ws, review.ref, owner="cy")
    g.advance_review(ws, review.ref, "in_evaluation")
    g.advance_review(ws, review.ref, "ready_for_review", acknowledge_incomplete=True)
    return review.ref


def _forgery(packet: d.BuiltPacket) -> dict[str, object]:
    """The real packet with every risk and waiver dropped, 100% complete, "built by ada"."""
    content = dict(packet.content)
    content.update(risks=[], waivers=[], built={**content["built"], "by": "ada"})
    content["state"] = {**content["state"], "score": 100.0, "passes": True, "gaps": []}
    return content


@pytest.mark.parametrize(
    "kind", sorted({"review_packet", "incident_bundle", "gate", *RESERVED_KINDS})
)
def test_reserved_kinds_cannot_be_added_by_hand(ws: g.Workspace, kind: str) -> None:
    credit_system(ws)
    with pytest.raises(InputError, match="written only by its builder"):
        g.add_evidence(ws, kind=kind, data=b"{}", system="credit")


def test_h2_a_packet_forged_through_the_api_is_refused(ws: g.Workspace) -> None:
    ref = _ready_review(ws)
    cy = as_user(ws, "cy")
    real = d.build_packet(cy, ref)
    with pytest.raises(InputError, match="'review_packet' \\(review packet\\) is derived"):
        g.add_evidence(
            cy, kind="review_packet", data=canonical_json(_forgery(real)).encode(),
            system="credit", summary={"schema": "assay.packet/v1", "review": ref},
        )  # fmt: skip
    assert d.find_packet(ws, ref).ref == real.record.ref
    check = d.verify_packet(ws, ref)
    assert check.ok, check.problems
    assert real.content["built"]["by"] == "cy"
    assert real.content["built"]["chain"]["seq"] > 0


def test_h2_a_packet_inserted_into_the_database_does_not_verify(ws: g.Workspace) -> None:
    ref = _ready_review(ws)
    real = d.build_packet(as_user(ws, "cy"), ref)
    forged = _forgery(real)
    data = canonical_json(forged).encode()
    sha = ws.blobs.put_bytes(data)
    values = {**row_image(tables.evidence, {**real.record.to_dict(), "id": None,
              "system_id": 1, "model_version_id": 1, "dataset_version_id": 1,
              "supersedes_id": None, "content_hash": None})}  # fmt: skip
    values.update(blob_sha256=sha, size_bytes=len(data), created_by="ada",
                  summary={**real.record.summary, "items": item_hashes(forged)})  # fmt: skip
    values.pop("id")
    values.pop("content_hash")
    values["content_hash"] = hashlib.sha256(canonical_json(values).encode()).hexdigest()
    for key in ("created_at", "observed_from", "observed_to", "valid_until"):
        values[key] = getattr(real.record, key)
    with ws.store.engine.begin() as conn:
        conn.execute(tables.evidence.insert().values(**values))
    newest = d.find_packet(ws, ref)
    assert newest.ref != real.record.ref  # the newest record claiming the review
    check = d.verify_packet(ws, ref)
    assert not check.ok
    assert any("no audit event wrote it" in p for p in check.problems)
    with pytest.raises(IntegrityError, match="does not verify"):
        d.sign_packet(as_user(ws, "bob"), newest.ref, decision="approved", rationale="ok")


def test_h2_a_builder_called_with_forged_content_is_caught(ws: g.Workspace) -> None:
    """Even through the builders' own path, a packet that drops records does not verify."""
    ref = _ready_review(ws)
    cy = as_user(ws, "cy")
    real = d.build_packet(cy, ref)
    forged = _forgery(real)
    data = canonical_json(forged).encode()
    record = g.record_derived(
        cy, builder=PACKET_BUILDER,
        kind="review_packet", data=data, system="credit",
        summary={"schema": "assay.packet/v1", "review": ref, "items": item_hashes(forged)},
    )  # fmt: skip
    check = d.verify_packet(ws, record.ref)
    assert not check.ok
    assert "risk:RISK-1: in the records when the packet was built, but left out" in check.problems
    assert "built: the packet says it was built by 'ada'; " in " ".join(check.problems)
