"""A synthetic support-chat log with planted personal data, for the demo (no Faker needed).

Every value is generated: names from short lists, e-mail addresses at example domains, phone
numbers in fictional ranges (555-01xx in North America, Ofcom's drama ranges in the UK), card
numbers built to pass Luhn in test ranges, IBANs with correct check digits.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.evaluate.pii import iban_checksum_ok, luhn_ok

SEED = 20240601
_FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemi",
          "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tariq"]  # fmt: skip
_LAST = ["Alvarez", "Brown", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
         "Jones", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Schmidt",
         "Tanaka", "Weber"]  # fmt: skip
_DOMAINS = ["example.com", "example.org", "example.net", "mail.example"]
_COUNTRIES = ["US", "GB", "DE", "FR", "ES", "IT", "NL"]
_TOPICS = [
    "My order has not arrived yet.",
    "I was charged twice this month.",
    "How do I reset my password?",
    "The app crashes when I open settings.",
    "Can I change my delivery address?",
    "I'd like to cancel my subscription.",
]
_AGENT = [
    "Thanks for reaching out, I'm looking into it now.",
    "I have escalated this to our billing team.",
    "Could you confirm the details on the account?",
    "That should be fixed now, sorry for the trouble.",
]


def _card(rng: random.Random) -> str:
    while True:
        body = "4" + "".join(str(rng.randrange(10)) for _ in range(14))
        for check in "0123456789":
            if luhn_ok(body + check):
                n = body + check
                return f"{n[:4]} {n[4:8]} {n[8:12]} {n[12:]}"


def _iban(rng: random.Random) -> str:
    bban = "".join(str(rng.randrange(10)) for _ in range(18))
    for check in range(2, 99):
        value = f"DE{check:02d}{bban}"
        if iban_checksum_ok(value):
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    raise AssertionError("unreachable: one check number in 2..98 always fits")


def _phone(rng: random.Random, country: str) -> str:
    if country == "GB":
        return f"+44 7700 900{rng.randrange(1000):03d}"
    return f"+1 ({rng.choice(['202', '415', '617'])}) 555-01{rng.randrange(100):02d}"


def demo_support_log(path: str | Path, *, n: int = 2_000, seed: int = SEED) -> Path:
    """Write a synthetic support-chat log (JSONL, nested fields) with planted personal data.

    Each line is a chat with ``ticket`` and ``customer`` objects, a list of ``messages`` and a
    ``client`` object. Customers' e-mail addresses and phone numbers sit in their fields; the
    free-text messages sometimes repeat them and sometimes hold a card number, an IBAN, a date of
    birth or (rarely) a leaked API token; ``client.ip`` is an IP address.

    Parameters
    ----------
    path
        The ``.jsonl`` file to write (its folder must exist).
    n
        Number of chats.
    seed
        Random seed; the same seed writes the same file.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = demo_support_log(pathlib.Path(tempfile.mkdtemp()) / "chats.jsonl", n=5)
    >>> sum(1 for _ in out.open())
    5
    """
    out = Path(path)
    if not out.parent.exists():
        raise InputError(f"The folder '{out.parent}' does not exist; create it first.")
    if n < 1:
        raise InputError(f"n must be a positive number of chats; got {n!r}.")
    rng = random.Random(seed)
    start = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    lines = [json.dumps(_chat(rng, i, start), ensure_ascii=False) for i in range(n)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _chat(rng: random.Random, i: int, start: datetime) -> dict[str, Any]:
    """The ``i``-th chat: a customer, what they wrote (with planted data) and the agent's reply."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    country = rng.choice(_COUNTRIES)
    email = f"{first.lower()}.{last.lower()}{rng.randrange(100)}@{rng.choice(_DOMAINS)}"
    phone = _phone(rng, country)
    said = _customer_text(rng, first, last, email, phone)
    messages = [{"from": "customer", "text": said}]
    messages.append({"from": "agent", "text": rng.choice(_AGENT)})
    return {
        "ts": (start + timedelta(minutes=7 * i)).isoformat(),
        "ticket": {
            "id": f"T-{100000 + i}",
            "channel": rng.choice(["chat", "email", "app"]),
            "priority": rng.choice(["low", "normal", "high"]),
        },
        "customer": {
            "id": f"C{rng.randrange(10**6):06d}",
            "email": email,
            "phone": phone,
            "country": country,
        },
        "messages": messages,
        "client": {
            "ip": f"{rng.choice([81, 92, 185, 203])}.{rng.randrange(256)}."
            f"{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "app_version": f"5.{rng.randrange(10)}.{rng.randrange(20)}",
        },
        "resolved": rng.random() < 0.8,
    }


def _customer_text(rng: random.Random, first: str, last: str, email: str, phone: str) -> str:
    """A topic, and in about a third of chats a planted card, IBAN, phone, e-mail, birth date
    or (rarely) API token."""
    said = [rng.choice(_TOPICS)]
    roll = rng.random()
    if roll < 0.10:
        said.append(f"My card {_card(rng)} was charged twice.")
    elif roll < 0.16:
        said.append(f"Please refund to my IBAN {_iban(rng)}.")
    elif roll < 0.24:
        said.append(f"You can call me on {phone}.")
    elif roll < 0.30:
        said.append(f"It's {first} {last}, my email is {email}.")
    elif roll < 0.34:
        born = datetime(rng.randrange(1950, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
        said.append(f"For verification: date of birth {born:%d/%m/%Y}.")
    elif roll < 0.35:
        alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        token = "ghp_" + "".join(rng.choice(alphabet) for _ in range(36))
        said.append(f"Here is the log from my script: GITHUB_TOKEN={token}")
    return " ".join(said)
