"""Shared pieces of the governance layer: record base class, references, validation, the clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

from assay.errors import InputError, NotFoundError, PermissionDeniedError
from assay.governance._scope import roles_held, write_guard
from assay.policy import ROLE_PERMISSIONS
from assay.store import WriteTx, check_date_range, check_text_value, tables, to_jsonable

if TYPE_CHECKING:
    from assay.governance._workspace import Workspace

__all__ = [
    "Record",
    "add_business_days",
    "check_choice",
    "check_date",
    "check_level",
    "check_name",
    "check_text",
    "format_ref",
    "parse_ref",
    "writing",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")

PREFIXES = {
    "evidence": "EV",
    "review": "REV",
    "risk": "RISK",
    "action": "ACT",
    "waiver": "WVR",
    "incident": "INC",
    "approval": "APR",
    "token": "TOK",
}


class Record:
    """Base of the frozen record dataclasses that governance functions return."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view: dates as ISO text, nested records as dicts."""
        assert dataclasses.is_dataclass(self)
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], **extra: Any) -> Self:
        """Build the record from a database row plus computed fields."""
        assert dataclasses.is_dataclass(cls)
        values = {}
        for f in dataclasses.fields(cls):
            if f.name in extra:
                values[f.name] = extra[f.name]
            elif f.name in row:
                values[f.name] = row[f.name]
        return cls(**values)


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return to_jsonable(value)


def format_ref(kind: str, id_: int) -> str:
    """The display reference of a record.

    >>> format_ref("risk", 12)
    'RISK-12'
    """
    return f"{PREFIXES[kind]}-{id_}"


MAX_ID = 2**31 - 1
"""The largest record id (ids are 32-bit INTEGER columns on PostgreSQL); a larger reference
names no record."""


def parse_ref(kind: str, value: str | int) -> int:
    """Read a record reference: ``12`` or ``RISK-12`` (any case).

    >>> parse_ref("risk", "risk-12"), parse_ref("risk", 7)
    (12, 7)
    """
    prefix = PREFIXES[kind]
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip()
        if text.upper().startswith(prefix + "-"):
            text = text[len(prefix) + 1 :]
        if not (text.isascii() and text.isdigit()):  # "¹".isdigit() is True; int() refuses it
            raise InputError(f"{value!r} is not a {kind} reference; write it as {prefix}-12 or 12.")
        number = int(text)
    if 0 < number <= MAX_ID:
        return number
    raise NotFoundError(f"There is no {kind} {prefix}-{number}.")


def check_name(value: str, *, what: str) -> str:
    """A short identifier: letters, digits and ``._@+-``, no spaces, at most 100 characters."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise InputError(
            f"The {what} {value!r} is not a valid name: use letters, digits and . _ @ + - "
            "(no spaces), starting with a letter or digit, at most 100 characters."
        )
    return value


def check_text(value: str | None, *, what: str, required: bool = True) -> str | None:
    """Strip text; refuse it empty when ``required``, and refuse what cannot be stored (a NUL
    character, more than :data:`assay.store.TEXT_MAX_CHARS` characters)."""
    if value is None or not str(value).strip():
        if required:
            raise InputError(f"The {what} is required and cannot be empty.")
        return None
    return check_text_value(str(value).strip(), what=what)


def check_choice(value: str, choices: tuple[str, ...] | frozenset[str], *, what: str) -> str:
    """Refuse a value outside ``choices``, listing them."""
    if value not in choices:
        allowed = ", ".join(sorted(choices) if isinstance(choices, frozenset) else choices)
        raise InputError(f"{value!r} is not a valid {what}. Choose one of: {allowed}.")
    return value


def check_level(value: int | None, *, what: str) -> int | None:
    """A likelihood or severity: an integer from 1 to 5."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InputError(f"The {what} must be an integer from 1 (lowest) to 5; got {value!r}.")
    return value


def check_date(value: dt.date | str | None, *, what: str) -> dt.date | None:
    """A date, given as :class:`datetime.date` or ``YYYY-MM-DD`` text, within the stored range
    (:data:`assay.store.EARLIEST_DATE` to :data:`assay.store.LATEST_DATE`)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return check_date_range(value.date(), what=what)
    if isinstance(value, dt.date):
        return check_date_range(value, what=what)
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(f"The {what} {value!r} is not a date; write it as YYYY-MM-DD.") from exc
    return check_date_range(day, what=what)


def check_datetime(value: dt.datetime | str | None, *, what: str) -> dt.datetime | None:
    """An aware timestamp, given as datetime or ISO 8601 text (no offset means UTC), within the
    stored range (:data:`assay.store.LATEST_DATE`)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise InputError(
                f"The {what} {value!r} is not a time; write it as YYYY-MM-DDTHH:MM[+HH:MM]."
            ) from exc
    check_date_range(value, what=what)  # before the shift to UTC, which can overflow
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return check_date_range(value.astimezone(dt.UTC), what=what)


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` business days (Monday to Friday) after ``start``.

    >>> add_business_days(dt.date(2025, 1, 3), 1)  # a Friday
    datetime.date(2025, 1, 6)
    """
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def business_days_between(start: dt.datetime, end: dt.datetime) -> float:
    """Elapsed business time from ``start`` to ``end`` in days, weekends excluded.

    >>> friday = dt.datetime(2025, 1, 3, 12, tzinfo=dt.UTC)
    >>> business_days_between(friday, friday + dt.timedelta(days=3))  # to Monday noon
    1.0
    """
    if end <= start:
        return 0.0
    total = 0.0
    cursor = start
    while cursor < end:
        next_midnight = dt.datetime.combine(
            cursor.date() + dt.timedelta(days=1), dt.time(), tzinfo=cursor.tzinfo
        )
        stop = min(end, next_midnight)
        if cursor.weekday() < 5:
            total += (stop - cursor).total_seconds() / 86400
        cursor = stop
    return round(total, 6)


@contextmanager
def writing(
    ws: Workspace,
    permission: str,
    *,
    action: str,
    entity_type: str,
    entity_id: str | int = "",
    note: str | None = None,
) -> Iterator[WriteTx]:
    """Open the audited write transaction of one state change, after checking the actor's role.

    The role is read inside the transaction, so a role change made by another process in the
    meantime is honoured; every row written is then checked against the user's role in the row's
    organisation (:func:`assay.governance._scope.write_guard`).
    """
    with ws.store.write(
        actor=ws.user,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        note=note,
        at=ws.now(),
        guard=write_guard(ws.user, permission),
    ) as tx:
        user = tx.get(tables.users, ws.user)
        if user is None:
            raise PermissionDeniedError(
                f"The user {ws.user!r} is not registered in this workspace. Ask an admin to run "
                f"`assay user add {ws.user} --role analyst`, or act as another user with "
                "ASSAY_USER=NAME."
            )
        if not user["active"]:
            raise PermissionDeniedError(f"The user {ws.user!r} is deactivated in this workspace.")
        allowed = ROLE_PERMISSIONS[permission]
        if not set(roles_held(tx.conn, user).values()) & allowed:
            raise PermissionDeniedError(
                f"The user {ws.user!r} has the role {user['role']!r}, which may not {permission}. "
                f"Roles allowed: {', '.join(sorted(allowed))}. An admin can change a role with "
                f"`assay user set-role {ws.user} ROLE`."
            )
        yield tx


def stamps(ws: Workspace, *, created: bool = True) -> dict[str, Any]:
    """The created/updated columns for a write by the current user now."""
    now = ws.now()
    out: dict[str, Any] = {"updated_at": now, "updated_by": ws.user}
    if created:
        out.update(created_at=now, created_by=ws.user)
    return out


def not_found(kind: str, ref: str, hint: str) -> NotFoundError:
    """A NotFoundError that names the record and how to list the existing ones."""
    return NotFoundError(f"There is no {kind} {ref} in this workspace. {hint}")
