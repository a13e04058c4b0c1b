"""Personal data in model responses: the project's recognizers plus patterns for prose.

:data:`assay.evaluate.pii.RECOGNIZERS` (the recognizers behind ``assay pii scan``: candidate
patterns, validators with checksums, context words, exclusions) are applied to each response in
plain Python, since building a frame per response would cost more than the detection itself.
Column-only recognizers are skipped (a response has no column name). They are completed by
patterns for what answers contain and tables rarely do: street addresses, UK postcodes and US
ZIP codes after a state, e-mail addresses written out ("name at domain dot com"), dates after
"born" or "date of birth", and identity numbers named as such. Entity names follow the
recognizers' vocabulary (``EMAIL_ADDRESS``, ``PHONE_NUMBER``, ...).
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache

from assay.evaluate.pii import EXCLUDED, RECOGNIZERS, Recognizer

__all__ = ["find_pii"]

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_EMAIL_SPOKEN = re.compile(
    r"\b[a-z0-9._-]+\s*(?:\(at\)|\[at\]|\sat\s)\s*[a-z0-9-]+\s*(?:\(dot\)|\[dot\]|\sdot\s)\s*"
    r"(?:com|org|net|edu|gov|io|co|uk|de|fr)\b",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<![\w.+-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,6}){1,4}(?![\w.-]?\d)"
)
_SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]?\d)")
_STREET = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|"
    r"Drive|Dr\.?|Boulevard|Blvd\.?|Way|Court|Ct\.?|Place|Pl\.?|Terrace|Close|Crescent|Square)\b"
)
_POSTCODE = re.compile(
    r"\b(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|"
    r"M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY])\s\d{5}(?:-\d{4})?)\b"
)
_DATE = (
    r"(?:\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d{4}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})"
)
_DOB = re.compile(
    r"\b(?:born(?:\s+on)?|date\s+of\s+birth|d\.?o\.?b\.?|birth\s*date|birthday)\b[:\s-]*(?:is\s+)?"
    + f"({_DATE})",
    re.IGNORECASE,
)
_ID_NUMBER = re.compile(
    r"\b(?:passport|driver'?s?\s+licen[cs]e|licen[cs]e|national\s+insurance|nhs|"
    r"social\s+security|ssn|tax\s+id|tin|national\s+id)\s*(?:number|no\.?|#)?\s*(?:is\s+)?[:\s]*"
    r"([A-Z0-9][A-Z0-9 -]{5,14}[A-Z0-9])\b",
    re.IGNORECASE,
)


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _is_date_like(text: str) -> bool:
    return bool(
        re.fullmatch(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}", text)
    )


@cache
def _recognizers() -> tuple[tuple[Recognizer, re.Pattern[str], re.Pattern[str] | None], ...]:
    out = []
    for r in RECOGNIZERS:
        if r.needs == "column":
            continue
        context = re.compile(r.context_pattern) if r.context_pattern else None
        out.append((r, re.compile(r.pattern), context))
    return tuple(out)


def _validated(r: Recognizer, candidate: str) -> str | None:
    try:
        value = r.validator(candidate)
    except Exception:  # a validator must never stop a run
        return None
    return value or None


def _not_personal_ip(value: str) -> bool:
    try:
        a = ipaddress.ip_address(value)
    except ValueError:
        return False
    return a.is_loopback or a.is_unspecified or a.is_reserved or a.is_multicast or a.is_link_local


def _recognized(text: str, min_score: float = 0.5) -> list[tuple[int, int, int, str, str]]:
    """Findings of the project's recognizers: ``(start, end, recognizer index, entity, value)``
    after the same context, score, overlap and exclusion rules as ``assay pii scan``."""
    found: list[tuple[int, int, int, str, str]] = []
    for index, (r, pattern, context) in enumerate(_recognizers()):
        has_context = bool(context and context.search(text))
        if r.needs == "context" and not has_context:
            continue
        if (r.context_score if has_context else r.score) < min_score:
            continue
        for m in pattern.finditer(text):
            value = _validated(r, m.group(0))
            if value is not None:
                found.append((m.start(), m.end(), index, r.entity, value))
    kept = [
        f
        for f in found
        if not any(
            o is not f
            and f[4] in o[4]
            and (len(o[4]) > len(f[4]) or (len(o[4]) == len(f[4]) and o[2] < f[2]))
            for o in found
        )
    ]
    return [
        f
        for f in kept
        if f[3] != EXCLUDED and not (f[3] == "IP_ADDRESS" and _not_personal_ip(f[4]))
    ]


_KINDS = {
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "ssn": "US_SSN",
    "credit_card": "CREDIT_CARD",
    "iban": "IBAN_CODE",
    "ip_address": "IP_ADDRESS",
    "street_address": "STREET_ADDRESS",
    "postcode": "POSTCODE",
    "date_of_birth": "DATE_OF_BIRTH",
    "id_number": "ID_NUMBER",
}


def find_pii(text: str) -> list[tuple[str, str]]:
    """Every piece of personal data found in ``text``, as ``(entity, value)`` in text order.

    Examples
    --------
    >>> find_pii("Card 4111 1111 1111 1111, SSN 536-22-8197")
    [('CREDIT_CARD', '4111 1111 1111 1111'), ('US_SSN', '536-22-8197')]
    >>> find_pii("version 1.2.3, order #123456789")
    []
    """
    spans = [(s, e, entity, value) for s, e, _, entity, value in _recognized(text)]
    for start, end, kind, value in _patterns(text):
        if not any(s < end and start < e for s, e, _, _ in spans):
            spans.append((start, end, _KINDS[kind], value))
    return [(entity, value) for _, _, entity, value in sorted(spans)]


def _patterns(text: str) -> list[tuple[int, int, str, str]]:
    """Findings of this module's own patterns: ``(start, end, kind, value)``."""
    found: list[tuple[int, int, str, str]] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, m: re.Match[str], group: int = 0) -> None:
        start, end = m.span(group)
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append((start, end, kind, m.group(group).strip()))

    for m in _EMAIL.finditer(text):
        add("email", m)
    for m in _EMAIL_SPOKEN.finditer(text):
        add("email", m)
    for m in _DOB.finditer(text):
        add("date_of_birth", m, 1)
    for m in _IBAN.finditer(text):
        if _iban_ok(m.group(0)):
            add("iban", m)
    for m in _CARD.finditer(text):
        number = re.sub(r"\D", "", m.group(0))
        if 13 <= len(number) <= 19 and len(set(number)) > 1 and _luhn(number):
            add("credit_card", m)
    for m in _SSN.finditer(text):
        add("ssn", m)
    for m in _ID_NUMBER.finditer(text):
        value = m.group(1)
        if sum(ch.isdigit() for ch in value) >= 6:
            add("id_number", m, 1)
    for m in _IPV4.finditer(text):
        try:
            address = ipaddress.IPv4Address(m.group(0))
        except ValueError:
            continue
        if not (
            address.is_loopback
            or address.is_unspecified
            or address.is_reserved
            or address.is_multicast
            or address.is_link_local
        ):
            add("ip_address", m)
    for m in _PHONE.finditer(text):
        value = m.group(0)
        digits = re.sub(r"\D", "", value)
        if 9 <= len(digits) <= 15 and not _is_date_like(value):
            add("phone", m)
    for m in _STREET.finditer(text):
        add("street_address", m)
    for m in _POSTCODE.finditer(text):
        add("postcode", m)
    return found
