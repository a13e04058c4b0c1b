"""Validators that turn a regex candidate into a confirmed value, or reject it.

Each validator takes the text a recognizer's pattern matched and returns the personal-data
substring it confirms (often the whole candidate, sometimes a part of it: the date after
"born on", an IBAN trimmed to its country's length) or ``None``. They run once per distinct
candidate, never per row, and never raise on odd input.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import json
import math
import re
from collections import Counter
from collections.abc import Callable

from assay.evaluate.pii._calling_codes import COUNTRY_CODES

Validator = Callable[[str], str | None]

_NON_DIGIT = re.compile(r"\D")
_SPACES = re.compile(r"[\s-]")


def digits(text: str) -> str:
    """The ASCII digits of ``text``, in order."""
    return _NON_DIGIT.sub("", text)


def luhn_ok(number: str) -> bool:
    """The Luhn (mod 10) check used by payment cards; ``number`` is digits only.

    Examples
    --------
    >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
    (True, False)
    """
    if not number.isdigit() or not number.isascii():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


#: Issuer ranges (first digits) and the card lengths each issues.
_CARD_RANGES: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16, 19})),  # Visa
    (51, 55, frozenset({16})),  # Mastercard
    (2221, 2720, frozenset({16})),  # Mastercard 2-series
    (34, 34, frozenset({15})),  # American Express
    (37, 37, frozenset({15})),
    (6011, 6011, frozenset(range(16, 20))),  # Discover
    (644, 649, frozenset(range(16, 20))),
    (65, 65, frozenset(range(16, 20))),
    (35, 35, frozenset(range(16, 20))),  # JCB (3528–3589) and test ranges around it
    (2131, 2131, frozenset({15})),
    (1800, 1800, frozenset({15})),
    (300, 305, frozenset(range(14, 20))),  # Diners Club
    (36, 36, frozenset(range(14, 20))),
    (38, 39, frozenset(range(14, 20))),
    (50, 50, frozenset(range(12, 20))),  # Maestro
    (56, 69, frozenset(range(12, 20))),  # Maestro, UnionPay (62), Discover and others
    (2200, 2204, frozenset(range(16, 20))),  # Mir
)


def card_issuer_ok(number: str) -> bool:
    """Whether ``number`` starts with an issuer range that issues cards of its length."""
    n = len(number)
    for low, high, lengths in _CARD_RANGES:
        width = len(str(low))
        if n in lengths and low <= int(number[:width]) <= high:
            return True
    return False


def credit_card(text: str) -> str | None:
    """A payment card number: an issuer range with its lengths (12–19 digits), Luhn valid."""
    number = digits(text)
    if not 12 <= len(number) <= 19 or len(set(number)) == 1:
        return None
    if not card_issuer_ok(number):
        return None
    return text.strip() if luhn_ok(number) else None


#: Length of the IBAN of each country (ISO 13616 registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def iban_checksum_ok(compact: str) -> bool:
    """ISO 7064 mod 97-10 over the rearranged IBAN (letters as 10..35); ``compact`` has no spaces.

    Examples
    --------
    >>> iban_checksum_ok("DE89370400440532013000"), iban_checksum_ok("DE88370400440532013000")
    (True, False)
    """
    rearranged = compact[4:] + compact[:4]
    remainder = 0
    for ch in rearranged:
        if ch.isdigit():
            remainder = (remainder * 10 + ord(ch) - 48) % 97
        elif "A" <= ch <= "Z":
            remainder = (remainder * 100 + ord(ch) - 55) % 97
        else:
            return False
    return remainder == 1


def iban(text: str) -> str | None:
    """An IBAN: known country, that country's length, mod-97 check.

    The pattern may run on into the next word ("DE89 3704 0044 0532 0130 00 THANKS"); the value
    is cut at the country's length, which must fall at the end of a group.
    """
    upper = text.upper()
    length = IBAN_LENGTHS.get(upper[:2])
    if length is None:
        return None
    count = 0
    for end, ch in enumerate(upper):
        if ch.isalnum():
            count += 1
            if count == length:
                rest = upper[end + 1 : end + 2]
                if rest and rest.isalnum():
                    return None
                value = text[: end + 1]
                compact = _SPACES.sub("", value).upper()
                return value if iban_checksum_ok(compact) else None
    return None


_SSN_INVALID = {"078051120", "219099999", "123456789"}


def us_ssn(text: str) -> str | None:
    """A US Social Security number: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    number = digits(text)
    if len(number) != 9 or number in _SSN_INVALID or len(set(number)) == 1:
        return None
    area, group, serial = number[:3], number[3:5], number[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return None
    return text.strip()


_EXTENSION = re.compile(r"(?i)\s*(?:x|ext\.?|extension)\s*\d{1,6}$")


def _strip_extension(text: str) -> str:
    return _EXTENSION.sub("", text)


def phone_international(text: str) -> str | None:
    """``+CC ...`` or ``00CC ...``: a known country code and 8–15 digits in all (E.164)."""
    value = text.strip()
    body = _strip_extension(value)
    number = digits(body)
    if body.startswith("00"):
        number = number[2:]
    if "(0)" in body:  # "+44 (0)20 ..." writes the trunk prefix that dialling from abroad drops
        number = _drop_trunk(body)
    if not 8 <= len(number) <= 15:
        return None
    if not any(number[:k] in COUNTRY_CODES for k in (1, 2, 3)):
        return None
    if number.startswith("1") and nanp_number_ok(number[1:]) is False:
        return None
    return value


def _drop_trunk(body: str) -> str:
    number = digits(body.replace("(0)", "", 1))
    return number[2:] if body.lstrip().startswith("00") else number


def nanp_number_ok(ten: str) -> bool:
    """A North American number: area code and exchange start with 2–9; no N11 area code."""
    if len(ten) != 10:
        return False
    area, exchange = ten[:3], ten[3:6]
    if area[0] in "01" or exchange[0] in "01":
        return False
    return area[1:] != "11"


def phone_nanp(text: str) -> str | None:
    """(NPA) NXX-XXXX and its dotted and dashed forms, with an optional extension."""
    value = text.strip()
    number = digits(_strip_extension(value))
    return value if nanp_number_ok(number) else None


_DATE_SHAPE = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b")


def phone_national_eu(text: str) -> str | None:
    """A European national number: a trunk 0 (not 00) and 9–11 more digits, in groups."""
    value = text.strip()
    if _DATE_SHAPE.match(value):  # 01.02.2023 10:15 is a timestamp
        return None
    number = digits(_strip_extension(value))
    if not number.startswith("0") or number.startswith("00"):
        return None
    if not 10 <= len(number) <= 12:
        return None
    if len(set(number[1:])) < 3:
        return None
    if len(number) == 12 and number == value:  # twelve bare digits: ids, UUID tails
        return None
    return value


_LAST_NUMBER = re.compile(r"[0-9][0-9 .-]*[0-9]$")


def after_context(inner: Validator) -> Validator:
    """A validator for "<context words> <number>" matches: validates and returns the number."""

    def check(text: str) -> str | None:
        found = _LAST_NUMBER.search(text.strip())
        return inner(found[0]) if found else None

    check.__doc__ = f"The number after the context words, checked by {inner.__name__}."
    return check


def phone_bare(text: str) -> str | None:
    """Ten bare digits, valid as a North American number (used only with context)."""
    return phone_nanp(text)


_TLD_NOT_MAIL = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "bmp",
        "ico",
        "css",
        "js",
        "ts",
        "py",
        "json",
        "xml",
        "yaml",
        "yml",
        "html",
        "htm",
        "md",
        "txt",
        "csv",
        "log",
        "zip",
        "gz",
        "tar",
        "pdf",
        "exe",
        "dll",
        "so",
    ]
)


def email(text: str) -> str | None:
    """An e-mail address: local part ≤ 64, no empty labels, an alphabetic top-level domain."""
    value = text.strip().strip(".")
    if "://" in value:  # the password in scheme://user:password@host is not a mailbox
        return None
    local, sep, domain = value.rpartition("@")
    if not sep or not local or len(local) > 64 or len(value) > 254:
        return None
    if ".." in value or local.startswith(".") or local.endswith("."):
        return None
    labels = domain.split(".")
    if len(labels) < 2 or any(not label for label in labels):
        return None
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        return None
    tld = labels[-1]
    if not tld.isalpha() or tld.lower() in _TLD_NOT_MAIL:
        return None
    return value


def ipv4(text: str) -> str | None:
    """A dotted-quad IPv4 address with octets 0–255 and no leading zeros; not 0.0.0.0."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    for part in parts:
        if not part.isdigit() or (len(part) > 1 and part[0] == "0") or int(part) > 255:
            return None
    if text in ("0.0.0.0", "255.255.255.255"):
        return None
    return text


def ipv6(text: str) -> str | None:
    """An IPv6 address in any standard form, with at least three non-empty groups."""
    value = text.strip()
    if value.count(":") < 2 or sum(1 for g in value.split(":") if g) < 3:
        return None
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        return None
    if address.is_unspecified or address.is_loopback:
        return None
    return value


def mac(text: str) -> str | None:
    """A MAC address (six octets with one consistent separator, or Cisco dotted form)."""
    value = text.strip()
    if "." in value:
        return value if len(value) == 14 else None
    seps = {value[i] for i in (2, 5, 8, 11, 14)}
    if len(seps) != 1:
        return None
    compact = value.replace(next(iter(seps)), "").lower()
    if compact in ("000000000000", "ffffffffffff"):
        return None
    return value


_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january", "januar", "janvier", "enero"),
            ("feb", "february", "februar", "février", "fevrier", "febrero"),
            ("mar", "march", "märz", "maerz", "mars", "marzo"),
            ("apr", "april", "avril", "abril"),
            ("may", "mai", "mayo"),
            ("jun", "june", "juni", "juin", "junio"),
            ("jul", "july", "juli", "juillet", "julio"),
            ("aug", "august", "août", "aout", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre"),
            ("oct", "october", "oktober", "octobre", "octubre"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "dezember", "décembre", "decembre", "diciembre"),
        ]
    )
    for m in names
}

_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4})")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\.?\s+([^\W\d_]+)\.?,?\s+(\d{4})")
_MONTH_DAY = re.compile(r"([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return False
    return year >= 1900 and value <= dt.date.today()


def find_date(text: str) -> str | None:
    """The first plausible past date in ``text`` (ISO, numeric d/m/y or m/d/y, or with a month
    name), returned as it was written."""
    for m in _ISO.finditer(text):
        if _real_date(int(m[1]), int(m[2]), int(m[3])):
            return m[0]
    for m in _NUMERIC.finditer(text):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:
            year += 1900 if year > dt.date.today().year % 100 else 2000
        elif len(m[3]) != 4:
            continue
        if _real_date(year, b, a) or _real_date(year, a, b):
            return m[0]
    for m in _DAY_MONTH.finditer(text):
        month = _MONTHS.get(m[2].lower())
        if month and _real_date(int(m[3]), month, int(m[1])):
            return m[0]
    for m in _MONTH_DAY.finditer(text):
        month = _MONTHS.get(m[1].lower())
        if month and _real_date(int(m[3]), month, int(m[2])):
            return m[0]
    return None


def date_of_birth(text: str) -> str | None:
    """The date in a "born on …" / "DOB: …" phrase, or a bare date in a birth-date column."""
    return find_date(text)


_MRZ_WEIGHTS = (7, 3, 1)


def mrz_check_digit(field: str) -> int:
    """ICAO 9303 check digit: weights 7, 3, 1; digits as is, A–Z as 10–35, '<' as 0."""
    total = 0
    for i, ch in enumerate(field):
        if ch.isdigit():
            v = ord(ch) - 48
        elif "A" <= ch <= "Z":
            v = ord(ch) - 55
        else:
            v = 0
        total += v * _MRZ_WEIGHTS[i % 3]
    return total % 10


def passport_mrz(text: str) -> str | None:
    """Line 2 of a passport's machine-readable zone (TD3), when the document number, birth-date,
    expiry and composite check digits all hold; the whole line is personal data."""
    line = text.strip()
    if len(line) != 44:
        return None
    number, birth, expiry, optional = line[0:9], line[13:19], line[21:27], line[28:42]
    checks = [
        (number, line[9]),
        (birth, line[19]),
        (expiry, line[27]),
    ]
    for field, digit in checks:
        if not digit.isdigit() or mrz_check_digit(field) != int(digit):
            return None
    if line[42] != "<" and (not line[42].isdigit() or mrz_check_digit(optional) != int(line[42])):
        return None
    composite = line[0:10] + line[13:20] + line[21:43]
    if not line[43].isdigit() or mrz_check_digit(composite) != int(line[43]):
        return None
    return line


_PASSPORT_PREFIX = re.compile(
    r"(?i)^.*?(?:passport|passeport|reisepass|pasaporte|passaporto)\b(?:\s*(?:no|number|nr|num|#|n°)\.?)?[\s:#=]*"
)


def passport_context(text: str) -> str | None:
    """A passport number written after the word "passport": 6–9 characters with digits."""
    value = _PASSPORT_PREFIX.sub("", text).strip()
    if not 6 <= len(value) <= 9 or not any(c.isdigit() for c in value):
        return None
    if sum(c.isdigit() for c in value) < 5:
        return None
    return value


def uk_nhs(text: str) -> str | None:
    """A UK NHS number: 10 digits, mod-11 check digit (weights 10..2), check digit not 10."""
    number = digits(text)
    if len(number) != 10 or len(set(number)) == 1:
        return None
    total = sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(number[9]):
        return None
    return text.strip()


_NINO_BAD_PREFIX = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def uk_nino(text: str) -> str | None:
    """A UK National Insurance number: two allowed prefix letters, six digits, suffix A–D."""
    value = text.strip()
    compact = value.replace(" ", "").upper()
    if len(compact) != 9 or compact[:2] in _NINO_BAD_PREFIX:
        return None
    return value


_NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_nif(text: str) -> str | None:
    """A Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter): mod-23 letter."""
    value = text.strip()
    compact = value.replace("-", "").replace(" ", "").upper()
    if len(compact) != 9:
        return None
    head = compact[:8]
    if head[0] in "XYZ":
        head = str("XYZ".index(head[0])) + head[1:]
    if not head.isdigit():
        return None
    return value if _NIF_LETTERS[int(head) % 23] == compact[8] else None


_CF_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25,
           24, 23]  # fmt: skip


def it_fiscal_code(text: str) -> str | None:
    """An Italian codice fiscale: 16 characters with its check letter."""
    value = text.strip().upper()
    if len(value) != 16:
        return None
    total = 0
    for i, ch in enumerate(value[:15]):
        n = ord(ch) - 48 if ch.isdigit() else ord(ch) - 65
        if not 0 <= n <= 25:
            return None
        total += _CF_ODD[n] if i % 2 == 0 else n
    return text.strip() if chr(65 + total % 26) == value[15] else None


def nl_bsn(text: str) -> str | None:
    """A Dutch citizen service number (BSN): 9 digits passing the 11-proof."""
    number = digits(text)
    if len(number) != 9 or len(set(number)) == 1:
        return None
    total = sum(int(d) * w for d, w in zip(number[:8], range(9, 1, -1), strict=True))
    total -= int(number[8])
    return text.strip() if total % 11 == 0 and total != 0 else None


def fr_nir(text: str) -> str | None:
    """A French social security number (NIR): 13 characters and a key of 97 − (NIR mod 97)."""
    value = text.strip()
    compact = value.replace(" ", "").upper()
    if len(compact) != 15:
        return None
    body, key = compact[:13], compact[13:]
    # Corsica: départements 2A and 2B count as 19 and 18 for the key.
    body = body.replace("2A", "19", 1) if body[5:7] == "2A" else body
    body = body.replace("2B", "18", 1) if body[5:7] == "2B" else body
    if not body.isdigit() or not key.isdigit():
        return None
    return value if 97 - int(body) % 97 == int(key) else None


def shannon_entropy(text: str) -> float:
    """Bits per character of the character distribution of ``text``."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


_ASSIGN = re.compile(r"""^.*?(?:[:=]|\s)\s*["']?""", re.S)
_PLACEHOLDERS = frozenset(
    [
        "none",
        "null",
        "nil",
        "undefined",
        "redacted",
        "masked",
        "hidden",
        "secret",
        "password",
        "changeme",
        "example",
        "xxx",
    ]
)


def _assigned_value(text: str) -> str:
    value = _ASSIGN.sub("", text, count=1)
    return value.strip().strip("\"',;")


def high_entropy_secret(text: str) -> str | None:
    """A token-like value (≥ 16 characters, ≥ 3.5 bits per character, letters and digits) after
    a word such as secret, token, api_key or bearer."""
    value = _assigned_value(text)
    if len(value) < 16 or value.lower() in _PLACEHOLDERS:
        return None
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                   any(c.isdigit() for c in value)))  # fmt: skip
    if classes < 2 or shannon_entropy(value) < 3.5:
        return None
    return value


_REDACTED = re.compile(r"^<[A-Z_]+(?::[g-hj-km-np-tv-z]{12})?>$")  # the pseudonym letters


def password(text: str) -> str | None:
    """The value of a ``password=…`` / ``password: …`` pair, unless it is a placeholder or a
    redaction marker (``<PASSWORD:pqvn…>``)."""
    value = _assigned_value(text)
    if len(value) < 4 or value.lower() in _PLACEHOLDERS or set(value) <= set("*x#.<>-_"):
        return None
    if _REDACTED.match(value):
        return None
    return value


def aws_secret_key(text: str) -> str | None:
    """A 40-character AWS secret access key after a word naming it."""
    value = _assigned_value(text)
    if len(value) != 40 or shannon_entropy(value) < 4.0:
        return None
    return value


def _b64url_json(segment: str) -> bool:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        decoded = base64.urlsafe_b64decode(padded)
        return isinstance(json.loads(decoded), dict)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False


def jwt(text: str) -> str | None:
    """A JSON Web Token whose header and payload decode to JSON objects."""
    parts = text.split(".")
    if len(parts) != 3 or not (_b64url_json(parts[0]) and _b64url_json(parts[1])):
        return None
    return text


def token(text: str) -> str | None:
    """A vendor token with a fixed prefix; rejects runs of one character (documentation
    placeholders such as ``ghp_xxxxxxxx…``)."""
    value = text.strip()
    tail = value[-16:]
    if len(set(tail)) < 5:
        return None
    return value


def reference_number(text: str) -> str | None:
    """The number after "order #", "ref", "invoice no." and the like: not personal data, found so
    that the same digits are not reported as a card or phone number."""
    found = _LAST_NUMBER.search(text.strip())
    return found[0] if found else None


_VERSION = re.compile(r"[0-9]+(?:\.[0-9]+)+")


def version_number(text: str) -> str | None:
    """The dotted number after "version", "upgraded to", "Chrome/", ...: not an IP address,
    found so that the same digits are not reported as one. Returns the text from the first
    dotted run to the last ("6.5.8.7 to 6.6.0.1" covers both)."""
    runs = list(_VERSION.finditer(text))
    return text[runs[0].start() : runs[-1].end()] if runs else None


def whole(text: str) -> str | None:
    """Accept the candidate as it is (the pattern is specific enough)."""
    return text.strip() or None


def url_credentials(text: str) -> str | None:
    """The ``user:password`` part of ``scheme://user:password@host``."""
    _, _, rest = text.partition("://")
    userinfo = rest.rstrip("@")
    user, _, secret = userinfo.partition(":")
    if not user or not secret or secret.lower() in _PLACEHOLDERS:
        return None
    return userinfo
