"""The fail-closed rule every command's ending follows.

A run that evaluated nothing — no rows, no columns, no cases — or whose every case errored has no
evidence to offer: it is an error (exit code 2, saying what to fix), never a pass. A run where
only some cases errored is reported with the counts, and makes any ``--fail-*`` or ``--strict``
flag fail: a partial result cannot clear a gate.
"""

from __future__ import annotations

from rich.console import Console

from assay.errors import InputError

__all__ = ["note_errored", "require_evaluated"]


def require_evaluated(
    evaluated: int, total: int, *, unit: str, fix: str, first_error: str | None = None
) -> None:
    """Raise :class:`InputError` when none of ``total`` ``unit``\\ s could be evaluated.

    Parameters
    ----------
    evaluated
        How many units produced a result (rows compared, probes run, cases scored).
    total
        How many there were; ``0`` means the input held none.
    unit
        The singular noun, e.g. ``"row"``, ``"probe"``, ``"case"``.
    fix
        What the user can do about it, as a sentence.
    first_error
        The first error, shown when every unit errored.
    """
    if evaluated > 0:
        return
    if total == 0:
        raise InputError(f"Nothing was evaluated: there are no {unit}s. {fix}")
    cause = f" (first error: {first_error})" if first_error else ""
    raise InputError(
        f"Nothing was evaluated: all {total} {unit}{'s' if total != 1 else ''} errored{cause}. "
        f"{fix}"
    )


def note_errored(
    errored: int,
    total: int,
    *,
    unit: str,
    flag: str,
    console: Console,
    verb: str = "errored",
) -> bool:
    """Print how many of ``total`` units errored; return whether any did.

    ``verb`` says what happened to them (``"errored"``, ``"could not be compared"``). A partial
    run is still reported, but the command's ``flag`` (``--strict``, ``--fail-*``)
    must then fail: a partial result cannot clear a gate.
    """
    if not errored:
        return False
    plural = "s" if total != 1 else ""
    console.print(
        f"[yellow]{errored} of {total} {unit}{plural} {verb}[/]: the result covers only the "
        f"other {total - errored}; {flag} fails on a partial result."
    )
    return True
