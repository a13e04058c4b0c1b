"""The Prometheus text exposition format (version 0.0.4), written by hand.

Assay writes the few families ``/metrics`` serves itself rather than depend on
``prometheus_client``: the format is small, the values come from the workspace on each scrape
(nothing to register in a process-wide registry), and the tests parse the output with the official
parser, which is what matters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["CONTENT_TYPE", "Family", "cumulative", "exposition", "number"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Labels = Mapping[str, str]


@dataclass(slots=True)
class Family:
    """One metric family: its name, type (``gauge``, ``counter``, ``histogram``), help text and
    samples as ``(suffix, labels, value)`` (suffix ``""``, ``_bucket``, ``_sum``, ``_count``)."""

    name: str
    type: str
    help: str
    samples: list[tuple[str, Labels, float]] = field(default_factory=list)

    def add(self, labels: Labels, value: float, suffix: str = "") -> None:
        """Add one sample."""
        self.samples.append((suffix, labels, value))


def number(value: float) -> str:
    """A sample value as the format spells it (``+Inf``, ``-Inf``, ``NaN``, shortest float).

    >>> number(1.0), number(0.25), number(math.inf), number(3)
    ('1', '0.25', '+Inf', '3')
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def _escape(value: str, *, quote: bool) -> str:
    out = value.replace("\\", "\\\\").replace("\n", "\\n")
    return out.replace('"', '\\"') if quote else out


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v, quote=True)}"' for k, v in labels.items())
    return "{" + inner + "}"


def exposition(families: Iterable[Family]) -> str:
    """The families as exposition text, each with its ``# HELP`` and ``# TYPE`` lines.

    >>> f = Family("assay_up", "gauge", "Whether Assay answers.")
    >>> f.add({"system": 'a"b'}, 1)
    >>> print(exposition([f]), end="")
    # HELP assay_up Whether Assay answers.
    # TYPE assay_up gauge
    assay_up{system="a\\"b"} 1
    """
    lines: list[str] = []
    for f in families:
        lines.append(f"# HELP {f.name} {_escape(f.help, quote=False)}")
        lines.append(f"# TYPE {f.name} {f.type}")
        lines.extend(
            f"{f.name}{suffix}{_labels(labels)} {number(value)}"
            for suffix, labels, value in f.samples
        )
    return "\n".join(lines) + "\n"


def cumulative(bounds: Sequence[float], counts: Sequence[int]) -> list[tuple[str, int]]:
    """Histogram buckets as ``(le, cumulative count)``, ending with ``+Inf``; ``counts`` has one
    more entry than ``bounds`` (the observations above the last bound).

    >>> cumulative([0.1, 1.0], [2, 1, 4])
    [('0.1', 2), ('1', 3), ('+Inf', 7)]
    """
    out: list[tuple[str, int]] = []
    running = 0
    for bound, n in zip([*bounds, math.inf], counts, strict=True):
        running += n
        out.append((number(bound), running))
    return out
