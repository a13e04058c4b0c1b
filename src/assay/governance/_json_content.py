"""JSON content Assay reads back later (evaluation results, JSON evidence files), held to the
store's JSON limits when it is recorded.

The gate, documents and the web app parse recorded JSON evidence; a file nested thousands of
levels deep, or holding an integer of thousands of digits, would make each of them crash long
after it was recorded. Recording refuses it instead, naming the file and the limit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.store import check_json_shape

__all__ = ["JSON_CHECK_MAX_BYTES", "check_json_evidence", "check_result"]

JSON_CHECK_MAX_BYTES = 64 * 1024 * 1024
"""JSON evidence files up to this size are parsed and checked when recorded; larger ones (no
evaluation result is) are stored as they are."""


def check_result(result: Mapping[str, Any]) -> None:
    """Refuse an evaluation result nested too deeply, too large, or with giant integers."""
    check_json_shape(result, name="The evaluation result")


def _content(path: Path | None, data: bytes | None) -> bytes | None:
    if data is not None:
        return data if len(data) <= JSON_CHECK_MAX_BYTES else None
    assert path is not None
    if not path.is_file() or path.stat().st_size > JSON_CHECK_MAX_BYTES:
        return None  # a missing file is reported when it is stored
    return path.read_bytes()


def check_json_evidence(
    media_type: str, *, path: Path | None = None, data: bytes | None = None, what: str
) -> None:
    """Refuse JSON evidence (``application/json``) that Assay could not read back: nested deeper
    than :data:`assay.store.JSON_MAX_DEPTH`, or with an integer Python refuses to convert.
    Content that is not JSON at all is stored as a file, as before."""
    if media_type != "application/json":
        return
    content = _content(path, data)
    if content is None:
        return
    try:
        value = json.loads(content)
    except RecursionError:
        raise InputError(
            f"{what} is JSON nested too deeply for Assay to read back; flatten it."
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return  # not JSON: kept as an opaque file
    except ValueError as exc:  # an integer of more digits than Python converts
        raise InputError(f"{what} holds a number Assay cannot read back: {exc}.") from None
    check_json_shape(value, name=what)
