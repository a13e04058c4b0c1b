"""Pushers against HTTP servers on loopback that check each request against the API's shape.

Shapes from the APIs' documentation: Jira REST v2/v3 "Create issue" (``POST /rest/api/N/issue``,
``fields.project.key``, ``fields.summary``, ``fields.issuetype.name``, description as text in v2 and
as an Atlassian Document Format ``doc`` in v3; 201 with ``id``, ``key``, ``self``), GitHub REST
"Create an issue" (``POST /repos/OWNER/REPO/issues`` with ``title``, ``body``, ``labels``; 201 with
``number`` and ``html_url``), Slack incoming webhooks (``POST`` of ``{"text": ...}``; 200 ``ok``).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assay.errors import AssayError, InputError
from assay.gate import GateResult, RuleOutcome, post_gate_to_webhook
from assay.integrations import (
    create_github_issue,
    create_jira_issue,
    integration_config,
)

Check = Callable[[str, dict[str, str], Any], tuple[int, Any]]


class _Server:
    def __init__(self, check: Check) -> None:
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.failures: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    body = json.loads(raw)
                    owner.requests.append((self.path, headers, body))
                    status, reply = check(self.path, headers, body)
                except AssertionError as exc:  # a malformed request: record and refuse it
                    owner.failures.append(str(exc))
                    status, reply = 400, {"errorMessages": [str(exc)]}
                data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Check], _Server]]:
    servers: list[_Server] = []

    def start(check: Check) -> _Server:
        servers.append(_Server(check))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _jira_check(version: int) -> Check:
    def check(path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        assert path == f"/rest/api/{version}/issue", path
        assert headers["content-type"] == "application/json"
        assert headers["authorization"] == "Basic " + base64.b64encode(b"ada@x.org:s3cret").decode()
        fields = body["fields"]
        assert set(fields) <= {"project", "summary", "issuetype", "description", "labels"}
        assert fields["project"] == {"key": "RAI"}
        assert isinstance(fields["summary"], str)
        assert fields["issuetype"] == {"name": "Task"}
        if version == 2:
            assert isinstance(fields["description"], str)
        else:
            doc = fields["description"]
            assert doc["type"] == "doc"
            assert doc["version"] == 1
            for para in doc["content"]:
                assert para["type"] == "paragraph"
                assert all(t["type"] == "text" and t["text"] for t in para["content"])
        assert all(" " not in label for label in fields.get("labels", []))
        return 201, {"id": "10001", "key": "RAI-7", "self": "http://x/rest/api/3/issue/10001"}

    return check


@pytest.mark.parametrize("version", [2, 3])
def test_jira_create_issue(
    version: int, serve: Callable[[Check], _Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(_jira_check(version))
    monkeypatch.setenv("T_JIRA_USER", "ada@x.org")
    monkeypatch.setenv("T_JIRA_TOKEN", "s3cret")
    config = {
        "url": server.url, "project": "RAI", "api_version": version,
        "user_env": "T_JIRA_USER", "token_env": "T_JIRA_TOKEN",
    }  # fmt: skip
    issue = create_jira_issue(
        config, summary="Mitigate RSK-1", description="Gap by sex.\nReweigh.", labels=["rai gate"]
    )
    assert server.failures == []
    assert issue.id == "RAI-7"
    assert issue.url == f"{server.url}/browse/RAI-7"


def test_github_create_issue(
    serve: Callable[[Check], _Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    def check(path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        assert path == "/repos/acme/loans/issues"
        assert headers["authorization"] == "Bearer ghp_test"
        assert headers["accept"] == "application/vnd.github+json"
        assert headers["x-github-api-version"] == "2022-11-28"
        assert "user-agent" in headers
        assert set(body) <= {"title", "body", "labels", "assignees", "milestone"}
        assert isinstance(body["title"], str)
        return 201, {"number": 42, "html_url": "https://github.com/acme/loans/issues/42"}

    server = serve(check)
    monkeypatch.setenv("T_GH_TOKEN", "ghp_test")
    config = {"repo": "acme/loans", "api_url": server.url, "token_env": "T_GH_TOKEN"}
    issue = create_github_issue(config, title="Mitigate RSK-1", body="…", labels=["rai"])
    assert server.failures == []
    assert (issue.id, issue.url) == ("42", "https://github.com/acme/loans/issues/42")


def _gate() -> GateResult:
    fail = RuleOutcome(
        "fairness.demographic_parity_difference", "fail", "sex", "0.3", "at most 0.1",
        "too wide", "Mitigate", "r.json",
    )  # fmt: skip
    return GateResult("P 1", "p.yaml", "loans", "clf@1.0", "high", "pre-launch", (fail,))


def test_webhook_retries_with_backoff_then_posts(
    serve: Callable[[Check], _Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def check(path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        assert headers["content-type"] == "application/json"
        assert set(body) == {"text"}
        calls.append(body["text"])
        return (503, b"busy") if len(calls) < 3 else (200, b"ok")

    server = serve(check)
    monkeypatch.setenv("T_HOOK", f"{server.url}/services/T0/B0/X")
    sleeps: list[float] = []
    monkeypatch.setattr("assay.integrations._http.time.sleep", sleeps.append)
    post_gate_to_webhook({"url_env": "T_HOOK"}, _gate())
    assert len(calls) == 3
    assert sleeps == [0.5, 1.0]
    assert "Assay gate FAIL" in calls[-1]
    assert "fairness.demographic_parity_difference" in calls[-1]


def test_refusals_and_unreachable_are_errors(
    serve: Callable[[Check], _Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(lambda p, h, b: (401, {"message": "Bad credentials"}))
    monkeypatch.setenv("T_GH_TOKEN", "wrong")
    with pytest.raises(InputError, match=r"GitHub refused.*401.*Bad credentials"):
        create_github_issue(
            {"repo": "a/b", "api_url": server.url, "token_env": "T_GH_TOKEN"}, title="t", body="b"
        )
    monkeypatch.setattr("assay.integrations._http.time.sleep", lambda s: None)
    monkeypatch.setenv("T_HOOK", "http://127.0.0.1:9/hook")  # the discard port: nothing listens
    with pytest.raises(AssayError, match="failed after 4 attempts: unreachable"):
        post_gate_to_webhook({"url_env": "T_HOOK"}, _gate())
    monkeypatch.delenv("T_HOOK")
    with pytest.raises(InputError, match="T_HOOK"):
        post_gate_to_webhook({"url_env": "T_HOOK"}, _gate())


def test_config_keeps_secrets_out_of_the_file(tmp_path: Path) -> None:
    (tmp_path / ".assay").mkdir()
    cfg = tmp_path / ".assay" / "config.toml"
    cfg.write_text('[integrations.github]\nrepo = "a/b"\ntoken_env = "GH"\n')
    assert integration_config(tmp_path, "github") == {"repo": "a/b", "token_env": "GH"}
    cfg.write_text('[integrations.github]\nrepo = "a/b"\ntoken = "ghp_leak"\n')
    with pytest.raises(InputError, match="environment variables only"):
        integration_config(tmp_path, "github")


def test_gate_notify_posts_failures_to_the_webhook(
    serve: Callable[[Check], _Server],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gate"))
    from gate_support import fairness_payload, predictions, write_policy

    from assay import governance as g

    posted: list[Any] = []
    refuse: list[bool] = []

    def check(path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        assert path == "/services/T0/B0/X"
        assert headers["content-type"] == "application/json"
        assert set(body) == {"text"}
        posted.append(body["text"])
        return (400, b"invalid_payload") if refuse else (200, b"ok")

    server = serve(check)
    g.init_workspace(tmp_path, user="ada").close()
    policy = str(write_policy(tmp_path / "p.yaml"))
    biased, fair = tmp_path / "biased.json", tmp_path / "fair.json"
    biased.write_text(
        json.dumps(fairness_payload(predictions(tmp_path / "b.csv", rate_a=0.5, rate_b=0.2)))
    )
    fair.write_text(
        json.dumps(fairness_payload(predictions(tmp_path / "f.csv", rate_a=0.3, rate_b=0.3)))
    )
    gate = ["gate", "--policy", policy, "--notify", "--workspace", str(tmp_path), "--json"]

    # Not configured: an error before gating (exit 2), never a silent skip.
    code, out, err = _cli(monkeypatch, capsys, *gate, str(biased))
    assert (code, out) == (2, "")
    assert "has no [integrations.webhook] table" in err
    with (tmp_path / ".assay" / "config.toml").open("a") as fh:
        fh.write('\n[integrations.webhook]\nurl_env = "T_HOOK"\n')
    code, out, err = _cli(monkeypatch, capsys, *gate, str(biased))
    assert (code, out) == (2, "")
    assert "T_HOOK" in err
    assert posted == []

    monkeypatch.setenv("T_HOOK", f"{server.url}/services/T0/B0/X")
    code, out, _ = _cli(monkeypatch, capsys, *gate, str(biased))
    assert code == 1
    assert json.loads(out)["decision"] == "fail"
    assert server.failures == []
    (text,) = posted
    assert text.startswith("*Assay gate FAIL* for evaluation results (Test policy 2, pre-launch)")
    assert "`fairness.demographic_parity_difference` sex:" in text

    # A pass is not posted.
    code, _, _ = _cli(monkeypatch, capsys, *gate, str(fair))
    assert code == 0
    assert len(posted) == 1

    # The webhook refuses: the gate's decision (exit 1) stands, with a warning.
    refuse.append(True)
    code, out, err = _cli(monkeypatch, capsys, *gate, str(biased))
    assert code == 1
    assert json.loads(out)["decision"] == "fail"
    assert "warning: the decision was not posted to the webhook" in err
    assert "HTTP 400 Bad Request: invalid_payload" in err
    assert len(posted) == 2


# Remediation actions pushed to a tracker: `assay action push ACT-N --to jira|github`.


def _workspace(root: Path, config: str) -> None:
    from assay import governance as g

    with g.init_workspace(root, user="ada") as ws:
        g.add_system(ws, "loans", purpose="Scores loans", owner="ada", risk_tier="high")
        g.add_risk(
            ws, system="loans", title="Selection-rate gap by sex", category="1.1",
            likelihood=4, severity=4, owner="ada",
        )  # fmt: skip
        g.add_action(
            ws, title="Reweigh the training data", owner="ada", due_date="2027-01-15",
            risk="RISK-1", description="Reweigh by sex and retrain.",
        )  # fmt: skip
    with (root / ".assay" / "config.toml").open("a") as fh:
        fh.write(config)


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    import sys

    from assay.cli import main

    monkeypatch.setattr(sys, "argv", ["assay", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


def test_action_push_to_jira_is_recorded_audited_and_idempotent(
    serve: Callable[[Check], _Server],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from assay import governance as g

    shape = _jira_check(3)
    created: list[Any] = []

    def check(path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        shape(path, headers, body)
        created.append(body["fields"])
        key = f"RAI-{6 + len(created)}"
        return 201, {"id": str(10000 + len(created)), "key": key, "self": f"http://x/{key}"}

    server = serve(check)
    _workspace(
        tmp_path,
        f'\n[integrations.jira]\nurl = "{server.url}"\nproject = "RAI"\n'
        'user_env = "T_JIRA_USER"\ntoken_env = "T_JIRA_TOKEN"\n',
    )
    monkeypatch.setenv("T_JIRA_USER", "ada@x.org")
    monkeypatch.setenv("T_JIRA_TOKEN", "s3cret")
    ws_opt = ["--workspace", str(tmp_path)]

    code, out, err = _cli(monkeypatch, capsys, "action", "push", "ACT-1", "--to", "jira", *ws_opt)
    assert (code, err) == (0, "")
    assert f"Pushed ACT-1 to jira issue RAI-7: {server.url}/browse/RAI-7" in out
    assert server.failures == []
    (fields,) = created
    assert fields["summary"] == "[ACT-1] Reweigh the training data"
    text = " ".join(t["text"] for p in fields["description"]["content"] for t in p["content"])
    assert "Reweigh by sex and retrain." in text
    assert "risk RISK-1 of the AI system loans: Selection-rate gap by sex" in text
    assert "due 2027-01-15" in text

    code, out, _ = _cli(monkeypatch, capsys, "action", "show", "ACT-1", "--json", *ws_opt)
    shown = json.loads(out)
    assert (shown["remote_system"], shown["remote_id"]) == ("jira", "RAI-7")
    assert shown["remote_url"] == f"{server.url}/browse/RAI-7"

    # Again: nothing is sent, the existing issue is reported.
    code, out, _ = _cli(monkeypatch, capsys, "action", "push", "ACT-1", "--to", "jira", *ws_opt)
    assert code == 0
    assert "already linked to jira issue RAI-7" in out
    assert len(created) == 1
    code, out, _ = _cli(
        monkeypatch, capsys, "action", "push", "ACT-1", "--to", "jira", "--json", *ws_opt
    )
    assert json.loads(out)["created"] is False
    assert len(created) == 1

    # --force creates another issue and links that one; the old link stays in the audit log.
    code, out, _ = _cli(
        monkeypatch, capsys, "action", "push", "ACT-1", "--to", "jira", "--force", "--json", *ws_opt
    )
    pushed = json.loads(out)
    assert (code, pushed["created"], pushed["action"]["remote_id"]) == (0, True, "RAI-8")
    assert pushed["replaced_url"] == f"{server.url}/browse/RAI-7"
    assert len(created) == 2

    with g.open_workspace(tmp_path) as ws:
        pushes = [e for e in g.audit_log(ws, entity="ACT-1") if e.action == "action.push"]
        assert [e.note for e in pushes] == [
            f"jira RAI-7 {server.url}/browse/RAI-7",
            f"jira RAI-8 {server.url}/browse/RAI-8",
        ]
        assert pushes[1].changes[0]["before"]["remote_id"] == "RAI-7"
        assert g.verify_audit(ws).ok


def test_action_push_to_github_with_labels(
    serve: Callable[[Check], _Server], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assay import governance as g
    from assay.integrations import push_action

    bodies: list[Any] = []

    def check(path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        assert path == "/repos/acme/loans/issues"
        assert headers["authorization"] == "Bearer ghp_test"
        assert headers["accept"] == "application/vnd.github+json"
        assert set(body) <= {"title", "body", "labels", "assignees", "milestone"}
        assert isinstance(body["title"], str)
        assert isinstance(body["body"], str)
        bodies.append(body)
        return 201, {"number": 42, "html_url": "https://github.com/acme/loans/issues/42"}

    server = serve(check)
    _workspace(
        tmp_path,
        f'\n[integrations.github]\nrepo = "acme/loans"\napi_url = "{server.url}"\n'
        'token_env = "T_GH_TOKEN"\nlabels = ["responsible-ai", "assay"]\n',
    )
    monkeypatch.setenv("T_GH_TOKEN", "ghp_test")
    with g.open_workspace(tmp_path) as ws:
        pushed = push_action(ws, "ACT-1", to="github")
        assert pushed.created
        assert (pushed.action.remote_system, pushed.action.remote_id) == ("github", "42")
        assert pushed.action.remote_url == "https://github.com/acme/loans/issues/42"
        assert g.get_action(ws, 1).remote_id == "42"
        # Already linked to GitHub: asking for Jira reports the GitHub issue and sends nothing.
        again = push_action(ws, "ACT-1", to="jira")
        assert not again.created
        assert again.action.remote_system == "github"
    assert server.failures == []
    (body,) = bodies
    assert body["labels"] == ["responsible-ai", "assay"]
    assert body["title"] == "[ACT-1] Reweigh the training data"
    assert "assay action update ACT-1 --status done" in body["body"]


def test_action_push_refusals_send_nothing(
    serve: Callable[[Check], _Server],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from assay import governance as g
    from assay.errors import ConflictError, NotFoundError, PermissionDeniedError, TransitionError
    from assay.integrations import push_action

    calls: list[Any] = []
    server = serve(lambda p, h, b: (calls.append(b), (401, {"message": "Bad credentials"}))[1])
    _workspace(
        tmp_path,
        f'\n[integrations.github]\nrepo = "acme/loans"\napi_url = "{server.url}"\n'
        'token_env = "T_GH_TOKEN"\n',
    )
    monkeypatch.setenv("T_GH_TOKEN", "wrong")
    ws_opt = ["--workspace", str(tmp_path)]

    code, _, err = _cli(monkeypatch, capsys, "action", "push", "ACT-1", "--to", "slack", *ws_opt)
    assert code == 2
    assert "'slack' is not an issue tracker" in err
    code, _, err = _cli(monkeypatch, capsys, "action", "push", "ACT-1", "--to", "jira", *ws_opt)
    assert code == 2
    assert "no [integrations.jira] table" in err
    code, _, err = _cli(monkeypatch, capsys, "action", "push", "ACT-9", "--to", "github", *ws_opt)
    assert code == 2
    assert "ACT-9" in err
    assert calls == []

    # The tracker refuses: an error naming it, and the action stays unlinked.
    code, _, err = _cli(monkeypatch, capsys, "action", "push", "ACT-1", "--to", "github", *ws_opt)
    assert code == 2
    assert "GitHub refused" in err
    assert "401" in err
    assert len(calls) == 1

    with g.open_workspace(tmp_path) as ws:
        assert g.get_action(ws, 1).remote_id is None
        g.add_user(ws, "vic", role="viewer")
        ws.user = "vic"
        with pytest.raises(PermissionDeniedError, match="may not edit remediation actions"):
            push_action(ws, "ACT-1", to="github")
        ws.user = "ada"
        g.update_action(ws, "ACT-1", status="cancelled", note="Superseded by ACT-2")
        with pytest.raises(TransitionError, match="ACT-1 is cancelled"):
            push_action(ws, "ACT-1", to="github")
        assert len(calls) == 1

        # A link made by hand (or by another push) is not silently replaced.
        g.update_action(ws, "ACT-1", status="open", note="Back on")
        g.link_action_remote(ws, "ACT-1", system="jira", remote_id="RAI-1", url="https://j/RAI-1")
        with pytest.raises(ConflictError, match="already linked to jira issue RAI-1"):
            g.link_action_remote(ws, "ACT-1", system="github", remote_id="1", url="https://g/1")
        with pytest.raises(NotFoundError):
            g.link_action_remote(ws, "ACT-5", system="jira", remote_id="RAI-2", url="https://j/2")
        with pytest.raises(InputError, match="must start with https://"):
            g.link_action_remote(
                ws, "ACT-1", system="jira", remote_id="RAI-2", url="ftp://j", replace=True
            )
        assert g.verify_audit(ws).ok


def test_action_push_that_loses_a_race_names_the_duplicate(
    serve: Callable[[Check], _Server], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Another process links the action while this push's request is in flight."""
    from assay import governance as g
    from assay.errors import ConflictError
    from assay.integrations import push_action

    def check(path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        with g.open_workspace(tmp_path, user="ada") as other:
            g.link_action_remote(other, "ACT-1", system="github", remote_id="7",
                                 url="https://github.com/acme/loans/issues/7")  # fmt: skip
        return 201, {"number": 8, "html_url": "https://github.com/acme/loans/issues/8"}

    server = serve(check)
    _workspace(
        tmp_path,
        f'\n[integrations.github]\nrepo = "acme/loans"\napi_url = "{server.url}"\n'
        'token_env = "T_GH_TOKEN"\n',
    )
    monkeypatch.setenv("T_GH_TOKEN", "ghp_test")
    with g.open_workspace(tmp_path) as ws:
        with pytest.raises(ConflictError, match=r"issues/8, is a duplicate: close it"):
            push_action(ws, "ACT-1", to="github")
        assert g.get_action(ws, 1).remote_id == "7"
