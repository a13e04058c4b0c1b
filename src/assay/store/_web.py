"""Tables of the web adapter, on the store's metadata (migration ``0003``).

- ``web_passwords``: one argon2id hash per user;
- ``web_sessions``: server-side sessions, keyed by the sha256 of the cookie's random value, each
  with its CSRF token and expiry;
- ``web_tokens``: API tokens for CI and scripts, kept as sha256 only;
- ``web_login_failures``: recent failed logins per user name and client address (throttling);
- ``web_sso_identities`` (migration ``0008``): which OpenID Connect identity (issuer, subject)
  signs in as which user — a credential, audited and verified like passwords and tokens;
- ``web_oidc_logins`` (migration ``0008``): single sign-on logins under way (the hashed
  ``state``, the nonce and the PKCE verifier), each usable once and for ten minutes.

Passwords and tokens are *credentials*: since migration 0006 every change to them is an audit
event (the image of a password keeps only the sha256 of its hash; a token's ``last_used_at`` is
left out), and ``assay audit verify`` checks each credential row against the chain, so a planted
password hash or token row is found. They are never exported: an export or backup carries
governance records, and people set new credentials after a restore. Sessions and login failures
are short-lived state outside the chain.
"""

from __future__ import annotations

import sqlalchemy as sa

from assay.store._schema import SECRET_COLUMN, VOLATILE_COLUMN, metadata
from assay.store._types import UTCDateTime

__all__ = [
    "CREDENTIAL_TABLES",
    "WEB_TABLES",
    "web_login_failures",
    "web_oidc_logins",
    "web_passwords",
    "web_sessions",
    "web_sso_identities",
    "web_tokens",
]

web_passwords = sa.Table(
    "web_passwords",
    metadata,
    sa.Column("user_name", sa.String(100), sa.ForeignKey("users.name"), primary_key=True),
    sa.Column("password_hash", sa.String(200), nullable=False, info={SECRET_COLUMN: True}),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id_sha256", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.String(100), sa.ForeignKey("users.name"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)
web_tokens = sa.Table(
    "web_tokens",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("user_name", sa.String(100), sa.ForeignKey("users.name"), nullable=False),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_used_at", UTCDateTime(), nullable=True, info={VOLATILE_COLUMN: True}),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    # migration 0006: every token expires; why a revoked token was revoked
    sa.Column("expires_at", UTCDateTime(), nullable=True),
    sa.Column("revoked_reason", sa.String(200), nullable=True),
)
web_login_failures = sa.Table(
    "web_login_failures",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Index("ix_web_login_failures_key_at", "key", "at"),
)

web_sso_identities = sa.Table(
    "web_sso_identities",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("issuer", sa.String(300), nullable=False),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("user_name", sa.String(100), sa.ForeignKey("users.name"), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("issuer", "subject", name="uq_web_sso_identities_issuer_subject"),
    sa.UniqueConstraint("issuer", "user_name", name="uq_web_sso_identities_issuer_user_name"),
)
web_oidc_logins = sa.Table(
    "web_oidc_logins",
    metadata,
    sa.Column("state_sha256", sa.String(64), primary_key=True),
    sa.Column("nonce", sa.String(64), nullable=False),
    sa.Column("code_verifier", sa.String(128), nullable=False),
    sa.Column("next_path", sa.String(300), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)

WEB_TABLES = (
    web_passwords,
    web_sessions,
    web_tokens,
    web_login_failures,
    web_sso_identities,
    web_oidc_logins,
)
CREDENTIAL_TABLES = (web_passwords, web_tokens, web_sso_identities)
"""Credential tables: audited and verified against the chain, never exported."""
