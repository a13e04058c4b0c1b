"""The demo program's cast: the systems its history is about, their intake answers, and the
timeline that maps "program time" (quarters, as a float) onto the calendar.

A program time ``q`` is a quarter index plus a fraction: ``1.5`` is halfway through the second of
the four reporting periods the dashboard shows, the current one being the last. The current
period ends at the demo's start, so its fractions are squeezed into the days it has had so far.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from assay.policy import TREND_PERIODS, reporting_periods

__all__ = ["CAST", "Cast", "Timeline", "intake_answers"]

#: How long before the demo's start its history stops: its last writes are a little in the past.
_MARGIN = dt.timedelta(hours=2)


@dataclass(frozen=True)
class Cast:
    """One AI system of the demo program."""

    name: str
    purpose: str
    tier: str
    generative: bool
    #: Its lifecycle status when the history starts: systems already live are inventoried first.
    lifecycle: str
    owner: str
    sensitive: tuple[str, ...] = ("sex", "age_band")
    #: The business unit it belongs to (:data:`DEMO_ORGS`); None: the main organisation.
    org: str | None = None


#: The demo's business units besides the central programme: (name, title).
DEMO_ORGS: tuple[tuple[str, str], ...] = (
    ("cards", "Cards and payments"),
    ("insurance", "Insurance"),
)


CAST: tuple[Cast, ...] = (
    Cast("credit-limit", "Sets the first credit limit of new card customers.", "high", False,
         "production", "sam", org="cards"),
    Cast("fraud-screen", "Flags card payments for a fraud analyst to check.", "limited", False,
         "production", "sam", org="cards"),
    Cast("churn-forecast", "Forecasts which business accounts may leave next quarter.", "minimal",
         False, "production", "ada"),
    Cast("support-assistant", "Answers customers' questions in the help chat.", "limited", True,
         "production", "sam", ("language", "channel")),
    Cast("resume-ranker", "Orders job applications for a recruiter to read.", "high", False,
         "validation", "ada"),
    Cast("claims-triage", "Routes insurance claims to fast-track or manual handling.", "high",
         False, "development", "sam", org="insurance"),
    Cast("doc-summariser", "Summarises internal policy documents for staff.", "minimal", True,
         "development", "ada", ("language", "department")),
    Cast("pricing-elasticity", "Estimates price sensitivity by product line.", "minimal", False,
         "development", "sam", ("region", "segment")),
    Cast("kyc-name-match", "Matches customer names against sanctions lists.", "limited", False,
         "development", "ada", ("script", "country"), org="cards"),
    Cast("marketing-copy", "Drafts marketing e-mails that a person edits and sends.", "minimal",
         True, "proposed", "sam", ("language", "segment")),
    Cast("call-transcriber", "Transcribes and summarises support calls.", "limited", True,
         "proposed", "ada", ("accent", "channel")),
    Cast("tenant-screening", "Scores rental applications for a letting agent.", "high", False,
         "proposed", "sam", org="insurance"),
)  # fmt: skip


def intake_answers(system: Cast) -> dict[str, Any]:
    """Intake answers that screen ``system`` into its tier."""
    high = system.tier == "high"
    limited = system.tier == "limited"
    area = "employment" if system.name == "resume-ranker" else "essential_services"
    return {
        "purpose": system.purpose,
        "users": "Staff who act on its outputs; customers are affected.",
        "prohibited_practices": ["none"],
        "annex_iii_areas": [area] if high else ["none"],
        "user_impact": "significant" if high else ("moderate" if limited else "minor"),
        "autonomy": "human_in_the_loop" if high else "human_decides",
        "personal_data": "personal" if high or limited else "none",
        "generative": system.generative,
        "scale": "over_100k" if system.lifecycle == "production" else "1k_to_100k",
    }


@dataclass(frozen=True)
class Timeline:
    """The reporting periods the history covers, as UTC windows ``[start, end)``."""

    windows: tuple[tuple[dt.datetime, dt.datetime], ...]

    @classmethod
    def ending(cls, now: dt.datetime) -> Timeline:
        """The :data:`TREND_PERIODS` periods up to the one containing ``now``; the last one
        ends a little before ``now``."""
        windows = []
        for first, last in reporting_periods(now.date(), TREND_PERIODS):
            lo = dt.datetime.combine(first, dt.time(8), tzinfo=dt.UTC)
            hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
            hi = min(hi, now - _MARGIN)
            windows.append((lo, max(lo, hi)))
        return cls(tuple(windows))

    @property
    def start(self) -> dt.datetime:
        """When the program starts: a week before the first period."""
        return self.windows[0][0] - dt.timedelta(days=7)

    @property
    def end(self) -> dt.datetime:
        """When the history stops."""
        return self.windows[-1][1]

    def at(self, q: float) -> dt.datetime | None:
        """The moment of program time ``q``; None when it is not reached before the end."""
        index = int(q)
        if q < 0 or index >= len(self.windows):
            return None
        lo, hi = self.windows[index]
        moment = lo + (hi - lo) * (q - index)
        return moment if moment < self.end else None

    def day(self, q: float) -> dt.date:
        """The date of program time ``q``, also past the end (a due date still to come)."""
        moment = self.at(q)
        if moment is None:
            moment = self.end + dt.timedelta(days=max(1.0, 91.0 * (q - len(self.windows))))
        return moment.date()
