"""Recording an evaluation from the system page: roles, CSRF, bad files, nothing half-written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from web_helpers import ROLES, fairness_result

from assay import governance as g

ALLOWED = {"analyst", "admin"}
URL = "/systems/credit/evidence"


def _file(payload: Any, name: str = "result.json") -> dict[str, Any]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return {"result": (name, data, "application/json")}


def _counts(root: Any) -> tuple[int, int]:
    with g.open_workspace(root, user="alice") as ws:
        return len(g.list_evidence(ws, system="credit")), len(g.list_model_versions(ws, "credit"))


@pytest.mark.parametrize("role", ROLES)
def test_only_analysts_and_admins_record_and_csrf_is_required(
    role: str, seeded: Any, client_for: Any
) -> None:
    client, csrf = client_for(role)
    page = client.get("/systems/credit").text
    assert ("Record an evaluation" in page) == (role in ALLOWED)
    form = {"model_version": "1.0", "title": "Uploaded fairness"}
    before = _counts(seeded.root)
    refused = client.post(URL, data=form, files=_file(fairness_result()), follow_redirects=False)
    assert refused.status_code == 403
    r = client.post(
        URL,
        data={**form, "csrf_token": csrf},
        files=_file(fairness_result()),
        follow_redirects=False,
    )
    assert r.status_code == (303 if role in ALLOWED else 403), r.text[-300:]
    after = _counts(seeded.root)
    if role in ALLOWED:
        assert after == (before[0] + 1, before[1])
        report = client.get(r.headers["location"])
        assert report.status_code == 200
        assert "Uploaded fairness" in report.text
        with g.open_workspace(seeded.root, user="alice") as ws:
            record = g.list_evidence(ws, system="credit", kind="fairness")[0]
            assert record.created_by == role
            assert record.model_version is not None
            assert g.verify_audit(ws).ok
    else:
        assert after == before


@pytest.mark.parametrize(
    ("upload", "form", "status", "message"),
    [
        (b"", {"model_version": "1.0"}, 422, "is empty"),
        (b"{not json", {"model_version": "1.0"}, 422, "is not JSON"),
        (b"\xff\xfe", {"model_version": "1.0"}, 422, "is not JSON"),
        (b'{"n": ' + b"9" * 5000 + b"}", {"model_version": "1.0"}, 422, "integer string"),
        (b"[" * 100_000 + b"]" * 100_000, {"model_version": "1.0"}, 422, "nested too deeply"),
        ({"schema": "assay.gate/v1"}, {"model_version": "1.0"}, 422, "accepted: assay.fairness/v1"),
        ({"schema": "assay.fairness/v1", "n": 3}, {"model_version": "1.0"}, 422, "fairness/v1"),
        ("fair", {"model_version": "9.9"}, 422, "has no model version"),
        ("fair", {"model_version": "", "new_model_version": ""}, 422, "Choose the model version"),
        ("fair", {"new_model_version": "1.0"}, 422, "already exists"),
        ("fair", {"model_version": "1.0", "dataset_version": "nope@1"}, 404, "nope"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_written(
    upload: Any, form: dict[str, str], status: int, message: str, seeded: Any, client_for: Any
) -> None:
    client, csrf = client_for("analyst")
    payload = fairness_result() if upload == "fair" else upload
    before = _counts(seeded.root)
    r = client.post(URL, data={**form, "csrf_token": csrf}, files=_file(payload))
    assert r.status_code == status, r.text[-300:]
    assert message in r.text.replace("&#39;", "'").replace("&#34;", '"')
    assert _counts(seeded.root) == before


def test_a_new_model_version_is_registered_with_the_evidence(seeded: Any, client_for: Any) -> None:
    client, csrf = client_for("analyst")
    r = client.post(
        URL,
        data={"new_model_version": "2.0", "title": "<script>alert(1)</script>",
              "csrf_token": csrf},
        files=_file(fairness_result()),
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[-300:]
    with g.open_workspace(seeded.root, user="alice") as ws:
        assert "2.0" in {v.version for v in g.list_model_versions(ws, "credit")}
        newest = g.list_evidence(ws, system="credit", kind="fairness")[0]
        assert newest.model_version is not None
        assert "2.0" in newest.model_version
    page = client.get("/systems/credit").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
