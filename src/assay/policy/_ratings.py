"""Risk ratings: the one home of the likelihood × severity bands of the 5×5 matrix.

Every consumer — the register's order (built as SQL from :data:`RATING_BANDS`), the approval and
gate rules, the dashboard's and the risk assessment's heat maps, the documents' prose — rates a
risk with these functions, so a band can only change here.
"""

from __future__ import annotations

__all__ = [
    "HEAT_MAP_AXES",
    "RATINGS",
    "RATING_BANDS",
    "RATING_FILL",
    "current_scores",
    "describe_bands",
    "rating",
    "rating_of_score",
    "rating_rank",
]

#: (lowest score, rating), most severe first: a score takes the first band it reaches.
RATING_BANDS: tuple[tuple[int, str], ...] = (
    (20, "critical"),
    (10, "high"),
    (5, "medium"),
    (1, "low"),
)
#: The ratings, most severe first.
RATINGS: tuple[str, ...] = tuple(name for _, name in RATING_BANDS)
#: The colour of each rating's cells on every heat map, most severe first.
RATING_FILL: dict[str, str] = dict(
    zip(RATINGS, ("#ffc1c0", "#ffd8b5", "#fff3b0", "#dafbe1"), strict=True)
)
#: How every heat map is drawn: likelihood on the rows (rising upwards), severity on the columns.
HEAT_MAP_AXES = ("likelihood", "severity")


def rating_of_score(score: int) -> str:
    """The rating of a likelihood × severity score (1–25).

    >>> rating_of_score(20), rating_of_score(16), rating_of_score(5), rating_of_score(4)
    ('critical', 'high', 'medium', 'low')
    """
    return next(name for low, name in RATING_BANDS if score >= low)


def rating(likelihood: int, severity: int) -> str:
    """The rating of a likelihood and a severity, each 1–5.

    >>> rating(4, 5), rating(3, 4), rating(2, 3), rating(1, 4)
    ('critical', 'high', 'medium', 'low')
    """
    return rating_of_score(likelihood * severity)


def rating_rank(name: str) -> int:
    """0 for the most severe rating, up to ``len(RATINGS) - 1`` for the least.

    >>> rating_rank("critical"), rating_rank("low")
    (0, 3)
    """
    return RATINGS.index(name)


def current_scores(
    inherent_likelihood: int,
    inherent_severity: int,
    residual_likelihood: int | None,
    residual_severity: int | None,
) -> tuple[int, int]:
    """The scores a risk is rated on now: residual when both are assessed, else inherent.

    >>> current_scores(5, 5, 2, 2), current_scores(5, 5, 2, None)
    ((2, 2), (5, 5))
    """
    if residual_likelihood is not None and residual_severity is not None:
        return residual_likelihood, residual_severity
    return inherent_likelihood, inherent_severity


def describe_bands() -> str:
    """The bands in words, for documents.

    >>> describe_bands()
    'critical 20–25, high 10–19, medium 5–9, low 1–4'
    """
    parts = []
    top = 25
    for low, name in RATING_BANDS:
        parts.append(f"{name} {low}–{top}")
        top = low - 1
    return ", ".join(parts)
