"""Helpers shared by the web tests."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from fastapi.testclient import TestClient

from assay.policy import ROLES as ROLES

PASSWORD = "correct horse battery"


def login(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Log ``client`` in; return the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = client.post(
        "/login",
        data={"user": user, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    me = client.get("/api/me").json()
    return str(me["csrf_token"])


def pin_today(app: Any, today: dt.date | None = None) -> dt.date:
    """Stop the app's clock at noon UTC of ``today`` (default: the current day) and return that
    day: a test that types dates relative to it and reads "overdue 3 d" back cannot straddle
    midnight (requests are still judged by the workspace's clock, not the test's)."""
    today = today or dt.datetime.now(dt.UTC).date()
    noon = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
    app.state.base.clock = lambda: noon
    return today


def intake_answers(questionnaire: Any) -> dict[str, Any]:
    """Plain answers to every question: text, the first option, no, a far date."""
    answers: dict[str, Any] = {}
    for q in questionnaire.questions:
        if q.type == "multi":
            answers[q.id] = [q.options[0][0]]
        elif q.type == "choice":
            answers[q.id] = q.options[0][0]
        elif q.type == "boolean":
            answers[q.id] = False
        elif q.type == "date":
            answers[q.id] = "2099-01-01"
        else:
            answers[q.id] = "A plain answer."
    return answers


@functools.cache
def fairness_result() -> dict[str, Any]:
    """A real ``assay.fairness/v1`` result on 400 rows: selection rates 0.6 and 0.3 by sex."""
    import polars as pl

    from assay.evaluate import fairness

    rows = []
    for sex, rate in (("F", 0.3), ("M", 0.6)):
        for i in range(200):
            pred = int(i < rate * 200)
            rows.append({"sex": sex, "y": int(i % 2 == 0), "pred": pred})
    result = fairness(
        pl.DataFrame(rows),
        y_true="y",
        y_pred="pred",
        sensitive_features="sex",
        thresholds={"demographic_parity_difference": 0.1},
        n_bootstrap=100,
    )
    return result.to_dict()
