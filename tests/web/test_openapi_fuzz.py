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
