"""Single sign-on against a real OpenID Provider (panva's oidc-provider, on loopback).

The provider runs as a Node process; the "browser" is an httpx client that signs in at the
provider's own login and consent pages; Assay runs in process (TestClient) and talks to the
provider over real HTTP for discovery, keys and the code exchange.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
import shutil
import socket
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from assay import governance as g
from assay.errors import InputError, PermissionDeniedError
from assay.web import create_app
from assay.web._oidc import OidcClient, OidcSettings, check_id_token
from assay.web._sso import SSO_BROWSER_COOKIE, _local_path

pytestmark = pytest.mark.oidc

HERE = Path(__file__).parent / "oidc"
CALLBACK = "http://127.0.0.1:9/login/oidc/callback"  # never contacted: the test follows it
SECRET_VAR = "ASSAY_TEST_OIDC_SECRET"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    node = shutil.which("node") or "node"
    proc = subprocess.Popen(
        [node, str(HERE / "provider.mjs"), str(port), CALLBACK],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # readiness from its own line, not a clock
            if line.startswith("READY "):
                yield line.split()[1]
                break
        else:
            pytest.fail("the OpenID Provider exited before it was ready")
    finally:
        proc.terminate()
        proc.wait()


def _config(issuer: str, extra: str = "") -> str:
    return (
        "\n[auth.oidc]\n"
        f'issuer = "{issuer}"\nclient_id = "assay"\nclient_secret_env = "{SECRET_VAR}"\n'
        f'redirect_url = "{CALLBACK}"\nlabel = "Example SSO"\n'
        f"{extra}"
        "[auth.oidc.roles]\n"
        '"rai-analysts" = "analyst"\n"rai-reviewers" = "reviewer"\n"rai-admins" = "admin"\n'
    )


@pytest.fixture
def site(
    issuer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Path]]:
    monkeypatch.setenv(SECRET_VAR, "assay-test-secret")
    with g.init_workspace(tmp_path, user="alice") as ws:
        g.add_user(ws, "rev", role="viewer")  # a local user whose name the provider also has
    config = tmp_path / ".assay" / "config.toml"
    config.write_text(config.read_text() + _config(issuer))
    with TestClient(create_app(tmp_path)) as client:
        yield client, tmp_path


def _provider_login(start: str, login: str) -> str:
    """Sign in at the provider as ``login`` (its login, then consent page); the callback URL."""
    browser = httpx.Client()
    url = start
    for _ in range(8):
        if url.startswith(CALLBACK):
            return url
        page = browser.get(url)
        if page.status_code in (302, 303):
            url = urllib.parse.urljoin(url, page.headers["location"])
            continue
        action, body = re.findall(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page.text, re.S)[
            0
        ]
        fields = dict(re.findall(r'name="([^"]+)"(?:[^>]*value="([^"]*)")?', body))
        answer = browser.post(action, data={**fields, "login": login, "password": "any"})
        url = urllib.parse.urljoin(action, answer.headers["location"])
    raise AssertionError(f"the provider never sent the browser back (at {url})")


def _sign_in(client: TestClient, login: str) -> tuple[httpx.Response, str]:
    start = client.get("/login/oidc", params={"next": "/risks"}, follow_redirects=False)
    assert start.status_code == 303
    callback = _provider_login(start.headers["location"], login)
    path = urllib.parse.urlsplit(callback)
    return client.get(f"{path.path}?{path.query}", follow_redirects=False), path.query


def test_first_login_provisions_the_user_with_the_role_of_their_groups(
    site: tuple[TestClient, Path],
) -> None:
    client, root = site
    assert "Sign in with Example SSO" in client.get("/login").text
    done, _ = _sign_in(client, "ana")
    assert done.status_code == 303
    assert done.headers["location"] == "/risks"
    me = client.get("/api/me").json()
    assert (me["user"], me["role"]) == ("ana", "analyst")
    with g.open_workspace(root, user="alice") as ws:
        assert g.get_user(ws, "ana").email == "ana@example.test"
        events = [e for e in g.audit_log(ws) if e.entity_id == "ana"]
        assert [(e.action, e.actor) for e in events] == [("user.sso_provision", "ana")]
        assert g.verify_audit(ws).ok  # the identity link is checked against the chain


def test_a_replayed_callback_is_refused(site: tuple[TestClient, Path]) -> None:
    client, _ = site
    start = client.get("/login/oidc", follow_redirects=False)
    browser = start.cookies[SSO_BROWSER_COOKIE]
    path = urllib.parse.urlsplit(_provider_login(start.headers["location"], "ana"))
    assert client.get(f"{path.path}?{path.query}", follow_redirects=False).status_code == 303
    client.cookies.set(SSO_BROWSER_COOKIE, browser, path="/")  # even from that browser
    again = client.get(f"/login/oidc/callback?{path.query}", follow_redirects=False)
    assert again.status_code == 403
    assert "already used or has expired" in again.text


def test_a_state_that_was_never_issued_is_refused(site: tuple[TestClient, Path]) -> None:
    client, _ = site
    client.get("/login/oidc", follow_redirects=False)  # this browser has a login under way
    forged = client.get("/login/oidc/callback?code=abc&state=forged", follow_redirects=False)
    assert forged.status_code == 403
    assert "already used or has expired" in forged.text


def test_a_callback_planted_in_another_browser_signs_nobody_in(
    site: tuple[TestClient, Path],
) -> None:
    """Login CSRF: the attacker signs in at the provider as themself and gets the victim's
    browser to open the callback URL; the login is bound to the attacker's browser, so the
    victim is not signed in as the attacker."""
    attacker, _ = site
    start = attacker.get("/login/oidc", params={"next": "/risks"}, follow_redirects=False)
    cookie = start.headers["set-cookie"].lower()
    assert SSO_BROWSER_COOKIE in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    callback = urllib.parse.urlsplit(_provider_login(start.headers["location"], "ana"))
    with TestClient(attacker.app) as victim:
        planted = victim.get(f"{callback.path}?{callback.query}", follow_redirects=False)
        assert planted.status_code == 403
        assert "not started in this browser" in planted.text
        assert victim.get("/api/me").status_code == 401
        victim.cookies.set(SSO_BROWSER_COOKIE, "guessed", path="/")
        guessed = victim.get(f"{callback.path}?{callback.query}", follow_redirects=False)
        assert guessed.status_code == 403
        assert victim.get("/api/me").status_code == 401
    # The browser that started it still finishes it.
    done = attacker.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/risks")


@pytest.mark.parametrize(
    "next_path",
    ["//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
     "https://evil.example", "/%2F%2Fevil.example", "/ok\x7f"],
)  # fmt: skip
def test_next_never_leaves_the_site(next_path: str) -> None:
    target = _local_path(next_path)
    assert target in ("/", "/%2F%2Fevil.example"), target  # an encoded slash is a local path
    assert _local_path("/risks?sort=age") == "/risks?sort=age"


def test_next_from_the_query_string_is_decoded_then_checked(site: tuple[TestClient, Path]) -> None:
    client, _ = site
    for raw in ("%2F%2Fevil.example", "/%09/evil.example", "%2F%5Cevil.example"):
        start = client.get(f"/login/oidc?next={raw}", follow_redirects=False)
        path = urllib.parse.urlsplit(_provider_login(start.headers["location"], "ana"))
        done = client.get(f"{path.path}?{path.query}", follow_redirects=False)
        assert done.headers["location"] == "/", raw


def test_groups_that_map_to_no_role_get_no_access(site: tuple[TestClient, Path]) -> None:
    client, root = site
    refused, _ = _sign_in(client, "mallory")
    assert refused.status_code == 403
    assert "none of their groups maps to an Assay role" in refused.text
    with g.open_workspace(root, user="alice") as ws:
        assert "mallory" not in {u.name for u in g.list_users(ws)}


def test_a_local_account_is_not_taken_over_by_a_provider_name(
    site: tuple[TestClient, Path],
) -> None:
    client, root = site
    refused, _ = _sign_in(client, "rev")
    assert refused.status_code == 403
    assert "exists and is not linked" in refused.text
    with g.open_workspace(root, user="alice") as ws:
        assert g.get_user(ws, "rev").role == "viewer"


def _id_token(issuer: str, login: str, nonce: str) -> str:
    """A real ID token from the provider, by the code flow done by hand."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {
        "response_type": "code",
        "client_id": "assay",
        "redirect_uri": CALLBACK,
        "scope": "openid profile email",
        "state": "s",
        "nonce": nonce,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    callback = _provider_login(f"{issuer}/auth?{urllib.parse.urlencode(query)}", login)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(callback).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": "assay",
        "client_secret": "assay-test-secret",
        "code_verifier": verifier,
    }
    return str(httpx.post(f"{issuer}/token", data=form).json()["id_token"])


def test_the_id_token_checks_refuse_what_they_must(issuer: str) -> None:
    client = OidcClient(OidcSettings(issuer=issuer, client_id="assay"))
    token = _id_token(issuer, "ana", nonce="n-1")
    keys = client.keys()
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    now = dt.datetime.fromtimestamp(claims["iat"], dt.UTC)
    good = {"issuer": issuer, "client_id": "assay", "nonce": "n-1", "now": now}
    assert check_id_token(token, keys, **good)["sub"] == "ana"

    head, body, sig = token.split(".")
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    late = dt.datetime.fromtimestamp(claims["exp"] + 61, dt.UTC)
    cases = {
        "signature does not verify": (f"{head}.{body}.{flipped}", good),
        "not meant for this client": (token, {**good, "client_id": "other-app"}),
        "has expired": (token, {**good, "now": late}),
        "nonce does not match": (token, {**good, "nonce": "n-2"}),
        "issued by": (token, {**good, "issuer": issuer + "/evil"}),
    }
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    cases["signature does not verify "] = (f"{unsigned}.{body}.", good)
    for reason, (value, args) in cases.items():
        with pytest.raises(PermissionDeniedError, match=reason.strip()):
            check_id_token(value, keys, **args)


def test_passwords_switched_off_leave_only_the_provider(
    issuer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_VAR, "assay-test-secret")
    with g.init_workspace(tmp_path, user="alice"):
        pass
    config = tmp_path / ".assay" / "config.toml"
    config.write_text(config.read_text() + "\n[auth]\npasswords = false\n" + _config(issuer))
    with TestClient(create_app(tmp_path)) as client:
        page = client.get("/login").text
        assert 'type="password"' not in page
        assert "Sign in with Example SSO" in page
        refused = client.post("/login", data={"user": "alice", "password": "x"})
        assert refused.status_code == 403


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('client_secret = "in-the-file"\n', "secrets are read from environment variables"),
        ('default_role = "superuser"\n', "'superuser' is not a role"),
        ('colour = "blue"\n', "unknown keys"),
    ],
)
def test_bad_settings_are_refused_when_the_app_starts(
    issuer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, message: str
) -> None:
    monkeypatch.setenv(SECRET_VAR, "assay-test-secret")
    with g.init_workspace(tmp_path, user="alice"):
        pass
    config = tmp_path / ".assay" / "config.toml"
    config.write_text(config.read_text() + _config(issuer, extra))
    with pytest.raises(InputError, match=message):
        create_app(tmp_path)


def test_the_providers_error_text_is_shown_escaped(site: tuple[TestClient, Path]) -> None:
    """Anyone can send a victim to the callback with an error of their choosing: it is text."""
    client, _ = site
    r = client.get("/login/oidc/callback", params={"error": "access_denied",
                   "error_description": "<script>alert(1)</script>"})  # fmt: skip
    assert r.status_code == 400
    assert "<script>alert" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_groups_place_a_new_user_in_their_organisation(
    issuer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_VAR, "assay-test-secret")
    with g.init_workspace(tmp_path, user="alice") as ws:
        g.add_org(ws, "retail", title="Retail banking")
        g.add_system(ws, "cards", purpose="Card limits", owner="alice", org="retail")
        g.add_system(ws, "credit", purpose="Loans", owner="alice")
    config = tmp_path / ".assay" / "config.toml"
    orgs = '[auth.oidc.orgs]\n"rai-analysts" = "retail"\n'
    config.write_text(config.read_text() + _config(issuer) + orgs)
    with TestClient(create_app(tmp_path)) as client:
        done, _ = _sign_in(client, "ana")  # in rai-analysts
        assert done.status_code == 303
        assert [s["name"] for s in client.get("/api/systems").json()] == ["cards"]
        assert client.get("/systems/credit").status_code == 404
    with TestClient(create_app(tmp_path)) as client:
        # a mapping is set and none of rev's groups is in it: not provisioned into the programme
        refused, _ = _sign_in(client, "rev")
        assert refused.status_code == 403
        assert "none of their groups maps to an organisation" in refused.text
    with g.open_workspace(tmp_path, user="alice") as ws:
        assert g.get_user(ws, "ana").org == "retail"
        assert "rev" not in {u.name for u in g.list_users(ws)}
