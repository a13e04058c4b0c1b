"""A realistic 2,000-line service log, generated deterministically, with every IP address known.

Written for issue 20 before the version-string exclusion, so that the IP recognizer's precision
is measured on lines it was not shaped around: web access logs, SSH and application logs with
client addresses, and the version numbers such logs are full of (upgrades, builds, user agents,
firmware, package pins, dotted build numbers, release candidates). ``lines()`` returns
``(line, ips)`` where ``ips`` are the addresses a careful reader would call IP addresses.
"""

from __future__ import annotations

import random

LINES = 2_000
SEED = 20


def _ip(rng: random.Random) -> str:
    first = rng.choice([23, 34, 52, 81, 91, 104, 141, 176, 185, 203, 212, 217])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _private(rng: random.Random) -> str:
    return rng.choice(
        [f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
         f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
         f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"]
    )  # fmt: skip


def _version(rng: random.Random, parts: int = 4) -> str:
    head = [rng.randint(1, 12), rng.randint(0, 60), rng.randint(0, 99)]
    return ".".join(str(p) for p in [*head, rng.randint(0, 255)][:parts])


def _ip_line(rng: random.Random) -> tuple[str, list[str]]:
    ip = _ip(rng) if rng.random() < 0.7 else _private(rng)
    ts = f"2026-11-{rng.randint(1, 30):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
    templates = [
        f'{ip} - - [{ts}] "GET /api/v2/claims/{rng.randint(1000, 9999)} HTTP/1.1" 200 {rng.randint(200, 9000)}',  # noqa: E501
        f"{ts} sshd[{rng.randint(100, 9999)}]: Accepted publickey for deploy from {ip} port {rng.randint(1024, 65535)}",  # noqa: E501
        f"{ts} WARN login failed for user id={rng.randint(1, 99999)} from {ip}",
        f"{ts} INFO request_id={rng.getrandbits(32):08x} client_ip={ip} status=200",
        f"{ts} INFO upstream {ip}:8080 healthy",
        f"{ts} ERROR connection reset by peer {ip}",
        f"{ts} INFO session started remote={ip} ua=Mozilla/5.0",
        f"{ts} DEBUG X-Forwarded-For: {ip}",
    ]
    return rng.choice(templates), [ip]


def _version_line(rng: random.Random) -> tuple[str, list[str]]:
    v = _version(rng)
    ts = f"2026-11-{rng.randint(1, 30):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
    templates = [
        f"{ts} INFO client version {v} connected",
        f"{ts} INFO upgraded to {v}",
        f"{ts} INFO updated to {v} (was {_version(rng)})",
        f"{ts} WARN agent version {v} is deprecated",
        f"{ts} INFO build {v} deployed to production",
        f"{ts} INFO firmware {v} installed on device {rng.randint(100, 999)}",
        f"{ts} INFO release {v} tagged",
        f"{ts} INFO rolled back to {v}",
        f'{ts} INFO user agent "Mozilla/5.0 Chrome/{rng.randint(90, 130)}.0.{rng.randint(1000, 6999)}.{rng.randint(10, 250)}"',  # noqa: E501
        f"{ts} INFO assay-agent/{v} starting",
        f"{ts} INFO package pinned: libfoo=={v}",
        f"{ts} INFO schema migrated from {_version(rng)} to {v}",
        f"{ts} INFO version {_version(rng, 5)} checks passed",
        f"{ts} INFO running v{v}",
        f"{ts} INFO installing {v}-rc1",
    ]
    return rng.choice(templates), []


def _plain_line(rng: random.Random) -> tuple[str, list[str]]:
    ts = f"2026-11-{rng.randint(1, 30):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
    templates = [
        f"{ts} INFO claim {rng.randint(10000, 99999)} assessed in {rng.randint(1, 900)} ms",
        f"{ts} INFO cache hit ratio 0.{rng.randint(10, 99)}",
        f"{ts} INFO queue depth {rng.randint(0, 500)}",
        f"{ts} INFO p95 latency {rng.randint(10, 900)}.{rng.randint(0, 9)} ms",
        f"{ts} DEBUG retry {rng.randint(1, 5)} of 5",
    ]
    return rng.choice(templates), []


def lines(n: int = LINES, seed: int = SEED) -> list[tuple[str, list[str]]]:
    """``n`` log lines: about 45% with a client IP, 35% with a version, 20% neither."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        roll = rng.random()
        make = _ip_line if roll < 0.45 else _version_line if roll < 0.8 else _plain_line
        out.append(make(rng))
    return out
