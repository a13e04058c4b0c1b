"""Issue 16 attacks from the command line, on SQLite and PostgreSQL: separation of duties (H1),
API tokens (M1), forged evidence (H2) and the audit anchor."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa
from test_cli_governance import _ok, cli  # noqa: F401 (cli: the fixture)

from assay.canonical import canonical_json


def _in_days(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def test_h1_renew_then_approve_as_the_same_user_is_refused(cli: object, db_url: str) -> None:  # noqa: F811
    run = cli  # type: ignore[assignment]
    _ok(run("init", "--db", db_url, "--user", "ada"))
    _ok(run("user", "add", "sam", "--role", "analyst"))
    _ok(run("user", "add", "mia", "--role", "approver"))
    _ok(run("user", "add", "bob", "--role", "approver"))
    _ok(run("system", "add", "credit", "--purpose", "p", "--owner", "ada"))
    _ok(run("waiver", "request", "credit", "--control", "fairness", "--rationale", "Original",
            "--compensating-controls", "cc", "--residual-risk", "rr", "--expires", _in_days(30),
            user="sam"))  # fmt: skip
    _ok(run("waiver", "approve", "WVR-1", "--rationale", "ok", user="ada"))
    _ok(run("waiver", "renew", "WVR-1", "--expires", _in_days(365), "--rationale", "Another year",
            user="mia"))  # fmt: skip
    own = run("waiver", "approve", "WVR-1", "--rationale", "mine", user="mia")
    assert own.code == 2, own.out
    assert "'mia' requested round 2 of WVR-1" in own.err
    assert "Traceback" not in own.err
    shown = _ok(run("waiver", "show", "WVR-1", "--json")).json()
    assert shown["status"] == "renewal_requested"  # type: ignore[index]
    assert shown["rationale"] == "Original"  # type: ignore[index]
    assert [(r["requester"], r["rationale"]) for r in shown["rounds"]] == [  # type: ignore[index]
        ("sam", "Original"),
        ("mia", "Another year"),
    ]
    _ok(run("waiver", "approve", "WVR-1", "--rationale", "fine", user="bob"))
    assert "OK" in _ok(run("audit", "verify")).out


def test_an_approver_cannot_accept_a_critical_risk_she_filed(cli: object, db_url: str) -> None:  # noqa: F811
    run = cli  # type: ignore[assignment]
    _ok(run("init", "--db", db_url, "--user", "ada"))
    _ok(run("user", "add", "mia", "--role", "approver"))
    _ok(run("system", "add", "credit", "--purpose", "p", "--owner", "ada"))
    _ok(run("risk", "add", "credit", "--title", "Denials", "--category", "mit:1.1",
            "--likelihood", "5", "--severity", "5", "--owner", "ada", user="mia"))  # fmt: skip
    own = run("risk", "update", "RISK-1", "--status", "accepted", "--note", "mine", user="mia")
    assert own.code == 2
    assert "'mia' filed RISK-1 (rated critical) and cannot accept it" in own.err
    _ok(run("risk", "update", "RISK-1", "--status", "accepted", "--note", "ok", user="ada"))


def test_tokens_from_the_command_line(cli: object, db_url: str) -> None:  # noqa: F811
    run = cli  # type: ignore[assignment]
    _ok(run("init", "--db", db_url, "--user", "ada"))
    _ok(run("user", "add", "bob", "--role", "approver"))
    made = _ok(run("user", "token", "bob", "--label", "ci", "--days", "7", user="bob"))
    token = made.out.strip()
    assert token.startswith("assay_")
    assert "\n" not in token
    assert "TOK-1 acts as bob" in made.err
    listed = _ok(run("user", "tokens", "--json")).json()
    assert [(t["ref"], t["user"], t["active"]) for t in listed] == [("TOK-1", "bob", True)]  # type: ignore[union-attr]
    too_long = run("user", "token", "bob", "--days", "400", user="bob")
    assert too_long.code == 2
    assert "1 to 90 days" in too_long.err
    _ok(run("user", "revoke-token", "TOK-1", "--reason", "rotated"))
    assert _ok(run("user", "tokens", "--json")).json() == []
    gone = _ok(run("user", "tokens", "--all", "--json")).json()
    assert gone[0]["revoked_reason"] == "rotated"  # type: ignore[index]
    _ok(run("user", "deactivate", "bob"))
    refused = run("user", "token", "bob")
    assert refused.code == 2
    assert "'bob' is deactivated" in refused.err
    log = _ok(run("audit", "log", "--json")).json()
    assert {"token.mint", "token.revoke"} <= {e["action"] for e in log}  # type: ignore[union-attr]
    assert "OK" in _ok(run("audit", "verify")).out


def test_h2_evidence_add_refuses_derived_kinds(cli: object, db_url: str, tmp_path: Path) -> None:  # noqa: F811
    run = cli  # type: ignore[assignment]
    _ok(run("init", "--db", db_url, "--user", "ada"))
    _ok(run("system", "add", "credit", "--purpose", "p", "--owner", "ada"))
    forged = tmp_path / "packet.json"
    forged.write_text('{"schema": "assay.packet/v1", "risks": [], "built": {"by": "ada"}}')
    for kind in ("review_packet", "incident_bundle", "gate"):
        r = run("evidence", "add", forged, "--kind", kind, "--system", "credit")
        assert r.code == 2, r.out
        assert "Assay writes" in r.err or "is written only by its builder" in r.err
        assert "Traceback" not in r.err
    assert _ok(run("evidence", "list", "--json")).json() == []


def _drop_append_only(conn: sa.Connection) -> None:
    """What an attacker who owns the tables does first."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER ALL")
    else:
        for verb in ("update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER audit_events_no_{verb}")


def _rewrite_from(conn: sa.Connection, seq: int, edit: object) -> None:
    """Edit the row images of events ``seq``.. and recompute every hash after them."""
    from assay.store import event_hash, read_events, row_keys_text, to_jsonable
    from assay.store import tables as t

    events = read_events(conn)
    prev = events[seq - 2].hash if seq > 1 else "0" * 64
    for e in events[seq - 1 :]:
        changes = [dict(c) for c in e.changes]
        edit(changes)  # type: ignore[operator]
        keys = row_keys_text(changes)
        body = canonical_json(changes)
        digest = event_hash(prev, e.seq, str(to_jsonable(e.at)), e.actor, e.action,
                            e.entity_type, e.entity_id, keys, body, e.note)  # fmt: skip
        conn.execute(sa.update(t.audit_events).where(t.audit_events.c.seq == e.seq).values(
            row_keys=keys, changes=body, prev_hash=prev, hash=digest))  # fmt: skip
        prev = digest


def test_a_checkpoint_catches_tail_truncation_and_a_consistent_rewrite(
    cli: object,  # noqa: F811
    db_url: str,
    tmp_path: Path,
) -> None:
    run = cli  # type: ignore[assignment]
    keys = tmp_path / "keys"
    _ok(run("init", "--db", db_url, "--user", "ada"))
    _ok(run("audit", "keygen", "--private-key", keys / "anchor.pem",
            "--public-key", keys / "anchor.pub"))  # fmt: skip
    assert (keys / "anchor.pem").stat().st_mode & 0o077 == 0
    _ok(run("system", "add", "credit", "--purpose", "p", "--owner", "ada"))
    _ok(run("system", "add", "chat", "--purpose", "p", "--owner", "ada"))
    point = tmp_path / "checkpoint-1.json"
    made = _ok(run("audit", "checkpoint", "--output", point, "--key", keys / "anchor.pem",
                   "--json")).json()  # fmt: skip
    assert made["seq"] == 3  # type: ignore[index]
    against = ("audit", "verify", "--checkpoint", point, "--public-key", keys / "anchor.pub")
    assert "1 checkpoint(s) hold" in _ok(run(*against)).out

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:  # a consistent rewrite of event 2: credit's owner
        _drop_append_only(conn)

        def owner(changes: list[dict[str, object]]) -> None:
            for c in changes:
                if c["key"] == "1" and c["table"] == "ai_systems" and c["after"]:
                    c["after"] = {**c["after"], "owner": "mallory"}  # type: ignore[dict-item]

        _rewrite_from(conn, 2, owner)
        conn.exec_driver_sql("UPDATE ai_systems SET owner = 'mallory' WHERE id = 1")
    assert "OK" in _ok(run("audit", "verify")).out  # the chain alone cannot tell
    rewritten = run(*against)
    assert rewritten.code == 1
    assert "the log up to event 3 was rewritten" in rewritten.out

    with engine.begin() as conn:  # then truncate the tail: event 3 and the row it wrote
        conn.exec_driver_sql("DELETE FROM audit_events WHERE seq = 3")
        conn.exec_driver_sql("DELETE FROM ai_systems WHERE name = 'chat'")
    engine.dispose()
    assert "OK" in _ok(run("audit", "verify")).out
    truncated = run(*against)
    assert truncated.code == 1
    assert "events 3..3 (at least) were deleted from the end of the log" in truncated.out

    forged = json.loads(point.read_text())
    forged["checkpoint"]["seq"] = 2
    point.write_text(json.dumps(forged))
    bad = run(*against)
    assert bad.code == 2
    assert "not signed by this public key" in bad.err
