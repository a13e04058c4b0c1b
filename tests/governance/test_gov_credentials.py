"""API tokens and passwords (issue 16, M1 and H3): listed, revoked, expiring, noted on use,
revoked on a password change and on deactivation, and audited in the chain so a planted
credential is found. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from gov_helpers import Clock, as_user

from assay import governance as g
from assay.errors import InputError, PermissionDeniedError
from assay.store import tables

HASH = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def test_a_token_expires_after_90_days_by_default(ws: g.Workspace, clock: Clock) -> None:
    token, record = g.mint_token(ws, "bob", label="ci")
    assert record.expires_at == ws.now() + dt.timedelta(days=90)
    assert g.token_user(ws, token) == "bob"
    clock.advance(days=90)
    assert g.token_user(ws, token) is None
    assert g.list_tokens(ws) == []
    (expired,) = g.list_tokens(ws, include_inactive=True)
    assert not expired.active
    with pytest.raises(InputError, match="1 to 90 days"):
        g.mint_token(ws, "bob", days=91)
    short = g.mint_token(ws, "bob", days=7)[1]
    assert short.expires_at == ws.now() + dt.timedelta(days=7)


def test_the_token_lifetime_is_a_policy_setting(ws: g.Workspace) -> None:
    strict = g.Workspace(
        ws.root, ws.store, user="ada", config=ws.config, clock=ws.clock,
        policy=ws.policy.model_copy(update={"api_token_days": 30}),
    )  # fmt: skip
    assert g.mint_token(strict, "bob")[1].expires_at == ws.now() + dt.timedelta(days=30)


def test_last_used_at_is_written_on_use(ws: g.Workspace, clock: Clock) -> None:
    token, record = g.mint_token(ws, "bob")
    assert record.last_used_at is None
    clock.advance(hours=2)
    g.token_user(ws, token)
    (listed,) = g.list_tokens(ws, user="bob")
    assert listed.last_used_at == ws.now()
    assert g.verify_audit(ws).ok  # using a token is not a change the chain records


def test_revoked_tokens_stop_working(ws: g.Workspace) -> None:
    token, record = g.mint_token(ws, "bob")
    revoked = g.revoke_token(ws, record.ref, reason="leaked in a log")
    assert (revoked.active, revoked.revoked_reason) == (False, "leaked in a log")
    assert g.token_user(ws, token) is None
    assert g.list_tokens(ws) == []


def test_a_password_change_revokes_tokens(ws: g.Workspace) -> None:
    token = g.mint_token(ws, "bob")[0]
    g.store_password_hash(as_user(ws, "bob"), "bob", HASH)
    assert g.token_user(ws, token) is None
    (old,) = g.list_tokens(ws, user="bob", include_inactive=True)
    assert old.revoked_reason == "password changed"


def test_deactivation_revokes_tokens_and_none_can_be_made(ws: g.Workspace) -> None:
    token = g.mint_token(ws, "bob")[0]
    g.deactivate_user(ws, "bob")
    assert g.token_user(ws, token) is None
    (old,) = g.list_tokens(ws, user="bob", include_inactive=True)
    assert (old.active, old.revoked_reason) == (False, "user deactivated")
    with pytest.raises(InputError, match="'bob' is deactivated"):
        g.mint_token(ws, "bob")


def test_only_oneself_or_an_admin_manages_credentials(ws: g.Workspace) -> None:
    cy = as_user(ws, "cy")
    with pytest.raises(PermissionDeniedError, match="only their own"):
        g.mint_token(cy, "ada")
    with pytest.raises(PermissionDeniedError, match="only their own"):
        g.store_password_hash(cy, "ada", HASH)
    mine = g.mint_token(cy, "cy")[1]
    bobs = g.mint_token(ws, "bob")[1]
    assert [t.ref for t in g.list_tokens(cy)] == [mine.ref]
    with pytest.raises(PermissionDeniedError):
        g.list_tokens(cy, user="bob")
    with pytest.raises(PermissionDeniedError):
        g.revoke_token(cy, bobs.ref)
    assert {t.ref for t in g.list_tokens(ws)} == {mine.ref, bobs.ref}


def test_credential_changes_are_audit_events(ws: g.Workspace) -> None:
    record = g.mint_token(ws, "bob")[1]
    g.revoke_token(ws, record.ref)
    g.store_password_hash(ws, "bob", HASH)
    actions = [e.action for e in g.audit_log(ws)]
    assert actions[-3:] == ["token.mint", "token.revoke", "user.passwd"]
    passwd = g.audit_log(ws)[-1]
    image = passwd.changes[0]["after"]
    assert image["password_hash"].startswith("sha256:")  # never the hash itself
    assert HASH not in str(passwd.to_dict())
    assert g.verify_audit(ws).ok


def test_a_planted_token_or_password_hash_is_found(ws: g.Workspace) -> None:
    g.store_password_hash(ws, "bob", HASH)
    assert g.verify_audit(ws).ok
    now = ws.now()
    with ws.store.engine.begin() as conn:
        conn.execute(
            sa.insert(tables.web_tokens).values(
                user_name="ada", label="x", token_sha256="f" * 64, created_at=now,
                expires_at=now + dt.timedelta(days=900),
            )
        )  # fmt: skip
        conn.execute(
            sa.update(tables.web_passwords)
            .where(tables.web_passwords.c.user_name == "bob")
            .values(password_hash=HASH + "x")
        )
        conn.execute(
            sa.insert(tables.web_passwords).values(
                user_name="ada", password_hash=HASH, updated_at=now
            )
        )
    messages = [p.message for p in g.verify_audit(ws).problems]
    assert "The row web_tokens:1 was inserted outside Assay: no audit event wrote it." in messages
    assert "The row web_passwords:ada was inserted outside Assay: no audit event wrote it." in (
        messages
    )
    assert any(m.startswith("The row web_passwords:bob was edited outside Assay") for m in messages)


def test_an_export_leaves_credentials_out_and_still_verifies(
    ws: g.Workspace, db_url: str, tmp_path: Path
) -> None:
    g.store_password_hash(ws, "bob", HASH)
    g.mint_token(ws, "bob")
    g.export_workspace(ws, tmp_path / "export")
    target, _ = g.import_workspace(tmp_path / "export", tmp_path / "copy", user="ada")
    try:
        assert g.verify_audit(target).ok, g.verify_audit(target).problems
        assert g.audit_log(target)[-1].action == "credentials.drop"
        assert g.list_tokens(target, include_inactive=True) == []
    finally:
        target.close()
