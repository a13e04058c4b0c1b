"""The response cache: successful replies stored under the sha256 of the request.

The key covers the target's identity (kind, URL, model, sampling parameters) and the exact
messages, so a re-run of the same suite against the same target reads the same replies back
without calling it. A model that changed behind an unchanged name and URL would be hidden by the
cache, which is why it is opt-in (``cache=`` / ``--cache DIR``).

One file per entry (``ab/abcdef....json``), written to a temporary name and renamed, so several
threads or processes can share a cache folder.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assay.canonical import canonical_json, sha256_hex
from assay.genai._targets import Completion

__all__ = ["ResponseCache", "request_hash"]


def request_hash(identity: Mapping[str, Any], messages: Sequence[Mapping[str, str]]) -> str:
    """The hex sha256 of the canonical JSON of a target identity and messages.

    Parameters
    ----------
    identity
        The target's :attr:`Target.identity`.
    messages
        The exact messages of the call.

    Returns
    -------
    str
        64 hex digits; the response cache's key.

    Examples
    --------
    >>> a = request_hash({"kind": "http"}, [{"role": "user", "content": "hi"}])
    >>> a == request_hash({"kind": "http"}, [{"content": "hi", "role": "user"}])
    True
    """
    doc = {"target": identity, "messages": [dict(m) for m in messages]}
    return sha256_hex(canonical_json(doc))


class ResponseCache:
    """A folder of cached replies; see the module docstring."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        """The cached reply, or None (a damaged entry counts as missing)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            return Completion.from_dict(data["completion"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, completion: Completion) -> None:
        """Store a reply atomically."""
        path = self._path(key)
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"key": key, "completion": completion.to_dict()}, fh, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
