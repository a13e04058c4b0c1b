"""OpenID Connect, the relying party's side: settings, discovery, PKCE and the ID token check.

Authorization code flow with PKCE (S256), a ``state`` used once and a ``nonce`` bound to the ID
token. The ID token's signature is checked against the provider's published keys (JWKS, fetched
again once when a token names a key not seen yet), and then its issuer, audience (and ``azp``
when there are several), expiry, issue time and nonce — each refusal says which. HTTP goes
through :mod:`assay.integrations` (the one client); ``alg: none`` and shared-secret algorithms
are never accepted.

The settings are ``[auth]`` and ``[auth.oidc]`` of ``.assay/config.toml`` (docs/sso.md); the
client secret is read from the environment variable the file names, never from the file.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import threading
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from assay.errors import InputError, PermissionDeniedError
from assay.governance import MAIN_ORG, role_for_groups
from assay.integrations import RefusedError, Transient, request_once

__all__ = [
    "ALGORITHMS",
    "AuthSettings",
    "OidcClient",
    "OidcSettings",
    "check_id_token",
    "load_auth_settings",
    "pkce_pair",
]

#: Signature algorithms an ID token may use (asymmetric only: no ``none``, no HMAC).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
#: Clock difference tolerated between Assay and the provider.
LEEWAY = dt.timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """``[auth.oidc]``: the provider, this client, and how its claims become Assay users."""

    issuer: str
    client_id: str
    client_secret: str | None = None
    scopes: str = "openid profile email"
    username_claim: str = "preferred_username"
    groups_claim: str = "groups"
    roles: Mapping[str, str] = field(default_factory=dict)
    default_role: str | None = None
    orgs: Mapping[str, str] = field(default_factory=dict)
    default_org: str | None = None
    provision: bool = True
    link_existing: bool = False
    redirect_url: str | None = None
    label: str = "single sign-on"

    def role(self, claims: Mapping[str, Any]) -> str | None:
        """The Assay role the ID token's groups map to (None: no access)."""
        groups = claims.get(self.groups_claim) or []
        if isinstance(groups, str):
            groups = [groups]
        default = self.default_role or None
        return role_for_groups([str(g) for g in groups], self.roles, default)

    def org(self, claims: Mapping[str, Any]) -> str | None:
        """The organisation a new user is provisioned into: the first of ``[auth.oidc.orgs]``
        (in the file's order) that one of the ID token's groups maps to, else ``default_org``,
        else the main organisation when no mapping is set. With a mapping and no match and no
        default, none: such a person is not provisioned (never into the programme by accident).
        """
        groups = claims.get(self.groups_claim) or []
        if isinstance(groups, str):
            groups = [groups]
        mine = {str(g) for g in groups}
        for group, org in self.orgs.items():
            if group in mine:
                return org
        if self.default_org or not self.orgs:
            return self.default_org or MAIN_ORG
        return None


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """``[auth]``: local passwords on or off, and the OpenID provider if any."""

    passwords: bool = True
    oidc: OidcSettings | None = None


def _table(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"{where} {key} must be a table.")
    return value


def _oidc_settings(table: Mapping[str, Any], where: str) -> OidcSettings:
    for key in ("issuer", "client_id"):
        if not isinstance(table.get(key), str) or not table[key]:
            raise InputError(f"{where} [auth.oidc] needs {key} (see docs/sso.md).")
    if "client_secret" in table:
        raise InputError(
            f"{where} [auth.oidc] client_secret: secrets are read from environment variables "
            "only; name the variable with client_secret_env instead."
        )
    secret = None
    if var := table.get("client_secret_env"):
        secret = os.environ.get(str(var))
        if not secret:
            raise InputError(
                f"The environment variable {var} ([auth.oidc] client secret) is unset."
            )
    issuer = str(table["issuer"]).rstrip("/")
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise InputError(f"{where} [auth.oidc] issuer must be an https:// URL; got {issuer!r}.")
    known = set(OidcSettings.__dataclass_fields__) - {"client_secret"} | {"client_secret_env"}
    if unknown := sorted(set(table) - known):
        raise InputError(f"{where} [auth.oidc] has unknown keys {unknown}; see docs/sso.md.")
    settings = OidcSettings(
        **{k: v for k, v in table.items() if k not in ("client_secret_env", "issuer")},
        issuer=issuer,
        client_secret=secret,
    )
    settings.role({})  # every mapped role must be a role
    return settings


def load_auth_settings(config: Path) -> AuthSettings:
    """The ``[auth]`` settings of a workspace's ``config.toml`` (defaults when absent)."""
    if not config.is_file():
        return AuthSettings()
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{config} is not valid TOML: {exc}.") from None
    auth = _table(data, "auth", str(config))
    oidc_table = _table(auth, "oidc", f"{config} [auth]")
    oidc = _oidc_settings(oidc_table, str(config)) if oidc_table else None
    passwords = auth.get("passwords", True)
    if not isinstance(passwords, bool):
        raise InputError(f"{config} [auth] passwords must be true or false.")
    if not passwords and oidc is None:
        raise InputError(
            f"{config} [auth] passwords = false leaves no way to log in: configure [auth.oidc]."
        )
    return AuthSettings(passwords=passwords, oidc=oidc)


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        _, body = request_once(url, b"", method="GET", headers={"Accept": "application/json"})
        data = json.loads(body)
    except (Transient, RefusedError, ValueError) as exc:
        raise PermissionDeniedError(f"The identity provider's {what} ({url}): {exc}") from None
    if not isinstance(data, dict):
        raise PermissionDeniedError(f"The identity provider's {what} ({url}) is not an object.")
    return data


def _audience_ok(claims: Mapping[str, Any], client_id: str) -> bool:
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        return False
    return len(audiences) == 1 or claims.get("azp") == client_id


def _timestamp(claims: Mapping[str, Any], name: str) -> dt.datetime:
    value = claims.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise PermissionDeniedError(f"The ID token has no valid {name!r} claim.")
    return dt.datetime.fromtimestamp(value, dt.UTC)


def check_id_token(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The claims of a signed ID token, after every check OpenID Connect Core 3.1.3.7 asks."""
    try:
        claims = dict(jwt.decode(token, keys, algorithms=list(ALGORITHMS)).claims)
    except (JoseError, ValueError) as exc:
        raise PermissionDeniedError(f"The ID token's signature does not verify ({exc}).") from None
    if claims.get("iss") != issuer:
        raise PermissionDeniedError(
            f"The ID token was issued by {claims.get('iss')!r}, not {issuer!r}."
        )
    if not _audience_ok(claims, client_id):
        raise PermissionDeniedError(f"The ID token is not meant for this client ({client_id!r}).")
    if _timestamp(claims, "exp") <= now - LEEWAY:
        raise PermissionDeniedError("The ID token has expired; sign in again.")
    if _timestamp(claims, "iat") > now + LEEWAY:
        raise PermissionDeniedError("The ID token is issued in the future; check the clocks.")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        claims["nonce"], nonce
    ):
        raise PermissionDeniedError("The ID token's nonce does not match this login.")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise PermissionDeniedError("The ID token names no subject.")
    return claims


class OidcClient:
    """One provider: its metadata and keys (fetched when first needed, then kept)."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document; its issuer must be the configured one."""
        with self._lock:
            if self._metadata is None:
                url = self.settings.issuer + "/.well-known/openid-configuration"
                data = _get_json(url, "discovery document")
                if str(data.get("issuer", "")).rstrip("/") != self.settings.issuer:
                    raise PermissionDeniedError(
                        f"The discovery document at {url} names the issuer "
                        f"{data.get('issuer')!r}, not {self.settings.issuer!r}."
                    )
                self._metadata = data
            return self._metadata

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys (JWKS)."""
        uri = str(self.metadata().get("jwks_uri", ""))
        with self._lock:
            if self._keys is None or refresh:
                try:
                    self._keys = KeySet.import_key_set(_get_json(uri, "keys"))  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError) as exc:
                    raise PermissionDeniedError(f"The provider's keys ({uri}): {exc}") from None
            return self._keys

    def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, challenge: str
    ) -> str:
        """Where to send the browser to sign in."""
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.settings.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        endpoint = str(self.metadata()["authorization_endpoint"])
        joiner = "&" if "?" in endpoint else "?"
        return endpoint + joiner + urllib.parse.urlencode(query)

    def exchange(self, *, code: str, redirect_uri: str, verifier: str) -> str:
        """Trade the authorization code (and the PKCE verifier) for the ID token."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.settings.client_id,
            "code_verifier": verifier,
        }
        if self.settings.client_secret:
            form["client_secret"] = self.settings.client_secret
        url = str(self.metadata()["token_endpoint"])
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        try:
            _, body = request_once(url, urllib.parse.urlencode(form).encode(), headers=headers)
            token = json.loads(body).get("id_token")
        except (Transient, RefusedError, ValueError, AttributeError) as exc:
            raise PermissionDeniedError(f"The provider refused the login code: {exc}") from None
        if not isinstance(token, str):
            raise PermissionDeniedError("The provider's token response has no ID token.")
        return token

    def verify(self, token: str, *, nonce: str, now: dt.datetime) -> dict[str, Any]:
        """:func:`check_id_token` with the provider's keys, fetched again once when the token
        names a key not seen yet (the provider rotated its keys)."""
        keys = self.keys()
        kid = _key_id(token)
        if kid is not None and kid not in {k.kid for k in keys.keys}:
            keys = self.keys(refresh=True)
        return check_id_token(
            token,
            keys,
            issuer=self.settings.issuer,
            client_id=self.settings.client_id,
            nonce=nonce,
            now=now,
        )


def _key_id(token: str) -> str | None:
    """The ``kid`` of a compact JWS's header, if it is readable."""
    try:
        head = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except ValueError:
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None
