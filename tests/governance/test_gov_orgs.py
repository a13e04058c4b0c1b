"""Organisations: who sees and writes what, on every path through the Python API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from gov_helpers import MINIMAL_ANSWERS, as_user

from assay import governance as g
from assay.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from assay.store import tables


@pytest.fixture
def two(ws: g.Workspace) -> g.Workspace:
    """``ws`` (ada, main admin) with organisations retail (ra: admin, rn: analyst, rv: viewer)
    and health (ha: admin, hn: analyst), systems ``cards`` (retail) and ``claims`` (health)."""
    g.add_org(ws, "retail", title="Retail banking")
    g.add_org(ws, "health", title="Health insurance")
    for name, role, org in (("ra", "admin", "retail"), ("rn", "analyst", "retail"),
                            ("rv", "viewer", "retail"), ("ha", "admin", "health"),
                            ("hn", "analyst", "health")):  # fmt: skip
        g.add_user(ws, name, role=role, org=org)
    g.add_system(as_user(ws, "rn"), "cards", purpose="Card limits", owner="rn")
    g.add_system(as_user(ws, "hn"), "claims", purpose="Claim triage", owner="hn")
    return ws


def test_a_member_sees_only_their_organisation(two: g.Workspace) -> None:
    rn = as_user(two, "rn")
    assert [s.name for s in g.list_systems(rn)] == ["cards"]
    assert g.get_system(rn, "cards").org == "retail"
    with pytest.raises(NotFoundError):
        g.get_system(rn, "claims")
    assert sorted(s.name for s in g.list_systems(two)) == ["cards", "claims"]  # the programme
    assert [o.name for o in g.list_orgs(rn)] == ["retail"]
    assert {u.name for u in g.list_users(rn)} == {"ra", "rn", "rv"}
    with pytest.raises(NotFoundError):
        g.get_user(rn, "hn")


def test_records_of_another_organisation_are_not_found(two: g.Workspace) -> None:
    hn = as_user(two, "hn")
    risk = g.add_risk(hn, system="claims", title="Bias", category="mit:1.3",
                      likelihood=3, severity=4, owner="hn")  # fmt: skip
    ev = g.add_evidence(hn, kind="fairness", data=b"{}", system="claims")
    rn = as_user(two, "rn")
    for read in (lambda: g.get_risk(rn, risk.ref), lambda: g.get_evidence(rn, ev.ref)):
        with pytest.raises(NotFoundError):
            read()
    assert g.list_risks(rn) == []
    assert g.list_evidence(rn) == []
    with pytest.raises(NotFoundError):
        g.update_risk(rn, risk.ref, likelihood=1)
    with pytest.raises(NotFoundError):
        g.add_risk(rn, system="claims", title="x", category="mit:1.3", likelihood=1,
                   severity=1, owner="rn")  # fmt: skip
    # an owner must be a person the writer sees
    with pytest.raises(InputError, match="not a user") as err:
        g.add_risk(rn, system="cards", title="x", category="mit:1.3", likelihood=1,
                   severity=1, owner="hn")  # fmt: skip
    assert str(err.value).split("Users: ")[1].split(". Add")[0] == "ra, rn, rv"
    assert g.audit_log(rn, entity="system:cards")
    with pytest.raises(NotFoundError):
        g.audit_log(rn, entity=risk.ref)
    assert all(e.entity_id != str(risk.id) or e.entity_type != "risk" for e in g.audit_log(rn))


def test_every_written_row_is_checked_against_its_organisation(two: g.Workspace) -> None:
    """The guard, below every lookup: a row of another organisation is refused even when the
    code that writes it never looked it up."""
    claims = g.get_system(two, "claims")
    row = {"system_id": claims.id, "title": "planted", "taxonomy": "mit", "category": "1.3",
           "inherent_likelihood": 1, "inherent_severity": 1, "owner": "rn", "status": "open",
           "found_stage": "design", "created_at": two.now(), "created_by": "rn",
           "updated_at": two.now(), "updated_by": "rn"}  # fmt: skip
    rn = as_user(two, "rn")
    guard = g.write_guard("rn", "edit risks")
    writing = rn.store.write(actor="rn", action="risk.add", entity_type="risk", guard=guard)
    with pytest.raises(NotFoundError), writing as tx:
        tx.insert(tables.risks, row)
    with rn.store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.risks)).scalar() == 0


def test_a_role_is_held_per_organisation(two: g.Workspace) -> None:
    g.grant_org_role(two, "rv", "health", "analyst")
    rv = as_user(two, "rv")
    assert sorted(s.name for s in g.list_systems(rv)) == ["cards", "claims"]
    g.add_risk(
        rv, system="claims", title="ok", category="mit:1.3", likelihood=1, severity=1, owner="hn"
    )  # fmt: skip — an analyst in health
    with pytest.raises(PermissionDeniedError, match="'viewer' in the organisation 'retail'"):
        g.add_risk(
            rv, system="cards", title="no", category="mit:1.3", likelihood=1, severity=1, owner="rn"
        )  # fmt: skip — a viewer in retail
    assert g.org_role_rows(two) == [{"user": "rv", "org": "health", "role": "analyst"}]
    g.revoke_org_role(two, "rv", "health")
    with pytest.raises(NotFoundError):
        g.get_system(as_user(two, "rv"), "claims")


def test_an_owner_can_open_what_they_own(two: g.Workspace) -> None:
    """The programme sees everyone, but names as owner of a health record only someone who can
    open it: a person of health, of the main organisation, or granted a role in health."""
    risk = g.add_risk(two, system="claims", title="Bias", category="mit:1.3", likelihood=3,
                      severity=4, owner="hn")  # fmt: skip
    action = g.add_action(two, title="Fix", owner="hn", due_date="2025-06-01", risk=risk.ref)
    review = g.open_review(two, "claims", answers=MINIMAL_ANSWERS)
    inc = g.open_incident(two, title="t", severity="sev3", occurred_at="2025-03-01T10:00",
                          systems=["claims"])  # fmt: skip
    writes = {
        "system add": lambda o: g.add_system(two, "x", purpose="p", owner=o, org="health"),
        "system update": lambda o: g.update_system(two, "claims", owner=o),
        "risk add": lambda o: g.add_risk(two, system="claims", title="t", category="mit:1.3",
                                         likelihood=1, severity=1, owner=o),
        "risk update": lambda o: g.update_risk(two, risk.ref, owner=o),
        "action on a risk": lambda o: g.add_action(two, title="t", owner=o,
                                                   due_date="2025-06-01", risk=risk.ref),
        "action on an incident": lambda o: g.add_action(two, title="t", owner=o,
                                                        due_date="2025-06-01", incident=inc.ref),
        "action update": lambda o: g.update_action(two, action.ref, owner=o),
        "review triage": lambda o: g.triage_review(two, review.ref, owner=o),
    }  # fmt: skip
    before = g.audit_log(two)
    for what, write in writes.items():
        with pytest.raises(InputError, match="cannot open records of 'health'") as err:
            write("rn")
        assert "assay org grant rn health --role viewer" in str(err.value), what
    assert g.audit_log(two) == before  # nothing written
    picker = g.possible_owners(two, "action", action.ref)  # the web's owner choices
    assert {"ada", "ha", "hn"} <= set(picker)
    assert not {"ra", "rn", "rv"} & set(picker)
    assert g.possible_owners(as_user(two, "ra"), "system", "cards") == ["ra", "rn", "rv"]
    with pytest.raises(NotFoundError):
        g.possible_owners(as_user(two, "rn"), "risk", risk.ref)
    assert g.update_risk(two, risk.ref, owner="ada").owner == "ada"  # the programme's own
    g.grant_org_role(two, "rn", "health", "viewer")
    assert "rn" in g.possible_owners(two, "review", review.ref)
    assert g.update_risk(two, risk.ref, owner="rn").owner == "rn"
    assert g.triage_review(two, review.ref, owner="rn").owner == "rn"


def test_organisations_and_their_people_are_managed_by_admins(two: g.Workspace) -> None:
    ra = as_user(two, "ra")
    assert g.add_user(ra, "rn2", role="analyst", org="retail").org == "retail"
    with pytest.raises(PermissionDeniedError):
        g.add_user(ra, "m2", role="analyst")  # the main organisation is not theirs
    with pytest.raises(NotFoundError):
        g.add_user(ra, "h2", role="analyst", org="health")
    with pytest.raises(PermissionDeniedError):
        g.set_role(ra, "ada", "viewer")
    for manage in (lambda: g.add_org(ra, "x", title="X"),
                   lambda: g.grant_org_role(ra, "rn", "health", "viewer")):  # fmt: skip
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            manage()
    with pytest.raises(ConflictError):
        g.add_org(two, "retail", title="again")
    with pytest.raises(ConflictError):
        g.add_org(two, "main", title="taken")
    with pytest.raises(ConflictError, match="belongs to 'retail'"):
        g.grant_org_role(two, "rn", "retail", "admin")


def test_an_incident_stays_in_one_organisation(two: g.Workspace) -> None:
    with pytest.raises(InputError, match="one organisation"):
        g.open_incident(two, title="t", severity="sev3", occurred_at="2025-03-01T10:00",
                        systems=["cards", "claims"])  # fmt: skip
    inc = g.open_incident(as_user(two, "hn"), title="t", severity="sev3",
                          occurred_at="2025-03-01T10:00", systems=["claims"])  # fmt: skip
    with pytest.raises(NotFoundError):
        g.get_incident(as_user(two, "rn"), inc.ref)
    assert g.list_incidents(as_user(two, "rn")) == []


def test_evidence_without_a_system_belongs_to_its_writers_organisation(two: g.Workspace) -> None:
    ev = g.add_evidence(as_user(two, "rn"), kind="fairness", data=b"{}")
    assert g.get_evidence(as_user(two, "ra"), ev.ref).ref == ev.ref
    with pytest.raises(NotFoundError):
        g.get_evidence(as_user(two, "hn"), ev.ref)


def test_kpis_per_organisation_add_up_to_the_programme(two: g.Workspace) -> None:
    for who, system in (("rn", "cards"), ("hn", "claims"), ("hn", "claims")):
        g.request_waiver(as_user(two, who), system=system, control="fairness", rationale="r",
                         compensating_controls="cc", residual_risk="rr",
                         expires_on="2025-04-01")  # fmt: skip
    status = {o: g.program_status(two, org=o) for o in ("retail", "health", "main")}
    whole = g.program_status(two)
    assert whole.systems == 2 == sum(s.systems for s in status.values())
    ages = [sum(n for _, n in s.open_waivers_by_age) for s in status.values()]
    assert ages == [1, 2, 0]
    assert sum(n for _, n in whole.open_waivers_by_age) == 3
    report = g.compute_kpis(two, "2025-01-01", "2025-03-31", org="health")
    assert report.org == "health"
    with pytest.raises(NotFoundError):
        g.compute_kpis(as_user(two, "rn"), "2025-01-01", "2025-03-31", org="health")
    assert g.program_status(as_user(two, "rn")).systems == 1


def test_the_chain_verifies_and_a_scoped_user_cannot_export_everything(
    two: g.Workspace, tmp_path: object
) -> None:
    assert g.verify_audit(two).ok
    with pytest.raises(PermissionDeniedError, match="every organisation"):
        g.export_workspace(as_user(two, "ra"), tmp_path / "out")  # type: ignore[operator]


def test_another_organisations_alert_is_refused_like_one_never_raised(two: g.Workspace) -> None:
    hn = as_user(two, "hn")
    spec = {"name": "claims-monitor", "system": "claims", "owner": "hn", "runbook": "r",
            "reference": {"profile": "p.json"}, "data": {"timestamp": "t", "prediction": "s"},
            "window": {"size": "weekly"},
            "metrics": [{"name": "rows", "kind": "quality", "statistic": "rows"}]}  # fmt: skip
    monitor = g.monitor_records.upsert_monitor(hn, "claims-monitor", "claims", spec)
    week = two.now()
    alert = g.monitor_records.insert_alert(hn, {
        "monitor_id": monitor, "rule": "few rows", "metric": "rows", "condition": "< 10",
        "severity": "high", "status": "open", "first_breach_window": week, "opened_window": week,
        "last_window": week, "opened_value": 3.0, "owner": "hn", "runbook": "r",
        "message": "3 rows", "opened_at": week,
    })  # fmt: skip
    rn = as_user(two, "rn")
    refusals = []
    for alert_id in (alert["id"], alert["id"] + 100):  # another organisation's; never raised
        with pytest.raises(NotFoundError) as err:
            g.monitor_records.acknowledge(rn, alert_id, "noise")
        refusals.append(str(err.value).replace(str(alert_id), "N"))
    assert (
        refusals[0]
        == refusals[1]
        == ("There is no alert #N. List them with `assay monitor alerts`.")
    )
    assert g.monitor_records.acknowledge(hn, alert["id"], "noise")["verdict"] == "noise"
