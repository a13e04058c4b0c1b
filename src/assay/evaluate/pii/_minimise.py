"""Data-minimisation evidence: which personal data the model needs, and which it does not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assay.errors import InputError


def _covers(feature: str, column: str) -> bool:
    # A feature "customer" uses every nested field under it; "customer.email" only that one.
    return column == feature or column.startswith(feature + ".")


def minimisation(scan: Mapping[str, Any] | Any, features: Sequence[str] | Any) -> dict[str, Any]:
    """Compare a model's input features with the columns that hold personal data.

    Parameters
    ----------
    scan
        A :class:`PiiScanResult` or its ``to_dict()``.
    features
        The model's input feature names, or a fitted estimator with ``feature_names_in_``
        (scikit-learn).

    Returns
    -------
    dict
        ``pii_columns`` (with their entity types), ``used_by_model`` (PII columns the model
        reads), ``not_needed`` (PII columns the model does not read: candidates to drop or
        mask before training), ``quasi_identifiers_used`` and a one-line ``finding``.

    Examples
    --------
    >>> payload = {"columns": [{"column": "email", "entities": [{"entity": "EMAIL_ADDRESS"}]},
    ...                        {"column": "age", "entities": []}],
    ...            "params": {"quasi_identifiers": ["age"]}}
    >>> minimisation(payload, ["age", "income"])["not_needed"]
    ['email']
    """
    payload = scan.to_dict() if hasattr(scan, "to_dict") else scan
    if not isinstance(payload, Mapping) or "columns" not in payload:
        raise InputError("scan must be a PiiScanResult or its to_dict() output.")
    names = getattr(features, "feature_names_in_", features)
    if isinstance(names, str):
        names = [names]
    try:
        feature_list = [str(f) for f in names]
    except TypeError:
        raise InputError(
            "features must be a list of column names or a fitted estimator with "
            "feature_names_in_; got " + type(features).__name__ + "."
        ) from None
    pii = {
        c["column"]: sorted({e["entity"] for e in c["entities"]})
        for c in payload["columns"]
        if c["entities"]
    }
    used = sorted(c for c in pii if any(_covers(f, c) for f in feature_list))
    not_needed = sorted(c for c in pii if c not in used)
    params = payload.get("params") or {}
    qis = params.get("quasi_identifiers") or []
    qis_used = sorted(q for q in qis if any(_covers(f, q) for f in feature_list))
    if not pii:
        finding = "No personal data was found in the scanned columns."
    elif not_needed:
        finding = (
            f"{len(not_needed)} of {len(pii)} column(s) with personal data are not model "
            f"features: {', '.join(not_needed)}. Drop or redact them before training or "
            "retention, or record why they are kept."
        )
    else:
        finding = "Every column with personal data is a model feature; justify each one."
    return {
        "features": feature_list,
        "pii_columns": pii,
        "used_by_model": used,
        "not_needed": not_needed,
        "quasi_identifiers_used": qis_used,
        "finding": finding,
    }
