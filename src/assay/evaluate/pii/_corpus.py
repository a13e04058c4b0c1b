"""A labelled corpus of support-chat and log lines for measuring recall and precision.

The personal data comes from Faker (a test dependency, imported here only) and from small
generators written for this file with their own check-digit code; the labels are what the
generator inserted, never what the scanner finds. Lines also carry hard negatives: order numbers,
hashes, UUIDs, timestamps, version strings, numbers that fail a checksum.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from assay.errors import InputError

Label = tuple[str, str]


@dataclass(frozen=True)
class Corpus:
    """Lines of text and, for each line, the (entity, value) pairs planted in it."""

    texts: list[str]
    labels: list[list[Label]]

    def frame(self) -> pl.DataFrame:
        """The lines as a one-column frame ``text``."""
        return pl.DataFrame({"text": self.texts})


def _faker(seed: int) -> Any:
    try:
        from faker import Faker
    except ImportError:
        raise InputError(
            "The labelled corpus needs Faker, a test dependency: pip install 'assay-rai[dev]'."
        ) from None
    fake = Faker(["en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "nl_NL"])
    fake.seed_instance(seed)
    return fake


def _nhs(rng: random.Random) -> str:
    while True:
        body = [rng.randrange(10) for _ in range(9)]
        total = sum(d * (10 - i) for i, d in enumerate(body))
        check = (11 - total % 11) % 11
        if check != 10:
            s = "".join(map(str, body)) + str(check)
            return f"{s[:3]} {s[3:6]} {s[6:]}" if rng.random() < 0.7 else s


def _nino(rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    while first + second in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
        second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    d = "".join(rng.choice(string.digits) for _ in range(6))
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{first}{second} {d[:2]} {d[2:4]} {d[4:]} {suffix}"
    return f"{first}{second}{d}{suffix}"


def _phone(fake: Any, rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        return str(fake["en_US"].phone_number())
    if kind < 0.6:
        return str(fake["en_GB"].phone_number())
    if kind < 0.8:
        return str(fake["fr_FR"].phone_number())
    cc, length = rng.choice([("49", 11), ("34", 9), ("39", 10), ("31", 9), ("61", 9), ("81", 10)])
    national = str(rng.randint(2, 9)) + "".join(
        rng.choice(string.digits) for _ in range(length - 1)
    )
    parts = [national[i : i + 3] for i in range(0, len(national), 3)]
    return f"+{cc} " + " ".join(parts)


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _alnum(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _dob(fake: Any, rng: random.Random) -> str:
    d = fake.date_of_birth(minimum_age=18, maximum_age=90)
    style = rng.randrange(4)
    if style == 0:
        return str(d.isoformat())
    if style == 1:
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if style == 2:
        return f"{d.day} {d.strftime('%B')} {d.year}"
    return f"{d.strftime('%B')} {d.day}, {d.year}"


def _iban(fake: Any, rng: random.Random) -> str:
    value = str(fake[rng.choice(["en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"])].iban())
    if rng.random() < 0.5:
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return value


# Faker's card types except Maestro, whose Faker ranges include a prefix (0604) no issuer uses.
_CARD_TYPES = ("visa16", "visa13", "visa19", "mastercard", "amex", "discover", "diners", "jcb15",
               "jcb16")  # fmt: skip

# entity -> (generator, templates with and without context)
Generator = Callable[[Any, random.Random], str]
SPECS: dict[str, tuple[Generator, tuple[str, ...]]] = {
    "EMAIL_ADDRESS": (
        lambda f, r: str(f.email()),
        ("Please update my email to {v} thanks", "Contact: {v}", "{v} wrote:",
         "sent the invoice to {v} yesterday", "user={v} action=login"),
    ),
    "PHONE_NUMBER": (
        _phone,
        ("call me on {v}", "my number is {v}", "phone: {v}", "You can reach me at {v} after 5pm",
         "mobile {v}", "I'm at {v} today", "tel. {v}"),
    ),
    "CREDIT_CARD": (
        lambda f, r: str(f.credit_card_number(card_type=r.choice(_CARD_TYPES))),
        ("my card {v} was declined", "charged twice on {v}", "cc: {v}", "payment with {v} failed",
         "{v} exp 04/27"),
    ),
    "IBAN_CODE": (
        _iban,
        ("please refund to IBAN {v}", "account {v}", "transfer to {v} today", "{v} is my account"),
    ),
    "US_SSN": (
        lambda f, r: str(f["en_US"].ssn()),
        ("SSN {v}", "my social security number is {v}", "{v} is the number on file"),
    ),
    "IP_ADDRESS": (
        lambda f, r: str(f.ipv4_public() if r.random() < 0.7 else f.ipv6()),
        ("login from {v}", "client={v} status=200", "request {v} GET /api/v1/orders",
         "{v} blocked"),
    ),
    "MAC_ADDRESS": (
        lambda f, r: str(f.mac_address()),
        ("device {v} connected", "mac={v}", "router saw {v}"),
    ),
    "DATE_OF_BIRTH": (
        _dob,
        ("born on {v}", "DOB: {v}", "date of birth {v}", "my birthday is {v}"),
    ),
    "ES_NIF": (
        lambda f, r: str(f["es_ES"].nif() if r.random() < 0.5 else f["es_ES"].nie()),
        ("DNI {v}", "mi NIE es {v}", "NIF: {v}", "documento {v} adjunto"),
    ),
    "IT_FISCAL_CODE": (
        lambda f, r: str(f["it_IT"].ssn()),
        ("codice fiscale {v}", "CF: {v}", "il mio codice è {v}"),
    ),
    "NL_BSN": (
        lambda f, r: str(f["nl_NL"].ssn()),
        ("BSN {v}", "mijn burgerservicenummer is {v}"),
    ),
    "FR_NIR": (
        lambda f, r: str(f["fr_FR"].ssn()),
        ("numéro de sécurité sociale {v}", "NIR {v}", "mon numéro sécu est {v}"),
    ),
    "UK_NHS": (
        lambda f, r: _nhs(r),
        ("NHS number {v}", "my NHS no is {v}", "patient nhs {v}"),
    ),
    "UK_NINO": (
        lambda f, r: _nino(r),
        ("NI number {v}", "national insurance {v}", "NINO: {v}", "{v} on my payslip"),
    ),
    "PASSPORT": (
        lambda f, r: str(f["en_US"].passport_number()),
        ("passport {v}", "passport number: {v}", "my passport no. {v} expires soon"),
    ),
    "AWS_ACCESS_KEY": (
        lambda f, r: "AKIA" + _alnum(r, 16, string.ascii_uppercase + "234567"),
        ("aws_access_key_id = {v}", "key {v} leaked in the build log"),
    ),
    "GITHUB_TOKEN": (
        lambda f, r: "ghp_" + _alnum(r, 36),
        ("GITHUB_TOKEN={v}", "pushed with {v}"),
    ),
    "JWT": (
        lambda f, r: _b64({"alg": "HS256", "typ": "JWT"}) + "."
        + _b64({"sub": str(r.randrange(10**6)), "iat": r.randrange(10**9)}) + "."
        + _alnum(r, 43, string.ascii_letters + string.digits + "-_"),
        ("Authorization: JWT {v}", "cookie session={v}"),
    ),
    "PASSWORD": (
        lambda f, r: str(f.password(length=12)),
        ("password={v}", "db password: {v}", "pwd = {v}"),
    ),
}  # fmt: skip

_NEGATIVES: tuple[Callable[[Any, random.Random], str], ...] = (
    lambda f, r: f"order #{r.randrange(10**7, 10**9)} shipped",
    lambda f, r: f"trace {f.uuid4()}",
    lambda f, r: f"commit {f.sha1()}",
    lambda f, r: f"at {f.date_time_this_year().isoformat(sep=' ', timespec='seconds')}",
    lambda f, r: f"meeting on {f.date_this_decade().isoformat()}",
    lambda f, r: f"version {r.randrange(1, 9)}.{r.randrange(20)}.{r.randrange(50)}",
    lambda f, r: f"total ${r.randrange(1, 5000)}.{r.randrange(100):02d}",
    lambda f, r: f"ticket TCK-{r.randrange(10**5, 10**6)}",
    lambda f, r: f"took {r.randrange(1, 59)}:{r.randrange(60):02d}:{r.randrange(60):02d}",
    lambda f, r: f"ref {r.randrange(10**15, 10**16)}",
    lambda f, r: "asset logo@2x.png loaded",
    lambda f, r: f"localhost:{r.randrange(1024, 65535)}",
    lambda f, r: f"{r.randrange(10, 99)}% done",
    lambda f, r: f"sku {r.randrange(10**11, 10**16)} in stock",
)


def labelled_corpus(n: int = 20_000, *, seed: int = 7, pii_share: float = 0.6) -> Corpus:
    """``n`` lines; a share ``pii_share`` carry one to three planted entities.

    Examples
    --------
    >>> len(labelled_corpus(3, seed=1).texts)
    3
    """
    fake = _faker(seed)
    rng = random.Random(seed)
    names = sorted(SPECS)
    texts: list[str] = []
    labels: list[list[Label]] = []
    for _ in range(n):
        parts: list[str] = []
        planted: list[Label] = []
        if rng.random() < pii_share:
            for entity in rng.sample(names, rng.choice((1, 1, 2, 3))):
                gen, templates = SPECS[entity]
                value = gen(fake, rng)
                parts.append(rng.choice(templates).format(v=value))
                planted.append((entity, value))
        for _ in range(rng.choice((0, 1, 1, 2))):
            parts.append(rng.choice(_NEGATIVES)(fake, rng))
        if rng.random() < 0.5:
            parts.append(str(fake["en_US"].sentence(nb_words=rng.randrange(4, 12))))
        rng.shuffle(parts)
        texts.append(" ; ".join(parts) if parts else "ok")
        labels.append(planted)
    return Corpus(texts, labels)


def _norm(value: str) -> str:
    return "".join(ch for ch in value.lower() if ch.isalnum())


def _same(a: str, b: str) -> bool:
    na, nb = _norm(a), _norm(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    short, long_ = sorted((na, nb), key=len)
    # A phone written with or without its extension or trunk "(0)" is the same phone.
    return short in long_ and len(short) / len(long_) >= 0.75


def score(corpus: Corpus, detected: list[list[Label]]) -> pl.DataFrame:
    """True positives, false positives and false negatives per entity type, with precision and
    recall. A detection matches a label of the same type whose value is the same up to
    punctuation and spacing (or contains it, covering at least 75% of it)."""
    if len(detected) != len(corpus.labels):
        raise InputError("detected must have one list of findings per corpus line.")
    tally: dict[str, list[int]] = {}
    for truth, found in zip(corpus.labels, detected, strict=True):
        unmatched = list(truth)
        for entity, value in found:
            hit = next(
                (i for i, (e, v) in enumerate(unmatched) if e == entity and _same(v, value)), None
            )
            counts = tally.setdefault(entity, [0, 0, 0])
            if hit is None:
                counts[1] += 1
            else:
                counts[0] += 1
                unmatched.pop(hit)
        for entity, _ in unmatched:
            tally.setdefault(entity, [0, 0, 0])[2] += 1
    rows = []
    for entity, (tp, fp, fn) in sorted(tally.items()):
        rows.append(
            {
                "entity": entity,
                "labelled": tp + fn,
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "precision": tp / (tp + fp) if tp + fp else None,
                "recall": tp / (tp + fn) if tp + fn else None,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


def assay_detections(texts: list[str], *, min_score: float = 0.5) -> list[list[Label]]:
    """What Assay's recognizers find in each line, as (entity, value) lists."""
    from assay.evaluate.pii._detect import ROW, findings

    frame = pl.DataFrame({"text": texts}).with_row_index(ROW)
    found, _ = findings(frame, ["text"], min_score=min_score)
    out: list[list[Label]] = [[] for _ in texts]
    for row, entity, value in found.select(ROW, "entity", "value").iter_rows():
        out[row].append((entity, value))
    return out
