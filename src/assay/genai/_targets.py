"""Targets: what a red-team run sends its prompts to.

Three kinds, one interface (:class:`Target`):

- :class:`HttpTarget` — an OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI's
  compatible route, vLLM, llama.cpp's server, Ollama, LiteLLM...). The API key is read from an
  environment variable and never written anywhere.
- :class:`CallableTarget` — a Python function ``module:function`` that takes the messages.
- :class:`CommandTarget` — a shell command ``cmd:...`` that reads the request as JSON on stdin
  and writes the reply on stdout.

A target raises :class:`TargetError` for a failed call; ``retryable`` tells the runner whether
backing off and trying again can help (HTTP 429 and 5xx, dropped connections). The runner retries
under Assay's one retry policy (:class:`assay.integrations.RetryPolicy`).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast, runtime_checkable
from urllib.parse import urlsplit

from assay.errors import AssayError, InputError
from assay.integrations import RefusedError, Transient, request_once

__all__ = [
    "CallableTarget",
    "CommandTarget",
    "Completion",
    "HttpTarget",
    "Target",
    "TargetError",
    "parse_target",
]

Message = Mapping[str, str]
T = TypeVar("T")

#: What a reply may carry besides its text: the passages a retrieval target used and the
#: tool calls an agent made (OpenAI ``tool_calls``).
EXTRA_KEYS = ("retrieved", "tool_calls")


def _extra(*sources: Any) -> dict[str, Any]:
    """The :data:`EXTRA_KEYS` found in the first of ``sources`` (mappings) that has each."""
    out: dict[str, Any] = {}
    for source in sources:
        if isinstance(source, Mapping):
            for key in EXTRA_KEYS:
                if key not in out and source.get(key) is not None:
                    out[key] = source[key]
    return out


@dataclass(frozen=True)
class Completion:
    """A target's reply: the text and, when the target says, the model and token usage.

    ``extra`` holds what a retrieval or agent target returns besides the text, under the keys
    of :data:`EXTRA_KEYS` (``retrieved`` passages, OpenAI ``tool_calls``), read from the
    response's top level or its first choice's message.
    """

    text: str
    model: str | None = None
    finish_reason: str | None = None
    usage: Mapping[str, int] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (what the response cache stores)."""
        out: dict[str, Any] = {
            "text": self.text,
            "model": self.model,
            "finish_reason": self.finish_reason,
            "usage": dict(self.usage),
        }
        if self.extra:
            out["extra"] = dict(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Completion:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            str(data["text"]),
            data.get("model"),
            data.get("finish_reason"),
            dict(data.get("usage") or {}),
            dict(data.get("extra") or {}),
        )


class TargetError(AssayError):
    """A call to a target failed.

    Attributes
    ----------
    reason
        What went wrong, for the run's records (``HTTP 500: ...``, ``timed out after 30 s``).
    retryable
        Whether trying again later can help (HTTP 429 and 5xx, dropped connections).
    retry_after
        Seconds the target asked to wait (a ``Retry-After`` header), if it said.
    attempts
        Calls made before giving up (set by the runner).
    """

    def __init__(self, reason: str, *, retryable: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.attempts = 1


@runtime_checkable
class Target(Protocol):
    """What the runner needs from a target."""

    @property
    def identity(self) -> dict[str, Any]:
        """What identifies the target's behaviour (kind, URL, model, parameters; never a
        secret). It is part of the response-cache key and is written in the run manifest."""
        ...

    def complete(self, messages: Sequence[Message], *, timeout: float) -> Completion:
        """Send one chat request and return the reply, or raise :class:`TargetError`."""
        ...

    def close(self) -> None:
        """Release connections; calls in progress in other threads fail promptly. The target
        stays usable."""
        ...


# ------------------------------------------------------------------------------ HTTP


class HttpTarget:
    """An OpenAI-compatible ``/chat/completions`` endpoint, called through Assay's one HTTP
    client (:func:`assay.integrations.request_once`).

    Parameters
    ----------
    base_url
        The API's base URL as the OpenAI SDK takes it (``https://api.openai.com/v1``,
        ``http://127.0.0.1:8000/v1``); ``/chat/completions`` is appended unless the URL
        already ends with it.
    model
        The ``model`` field of each request.
    api_key_env
        The environment variable holding the API key, sent as ``Authorization: Bearer``.
        When it is not set, no key is sent (local servers), unless ``require_key``.
    require_key
        Fail when the variable is not set (the CLI sets this when ``--api-key-env`` is given).
    temperature, max_tokens
        Sent with each request; ``temperature`` defaults to 0 for repeatable runs.
    extra_body
        More JSON fields for each request (``{"seed": 7}``).
    headers
        More HTTP headers (not secrets: they are recorded in the manifest).

    Examples
    --------
    >>> HttpTarget("http://127.0.0.1:9/v1", model="m").identity["url"]
    'http://127.0.0.1:9/v1/chat/completions'
    """

    def __init__(
        self,
        base_url: str,
        *,
        model: str,
        api_key_env: str = "OPENAI_API_KEY",
        require_key: bool = False,
        temperature: float | None = 0.0,
        max_tokens: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(
                f"The target URL {base_url!r} must start with http:// or https:// and name a "
                "host, for example http://127.0.0.1:8000/v1."
            )
        if not model or not isinstance(model, str):
            raise InputError("An HTTP target needs a model name; pass --model NAME.")
        path = parts.path.rstrip("/")
        if not path.endswith("/chat/completions"):
            path += "/chat/completions"
        self.url = f"{parts.scheme}://{parts.netloc}{path}"
        self._endpoint = self.url + (f"?{parts.query}" if parts.query else "")
        self.model = model
        self.api_key_env = api_key_env
        key = os.environ.get(api_key_env) if api_key_env else None
        if require_key and not key:
            raise InputError(
                f"The environment variable {api_key_env} that should hold the API key is not "
                f"set. Set it (export {api_key_env}=...) or leave out --api-key-env for a "
                "server that needs no key."
            )
        self._key = key
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.extra_body = dict(extra_body or {})
        self.headers = dict(headers or {})
        self._closed = threading.Condition()
        self._closes = 0  # close() calls so far: a call that sees it change was stopped

    @property
    def identity(self) -> dict[str, Any]:
        """Kind, URL, model and request parameters (never the key)."""
        return {
            "kind": "http",
            "url": self.url,
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "extra_body": self.extra_body,
            "api_key_env": self.api_key_env if self._key else None,
        }

    def complete(self, messages: Sequence[Message], *, timeout: float) -> Completion:
        """POST one chat-completions request; see :class:`TargetError` for failures."""
        body: dict[str, Any] = {"model": self.model, "messages": [dict(m) for m in messages]}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        body.update(self.extra_body)
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json", **self.headers}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        status, data = self._post(payload, headers, timeout)
        if status != 200:
            raise TargetError(f"HTTP {status} {_phrase(status)}: {_snippet(data)}")
        return _parse_chat_response(data)

    def _post(self, payload: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
        """One call through the project's HTTP client; its failures as :class:`TargetError`."""
        try:
            return self._unless_closed(
                lambda: request_once(self._endpoint, payload, headers=headers, timeout=timeout)
            )
        except Transient as exc:
            if exc.timed_out:
                raise TargetError(f"timed out after {timeout:g} s") from None
            # request_once words a failed status "HTTP <status> <reason>: <body>"; anything
            # else is the connection: refused, reset, dropped before the answer
            if exc.reason.startswith("HTTP "):
                raise TargetError(exc.reason, retryable=True, retry_after=exc.retry_after) from None
            raise TargetError(f"cannot reach {self.url}: {exc.reason}", retryable=True) from None
        except RefusedError as exc:
            raise self._refused(str(exc)) from None

    def _refused(self, text: str) -> TargetError:
        """A 4xx answer; a refused key says where the key comes from."""
        if not text.startswith(("HTTP 401", "HTTP 403")):
            return TargetError(text)
        status, _, detail = text.partition(": ")
        return TargetError(
            f"{status}: the server refused the credentials; check the API key in "
            f"{self.api_key_env}. {detail or '(empty body)'}"
        )

    def _unless_closed(self, call: Callable[[], T]) -> T:
        """``call()`` on a helper thread, waited for until it returns or :meth:`close` is
        called: a call held by a target that does not answer cannot hold up a stopped run."""
        with self._closed:
            closes = self._closes
        outcome: list[tuple[bool, Any]] = []  # (returned, its value or the exception raised)

        def attempt() -> None:
            try:
                ended: tuple[bool, Any] = (True, call())
            except BaseException as exc:  # handed over to the caller's thread
                ended = (False, exc)
            with self._closed:
                outcome.append(ended)
                self._closed.notify_all()

        threading.Thread(target=attempt, name="assay-target-call", daemon=True).start()
        with self._closed:
            self._closed.wait_for(lambda: bool(outcome) or self._closes != closes)
        if not outcome:
            raise TargetError("stopped: the target was closed during the call")
        returned, value = outcome[0]
        if not returned:
            raise value
        return cast(T, value)

    def close(self) -> None:
        """Stop waiting for the calls in progress (they fail with ``stopped``); later calls
        proceed as usual."""
        with self._closed:
            self._closes += 1
            self._closed.notify_all()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _snippet(data: bytes, limit: int = 200) -> str:
    text = data.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "") if text else "(empty body)"


def _parse_chat_response(data: bytes) -> Completion:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TargetError(
            f"malformed JSON in the response: {exc}; body: {_snippet(data)}"
        ) from None
    if not isinstance(doc, dict):
        raise TargetError(f"the response is not a JSON object: {_snippet(data)}")
    if isinstance(doc.get("error"), dict):
        raise TargetError(
            f"the server returned an error: {doc['error'].get('message', doc['error'])}"
        )
    choices = doc.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise TargetError(f"the response has no 'choices': {_snippet(data)}")
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    extra = _extra(message, doc)
    if content is None and "tool_calls" in extra:
        content = ""  # an agent's turn that only calls tools
    if not isinstance(content, str):
        raise TargetError(f"the response's first choice has no text content: {_snippet(data)}")
    raw_usage = doc.get("usage")
    usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
    return Completion(
        content,
        doc.get("model") if isinstance(doc.get("model"), str) else None,
        choices[0].get("finish_reason"),
        {k: v for k, v in usage.items() if isinstance(v, int)},
        extra,
    )


# -------------------------------------------------------------------------- callable


class CallableTarget:
    """A Python function as a target: ``fn(messages) -> str`` (or a :class:`Completion`, or a
    mapping with ``content``).

    ``messages`` is a list of ``{"role": ..., "content": ...}`` dicts. Exceptions become
    errored cases. The function runs in the runner's worker threads, so it must be
    thread-safe at the chosen concurrency; the timeout is not enforced on it.

    Examples
    --------
    >>> CallableTarget(lambda messages: "no", name="demo:echo").complete([], timeout=1).text
    'no'
    """

    def __init__(self, fn: Callable[[list[dict[str, str]]], Any], *, name: str | None = None):
        self.fn = fn
        self.name = name or f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', '?')}"

    @classmethod
    def from_spec(cls, spec: str) -> CallableTarget:
        """Import ``module:function`` (the current folder is searched first)."""
        module_name, _, attr = spec.partition(":")
        if str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise InputError(
                f"Cannot import the module {module_name!r} of the target {spec!r}: {exc}. Run "
                "from the folder that contains it, or install it."
            ) from None
        fn: Any = module
        for part in attr.split("."):
            fn = getattr(fn, part, None)
        if not callable(fn):
            raise InputError(
                f"{module_name!r} has no function {attr!r} (from the target {spec!r})."
            )
        return cls(fn, name=spec)

    @property
    def identity(self) -> dict[str, Any]:
        """Kind and ``module:function``."""
        return {"kind": "callable", "function": self.name}

    def complete(self, messages: Sequence[Message], *, timeout: float) -> Completion:
        """Call the function."""
        try:
            out = self.fn([dict(m) for m in messages])
        except Exception as exc:
            raise TargetError(f"{self.name} raised {type(exc).__name__}: {exc}") from None
        if isinstance(out, Completion):
            return out
        if isinstance(out, str):
            return Completion(out)
        if isinstance(out, Mapping) and (
            isinstance(out.get("content"), str) or out.get("tool_calls")
        ):
            return Completion(str(out.get("content") or ""), extra=_extra(out))
        raise TargetError(
            f"{self.name} returned {type(out).__name__}; it must return the reply as a string."
        )

    def close(self) -> None:
        """Nothing to release."""


# --------------------------------------------------------------------------- command


class CommandTarget:
    """A shell command as a target: it reads ``{"model": ..., "messages": [...]}`` as JSON on
    stdin and writes the reply on stdout (plain text, or an OpenAI-style JSON response).

    A non-zero exit status or a timeout makes the case errored, with the end of stderr.

    Examples
    --------
    >>> import sys
    >>> t = CommandTarget(f"{sys.executable} -c \\"print('hello')\\"")
    >>> t.complete([{"role": "user", "content": "hi"}], timeout=30).text
    'hello'
    """

    def __init__(self, command: str, *, model: str | None = None) -> None:
        try:
            self.argv = shlex.split(command)
        except ValueError as exc:
            raise InputError(f"Cannot parse the target command {command!r}: {exc}.") from None
        if not self.argv:
            raise InputError("The target command is empty; write it after 'cmd:'.")
        self.command = command
        self.model = model

    @property
    def identity(self) -> dict[str, Any]:
        """Kind, command line and model."""
        return {"kind": "command", "command": self.command, "model": self.model}

    def complete(self, messages: Sequence[Message], *, timeout: float) -> Completion:
        """Run the command once."""
        request = json.dumps({"model": self.model, "messages": [dict(m) for m in messages]})
        try:
            proc = subprocess.run(
                self.argv,
                input=request,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise TargetError(f"timed out after {timeout:g} s") from None
        except OSError as exc:
            raise TargetError(f"cannot run {self.argv[0]!r}: {exc}") from None
        if proc.returncode != 0:
            tail = proc.stderr.strip()[-300:] or "(no stderr)"
            raise TargetError(f"the command exited with status {proc.returncode}: {tail}")
        out = proc.stdout.strip()
        if out.startswith("{"):
            try:
                doc = json.loads(out)
            except json.JSONDecodeError:
                return Completion(out)
            if isinstance(doc, dict) and "choices" in doc:
                return _parse_chat_response(out.encode("utf-8"))
            if isinstance(doc, dict) and (
                isinstance(doc.get("content"), str) or doc.get("tool_calls")
            ):
                return Completion(str(doc.get("content") or ""), extra=_extra(doc))
        return Completion(out)

    def close(self) -> None:
        """Nothing to release."""


_CALLABLE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def parse_target(
    spec: str,
    *,
    model: str | None = None,
    api_key_env: str | None = None,
    temperature: float | None = 0.0,
    max_tokens: int | None = None,
) -> Target:
    """Build a target from its command-line form.

    Parameters
    ----------
    spec
        ``http://...`` or ``https://...`` (an OpenAI-compatible base URL), ``module:function``
        or ``cmd:COMMAND``.
    model
        The model name (required for HTTP; passed to commands in the request).
    api_key_env
        For HTTP: the environment variable with the key (required to be set when given);
        default ``OPENAI_API_KEY`` if set.
    temperature, max_tokens
        For HTTP.

    Examples
    --------
    >>> parse_target("cmd:cat").identity["kind"]
    'command'
    """
    if spec.startswith(("http://", "https://")):
        return HttpTarget(
            spec,
            model=model or "",
            api_key_env=api_key_env or "OPENAI_API_KEY",
            require_key=api_key_env is not None,
            temperature=temperature,
            max_tokens=max_tokens,
        )
    if spec.startswith("cmd:"):
        return CommandTarget(spec[4:].strip(), model=model)
    if _CALLABLE.match(spec):
        return CallableTarget.from_spec(spec)
    raise InputError(
        f"Cannot tell what kind of target {spec!r} is. Use an OpenAI-compatible base URL "
        "(http://127.0.0.1:8000/v1), a Python function (package.module:function) or a "
        "command (cmd:python my_model.py)."
    )
