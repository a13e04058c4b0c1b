"""Frozen review packets: canonical JSON by sha256, signed, verified, never changed later."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from assay import documents as d
from assay import governance as g
from assay.canonical import canonical_json
from assay.errors import IntegrityError
from conftest import as_user


def _corrupt(ws: g.Workspace, digest: str, edit: object) -> None:
    path = ws.blobs.path(digest)
    content = json.loads(path.read_bytes())
    edit(content)  # type: ignore[operator]
    os.chmod(path, 0o644)
    path.write_bytes(canonical_json(content).encode())


def test_packet_is_canonical_json_identified_by_its_sha256(ws: g.Workspace) -> None:
    packet = d.build_packet(ws, "REV-1")
    data = ws.blobs.read_bytes(packet.sha256)
    assert hashlib.sha256(data).hexdigest() == packet.sha256
    assert data.decode() == canonical_json(json.loads(data))  # sorted keys, no whitespace
    assert packet.record.kind == "review_packet"
    assert packet.record.blob_sha256 == packet.sha256
    content = packet.content
    assert content["review"]["ref"] == "REV-1"
    assert [e["ref"] for e in content["evidence"]] == ["EV-1"]
    assert content["evidence"][0]["blob_sha256"] == g.get_evidence(ws, "EV-1").blob_sha256
    assert [x["name"] for x in content["documents"]] == [
        "model_card", "datasheet:adult@1", "risk_assessment",
    ]  # fmt: skip
    # the review's state is frozen whole, as review_state computes it (same clock, same records)
    assert content["state"] == d.review_state(ws, "REV-1").to_dict()
    assert d.packet_state(content).score == d.review_completeness(ws, "REV-1").score
    # the model versions, newest last: what the gate's approval rule reads from a signed packet
    assert [m["ref"] for m in content["model_versions"]] == ["adult-income@1"]


def test_later_edits_never_change_a_built_packet(ws: g.Workspace) -> None:
    packet = d.build_packet(ws, "REV-1")
    before = ws.blobs.read_bytes(packet.sha256)
    d.write_sections(ws, "model_card", "adult-income", sections={"limitations": "New text."})
    g.update_risk(ws, "RISK-2", mitigations="Drop the proxy features")
    again = d.load_packet(ws, packet.record.ref)
    assert ws.blobs.read_bytes(packet.sha256) == before
    assert again.content == packet.content
    assert "New text." not in d.render_document(d.packet_document(ws, packet.sha256), "md").decode()
    rebuilt = d.build_packet(ws, "REV-1")
    assert rebuilt.sha256 != packet.sha256
    assert d.find_packet(ws, "REV-1").ref == rebuilt.record.ref  # a review's latest packet
    assert d.verify_packet(ws, packet.record.ref).ok


def test_verify_names_the_item_changed_inside_the_packet(ws: g.Workspace) -> None:
    packet = d.build_packet(ws, "REV-1")
    assert d.verify_packet(ws, "REV-1").ok

    def edit(content: dict) -> None:  # type: ignore[type-arg]
        content["evidence"][0]["title"] = "a forged title"

    _corrupt(ws, packet.sha256, edit)
    check = d.verify_packet(ws, packet.record.ref)
    assert not check.ok
    assert any(p.startswith("packet: the stored bytes hash to") for p in check.problems)
    assert "evidence:EV-1: changed since the packet was built" in check.problems
    with pytest.raises(IntegrityError, match="was altered"):
        d.load_packet(ws, packet.record.ref)


def test_verify_names_an_evidence_record_whose_blob_changed(ws: g.Workspace) -> None:
    packet = d.build_packet(ws, "REV-1")
    ev = g.get_evidence(ws, "EV-1")
    path = ws.blobs.path(ev.blob_sha256)
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes().replace(b'"n": 32561', b'"n": 32560'))
    check = d.verify_packet(ws, packet.record.ref)
    assert not check.ok
    assert any(p.startswith("evidence:EV-1:") for p in check.problems)
    assert not any(p.startswith("packet:") for p in check.problems)  # the packet itself is intact


def test_an_approval_signs_the_packet_sha256(ws: g.Workspace) -> None:
    packet = d.build_packet(ws, "REV-1")
    g.advance_review(ws, "REV-1", "in_evaluation")
    g.advance_review(ws, "REV-1", "ready_for_review", acknowledge_incomplete=True)
    approval = d.sign_packet(
        as_user(ws, "bob"),
        packet.record.ref,
        decision="approved_with_conditions",
        rationale="Fairness gap is mitigated by manual review.",
        conditions="Re-evaluate in 90 days.",
        acknowledge_incomplete=True,
    )
    assert approval.subject_sha256 == packet.sha256
    assert g.verify_approval(ws, approval.ref).ref == approval.ref
    doc = d.packet_document(ws, "REV-1")
    text = d.render_document(doc, "md").decode()
    assert "bob" in text
    assert "approved with conditions" in text
    assert packet.sha256 in text


def test_a_tampered_packet_cannot_be_signed(ws: g.Workspace) -> None:
    packet = d.build_packet(ws, "REV-1")
    g.advance_review(ws, "REV-1", "in_evaluation")
    g.advance_review(ws, "REV-1", "ready_for_review", acknowledge_incomplete=True)
    _corrupt(ws, packet.sha256, lambda c: c["risks"].pop())
    with pytest.raises(IntegrityError):
        d.sign_packet(as_user(ws, "bob"), "REV-1", decision="approved", rationale="fine")


def test_packet_renders_in_every_format(ws: g.Workspace) -> None:
    packet = d.build_packet(ws, "REV-1")
    doc = d.packet_document(ws, packet.record.ref)
    titles = [s.title for s in doc.sections]
    assert titles[:7] == [
        "Cover", "Summary of findings", "Open risks", "Waivers", "Completeness and consistency",
        "Evidence index", "Approvals",
    ]  # fmt: skip
    assert [s.label for s in doc.sections if s.label][:1] == ["A.1"]
    html = d.render_document(doc, "html").decode()
    assert "<script" not in html
    assert packet.sha256 in html
    data = json.loads(d.render_document(doc, "json"))
    assert data["data"]["sha256"] == packet.sha256


def test_a_packet_below_the_minimum_is_not_ready_without_an_acknowledgement(
    ws: g.Workspace,
) -> None:
    from assay.errors import TransitionError

    g.advance_review(ws, "REV-1", "in_evaluation")
    with pytest.raises(TransitionError, match=r"no packet was built.*assay packet build REV-1"):
        g.advance_review(ws, "REV-1", "ready_for_review")
    packet = d.build_packet(ws, "REV-1")
    with pytest.raises(TransitionError, match=r"30\.0% complete, below the policy minimum of 90"):
        g.advance_review(ws, "REV-1", "ready_for_review")
    ready = g.advance_review(ws, "REV-1", "ready_for_review", acknowledge_incomplete=True)
    kept = ready.transitions[-1].details["readiness"]
    assert kept["packet"] == packet.record.ref
    assert (kept["score"], kept["passes"], kept["acknowledged"]) == (30.0, False, True)
    assert kept["acknowledged_by"] == "ada"
    # the acknowledgement is in the audit trail (the step's row, as the audit event records it)
    event = g.audit_log(ws, entity="review:1", newest_first=True)[0]
    assert event.action == "review.ready_for_review"
    assert '"acknowledged":true' in json.dumps(event.changes, separators=(",", ":"))
    bob = as_user(ws, "bob")
    with pytest.raises(TransitionError, match="below the policy minimum"):
        d.sign_packet(bob, packet.record.ref, decision="approved", rationale="fine")
    # a rejection needs no acknowledgement: only moving on below the minimum does
    assert d.sign_packet(bob, packet.record.ref, decision="rejected", rationale="incomplete")
