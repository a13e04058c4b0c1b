"""Every error Assay raises on purpose.

The tree::

    AssayError                  base class; the CLI prints its message and exits with code 2
    ├── InputError              the caller's data or arguments are wrong (a column, a value, a file)
    │   └── SchemaError         a document (policy, result, questionnaire) does not match its schema
    ├── NotFoundError           a record, file or workspace that was named does not exist
    ├── ConflictError           the change contradicts the stored state (duplicate, stale version)
    ├── PermissionDeniedError   the acting user's role does not allow the change
    ├── TransitionError         a workflow step the rules forbid (approving your own waiver, ...)
    ├── IntegrityError          stored data fails verification (audit chain, blob or packet hash)
    └── UnavailableError        a database that was named cannot be reached, or refused the login

``AssayWarning`` is the base of the warnings Assay emits (small groups, approximations).

Messages say what is wrong, where, and how to fix it; they are shown to users as they are.
"""

from __future__ import annotations

__all__ = [
    "AssayError",
    "AssayWarning",
    "ConflictError",
    "InputError",
    "IntegrityError",
    "NotFoundError",
    "PermissionDeniedError",
    "SchemaError",
    "TransitionError",
    "UnavailableError",
]


class AssayError(Exception):
    """Base class of every error Assay raises on purpose."""


class InputError(AssayError, ValueError):
    """The caller's data or arguments are wrong."""


class SchemaError(InputError):
    """A document does not match its schema."""


class NotFoundError(AssayError, LookupError):
    """A named record, file or workspace does not exist."""


class ConflictError(AssayError):
    """The change contradicts the stored state."""


class PermissionDeniedError(AssayError):
    """The acting user's role does not allow the change."""


class TransitionError(AssayError):
    """A workflow step that the rules forbid."""


class IntegrityError(AssayError):
    """Stored data fails verification."""


class UnavailableError(AssayError):
    """A database that was named cannot be reached, or refused the connection."""


class AssayWarning(UserWarning):
    """Base class of the warnings Assay emits."""
