"""Targets against the real loopback server, a Python callable and a shell command."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from assay.demo.chat_server import ChatServer
from assay.errors import InputError
from assay.genai import CallableTarget, CommandTarget, HttpTarget, TargetError, parse_target


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_http_round_trip_and_keep_alive(chat_server: ChatServer) -> None:
    target = HttpTarget(chat_server.url, model="echo")
    for i in range(5):
        reply = target.complete(user(f"hello {i}"), timeout=60)
        assert reply.text == f"hello {i}"
        assert reply.model == "echo"
        assert reply.usage["total_tokens"] > 0
    target.close()
    assert target.complete(user("again"), timeout=60).text == "again"  # usable after close()
    assert chat_server.stats[200] == 6


@pytest.mark.parametrize(
    ("marker", "retryable", "message"),
    [
        ("[[http500]]", True, "HTTP 500"),
        ("[[ratelimit]]", True, "HTTP 429"),
        ("[[flaky]]", True, "HTTP 503"),
        ("[[malformed]]", False, "malformed JSON"),
        ("[[empty]]", False, "no 'choices'"),
    ],
)
def test_http_faults_are_classified(
    chat_server: ChatServer, marker: str, retryable: bool, message: str
) -> None:
    target = HttpTarget(chat_server.url, model="echo")
    with pytest.raises(TargetError, match=message) as info:
        target.complete(user(f"x {marker}"), timeout=60)
    assert info.value.retryable is retryable
    if marker == "[[ratelimit]]":
        assert info.value.retry_after == pytest.approx(0.01)


def test_http_timeout(chat_server: ChatServer) -> None:
    target = HttpTarget(chat_server.url, model="echo")
    with pytest.raises(TargetError, match=r"timed out after 0\.3 s") as info:
        target.complete(user("slow [[timeout]]"), timeout=0.3)
    assert not info.value.retryable


def test_http_dropped_connection_is_retryable(chat_server: ChatServer) -> None:
    target = HttpTarget(chat_server.url, model="echo")
    with pytest.raises(TargetError, match=r"connection dropped|cannot reach") as info:
        target.complete(user("[[drop]]"), timeout=60)
    assert info.value.retryable


def test_http_api_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with ChatServer(api_key="sekrit") as server:
        monkeypatch.delenv("ASSAY_TEST_KEY", raising=False)
        with pytest.raises(InputError, match=r"ASSAY_TEST_KEY .* is not set"):
            parse_target(server.url, model="echo", api_key_env="ASSAY_TEST_KEY")
        no_key = HttpTarget(server.url, model="echo", api_key_env="ASSAY_TEST_KEY")
        with pytest.raises(TargetError, match=r"HTTP 401.*ASSAY_TEST_KEY"):
            no_key.complete(user("hi"), timeout=60)
        monkeypatch.setenv("ASSAY_TEST_KEY", "sekrit")
        target = parse_target(server.url, model="echo", api_key_env="ASSAY_TEST_KEY")
        assert target.complete(user("hi"), timeout=60).text == "hi"
        assert "sekrit" not in repr(target.identity)


def test_unreachable_server_is_retryable() -> None:
    with ChatServer() as server:
        url = server.url
    target = HttpTarget(url, model="echo")
    with pytest.raises(TargetError, match=r"cannot reach|connection") as info:
        target.complete(user("hi"), timeout=2)
    assert info.value.retryable


def test_url_forms() -> None:
    assert HttpTarget("http://h:1/v1/", model="m").url == "http://h:1/v1/chat/completions"
    full = "https://h/openai/v1/chat/completions"
    assert HttpTarget(full, model="m").url == full
    with pytest.raises(InputError, match="must start with http"):
        HttpTarget("ftp://h", model="m")
    with pytest.raises(InputError, match="needs a model"):
        parse_target("http://127.0.0.1:1/v1")


def test_callable_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_model.py").write_text(
        textwrap.dedent(
            """
            def reply(messages):
                return "you said " + messages[-1]["content"]

            def broken(messages):
                raise RuntimeError("boom")

            def wrong(messages):
                return 42
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    target = parse_target("my_model:reply")
    assert isinstance(target, CallableTarget)
    assert target.complete(user("hi"), timeout=60).text == "you said hi"
    with pytest.raises(TargetError, match="raised RuntimeError: boom"):
        parse_target("my_model:broken").complete(user("hi"), timeout=60)
    with pytest.raises(TargetError, match="returned int"):
        parse_target("my_model:wrong").complete(user("hi"), timeout=60)
    with pytest.raises(InputError, match="has no function 'nope'"):
        parse_target("my_model:nope")
    with pytest.raises(InputError, match="Cannot import the module"):
        parse_target("no_such_module_xyz:f")


def test_command_target(tmp_path: Path) -> None:
    script = tmp_path / "model.py"
    script.write_text(
        textwrap.dedent(
            """
            import json, sys, time
            request = json.load(sys.stdin)
            last = request["messages"][-1]["content"]
            if last == "fail":
                print("bad things", file=sys.stderr); sys.exit(3)
            if last == "slow":
                time.sleep(10)
            if last == "json":
                print(json.dumps({"choices": [{"message": {"content": "from json"}}]}))
            else:
                print(f"model={request['model']} said {last}")
            """
        ),
        encoding="utf-8",
    )
    target = parse_target(f"cmd:{sys.executable} {script}", model="m1")
    assert isinstance(target, CommandTarget)
    assert target.complete(user("hi"), timeout=30).text == "model=m1 said hi"
    assert target.complete(user("json"), timeout=30).text == "from json"
    with pytest.raises(TargetError, match="exited with status 3: bad things"):
        target.complete(user("fail"), timeout=30)
    with pytest.raises(TargetError, match="timed out"):
        target.complete(user("slow"), timeout=0.5)
    with pytest.raises(InputError, match="empty"):
        parse_target("cmd:   ")


def test_unknown_target_form() -> None:
    with pytest.raises(InputError, match="Cannot tell what kind of target"):
        parse_target("not a target")
