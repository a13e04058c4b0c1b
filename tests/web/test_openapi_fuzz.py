"""The OpenAPI spec fuzzed with schemathesis (bounded examples): no request gets a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from assay import governance as g  # noqa: E402
from assay.web import create_app, create_token  # noqa: E402


@pytest.fixture
def fuzz_target(workspace: Path) -> Any:
    with g.open_workspace(workspace, user="alice") as ws:
        token = create_token(ws, "admin", "fuzz")
    app = create_app(workspace)
    yield app, token
    app.state.base.close()


def test_no_server_error_on_generated_requests(fuzz_target: Any) -> None:
    app, token = fuzz_target
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            # The same examples every run, so CI does not turn red on a new random draw;
            # explore with other seeds locally (`--hypothesis-seed=N` after removing this).
            derandomize=True,
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        check()
    assert not failures, failures
    assert len(statuses) > 50
    assert 200 in statuses  # the token works: generated requests reach the handlers


def test_out_of_range_numbers_are_422_not_500(fuzz_target: Any) -> None:
    """Found by the fuzzer: an offset beyond 64 bits overflowed SQLite's INTEGER."""
    from fastapi.testclient import TestClient

    app, token = fuzz_target
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for query in ("offset=9223372036854775808", "offset=-1", "limit=0", "limit=1001"):
            r = client.get(f"/api/risks?{query}", headers=headers)
            assert r.status_code == 422, (query, r.status_code)
        assert client.get("/api/risks?offset=5&limit=2", headers=headers).status_code == 200


HOSTILE_BODIES = {
    "lone surrogate": '{"title": "\\ud800"}',
    "1e999999": '{"likelihood": 1e999999}',
    "5,000 digits": '{"likelihood": ' + "9" * 5000 + "}",
    "NUL byte": '{"title": "a\\u0000b"}',
    "nested 10,000 deep": "[" * 10_000 + "]" * 10_000,
}


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_the_fuzzers_500s_are_clear_refusals(fuzz_target: Any, name: str) -> None:
    """Issue 16 M5: each of these crashed the 422 handler or the database (a 500)."""
    from fastapi.testclient import TestClient

    app, token = fuzz_target
    base = {"system": "credit", "title": "t", "category": "mit:1.3", "likelihood": 2}
    base |= {"severity": 2, "owner": "admin"}
    body = HOSTILE_BODIES[name]
    if body.startswith("{"):
        import json

        fields = json.dumps(base)[1:-1]
        body = "{" + fields + ", " + body[1:]  # the hostile key last: JSON keeps the last value
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with TestClient(app, raise_server_exceptions=False) as client:
        before = client.get("/api/risks", headers=headers).json()
        r = client.post("/api/risks", content=body.encode(), headers=headers)
        assert r.status_code in (400, 422), (r.status_code, r.text[:300])
        assert set(r.json()) == {"error", "detail"}
        assert client.get("/api/risks", headers=headers).json() == before
        # the same body without the hostile value is accepted: the refusal is the value's
        assert client.post("/api/risks", json=base, headers=headers).status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/kpis?end=9999-12-31", None),
        ("POST", "/api/incidents", {"title": "t", "severity": "sev4",
                                    "occurred_at": "9999-12-31T23:59:59"}),
    ],
)  # fmt: skip
def test_year_9999_is_out_of_range_not_an_overflow(
    fuzz_target: Any, method: str, path: str, body: Any
) -> None:
    from fastapi.testclient import TestClient

    app, token = fuzz_target
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.request(method, path, json=body, headers=headers)
    assert r.status_code == 422, (r.status_code, r.text[:300])
    assert "out of range" in r.json()["detail"]
