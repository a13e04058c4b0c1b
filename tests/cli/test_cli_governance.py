"""The governance command line, run in-process through the real entry point (error boundary and
exit codes included): one analyst's journey from `assay init` to KPIs, export and restore."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from assay.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> object:
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.delenv("ASSAY_DATABASE_URL", raising=False)
    monkeypatch.delenv("ASSAY_WORKSPACE", raising=False)

    def run(*args: str | Path, user: str | None = "ada", stdin: str = "") -> Result:
        """``assay ARGS`` in-process, as ``user`` (None: ASSAY_USER unset), ``stdin`` as input."""
        if user is None:
            monkeypatch.delenv("ASSAY_USER", raising=False)
        else:
            monkeypatch.setenv("ASSAY_USER", user)
        monkeypatch.setattr(sys, "argv", ["assay", *map(str, args)])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def _ok(result: Result) -> Result:
    assert result.code == 0, result.err + result.out
    return result


def test_analyst_journey(cli: object, db_url: str, tmp_path: Path) -> None:
    run = cli  # type: ignore[assignment]
    _ok(run("init", "--db", db_url, "--user", "ada"))
    _ok(run("user", "add", "bob", "--role", "approver"))
    _ok(run("user", "add", "cy", "--role", "analyst"))
    _ok(
        run(
            "system",
            "add",
            "credit",
            "--purpose",
            "Scores loan applications",
            "--owner",
            "cy",
            "--intended-use",
            "Decision support",
            "--out-of-scope-use",
            "Automation",
            "--deployment-context",
            "EU branches",
        )
    )
    data = tmp_path / "adult.csv"
    data.write_text("age,sex\n39,Male\n")
    ds = _ok(
        run(
            "dataset-version",
            "add",
            "adult",
            "2024-01",
            "--file",
            data,
            "--columns",
            "age,sex",
            "--json",
        )
    ).json()
    assert ds["digest"].startswith("sha256:")  # type: ignore[index]
    _ok(run("model-version", "add", "credit", "1", "--train-dataset", "adult@2024-01"))
    result = tmp_path / "fairness.json"
    result.write_text(json.dumps({"schema": "assay.fairness/v1", "verdicts": []}))
    ev = _ok(
        run(
            "evidence",
            "add",
            result,
            "--kind",
            "fairness",
            "--system",
            "credit",
            "--model-version",
            "1",
            "--dataset-version",
            "adult@2024-01",
            "--commit",
            "a" * 40,
            "--param",
            "threshold=0.5",
            "--json",
        )
    ).json()
    assert ev["ref"] == "EV-1"  # type: ignore[index]
    assert ev["parameters"] == {"threshold": 0.5}  # type: ignore[index]
    out = tmp_path / "copy.json"
    _ok(run("evidence", "show", "EV-1", "--output", out))
    assert out.read_bytes() == result.read_bytes()
    _ok(run("evidence", "verify", "EV-1"))
    risk = _ok(
        run(
            "risk",
            "add",
            "credit",
            "--title",
            "Selection rate gap",
            "--category",
            "mit:1.1",
            "--likelihood",
            "4",
            "--severity",
            "5",
            "--owner",
            "cy",
            "--due",
            "2099-01-01",
            "--evidence",
            "EV-1",
            "--json",
        )
    ).json()
    assert risk["rating"] == "critical"  # type: ignore[index]
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        yaml.safe_dump(
            {
                "purpose": "Scores loans",
                "users": "Officers",
                "prohibited_practices": ["none"],
                "annex_iii_areas": ["essential_services"],
                "user_impact": "significant",
                "autonomy": "human_in_the_loop",
                "personal_data": "personal",
                "generative": False,
                "scale": "over_100k",
            }
        )
    )
    opened = _ok(run("review", "open", "credit", "--answers", answers))
    assert "suggested tier high" in opened.out
    _ok(run("review", "triage", "REV-1", "--owner", "cy"))
    _ok(run("review", "advance", "REV-1", "in_evaluation"))
    _ok(run("packet", "build", "REV-1"))
    incomplete = run("review", "advance", "REV-1", "ready_for_review")
    assert incomplete.code == 2
    assert "below the policy minimum" in incomplete.err
    assert "--acknowledge-incomplete" in incomplete.err
    _ok(run("review", "advance", "REV-1", "ready_for_review", "--acknowledge-incomplete"))
    ack = ("--acknowledge-incomplete",)
    blocked = run("review", "advance", "REV-1", "approved", "--rationale", "ok", *ack, user="bob")
    assert blocked.code == 2
    assert "RISK-1" in blocked.err
    _ok(
        run(
            "waiver",
            "request",
            "credit",
            "--control",
            "risk.open",
            "--rationale",
            "r",
            "--compensating-controls",
            "manual review",
            "--residual-risk",
            "medium",
            "--expires",
            _in_days(60),
            "--risk",
            "RISK-1",
        )
    )
    own = run("waiver", "approve", "WVR-1", "--rationale", "mine")
    assert own.code == 2
    assert "requester can never" in own.err
    _ok(run("waiver", "approve", "WVR-1", "--rationale", "compensated", user="bob"))
    decided = _ok(
        run(
            "review",
            "advance",
            "REV-1",
            "approved_with_conditions",
            "--rationale",
            "ok",
            "--conditions",
            "monthly monitoring",
            *ack,
            "--json",
            user="bob",
        )
    ).json()
    approval = decided["approvals"][0]["ref"]  # type: ignore[index]
    _ok(run("approval", "verify", approval))
    _ok(run("action", "add", "Reweigh", "--owner", "cy", "--due", _in_days(10), "--risk", "RISK-1"))
    refused = run("action", "update", "ACT-1", "--status", "done")
    assert refused.code == 2
    assert "without evidence" in refused.err
    _ok(run("action", "update", "ACT-1", "--status", "done", "--evidence", "EV-1"))
    _ok(
        run(
            "incident",
            "open",
            "Complaints",
            "--severity",
            "sev3",
            "--occurred",
            "2025-01-01T10:00",
            "--model-version",
            "credit:1",
            "--cohort",
            "age<25",
        )
    )
    bundle = _ok(run("incident", "bundle", "INC-1", "--output", tmp_path / "b.zip", "--json"))
    assert bundle.json()["files"] > 0  # type: ignore[index]
    _ok(run("incident", "close", "INC-1", "--root-cause", "drift", "--postmortem", "held"))
    csv_text = _ok(run("kpis", "--from", "2020-01-01", "--to", "2099-12-31", "--format", "csv")).out
    assert csv_text.splitlines()[0] == "key,name,value,unit,n,target,start,end"
    kpis = _ok(run("kpis", "--from", "2020-01-01", "--to", "2099-12-31", "--json")).json()
    values = {k["key"]: k["value"] for k in kpis["kpis"]}  # type: ignore[index]
    assert values["reviews_completed"] == 1.0
    assert values["evidence_traceability"] == 100.0
    for args in (
        ["system", "list"],
        ["system", "show", "credit"],
        ["model-version", "list", "credit"],
        ["dataset-version", "list"],
        ["evidence", "list", "--all"],
        ["review", "list"],
        ["review", "show", "REV-1"],
        ["risk", "list"],
        ["risk", "show", "RISK-1"],
        ["action", "list"],
        ["waiver", "list"],
        ["waiver", "show", "WVR-1"],
        ["incident", "list"],
        ["incident", "show", "INC-1"],
        ["approval", "list"],
        ["user", "list"],
        ["audit", "log", "--entity", "RISK-1"],
        ["db", "status"],
        ["risk", "categories", "--generative"],
        ["review", "questionnaire"],
    ):
        json.loads(_ok(run(*args, "--json")).out)
    for args in (["system", "show", "credit"], ["review", "show", "REV-1"], ["risk", "list"]):
        assert "credit" in _ok(run(*args)).out
    report = _ok(run("audit", "verify", "--blobs", "--json")).json()
    assert report["ok"] is True  # type: ignore[index]
    _ok(run("export", tmp_path / "export"))
    _ok(run("backup", tmp_path / "backup.zip"))
    restored = _ok(
        run("restore", tmp_path / "backup.zip", "--into", tmp_path / "restored", "--json")
    ).json()
    assert restored["head_hash"] == report["head_hash"]  # type: ignore[index]
    _ok(run("import", tmp_path / "export", "--into", tmp_path / "imported"))


def _in_days(days: int) -> str:
    import datetime as dt

    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def test_audit_verify_names_a_hand_edit(cli: object, db_url: str) -> None:
    run = cli  # type: ignore[assignment]
    _ok(run("init", "--db", db_url))
    _ok(run("system", "add", "credit", "--purpose", "p", "--owner", "ada"))
    assert "OK: 2 audit events" in _ok(run("audit", "verify")).out
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE ai_systems SET owner = 'mallory'")
    engine.dispose()
    broken = run("audit", "verify")
    assert broken.code == 1
    assert "BROKEN" in broken.out
    assert "ai_systems:1 was edited outside Assay" in broken.out


def test_errors_are_one_clear_line(cli: object) -> None:
    run = cli  # type: ignore[assignment]
    missing = run("system", "list")
    assert missing.code == 2
    assert "No Assay workspace" in missing.err
    assert "assay init" in missing.err
    _ok(run("init"))
    unknown = run("system", "show", "nope", user="ada")
    assert unknown.code == 2
    assert "assay system list" in unknown.err
    stranger = run("system", "add", "x", "--purpose", "p", "--owner", "o", user="zed")
    assert stranger.code == 2
    assert "assay user add zed" in stranger.err
    bad = run("kpis", "--format", "xml")
    assert bad.code == 2


def test_real_process_exit_codes(tmp_path: Path) -> None:
    from assay import governance as g

    g.init_workspace(tmp_path, user="ada").close()
    env = {"ASSAY_USER": "ada", "PATH": "/usr/bin:/bin"}
    again = subprocess.run(
        [sys.executable, "-m", "assay", "init", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert again.returncode == 2
    assert "already has an Assay workspace" in again.stderr
    assert "Traceback" not in again.stderr


MY_MODULES = {
    f"assay.cli._{m}"
    for m in ("workspace", "system", "evidence", "review", "risk", "waiver", "incident", "audit")
}


def test_every_governance_command_is_documented() -> None:
    import typer.main

    from assay.cli._app import app

    doc = (Path(__file__).parents[2] / "docs" / "cli-governance.md").read_text()
    groups = [
        "db",
        "user",
        "system",
        "model-version",
        "dataset-version",
        "evidence",
        "review",
        "approval",
        "risk",
        "action",
        "waiver",
        "incident",
        "audit",
    ]
    click_app = typer.main.get_command(app)
    ctx = typer.Context(click_app)
    for group in groups:
        sub = click_app.get_command(ctx, group)  # type: ignore[attr-defined]
        for name, command in sub.commands.items():
            module = getattr(command.callback, "__module__", "")
            if module not in MY_MODULES:
                continue  # commands other parts add to these groups are documented there
            assert f"assay {group} {name}" in doc, f"assay {group} {name} is not documented"
    for name in ("init", "kpis", "export", "import", "backup", "restore"):
        assert f"assay {name}" in doc
