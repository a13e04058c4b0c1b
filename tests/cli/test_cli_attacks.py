"""Issue 16 attacks from the command line, on SQLite and PostgreSQL: separation of duties (H1),
API tokens (M1), forged evidence (H2) and the audit anchor."""

from __future__ import annotations

import datetime as dt

from test_cli_governance import _ok, cli  # noqa: F401 (cli: the fixture)


def _in_days(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def test_h1_renew_then_approve_as_the_same_user_is_refused(cli: object, db_url: str) -> None:  # noqa: F811
    run = cli  # type: ignore[assignment]
    _ok(run("init", "--db", db_url, "--user", "ada"))
    _ok(run("user", "add", "sam", "--role", "analyst"))
    _ok(run("user", "add", "mia", "--role", "approver"))
    _ok(run("user", "add", "bob", "--role", "approver"))
    _ok(run("system", "add", "credit", "--purpose", "p", "--owner", "o"))
    _ok(run("waiver", "request", "credit", "--control", "dp >= 0.8", "--rationale", "Original",
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
    _ok(run("system", "add", "credit", "--purpose", "p", "--owner", "o"))
    _ok(run("risk", "add", "credit", "--title", "Denials", "--category", "mit:1.1",
            "--likelihood", "5", "--severity", "5", "--owner", "o", user="mia"))  # fmt: skip
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
