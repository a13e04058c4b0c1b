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
from assay.gate import GateResult, RuleOutcome
from assay.integrations import (
    create_github_issue,
    create_jira_issue,
    integration_config,
    post_gate_to_webhook,
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
    from assay.cli import main

    posted: list[str] = []
    server = serve(lambda p, h, b: (posted.append(b["text"]), (200, b"ok"))[1])
    g.init_workspace(tmp_path, user="ada").close()
    with (tmp_path / ".assay" / "config.toml").open("a") as fh:
        fh.write('\n[integrations.webhook]\nurl_env = "T_HOOK"\n')
    monkeypatch.setenv("T_HOOK", f"{server.url}/hook")
    result = tmp_path / "biased.json"
    result.write_text(
        json.dumps(fairness_payload(predictions(tmp_path / "b.csv", rate_a=0.5, rate_b=0.2)))
    )
    monkeypatch.setattr(
        sys, "argv",
        ["assay", "gate", "--policy", str(write_policy(tmp_path / "p.yaml")), str(result),
         "--notify", "--workspace", str(tmp_path), "--json"],
    )  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main()
    capsys.readouterr()
    assert exc.value.code == 1
    assert len(posted) == 1
    assert "fairness.demographic_parity_difference" in posted[0]
