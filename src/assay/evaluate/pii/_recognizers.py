"""The built-in recognizers: a candidate pattern, a validator, a confidence, context words.

Patterns are written in the subset of regex syntax that Rust (Polars), RE2 (DuckDB), Java
(Spark) and Python share: no look-around, no back-references, flags only as ``(?i:...)`` groups.
A pattern only proposes candidates; the validator decides. Confidence is ``score`` without
context and ``context_score`` when a context word appears in the same cell or the column's
name suggests the entity. ``needs`` says whether a match counts without context at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assay.evaluate.pii import _validators as v

Needs = Literal["nothing", "context", "column"]


@dataclass(frozen=True)
class Recognizer:
    """One way of finding one entity type.

    Attributes
    ----------
    name
        Unique identifier, e.g. ``"phone_nanp"``.
    entity
        The entity type reported, e.g. ``"PHONE_NUMBER"``.
    category
        ``contact``, ``financial``, ``government_id``, ``network``, ``date`` or ``secret``.
    pattern
        Candidate regex (portable subset, see the module docstring).
    validator
        Confirms a candidate and returns the personal-data part of it, or ``None``.
    score
        Confidence of a validated match without context.
    context
        Words that, in the same cell, raise the confidence to ``context_score``.
    context_score
        Confidence of a validated match with context.
    needs
        ``nothing``: counts on its own; ``context``: needs a context word in the cell or a
        telling column name; ``column``: only runs on columns whose name suggests the entity.
    checksum
        Whether the validator checks a check digit (reported, and used for accuracy targets).
    """

    name: str
    entity: str
    category: str
    pattern: str
    validator: v.Validator
    score: float
    context: tuple[str, ...] = ()
    context_score: float = 1.0
    needs: Needs = "nothing"
    checksum: bool = False

    @property
    def engine_pattern(self) -> str:
        """``pattern`` for Polars: ASCII word boundaries, which Rust's fast regex engine runs
        without falling back (the portable ``pattern`` is kept for the other engines)."""
        return self.pattern.replace(r"\b", r"(?-u:\b)")

    @property
    def context_pattern(self) -> str | None:
        """Case-insensitive regex matching any of the context words as whole words."""
        if not self.context:
            return None
        words = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in self.context)
        return rf"(?i:\b(?:{words})\b)"


#: Words in a column's name that say which entity it holds; matched against the name split
#: into lower-case tokens and joined as ``_tok_tok_``.
COLUMN_HINTS: dict[str, str] = {
    "EMAIL_ADDRESS": r"_e?_?mail",
    "PHONE_NUMBER": r"_(?:phone|tel|telephone|mobile|cell|fax|msisdn)",
    "CREDIT_CARD": r"_(?:card|cc|pan|credit)_",
    "IBAN_CODE": r"_(?:iban|bank_account)",
    "US_SSN": r"_(?:ssn|social_security)",
    "IP_ADDRESS": r"_(?:ip|ipv4|ipv6|ip_addr\w*|remote_addr|client_addr|host_addr)_",
    "MAC_ADDRESS": r"_(?:mac|mac_addr\w*|hw_addr\w*)_",
    "DATE_OF_BIRTH": r"_(?:dob|birth\w*|date_of_birth|bday|geburt\w*|naissance|nacimiento)",
    "PASSPORT": r"_passport",
    "UK_NHS": r"_nhs",
    "UK_NINO": r"_(?:nino|national_insurance|ni_number)",
    "ES_NIF": r"_(?:dni|nif|nie)_",
    "IT_FISCAL_CODE": r"_(?:codice_fiscale|fiscal_code|cf)_",
    "NL_BSN": r"_(?:bsn|sofi\w*|burgerservicenummer)",
    "FR_NIR": r"_(?:nir|insee|secu\w*)_",
    "SECRET": r"_(?:secret|token|api_key|apikey|password|passwd|pwd|credential\w*|private_key)",
}

#: The entity of exclusion findings, which are removed after overlaps are resolved.
EXCLUDED = "__EXCLUDED__"

_CARD_CONTEXT = ("card", "credit", "debit", "visa", "mastercard", "amex", "payment", "cc", "exp",
                 "expiry", "cvv", "charged", "paid", "pay")  # fmt: skip
_PHONE_CONTEXT = ("phone", "telephone", "tel", "mobile", "cell", "call", "text me", "sms",
                  "number", "reach", "fax", "whatsapp", "contact")  # fmt: skip
_EXT = r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?"
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|\d{1,2}(?:st|nd|rd|th)?\.? [a-zé]{3,9}\.?,? \d{4}"
    r"|[a-zé]{3,9}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4})"
)
_SECRET_WORDS = (
    r"(?:secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?token|client[_-]?secret"
    r"|private[_-]?key|bearer)"
)

RECOGNIZERS: tuple[Recognizer, ...] = (
    # Secrets first: when two findings cover the same text, the earlier recognizer wins.
    Recognizer(
        "private_key", "PRIVATE_KEY", "secret",
        r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----", v.whole, 1.0,
    ),
    Recognizer(
        "aws_access_key", "AWS_ACCESS_KEY", "secret",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z2-7]{16}\b", v.token, 0.95,
        ("aws", "access", "key"), 1.0,
    ),
    Recognizer(
        "aws_secret_key", "AWS_SECRET_KEY", "secret",
        r"(?i:aws[a-z_ -]{0,20}(?:secret|key)[a-z_ -]{0,20}[\"']?\s*[:=]\s*[\"']?)"
        r"[A-Za-z0-9/+]{40}",
        v.aws_secret_key, 0.95,
    ),
    Recognizer(
        "gcp_api_key", "GCP_API_KEY", "secret", r"\bAIza[0-9A-Za-z_-]{35}", v.token, 0.95,
    ),
    Recognizer(
        "github_token", "GITHUB_TOKEN", "secret",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b", v.token, 0.99,
    ),
    Recognizer(
        "slack_token", "SLACK_TOKEN", "secret", r"\bxox[abposr]-[0-9A-Za-z-]{10,72}", v.token,
        0.95,
    ),
    Recognizer(
        "stripe_key", "STRIPE_KEY", "secret", r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,99}\b",
        v.token, 0.95,
    ),
    Recognizer(
        "jwt", "JWT", "secret",
        r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}", v.jwt, 0.95,
    ),
    Recognizer(
        "url_credentials", "URL_CREDENTIALS", "secret",
        r"(?i:\b[a-z][a-z0-9+.-]{1,15}://[^\s:/@]{1,64}:[^\s:/@]{1,128}@)",
        v.url_credentials, 0.95,
    ),
    Recognizer(
        "password", "PASSWORD", "secret",
        r"(?i:\b(?:password|passwd|pwd|passphrase)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]{4,64}",
        v.password, 0.85,
    ),
    Recognizer(
        "high_entropy_secret", "SECRET", "secret",
        rf"(?i:\b{_SECRET_WORDS}[\"']?(?:\s*[:=]\s*|\s+)[\"']?)[A-Za-z0-9+/_.=-]{{16,256}}",
        v.high_entropy_secret, 0.85,
    ),
    # Government identifiers with check digits or strict formats.
    Recognizer(
        "passport_mrz", "PASSPORT", "government_id",
        r"\b[A-Z0-9<]{9}[0-9][A-Z<]{3}[0-9]{7}[MFX<][0-9]{7}[A-Z0-9<]{14}[0-9<][0-9]",
        v.passport_mrz, 0.99, checksum=True,
    ),
    Recognizer(
        "passport_context", "PASSPORT", "government_id",
        r"(?i:\b(?:passport|passeport|reisepass|pasaporte|passaporto)"
        r"(?: ?(?:no|number|nr|num|#|n°)\.?)?(?: is)?[\s:#=]{0,3})[A-Z0-9]{6,9}\b",
        v.passport_context, 0.8,
    ),
    Recognizer(
        "it_fiscal_code", "IT_FISCAL_CODE", "government_id",
        r"\b[A-Z]{6}[0-9]{2}[A-EHLMPR-T][0-9]{2}[A-Z][0-9]{3}[A-Z]\b", v.it_fiscal_code, 0.95,
        ("codice fiscale", "fiscal code", "cf"), 1.0, checksum=True,
    ),
    Recognizer(
        "es_nif", "ES_NIF", "government_id", r"\b(?:[0-9]{8}|[XYZ][0-9]{7})-?[A-Z]\b", v.es_nif,
        0.9, ("dni", "nif", "nie", "documento"), 1.0, checksum=True,
    ),
    Recognizer(
        "fr_nir", "FR_NIR", "government_id",
        r"\b[12] ?[0-9]{2} ?(?:0[1-9]|1[0-2]|[2-9][0-9]) ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3}"
        r" ?[0-9]{2}\b",
        v.fr_nir, 0.9, ("sécurité sociale", "securite sociale", "nir", "insee", "sécu"), 1.0,
        checksum=True,
    ),
    Recognizer(
        "uk_nino", "UK_NINO", "government_id",
        r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b", v.uk_nino,
        0.85, ("national insurance", "nino", "ni number", "ni no"), 1.0,
    ),
    Recognizer(
        "uk_nhs", "UK_NHS", "government_id",
        r"(?i:\bnhs(?: number| no\.?| num| #)?(?: is)?[\s:#=]{0,3})"
        r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}\b",
        v.after_context(v.uk_nhs), 0.95, checksum=True,
    ),
    Recognizer(
        "uk_nhs_column", "UK_NHS", "government_id", r"\b[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}\b",
        v.uk_nhs, 0.9, needs="column", checksum=True,
    ),
    Recognizer(
        "nl_bsn", "NL_BSN", "government_id",
        r"(?i:\b(?:bsn|burgerservicenummer|sofinummer|sofi)(?:[ -]?(?:nummer|number|nr\.?|no\.?))?"
        r"(?: is)?[\s:#=]{0,3})(?:[0-9]{9}|[0-9]{4}\.[0-9]{2}\.[0-9]{3})\b",
        v.after_context(v.nl_bsn), 0.95, checksum=True,
    ),
    Recognizer(
        "nl_bsn_column", "NL_BSN", "government_id",
        r"\b(?:[0-9]{9}|[0-9]{4}\.[0-9]{2}\.[0-9]{3})\b", v.nl_bsn, 0.9, needs="column",
        checksum=True,
    ),
    Recognizer(
        "us_ssn", "US_SSN", "government_id", r"\b[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}\b", v.us_ssn,
        0.8, ("ssn", "social security", "ss#", "ss no"), 1.0,
    ),
    Recognizer(
        "us_ssn_bare", "US_SSN", "government_id",
        r"(?i:\b(?:ssn|social security(?: number| no\.?)?|ss#|ss no\.?)(?: is)?[\s:#=]{0,3})"
        r"[0-9]{9}\b",
        v.after_context(v.us_ssn), 0.95,
    ),
    Recognizer(
        "us_ssn_column", "US_SSN", "government_id", r"\b[0-9]{9}\b", v.us_ssn, 0.9,
        needs="column",
    ),
    # Numbers introduced as references are not cards or phones: this exclusion wins the
    # overlap with them and is then dropped from the findings.
    Recognizer(
        "reference_number", EXCLUDED, "exclusion",
        r"(?i:\b(?:ref|reference|order|invoice|tracking|transaction|txn|ticket|case|booking"
        r"|confirmation)(?:[ -]?(?:no\.?|number|nr\.?|id))?[\s:#=]{0,3})[0-9][0-9 .-]{5,30}[0-9]\b",
        v.reference_number, 0.99,
    ),
    # Version and build numbers look like IPv4 addresses ("client version 7.15.49.228",
    # "upgraded to 10.4.2.1", "Chrome/120.0.6099.109", "1.2.3.4.5", "3.4.9.1-rc1"): these
    # exclusions win the overlap with the IP address and are then dropped too.
    Recognizer(
        "version_number", EXCLUDED, "exclusion",
        r"(?i:\b(?:version|ver\.?|v|release|rel|build|firmware|fw|patch|sdk|"
        r"(?:upgraded|updated|upgrading|updating|upgrade|update|downgraded|downgrading|"
        r"rolled back|rolling back|reverted|bumped|migrated|pinned|installing|installed)"
        r" (?:to|from))[\s:#=]{0,3}|\((?:was|previously|from) )v?[0-9]+(?:\.[0-9]+){2,5}"
        r"(?: to v?[0-9]+(?:\.[0-9]+){2,5})?\b",
        v.version_number, 0.99,
    ),
    Recognizer(
        "version_number_form", EXCLUDED, "exclusion",
        r"(?i:\b[a-z][a-z0-9_.-]{0,40}(?:/|==|@|-v|_v|\sv)[0-9]+(?:\.[0-9]+){2,5}\b"
        r"|\b[0-9]+(?:\.[0-9]+){4,}\b"
        r"|\b[0-9]+(?:\.[0-9]+){2,4}[-+~](?:rc|alpha|beta|dev|pre|post|snapshot|build|b|a|r)"
        r"[0-9]*\b)",
        v.version_number, 0.99,
    ),
    # Financial.
    Recognizer(
        "iban", "IBAN_CODE", "financial", r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b", v.iban,
        0.95, ("iban", "account", "bank", "transfer", "sepa"), 1.0, checksum=True,
    ),
    Recognizer(
        "credit_card", "CREDIT_CARD", "financial",
        r"\b(?:[0-9]{4}[ -][0-9]{4}[ -][0-9]{4}[ -][0-9]{1,7}"
        r"|[0-9]{4}[ -][0-9]{6}[ -][0-9]{4,5})\b",
        v.credit_card, 0.85, _CARD_CONTEXT, 1.0, checksum=True,
    ),
    # One in ten random digit strings passes Luhn: a bare run of digits counts as a card only
    # with a card word in the cell or a card-like column name (or with a lower min_score).
    Recognizer(
        "credit_card_digits", "CREDIT_CARD", "financial", r"\b[0-9]{12,19}\b", v.credit_card,
        0.45, _CARD_CONTEXT, 1.0, checksum=True,
    ),
    # Contact.
    Recognizer(
        "email", "EMAIL_ADDRESS", "contact",
        r"(?i:(?:[a-z][a-z0-9+.-]{1,15}://[^\s@/]{0,128})?\b[a-z0-9][a-z0-9._%+-]{0,63}"
        r"@(?:[a-z0-9-]{1,63}\.)+[a-z]{2,24}\b)",
        v.email, 0.9, ("email", "e-mail", "mail", "contact"), 1.0,
    ),
    Recognizer(
        "phone_international", "PHONE_NUMBER", "contact",
        r"(?:\+|\b00)[0-9]{1,3}(?:[ .-]?\(0?[0-9]{1,4}\))?(?:[ .-]?[0-9]{1,5}){1,6}" + _EXT,
        v.phone_international, 0.75, _PHONE_CONTEXT, 0.95,
    ),
    Recognizer(
        "phone_nanp", "PHONE_NUMBER", "contact",
        r"(?:\([0-9]{3}\)[ .-]?|\b[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}" + _EXT + r"\b",
        v.phone_nanp, 0.7, _PHONE_CONTEXT, 0.95,
    ),
    Recognizer(
        "phone_national_eu", "PHONE_NUMBER", "contact",
        r"(?:\(0[0-9]{1,4}\)[ ]?|\b0[0-9]{1,4}[ /.-]?)[0-9]{2,4}(?:[ .-]?[0-9]{2,4}){0,3}\b",
        v.phone_national_eu, 0.6, _PHONE_CONTEXT, 0.95,
    ),
    Recognizer(
        "phone_bare", "PHONE_NUMBER", "contact",
        r"(?i:\b(?:phone|telephone|tel|mobile|cell|call(?: me)?|text(?: me)?|sms|fax|whatsapp"
        r"|number|reach me)\.?(?: is| on| at)?[\s:#=]{0,3})[2-9][0-9]{9}\b",
        v.after_context(v.phone_bare), 0.85,
    ),
    Recognizer(
        "phone_column", "PHONE_NUMBER", "contact", r"\b[2-9][0-9]{9}\b", v.phone_bare, 0.85,
        needs="column",
    ),
    # Network.
    Recognizer(
        "ipv4", "IP_ADDRESS", "network", r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b", v.ipv4, 0.75,
        ("ip", "address", "client", "remote", "host", "src", "dst", "from", "login"), 0.95,
    ),
    Recognizer(
        "ipv6", "IP_ADDRESS", "network", r"(?i:(?:\b[0-9a-f]{1,4}|)(?::[0-9a-f]{0,4}){3,7})",
        v.ipv6, 0.85, ("ip", "address", "client", "remote", "host", "src", "dst"), 0.95,
    ),
    Recognizer(
        "mac", "MAC_ADDRESS", "network",
        r"(?i:\b[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}\b|\b[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}\b)",
        v.mac, 0.8, ("mac", "device", "hardware", "ether", "wifi", "bssid"), 0.95,
    ),
    # Dates of birth: by the words around them, or by the column's name.
    Recognizer(
        "date_of_birth", "DATE_OF_BIRTH", "date",
        r"(?i:\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|birthday|born(?: on| in)?"
        r"|geboren(?: am)?|n[ée]e? le|fecha de nacimiento)[\s:=,\"'-]{0,4}(?:is |on |was )?"
        + _DATE
        + ")",
        v.date_of_birth, 0.9,
    ),
    Recognizer(
        "date_of_birth_column", "DATE_OF_BIRTH", "date", r"(?i:" + _DATE + ")", v.date_of_birth,
        0.9, needs="column",
    ),
)  # fmt: skip

ENTITIES: tuple[str, ...] = tuple(sorted({r.entity for r in RECOGNIZERS} - {EXCLUDED}))

#: Entities whose every recognizer checks a check digit.
CHECKSUM_ENTITIES: frozenset[str] = frozenset(
    e for e in ENTITIES if all(r.checksum for r in RECOGNIZERS if r.entity == e)
)

_ENTITY_OF_SECRET = {r.entity: "SECRET" for r in RECOGNIZERS if r.category == "secret"}


def column_tokens(name: str) -> str:
    """``customerEmail.Address`` → ``_customer_email_address_`` (for column hints)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    tokens = [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]
    return "_" + "_".join(tokens) + "_"


def column_entities(name: str) -> frozenset[str]:
    """The entity types a column's name suggests (secrets all share the ``SECRET`` hint)."""
    tokens = column_tokens(name)
    hinted = {entity for entity, hint in COLUMN_HINTS.items() if re.search(hint, tokens)}
    if "SECRET" in hinted:
        hinted |= set(_ENTITY_OF_SECRET)
    return frozenset(hinted)
