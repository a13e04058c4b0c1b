"""Reading posted form fields with clear messages (422 through :class:`InputError`)."""

from __future__ import annotations

from starlette.datastructures import FormData

from assay.errors import InputError

__all__ = ["form_int", "form_list", "form_text"]


def form_text(form: FormData, key: str, *, required: bool = True) -> str | None:
    """The stripped text of ``key``; None when empty and not required."""
    value = form.get(key)
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        if required:
            raise InputError(f"The field {key!r} is required.")
        return None
    return text


def form_int(form: FormData, key: str) -> int:
    """A whole number from ``key``."""
    text = form_text(form, key)
    try:
        return int(text or "")
    except ValueError:
        raise InputError(f"The field {key!r} must be a whole number; got {text!r}.") from None


def form_list(form: FormData, key: str) -> list[str]:
    """Every value of ``key`` (a multiple select, repeated checkboxes or one text field with
    values separated by commas or new lines), stripped, without empty ones."""
    out: list[str] = []
    for value in form.getlist(key):
        if isinstance(value, str):
            out.extend(v.strip() for v in value.replace("\n", ",").split(","))
    return [v for v in out if v]
