"""The controls a waiver can name: gate rules that honour waivers, and framework catalog items.

A waiver whose control is free text ("dp >= 0.8", a typo of a rule) covers nothing the gate
checks, yet reads as an approved exception. So a control is either a gate rule Assay evaluates
(``fairness`` for every fairness limit, ``fairness.NAME`` for one limit of the policy, ``risk.open``
for a blocking risk named with ``--risk``) or an item of a loaded framework catalog, written
``FRAMEWORK:ITEM`` (``nist-ai-rmf-1.0:MEASURE 2.11``, ``iso:A.7.5``).
"""

from __future__ import annotations

from assay.errors import InputError, NotFoundError
from assay.evaluate import regression_threshold_names, threshold_names

__all__ = ["check_control", "gate_controls"]


def gate_controls() -> tuple[str, ...]:
    """The gate rules a waiver can cover, sorted after the umbrella ``fairness``."""
    names = sorted([*threshold_names(), *regression_threshold_names()])
    return ("fairness", *(f"fairness.{name}" for name in names), "risk.open")


def check_control(control: str) -> str:
    """The control as stored: a gate rule, or ``FRAMEWORK-ID:ITEM`` with the catalog's full id.

    Raises
    ------
    InputError
        ``control`` is neither; the message lists the gate rules and how to name an item.

    Examples
    --------
    >>> check_control("fairness.demographic_parity_ratio")
    'fairness.demographic_parity_ratio'
    >>> check_control("nist:MEASURE 2.11")
    'nist-ai-rmf-1.0:MEASURE 2.11'
    """
    text = control.strip()
    if text in gate_controls():
        return text
    framework, sep, item = text.partition(":")
    if sep and framework.strip() and item.strip():
        from assay.frameworks import get_framework

        try:
            catalog = get_framework(framework)
            return f"{catalog.id}:{catalog.item(item.strip()).id}"
        except NotFoundError as exc:
            raise InputError(f"The control {control!r} names no catalog item: {exc}") from None
    near = [c for c in gate_controls() if text and (text in c or c in text)][:5]
    raise InputError(
        f"{control!r} is not a control Assay knows"
        + (f" (did you mean {', '.join(near)}?)" if near else "")
        + ". Name a gate rule: fairness (every fairness limit), fairness.LIMIT for one limit "
        "(such as fairness.demographic_parity_ratio) or risk.open (with --risk); or a framework "
        "item as FRAMEWORK:ITEM, such as nist-ai-rmf-1.0:MEASURE 2.11 (the catalogs: "
        "`assay frameworks list`)."
    )
