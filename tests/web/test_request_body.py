"""Request bodies (issue 16, M2), against a real uvicorn server on 127.0.0.1: every write is
authenticated before its body is read, a body over its route's limit is refused with 413 while it
streams (with or without ``Content-Length``, and whatever that header claims), nothing is stored,
and API errors share one envelope that never carries the submitted body back.

The raw-socket tests send a request's head and only part of its body, then read the answer: a
server that read (or waited for) the whole body would never answer, and the read's time bound
fails the test.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from web_helpers import fairness_result, login

from assay import governance as g
from assay.web import create_app, create_token
from assay.web._body_limit import MAX_BODY_BYTES, MIB
from assay.web._pages.evidence import UPLOAD_BODY_BYTES

#: A bound on failure only: a server that answers at once answers well within it.
READ_BOUND = 30
MARKER = "SUBMITTED-BODY-MARKER"


def _exchange(
    base: str, head: str, parts: Sequence[bytes] = ()
) -> tuple[int, dict[str, str], bytes]:
    """Send a request's head, then ``parts`` of its body, and read the answer to its end (the
    request says ``Connection: close``).

    A server that answers before the body is complete may reset the connection once it has
    answered: the answer is read up to there.
    """
    url = urlsplit(base)
    assert url.hostname is not None
    assert url.port is not None
    answer = b""
    with socket.create_connection((url.hostname, url.port), timeout=READ_BOUND) as sock:
        try:
            for part in [head.encode("latin-1") + b"".join(parts[:1]), *parts[1:]]:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered already: read the answer
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass  # reset after the answer
    top, _, body = answer.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    headers = dict(line.split(":", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v.strip() for k, v in headers.items()}, body


def _head(method: str, path: str, headers: dict[str, str]) -> str:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _token(root: Path, user: str) -> str:
    with g.open_workspace(root, user="alice") as ws:
        return create_token(ws, user, "body-tests")


def _systems(root: Path) -> list[str]:
    with g.open_workspace(root, user="alice") as ws:
        return [s.name for s in g.list_systems(ws)]


def _envelope(status: int, headers: dict[str, str], body: bytes, code: str) -> dict[str, Any]:
    assert headers["content-type"] == "application/json", (status, body[:300])
    error = json.loads(body)
    assert set(error) == {"error", "detail"}, error
    assert error["error"] == code, error
    assert isinstance(error["detail"], str), error
    assert error["detail"], error
    assert MARKER not in body.decode(), "an error carried the submitted body back"
    return dict(error)


def test_a_form_over_the_limit_is_413_before_its_body_is_sent(server: str, workspace: Path) -> None:
    with httpx.Client(base_url=server) as client:
        csrf = login(client, "alice")  # type: ignore[arg-type]
        cookie = client.cookies["assay_session"]
    declared = 2 * MIB
    start = f"csrf_token={csrf}&name=too-big&owner=alice&purpose={MARKER}".encode()
    head = _head("POST", "/systems", {
        "Cookie": f"assay_session={cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(declared),
    })  # fmt: skip
    status, headers, body = _exchange(server, head, [start])
    assert status == 413, body[:500]
    assert headers["content-type"].startswith("text/html")
    assert "Too large" in body.decode()
    assert "1 MiB" in body.decode()
    assert MARKER not in body.decode()
    assert _systems(workspace) == ["credit"]


def test_json_over_the_limit_without_content_length_is_413(server: str, workspace: Path) -> None:
    token = _token(workspace, "alice")
    head = _head("POST", "/api/systems", {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
    })  # fmt: skip
    first = f'{{"name": "too-big", "owner": "alice", "purpose": "{MARKER}'.encode()
    piece = 64 * 1024
    # first and these pieces pass the limit by len(first) bytes, and the body never ends: only a
    # server that stops reading at the limit answers
    parts = [_chunk(first)] + [_chunk(b"a" * piece)] * (MAX_BODY_BYTES // piece)
    status, headers, body = _exchange(server, head, parts)
    assert status == 413
    error = _envelope(status, headers, body, "PayloadTooLarge")
    assert "1 MiB" in error["detail"]
    assert "POST /api/systems" in error["detail"]
    assert _systems(workspace) == ["credit"]


def test_unauthenticated_writes_are_refused_before_their_body_is_read(
    server: str, workspace: Path
) -> None:
    big = {"Content-Type": "application/json", "Content-Length": str(5 * MIB)}
    status, headers, body = _exchange(server, _head("POST", "/api/systems", big))
    _envelope(status, headers, body, "Unauthorized")
    assert status == 401
    forged = {**big, "Authorization": "Bearer not-a-token"}
    status, headers, body = _exchange(server, _head("PATCH", "/api/risks/RISK-1", forged))
    assert (status, json.loads(body)["error"]) == (401, "Unauthorized")
    form = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(5 * MIB)}
    for path in ("/systems", "/systems/credit/evidence", "/logout"):
        status, headers, _ = _exchange(server, _head("POST", path, form))
        assert (status, headers["location"]) == (303, "/login"), path
    # the login form is the one write sent before logging in: it has the limit too
    status, _, body = _exchange(server, _head("POST", "/login", form))
    assert status == 413, body[:300]
    assert _systems(workspace) == ["credit"]


def test_the_evidence_upload_has_its_own_larger_limit(server: str, seeded: Any) -> None:
    result = json.dumps(fairness_result()) + " " * (2 * MIB)  # valid JSON, over the default
    with httpx.Client(base_url=server) as client:
        csrf = login(client, "alice")  # type: ignore[arg-type]
        r = client.post(
            "/systems/credit/evidence",
            data={"csrf_token": csrf, "model_version": "1.0", "title": "Big but fine"},
            files={"result": ("fairness.json", result.encode(), "application/json")},
        )
        assert r.status_code == 303, r.text[-500:]
        assert "Big but fine" in client.get(r.headers["location"]).text
        cookie = client.cookies["assay_session"]
    head = _head("POST", "/systems/credit/evidence", {
        "Cookie": f"assay_session={cookie}",
        "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": str(UPLOAD_BODY_BYTES + 1),
    })  # fmt: skip
    status, _, body = _exchange(server, head, [b"--x\r\n"])
    assert status == 413, body[:300]
    assert f"{UPLOAD_BODY_BYTES // MIB} MiB" in body.decode()


def test_a_body_longer_than_its_content_length_is_cut_at_the_limit(workspace: Path) -> None:
    """Behind a proxy that re-frames bodies the app may get more than ``Content-Length``
    declared: the limit counts what arrives."""
    token = _token(workspace, "alice")
    app = create_app(workspace)
    piece, pieces = 64 * 1024, 100  # 6.25 MiB offered, 10 bytes declared
    reads: list[int] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        reads.append(1)
        more = len(reads) < pieces
        return {"type": "http.request", "body": b"a" * piece, "more_body": more}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/api/systems", "raw_path": b"/api/systems",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
        "headers": [(b"host", b"127.0.0.1"), (b"content-length", b"10"),
                    (b"content-type", b"application/json"),
                    (b"authorization", f"Bearer {token}".encode())],
    }  # fmt: skip
    try:
        asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    finally:
        app.state.base.close()
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert len(reads) == MAX_BODY_BYTES // piece + 1, "read past the limit"
    assert _systems(workspace) == ["credit"]


def test_api_errors_share_one_envelope(server: str, workspace: Path) -> None:
    admin, viewer = _token(workspace, "alice"), _token(workspace, "viewer")
    system = {"name": MARKER, "purpose": MARKER, "owner": "alice"}
    risk = {"system": "credit", "title": MARKER, "category": "mit:1.3", "likelihood": 9,
            "severity": 2, "owner": "alice"}  # fmt: skip
    auth = {"Authorization": f"Bearer {admin}"}
    with httpx.Client(base_url=server, timeout=READ_BOUND) as api:
        cases = [
            (400, "BadRequest", api.post("/api/systems", content=f'{{"name": "{MARKER}',
                                         headers={**auth, "Content-Type": "application/json"})),
            (401, "Unauthorized", api.get("/api/systems")),
            (403, "PermissionDeniedError", api.post(
                "/api/systems", json=system, headers={"Authorization": f"Bearer {viewer}"})),
            (404, "NotFoundError", api.get("/api/risks/RISK-99", headers=auth)),
            (404, "NotFound", api.get("/api/no-such-thing", headers=auth)),
            (405, "MethodNotAllowed", api.delete("/api/systems", headers=auth)),
            (422, "InputError", api.post("/api/risks", json=risk, headers=auth)),
        ]  # fmt: skip
    for status, code, r in cases:
        assert r.status_code == status, (status, r.text)
        _envelope(r.status_code, dict(r.headers), r.content, code)
    assert "body.likelihood" in cases[-1][2].json()["detail"]
    assert cases[0][2].status_code == 400
    head = _head("POST", "/api/risks", {**auth, "Content-Type": "application/json",
                                         "Content-Length": str(MAX_BODY_BYTES + 1)})  # fmt: skip
    status, headers, body = _exchange(server, head, [MARKER.encode()])
    assert status == 413
    _envelope(status, headers, body, "PayloadTooLarge")
    assert _systems(workspace) == ["credit"]


def test_the_openapi_document_describes_the_envelope(client_for: Any) -> None:
    """Every 422 the document promises is the envelope the API really sends."""
    anon, _ = client_for()
    document = anon.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert schemas["Error"]["required"] == ["error", "detail"]
    answers = [
        op["responses"]["422"]
        for item in document["paths"].values()
        for op in item.values()
        if "422" in op["responses"]
    ]
    assert answers
    for answer in answers:
        schema = answer["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}
