"""Evidence store benchmark: the KPI query for a quarter and `assay audit verify` at scale.

Builds a workspace with 1,000 AI systems, 100,000 evidence records and 1,000,000 hash-chained
audit events (system updates make up the rest of the million), on SQLite and on PostgreSQL, then
times ``compute_kpis`` for one quarter and the store's verification (the full chain plus every
governed row; the generated evidence has no files, so ``verify_audit``'s file checks are left
out). The events are generated with the store's own row images and hash function and bulk-loaded,
so the chain is exactly what a million real writes would leave; verification checks it end to end.

    python benchmarks/store.py                      # SQLite, and PostgreSQL if a URL is set
    python benchmarks/store.py --postgres-url postgresql://postgres@127.0.0.1:5432/postgres
    python benchmarks/store.py --quick              # 100 systems, 10k evidence, 100k events
    python benchmarks/store.py --write-docs         # rewrite its section of docs/benchmarks.md

PostgreSQL is taken from --postgres-url, else ASSAY_TEST_POSTGRES_URL; a throwaway schema is
created and dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from assay import governance as g
from assay.store import (
    GENESIS_HASH,
    canonical_json,
    event_hash,
    normalize_url,
    row_image,
    row_keys_text,
    tables,
    to_jsonable,
)
from assay.store._exchange import load

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[1]
QUARTER = (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
ACTOR = "bench"


def _stamp(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


class Builder:
    """Generates the rows of every table and the audit events that wrote them, in chain order."""

    def __init__(self, systems: int, evidence: int, events: int) -> None:
        self.n_systems = systems
        self.n_evidence = evidence
        self.n_datasets = max(1, systems // 10)
        self.n_reviews = systems * 2
        self.n_risks = systems * 5
        fixed = 1 + systems + self.n_datasets + systems + evidence + self.n_reviews * 3
        fixed += self.n_risks
        self.n_updates = max(0, events - fixed)
        self.year = 365 * 86400

    # -- rows ----------------------------------------------------------------------------------

    def user(self) -> dict[str, Any]:
        return {
            "name": ACTOR,
            "display_name": None,
            "email": None,
            "role": "admin",
            "active": True,
            "created_at": T0,
            "created_by": ACTOR,
            "updated_at": T0,
            "updated_by": ACTOR,
        }

    def system(self, i: int, updates: int) -> dict[str, Any]:
        created = _stamp(i)
        last = _stamp(self.year * 0.1 + updates) if updates else created
        return {
            "id": i,
            "name": f"system-{i:04d}",
            "purpose": "Scores applications",
            "intended_use": "Decision support",
            "out_of_scope_use": None,
            "deployment_context": "EU",
            "owner": f"team-{updates % 7}",
            "risk_tier": "high" if i % 3 == 0 else "limited",
            "lifecycle_status": "production" if i % 2 == 0 else "development",
            "generative": False,
            "created_at": created,
            "created_by": ACTOR,
            "updated_at": last,
            "updated_by": ACTOR,
        }

    def dataset(self, i: int) -> dict[str, Any]:
        return {
            "id": i,
            "name": f"data-{i}",
            "version": "1",
            "digest": "sha256:" + hashlib.sha256(str(i).encode()).hexdigest(),
            "source": None,
            "rows": 10_000,
            "columns": None,
            "collection_notes": None,
            "created_at": _stamp(2000 + i),
            "created_by": ACTOR,
            "updated_at": _stamp(2000 + i),
            "updated_by": ACTOR,
        }

    def model(self, i: int) -> dict[str, Any]:
        return {
            "id": i,
            "system_id": i,
            "name": f"system-{i:04d}",
            "version": "1",
            "registry_uri": None,
            "artifact_sha256": None,
            "code_commit": None,
            "notes": None,
            "created_at": _stamp(3000 + i),
            "created_by": ACTOR,
            "updated_at": _stamp(3000 + i),
            "updated_by": ACTOR,
        }

    def evidence(self, i: int) -> dict[str, Any]:
        system = 1 + i % self.n_systems
        dataset = 1 + i % self.n_datasets
        created = _stamp(5000 + (self.year - 5000) * i / self.n_evidence)
        row: dict[str, Any] = {
            "id": i,
            "kind": "fairness" if i % 2 else "performance",
            "title": f"run {i}",
            "blob_sha256": hashlib.sha256(str(i).encode()).hexdigest(),
            "media_type": "application/json",
            "size_bytes": 2048,
            "system_id": system,
            "model_version_id": system,
            "dataset_version_id": dataset,
            "dataset_digest": self.dataset(dataset)["digest"],
            "code_commit": None if i % 10 < 3 else "c" * 40,
            "code_dirty": False,
            "tool": "assay",
            "tool_version": "0.1.0",
            "parameters": {"threshold": 0.5, "seed": i % 100},
            "summary": {"failed": i % 3},
            "observed_from": None,
            "observed_to": None,
            "valid_until": None,
            "supersedes_id": None,
            "correction_reason": None,
            "created_at": created,
            "created_by": ACTOR,
        }
        fields = row_image(tables.evidence, {**row, "id": None, "content_hash": None})
        fields = {k: v for k, v in fields.items() if k not in ("id", "content_hash")}
        row["content_hash"] = hashlib.sha256(canonical_json(fields).encode()).hexdigest()
        return row

    def review(self, i: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        opened = _stamp(self.year * (i - 1) / self.n_reviews)
        triaged = opened + dt.timedelta(days=2)
        ready = triaged + dt.timedelta(days=14 + i % 20)
        review = {
            "id": i,
            "system_id": 1 + i % self.n_systems,
            "title": f"Review {i}",
            "status": "ready_for_review",
            "questionnaire": "assay-default@1",
            "answers": {"purpose": "x"},
            "suggested_tier": "high",
            "suggested_priority": "P1",
            "screening": {"tier": "high"},
            "tier": "high",
            "priority": "P1",
            "owner": "cy",
            "triage_due": triaged.date(),
            "due_date": (triaged + dt.timedelta(days=25)).date(),
            "created_at": opened,
            "created_by": ACTOR,
            "updated_at": ready,
            "updated_by": ACTOR,
        }
        steps = []
        for k, (frm, to, at) in enumerate(
            [
                (None, "intake", opened),
                ("intake", "triaged", triaged),
                ("triaged", "ready_for_review", ready),
            ]
        ):
            details = {"completeness": {"percent": 80.0 + i % 21, "present": [], "missing": []}}
            steps.append(
                {
                    "id": 3 * (i - 1) + k + 1,
                    "review_id": i,
                    "from_status": frm,
                    "to_status": to,
                    "at": at,
                    "actor": ACTOR,
                    "note": None,
                    "details": details if to == "ready_for_review" else None,
                }
            )
        return review, steps

    def risk(self, i: int) -> dict[str, Any]:
        created = _stamp(self.year * i / self.n_risks)
        return {
            "id": i,
            "system_id": 1 + i % self.n_systems,
            "title": f"Risk {i}",
            "description": None,
            "taxonomy": "mit",
            "category": "1.3",
            "inherent_likelihood": 1 + i % 5,
            "inherent_severity": 1 + (i // 5) % 5,
            "mitigations": None,
            "residual_likelihood": None,
            "residual_severity": None,
            "owner": "cy",
            "due_date": (created + dt.timedelta(days=30)).date(),
            "status": "open",
            "found_stage": "validation" if i % 4 == 0 else "development",
            "closure_evidence_id": None,
            "closed_at": None,
            "created_at": created,
            "created_by": ACTOR,
            "updated_at": created,
            "updated_by": ACTOR,
        }

    # -- events --------------------------------------------------------------------------------

    def updates_of(self, system: int) -> int:
        base, extra = divmod(self.n_updates, self.n_systems)
        return base + (1 if system <= extra else 0)

    def events(self) -> Iterator[dict[str, Any]]:
        seq = 0
        prev = GENESIS_HASH

        def event(
            action: str, etype: str, eid: Any, changes: list[dict[str, Any]], at: dt.datetime
        ) -> dict[str, Any]:
            nonlocal seq, prev
            seq += 1
            text = canonical_json(changes)
            keys = row_keys_text(changes)
            digest = event_hash(
                prev, seq, to_jsonable(at), ACTOR, action, etype, str(eid), keys, text, None
            )
            out = {
                "seq": seq,
                "at": to_jsonable(at),
                "actor": ACTOR,
                "action": action,
                "entity_type": etype,
                "entity_id": str(eid),
                "row_keys": keys,
                "changes": text,
                "note": None,
                "prev_hash": prev,
                "hash": digest,
            }
            prev = digest
            return out

        def insert(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
            return {
                "table": table.name,
                "key": tables.row_key(table, row),
                "before": None,
                "after": row_image(table, row),
            }

        yield event("user.add", "user", ACTOR, [insert(tables.users, self.user())], T0)
        for i in range(1, self.n_systems + 1):
            row = self.system(i, 0)
            yield event(
                "system.add", "system", i, [insert(tables.ai_systems, row)], row["created_at"]
            )
        for i in range(1, self.n_datasets + 1):
            row = self.dataset(i)
            yield event(
                "dataset_version.add",
                "dataset_version",
                i,
                [insert(tables.dataset_versions, row)],
                row["created_at"],
            )
        for i in range(1, self.n_systems + 1):
            row = self.model(i)
            yield event(
                "model_version.add",
                "model_version",
                i,
                [insert(tables.model_versions, row)],
                row["created_at"],
            )
        for i in range(1, self.n_evidence + 1):
            row = self.evidence(i)
            yield event(
                "evidence.add", "evidence", i, [insert(tables.evidence, row)], row["created_at"]
            )
        for i in range(1, self.n_reviews + 1):
            review, steps = self.review(i)
            first = {
                **review,
                "status": "intake",
                "tier": None,
                "priority": None,
                "owner": None,
                "due_date": None,
                "updated_at": review["created_at"],
            }
            yield event(
                "review.open",
                "review",
                i,
                [
                    {
                        "table": "reviews",
                        "key": str(i),
                        "before": None,
                        "after": row_image(tables.reviews, first),
                    },
                    insert(tables.review_transitions, steps[0]),
                ],
                steps[0]["at"],
            )
            second = {**review, "status": "triaged", "updated_at": steps[1]["at"]}
            yield event(
                "review.triage",
                "review",
                i,
                [
                    {
                        "table": "reviews",
                        "key": str(i),
                        "before": row_image(tables.reviews, first),
                        "after": row_image(tables.reviews, second),
                    },
                    insert(tables.review_transitions, steps[1]),
                ],
                steps[1]["at"],
            )
            yield event(
                "review.ready_for_review",
                "review",
                i,
                [
                    {
                        "table": "reviews",
                        "key": str(i),
                        "before": row_image(tables.reviews, second),
                        "after": row_image(tables.reviews, review),
                    },
                    insert(tables.review_transitions, steps[2]),
                ],
                steps[2]["at"],
            )
        for i in range(1, self.n_risks + 1):
            row = self.risk(i)
            yield event("risk.add", "risk", i, [insert(tables.risks, row)], row["created_at"])
        # The rest of the million: systems edited over and over (owner, updated_at).
        counts = dict.fromkeys(range(1, self.n_systems + 1), 0)
        targets = {s: self.updates_of(s) for s in counts}
        remaining = [s for s in counts if targets[s]]
        while remaining:
            still = []
            for s in remaining:
                k = counts[s]
                before = row_image(tables.ai_systems, self.system(s, k))
                after_row = self.system(s, k + 1)
                yield event(
                    "system.update",
                    "system",
                    s,
                    [
                        {
                            "table": "ai_systems",
                            "key": str(s),
                            "before": before,
                            "after": row_image(tables.ai_systems, after_row),
                        }
                    ],
                    after_row["updated_at"],
                )
                counts[s] = k + 1
                if counts[s] < targets[s]:
                    still.append(s)
            remaining = still

    def tables(self) -> dict[str, Iterator[dict[str, Any]]]:
        """The final rows of every table (what the events leave), as JSON values."""

        def plain(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for row in rows:
                yield {k: to_jsonable(v) for k, v in row.items()}

        def reviews() -> Iterator[dict[str, Any]]:
            for i in range(1, self.n_reviews + 1):
                yield self.review(i)[0]

        def steps() -> Iterator[dict[str, Any]]:
            for i in range(1, self.n_reviews + 1):
                yield from self.review(i)[1]

        systems = range(1, self.n_systems + 1)
        return {
            "users": plain(iter([self.user()])),
            "ai_systems": plain(self.system(s, self.updates_of(s)) for s in systems),
            "dataset_versions": plain(self.dataset(i) for i in range(1, self.n_datasets + 1)),
            "model_versions": plain(self.model(i) for i in systems),
            "evidence": plain(self.evidence(i) for i in range(1, self.n_evidence + 1)),
            "reviews": plain(reviews()),
            "review_transitions": plain(steps()),
            "risks": plain(self.risk(i) for i in range(1, self.n_risks + 1)),
        }


def _cpu() -> float:
    """CPU seconds of this process and its finished children (verification's workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def run(
    url: str, blob_dir: Path, systems: int, evidence: int, events: int, repeat: int
) -> dict[str, Any]:
    from assay.store import Store

    store = Store(url, blob_dir=blob_dir)
    store.upgrade()
    builder = Builder(systems, evidence, events)
    t = time.perf_counter()
    load(store, builder.tables(), builder.events(), verify=False)
    load_s = time.perf_counter() - t
    ws = g.Workspace(
        blob_dir.parent,
        store,
        user=ACTOR,
        config=g.WorkspaceConfig(None, ACTOR, None, None),
        clock=lambda: dt.datetime(2025, 12, 31, tzinfo=dt.UTC),
    )
    kpi_times, verify_times, verify_cpu = [], [], []
    report = None
    for _ in range(repeat):
        t = time.perf_counter()
        kpis = g.compute_kpis(ws, *QUARTER)
        kpi_times.append(time.perf_counter() - t)
        t, c = time.perf_counter(), _cpu()
        report = ws.store.verify()  # the generated evidence has no files to check
        verify_times.append(time.perf_counter() - t)
        verify_cpu.append(_cpu() - c)
    assert report is not None
    assert report.ok, report.problems[:3]
    result = {
        "database": store.dialect,
        "systems": systems,
        "evidence": evidence,
        "events": report.events,
        "rows": report.rows_checked,
        "generate_and_load_s": load_s,
        "kpi_s": min(kpi_times),
        "verify_s": min(verify_times),
        "verify_cpu_s": min(verify_cpu),
        "traceability": kpis.get("evidence_traceability").value,
    }
    store.dispose()
    return result


def _pg_schema(base: str) -> tuple[str, sa.Engine, str]:
    base = normalize_url(base)
    schema = f"assay_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), admin, schema


def _markdown(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    import sqlalchemy

    lines = [
        "## Evidence store",
        "",
        "Reproduce with `python benchmarks/store.py --postgres-url URL --write-docs` (add "
        "`--quick` for a tenth of the size).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other work "
        f"(load average {os.getloadavg()[0]:.1f} at the start), Python "
        f"{platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, SQLite "
        f"{__import__('sqlite3').sqlite_version}"
        + (f", PostgreSQL {args.pg_version}" if getattr(args, "pg_version", None) else "")
        + f". Data: {results[0]['systems']:,} AI systems, {results[0]['evidence']:,} evidence "
        f"records, {results[0]['events']:,} hash-chained audit events ({results[0]['rows']:,} "
        "governed rows), generated with the store's own row images and hash function and "
        "bulk-loaded. Times are the best of "
        f"{args.repeat} runs.",
        "",
        f"| database | KPIs for a quarter (s) | target | `audit verify` of "
        f"{results[0]['events']:,} events and {results[0]['rows']:,} rows (s) | its CPU (s) "
        "| target |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['database']} | {r['kpi_s']:.3f} | < 1 | {r['verify_s']:.2f} | "
            f"{r['verify_cpu_s']:.2f} | < 10 |"
        )
    lines += [
        "",
        "`audit verify` recomputes every event's sha256 and link, then compares every governed "
        "row with the last image the chain recorded for it (the check that catches a hand edit "
        f"of any row). A chain this long is checked in {os.cpu_count()} ranges by forked worker "
        "processes while the main process hashes the rows; the CPU column adds up all of them "
        "(for PostgreSQL, the client side only). The KPI query is "
        f"`assay.governance.compute_kpis` for {QUARTER[0]} to {QUARTER[1]}: all eighteen KPIs, "
        "including evidence traceability over the quarter's evidence records.",
        "",
    ]
    return "\n".join(lines)


def _write_docs(section: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = text.find("## Evidence store")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + ("" if end == -1 else text[end + 1 :])
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=1_000)
    parser.add_argument("--evidence", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="A tenth of the default sizes.")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres-url", default=os.environ.get("ASSAY_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.systems, args.evidence, args.events = 100, 10_000, 100_000
    results = []
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as tmp:
        if not args.skip_sqlite:
            url = f"sqlite:///{tmp}/assay.db"
            results.append(
                run(url, Path(tmp) / "blobs", args.systems, args.evidence, args.events, args.repeat)
            )
            print(results[-1], flush=True)
        if args.postgres_url:
            url, admin, schema = _pg_schema(args.postgres_url)
            with admin.connect() as conn:
                args.pg_version = conn.exec_driver_sql("SHOW server_version").scalar()
            try:
                results.append(
                    run(
                        url,
                        Path(tmp) / "pg-blobs",
                        args.systems,
                        args.evidence,
                        args.events,
                        args.repeat,
                    )
                )
                print(results[-1], flush=True)
            finally:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                admin.dispose()
    section = _markdown(results, args)
    print(section)
    if args.write_docs:
        _write_docs(section)


if __name__ == "__main__":
    sys.exit(main())
