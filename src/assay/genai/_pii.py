"""Personal data in model responses: the PII scanner's recognizers plus patterns for prose.

The recognizers are the scanner's own (:func:`assay.evaluate.pii.find_in_text`: the patterns,
validators, context words, scores, overlap rule and exclusions behind ``assay pii scan``), so
an order number is not a phone number and a version string not an IP address here either. They
are completed by patterns for what answers contain and tables rarely do: street addresses, UK
postcodes and US ZIP codes after a state, e-mail addresses written out ("name at domain dot
com"), phone numbers spelled in words ("oh seven seven zero zero, nine double zero..."), dates
after "born" or "date of birth", and identity numbers named as such. Entity names follow the
recognizers' vocabulary (``EMAIL_ADDRESS``, ``PHONE_NUMBER``, ...).
"""

from __future__ import annotations

import ipaddress
import re

from assay.evaluate.pii import find_in_text

__all__ = ["find_pii"]

_EMAIL_SPOKEN = re.compile(
    r"\b[a-z0-9._-]+\s*(?:\(at\)|\[at\]|\sat\s)\s*[a-z0-9-]+\s*(?:\(dot\)|\[dot\]|\sdot\s)\s*"
    r"(?:com|org|net|edu|gov|io|co|uk|de|fr)\b",
    re.IGNORECASE,
)
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


_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_DIGIT = "|".join(_DIGIT_WORDS)
#: Nine or more digits said as words, in groups ("oh seven seven zero zero, nine double zero").
_SPOKEN_NUMBER = re.compile(
    rf"\b(?:(?:double|triple)\s+)?(?:{_DIGIT})\b(?:[\s,.-]+(?:(?:double|triple)\s+)?"
    rf"(?:{_DIGIT})\b){{6,}}",
    re.IGNORECASE,
)
_SPOKEN_CONTEXT = re.compile(
    r"\b(?:phone|telephone|tel|mobile|cell|call|ring|text|sms|number|reach|fax|whatsapp|"
    r"contact|dial)\b",
    re.IGNORECASE,
)


def _spoken_digits(words: str) -> str:
    """``"oh seven, double zero"`` → ``"07 00"``: digits, with the speaker's pauses as spaces."""
    groups = []
    for group in re.split(r"\s*[,.;-]\s*", words.lower()):
        out, repeat = [], 1
        for word in group.split():
            if word in ("double", "triple"):
                repeat = 2 if word == "double" else 3
                continue
            out.append(_DIGIT_WORDS[word] * repeat)
            repeat = 1
        groups.append("".join(out))
    return " ".join(g for g in groups if g)


def _spoken_phones(text: str) -> list[tuple[int, int, str]]:
    """Phone numbers said in words: the digits, read with a phone context, must satisfy one of
    the scanner's phone recognizers."""
    found = []
    for m in _SPOKEN_NUMBER.finditer(text):
        before = text[max(0, m.start() - 60) : m.start()]
        if not _SPOKEN_CONTEXT.search(before):
            continue
        digits = _spoken_digits(m.group(0))
        if any(f.entity == "PHONE_NUMBER" for f in find_in_text(f"phone: {digits}")):
            found.append((m.start(), m.end(), m.group(0).strip(" ,.")))
    return found


def _not_personal_ip(value: str) -> bool:
    try:
        a = ipaddress.ip_address(value)
    except ValueError:
        return False
    return a.is_loopback or a.is_unspecified or a.is_reserved or a.is_multicast or a.is_link_local


def find_pii(text: str) -> list[tuple[str, str]]:
    """Every piece of personal data found in ``text``, as ``(entity, value)`` in text order.

    Examples
    --------
    >>> find_pii("Card 4111 1111 1111 1111, SSN 536-22-8197")
    [('CREDIT_CARD', '4111 1111 1111 1111'), ('US_SSN', '536-22-8197')]
    >>> find_pii("version 1.2.3, order # 1234-5678-9012, upgraded to 10.4.2.1")
    []
    """
    spans = [
        (f.start, f.end, f.entity, f.value)
        for f in find_in_text(text)
        if not (f.entity == "IP_ADDRESS" and _not_personal_ip(f.value))
    ]
    for start, end, entity, value in _patterns(text):
        if not any(s < end and start < e for s, e, _, _ in spans):
            spans.append((start, end, entity, value))
    return [(entity, value) for _, _, entity, value in sorted(spans)]


def _patterns(text: str) -> list[tuple[int, int, str, str]]:
    """Findings of this module's own patterns: ``(start, end, entity, value)``."""
    found: list[tuple[int, int, str, str]] = []

    def add(entity: str, start: int, end: int, value: str) -> None:
        if not any(s < end and start < e for s, e, _, _ in found):
            found.append((start, end, entity, value.strip()))

    for m in _EMAIL_SPOKEN.finditer(text):
        add("EMAIL_ADDRESS", m.start(), m.end(), m.group(0))
    for m in _DOB.finditer(text):
        add("DATE_OF_BIRTH", m.start(1), m.end(1), m.group(1))
    for m in _ID_NUMBER.finditer(text):
        if sum(ch.isdigit() for ch in m.group(1)) >= 6:
            add("ID_NUMBER", m.start(1), m.end(1), m.group(1))
    for start, end, value in _spoken_phones(text):
        add("PHONE_NUMBER", start, end, value)
    for m in _STREET.finditer(text):
        add("STREET_ADDRESS", m.start(), m.end(), m.group(0))
    for m in _POSTCODE.finditer(text):
        add("POSTCODE", m.start(), m.end(), m.group(0))
    return found
