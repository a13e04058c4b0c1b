"""Attacks across organisations: paths that read records of another organisation through a
shared record (a dataset version), a link, or an id, and must not."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from gov_helpers import MINIMAL_ANSWERS, as_user

from assay import governance as g
from assay.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError


@pytest.fixture
def two(ws: g.Workspace) -> g.Workspace:
    """``ws`` (ada, main admin) with organisations retail (ra: admin, rn: analyst) and health
    (ha: admin, hn: analyst), systems ``cards`` (retail) and ``claims`` (health), both using
    the workspace's shared dataset version ``adult@1``."""
    g.add_org(ws, "retail", title="Retail banking")
    g.add_org(ws, "health", title="Health insurance")
    for name, role, org in (("ra", "admin", "retail"), ("rn", "analyst", "retail"),
                            ("ha", "admin", "health"), ("hn", "analyst", "health")):  # fmt: skip
        g.add_user(ws, name, role=role, org=org)
    g.add_system(as_user(ws, "rn"), "cards", purpose="Card limits", owner="rn")
    g.add_system(as_user(ws, "hn"), "claims", purpose="Claim triage", owner="hn")
    g.add_dataset_version(ws, "adult", "1", digest="sha256:" + "a" * 64)
    return ws


def test_an_incident_bundle_holds_no_evidence_of_another_organisation(
    two: g.Workspace, tmp_path: Path
) -> None:
    """The dataset catalogue is shared: health's evaluation of ``adult@1`` is health's, and a
    retail incident naming that dataset version must not gather it."""
    hn = as_user(two, "hn")
    secret = g.add_evidence(hn, kind="fairness", data=b'{"health": "secret"}', system="claims",
                            dataset_version="adult@1")  # fmt: skip
    rn = as_user(two, "rn")
    inc = g.open_incident(rn, title="Drift", severity="sev3", occurred_at="2025-03-02T08:00",
                          systems=["cards"], dataset_versions=["adult@1"])  # fmt: skip
    bundle = g.bundle_incident(rn, inc.ref, out=tmp_path / "b.zip")
    with zipfile.ZipFile(bundle.path) as zf:
        refs = [e["ref"] for e in json.loads(zf.read("evidence.json"))]
        names = zf.namelist()
    assert secret.ref not in refs
    assert not [n for n in names if n.startswith(f"evidence/{secret.ref}-")]


def test_an_organisation_admin_lists_only_their_organisation_s_tokens(two: g.Workspace) -> None:
    """An admin of retail manages retail's people, not health's: health's tokens (whose
    holders, labels and last use) are not listed, even by name (as for a name never
    registered)."""
    g.mint_token(as_user(two, "hn"), "hn", label="HEALTHONLY ci")
    g.mint_token(as_user(two, "rn"), "rn", label="retail ci")
    ra = as_user(two, "ra")
    assert {t.user for t in g.list_tokens(ra)} == {"rn"}
    assert g.list_tokens(ra, user="hn") == g.list_tokens(ra, user="nobody") == []
    assert {t.user for t in g.list_tokens(two)} == {"hn", "rn"}  # the programme
    with pytest.raises(NotFoundError):
        g.mint_token(ra, "hn")


def test_a_record_is_closed_only_with_evidence_of_its_own_organisation(two: g.Workspace) -> None:
    """Even the programme, which sees both, cannot close retail's action or risk with health's
    organisation-wide evidence: retail's record would then point at a record retail cannot
    open (and its history would name it)."""
    health_wide = g.add_evidence(as_user(two, "hn"), kind="fairness", data=b"{}")
    risk = g.add_risk(as_user(two, "rn"), system="cards", title="Bias", category="mit:1.3",
                      likelihood=3, severity=4, owner="rn")  # fmt: skip
    action = g.add_action(as_user(two, "rn"), title="Retrain", owner="rn",
                          due_date="2099-01-01", risk=risk.ref)  # fmt: skip
    with pytest.raises(ConflictError, match="another organisation"):
        g.update_action(two, action.ref, status="done", evidence=health_wide.ref)
    with pytest.raises(ConflictError, match="another organisation"):
        g.update_risk(two, risk.ref, status="closed", closure_evidence=health_wide.ref,
                      residual_likelihood=1, residual_severity=1)  # fmt: skip
    assert g.get_action(as_user(two, "rn"), action.ref).closure_evidence is None


def test_a_packet_the_programme_builds_holds_no_evidence_of_another_organisation(
    two: g.Workspace,
) -> None:
    """The programme's reviewer builds retail's packet: the datasheet of retail's training data
    (the shared ``adult@1``) must not bring health's evaluations of it into retail's packet,
    which retail's members read."""
    from assay.documents import build_packet

    hn = as_user(two, "hn")
    secret = g.add_evidence(hn, kind="fairness", data=b'{"health": "secret"}', system="claims",
                            dataset_version="adult@1", title="HEALTHONLY fairness")  # fmt: skip
    rn = as_user(two, "rn")
    g.add_model_version(rn, "cards", "1", training_datasets=["adult@1"])
    review = g.open_review(rn, "cards", answers=MINIMAL_ANSWERS)
    g.triage_review(two, review.ref, owner="rn")
    g.advance_review(two, review.ref, "in_evaluation")
    packet = build_packet(two, review.ref)
    refs = [str(e["ref"]) for e in packet.content["evidence"]]
    assert secret.ref not in refs
    assert "HEALTHONLY" not in json.dumps(packet.content)


def test_a_correction_stays_in_the_organisation_of_what_it_corrects(two: g.Workspace) -> None:
    """The programme corrects retail's organisation-wide record: the correction is retail's
    (not the programme's, which would hide retail's record behind one retail cannot open), and
    a correction about another organisation's system is refused."""
    rn = as_user(two, "rn")
    wide = g.add_evidence(rn, kind="fairness", data=b"{}")
    fixed = g.add_evidence(two, kind="fairness", data=b'{"v": 2}', supersedes=wide.ref,
                           reason="typo")  # fmt: skip
    assert [e.ref for e in g.list_evidence(rn)] == [fixed.ref]
    about_cards = g.add_evidence(rn, kind="fairness", data=b"{}", system="cards")
    with pytest.raises(ConflictError, match="another organisation"):
        g.add_evidence(two, kind="fairness", data=b'{"v": 3}', system="claims",
                       supersedes=about_cards.ref, reason="moved")  # fmt: skip
    assert g.get_evidence(rn, about_cards.ref).superseded_by is None


def test_an_incident_relates_only_to_risks_of_its_organisation(two: g.Workspace) -> None:
    """The programme, which sees both, cannot relate health's risk to retail's incident (retail
    would read health's risk reference on its incident)."""
    risk = g.add_risk(as_user(two, "hn"), system="claims", title="HEALTHONLY", category="mit:1.3",
                      likelihood=3, severity=4, owner="hn")  # fmt: skip
    inc = g.open_incident(as_user(two, "rn"), title="Drift", severity="sev3",
                          occurred_at="2025-03-02T08:00", systems=["cards"])  # fmt: skip
    with pytest.raises(InputError, match="one organisation"):
        g.update_incident(two, inc.ref, add_risks=[risk.ref])
    assert g.get_incident(as_user(two, "rn"), inc.ref).risks == ()


def test_a_risk_links_only_evidence_of_its_organisation(two: g.Workspace) -> None:
    """The programme cannot link health's evidence to retail's risk (retail would read a
    reference to a record it cannot open, and documents built from the risk would break)."""
    ev = g.add_evidence(as_user(two, "hn"), kind="fairness", data=b"{}", system="claims")
    risk = g.add_risk(as_user(two, "rn"), system="cards", title="Bias", category="mit:1.3",
                      likelihood=3, severity=4, owner="rn")  # fmt: skip
    with pytest.raises(ConflictError, match="another organisation"):
        g.link_risk_evidence(two, risk.ref, ev.ref)
    assert g.get_risk(as_user(two, "rn"), risk.ref).evidence == ()


def test_an_organisation_admin_finds_no_user_of_another_organisation(two: g.Workspace) -> None:
    """Changing health's person from retail answers as for a name never registered (not "only
    admins of the main organisation…", which tells that the name is someone's elsewhere)."""
    ra = as_user(two, "ra")
    for change in (lambda n: g.set_role(ra, n, "viewer"), lambda n: g.deactivate_user(ra, n)):
        messages = []
        for name in ("hn", "nobody"):
            with pytest.raises(NotFoundError) as err:
                change(name)
            messages.append(str(err.value).replace(name, "NAME"))
        assert messages[0] == messages[1]
    assert g.get_user(two, "hn").active


def test_a_token_of_another_organisation_is_not_found(two: g.Workspace) -> None:
    """Revoking health's token from retail answers as for a token never made — even when it is
    already revoked (which returned its record: holder, label, reason)."""
    _, live = g.mint_token(as_user(two, "hn"), "hn", label="HEALTHONLY live")
    _, old = g.mint_token(as_user(two, "hn"), "hn", label="HEALTHONLY old")
    g.revoke_token(as_user(two, "hn"), old.ref, reason="HEALTHONLY rotated")
    for who in ("ra", "rn"):
        for ref in (live.ref, old.ref, "TOK-99"):
            with pytest.raises(NotFoundError, match="no token"):
                g.revoke_token(as_user(two, who), ref)
    assert g.list_tokens(two, user="hn")[0].active


def test_a_granted_viewer_may_not_push_an_action_to_a_tracker(two: g.Workspace) -> None:
    """rn is an analyst of retail and a viewer in health: the check made before a tracker is
    called judges health's action by rn's role in health, as every write is."""
    g.grant_org_role(two, "rn", "health", "viewer")
    risk = g.add_risk(as_user(two, "hn"), system="claims", title="HEALTHONLY", category="mit:1.3",
                      likelihood=3, severity=4, owner="hn")  # fmt: skip
    action = g.add_action(as_user(two, "hn"), title="HEALTHONLY retrain", owner="hn",
                          due_date="2099-01-01", risk=risk.ref)  # fmt: skip
    assert g.check_action_push(as_user(two, "hn"), action.ref, system="jira").ref == action.ref
    with pytest.raises(PermissionDeniedError, match="viewer"):
        g.check_action_push(as_user(two, "rn"), action.ref, system="jira")


def test_a_granted_viewer_lists_no_token_of_the_organisation_granted(two: g.Workspace) -> None:
    """ra is an admin of retail and a viewer in health: health's people's tokens are for
    health's admins."""
    g.grant_org_role(two, "ra", "health", "viewer")
    g.mint_token(as_user(two, "hn"), "hn", label="HEALTHONLY ci")
    assert g.list_tokens(as_user(two, "ra")) == []
    assert g.list_tokens(as_user(two, "ha"))[0].user == "hn"
