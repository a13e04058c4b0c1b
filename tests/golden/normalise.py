"""Normalisation of outputs before they are compared with their golden files.

Only what changes from run to run or machine to machine is replaced: the wall clock, durations,
the versions of Assay and Python, temporary folders, loopback ports, and the last bits of floating
point sums. What a user reads as a result (numbers, verdicts, texts, structure, ordering) is left
alone, so that a golden still catches a real change.

Every rule is one entry of :data:`RULES`, applied in order, with the reason the value varies; the
golden files show a placeholder (``<NOW>``, ``<TMP>``, ...) where a value was replaced. Times that
come from a pinned workspace clock (2025) are *not* replaced: only a time within a day of the
moment the tests run is the wall clock.
"""

from __future__ import annotations

import datetime as dt
import platform
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from assay import __version__ as assay_version

__all__ = ["FLOAT_RULE", "RULES", "Rule", "normalise"]

FLOAT_RULE = "last bits of floating point sums"

#: Outputs made while the tests run are stamped between these two moments (widened by a day).
_STARTED = dt.datetime.now(dt.UTC)
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"


@dataclass(frozen=True)
class Rule:
    """Replace ``pattern`` by ``replacement`` (a string or a function of the match)."""

    name: str
    why: str
    pattern: re.Pattern[str]
    replacement: str | Callable[[re.Match[str]], str]


def _is_wall_clock(moment: dt.datetime) -> bool:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)
    return _STARTED - dt.timedelta(days=1) <= moment <= now + dt.timedelta(days=1)


def _iso(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        moment = dt.datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        return text
    return "<NOW>" if _is_wall_clock(moment) else text


def _human(match: re.Match[str]) -> str:
    try:
        moment = dt.datetime.strptime(match.group(0), "%d %b %Y, %H:%M UTC")
    except ValueError:
        return match.group(0)
    return "<NOW>" if _is_wall_clock(moment) else match.group(0)


def _date(match: re.Match[str]) -> str:
    try:
        day = dt.date.fromisoformat(match.group(0))
    except ValueError:
        return match.group(0)
    today = dt.datetime.now(dt.UTC).date()
    return "<TODAY>" if abs((day - today).days) <= 1 else match.group(0)


def _float(match: re.Match[str]) -> str:
    text = match.group(0)
    mantissa = text.split("e")[0].split("E")[0].lstrip("-")
    digits = mantissa.replace(".", "").lstrip("0")
    if len(digits) <= 10:
        return text
    return repr(float(f"{float(text):.10g}"))


def _version(value: str) -> str:
    return rf"(?<![\w.]){re.escape(value)}(?![\w.])"


RULES: list[Rule] = [
    Rule(
        "ansi escapes",
        "terminal styling depends on the terminal (FORCE_COLOR and friends), not on Assay",
        re.compile(r"\x1b\[[0-9;?]*[A-Za-z]"),
        "",
    ),
    Rule(
        "wall-clock timestamps",
        "when a command ran or a result was created; pinned-clock times are kept",
        re.compile(
            r"(?<![\w.:-])\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
            r"(?:Z|[+-]\d{2}:?\d{2})?(?![\w:])"
        ),
        _iso,
    ),
    Rule(
        "wall-clock timestamps, as people read them",
        "the same moments, formatted for a report (7 Dec 2026, 06:57 UTC)",
        re.compile(rf"\b\d{{1,2}} (?:{_MONTHS}) \d{{4}}, \d{{2}}:\d{{2}} UTC"),
        _human,
    ),
    Rule(
        "today's date",
        "dates taken from the wall clock (today); dates from the pinned clock are kept",
        re.compile(r"(?<![\w.:-])\d{4}-\d{2}-\d{2}(?![\w:])"),
        _date,
    ),
    Rule(
        "durations in JSON",
        "measured while running",
        re.compile(
            r'("(?:seconds|total_seconds|predict_seconds|predict_share|elapsed_seconds|'
            r'duration_seconds|latency_ms|overhead_ms|latency_seconds)"\s*:\s*)-?\d+(?:\.\d+)?(?:e-?\d+)?'
        ),
        r"\1<DURATION>",
    ),
    Rule(
        "durations in JUnit XML",
        "measured while running (testsuite and testcase time attributes)",
        re.compile(r'(<test(?:suites?|case)\b[^>]*\btime=")\d+(?:\.\d+)?(")'),
        r"\1<DURATION>\2",
    ),
    Rule(
        "CSRF tokens",
        "a random token per web session (form fields and /api/me)",
        re.compile(r'(csrf_token"(?: value=|:)")[A-Za-z0-9_-]+(")'),
        r"\1<CSRF>\2",
    ),
    Rule(
        "random ids",
        "uuid4 values (run ids) are random; deterministic uuid5 values are kept",
        re.compile(
            r"(?<![\w-])[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(?![\w-])"
        ),
        "<UUID4>",
    ),
    Rule(
        "digests of timed content",
        "the red-team responses digest hashes the replies' timestamps and latencies",
        re.compile(
            r"((?:responses_digest|Responses digest)(?:[^\w<]|</?[a-z]+>){1,12})sha256:[0-9a-f]{64}"
        ),
        r"\1sha256:<DIGEST>",
    ),
    Rule(
        "durations in text",
        "measured while running (robustness timing line)",
        re.compile(r"\d+(?:\.\d+)? s, \d+% of it in the model's predict"),
        "<DURATION> s, <SHARE>% of it in the model's predict",
    ),
    Rule(
        "durations in reports",
        "measured while running (robustness report's run time table, HTML and Markdown)",
        re.compile(
            r"(Total time|Model predict time|Share of time in predict)(</dt><dd>| \| )"
            r"\d+(?:\.\d+)?(?: s|%)"
        ),
        r"\1\2<DURATION>",
    ),
    Rule(
        "elapsed time of a progress bar",
        "measured while running (the bar `assay demo` leaves when it is done)",
        re.compile(r"(━ )\d+:\d{2}:\d{2}(?!\d)"),
        r"\1<ELAPSED>",
    ),
    Rule(
        "Assay's version",
        "changes with every release",
        re.compile(_version(assay_version)),
        "<ASSAY_VERSION>",
    ),
    Rule(
        "Python's version",
        "differs between machines",
        re.compile(_version(platform.python_version())),
        "<PYTHON_VERSION>",
    ),
    Rule(
        "audit chain heads",
        "an approval records the chain's head hash, which covers every record before it, "
        "including the absolute paths of the files the demo read: it differs between checkouts",
        re.compile(r'("chain_hash": ?")[0-9a-f]{64}(")'),
        r"\1<CHAIN_HASH>\2",
    ),
    Rule(
        "loopback ports",
        "servers started by the tests bind port 0",
        re.compile(r"(127\.0\.0\.1|localhost):\d{2,5}"),
        r"\1:<PORT>",
    ),
    Rule(
        FLOAT_RULE,
        "polars sums groups in varying order, so e.g. 3.111811 prints as 3.1118110000000003 on "
        "some runs; a float with more than 10 significant digits is rounded to 10",
        re.compile(r"(?<![\w.])-?\d+\.\d+(?:[eE][-+]?\d+)?(?![\w.])"),
        _float,
    ),
]


def normalise(
    text: str, paths: Mapping[str, str] | None = None, *, skip: Collection[str] = ()
) -> str:
    """Replace what varies between runs and machines in ``text`` by placeholders.

    Parameters
    ----------
    text
        An output as produced.
    paths
        Folder prefixes to replace, longest first (e.g. the temporary root by ``<TMP>``).
    skip
        Names of rules not to apply.

    Returns
    -------
    str
        The text as stored in a golden file (ending in one newline).
    """
    for prefix, placeholder in sorted((paths or {}).items(), key=lambda kv: -len(kv[0])):
        text = text.replace(prefix, placeholder)
    for rule in RULES:
        if rule.name not in skip:
            text = rule.pattern.sub(rule.replacement, text)
    return text.rstrip("\n") + "\n"
