"""Four quarters of a plausible Responsible-AI program, written into the demo's workspace.

:func:`seed_history` plans the program first — twelve systems across tiers (predictive and
generative), ten reviews a quarter at every stage (some returned for rework, some late), risks
with remediation actions closed on time or late, waivers granted, renewed, revoked and left to
expire, monitoring alerts judged meaningful or noise, two incidents with their bundles and
postmortems — as events at moments of the reporting periods the dashboard shows. It then plays
them in time order: before each event the demo's clock (:class:`~assay.demo._clock.DemoClock`) is
set to its moment, and the event is a public governance call made by the demo user whose role
does it. Every record and audit event is therefore stamped with the moment it happened and
attributed to its author; separation of duties holds (requesters and packet builders never
decide) and the audit chain stays in order and valid. A seeded random generator makes the same
program every time for the same "now".
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.demo._clock import DemoClock
from assay.demo._history_cast import CAST, Cast, Timeline
from assay.demo._history_more import plan_alerts, plan_incidents, plan_waivers
from assay.demo._history_steps import Steps
from assay.governance import Workspace

__all__ = ["HISTORY_SEED", "History", "Plan", "plan_history", "seed_history"]

#: The seed of the program's random choices.
HISTORY_SEED = 20_26
#: Reviews opened per quarter.
REVIEWS_PER_QUARTER = 10
#: Risks found per quarter.
RISKS_PER_QUARTER = 5


#: The stage the last quarter's latest reviews stop at, by how many reviews from the end.
_UNDER_WAY = {1: "intake", 2: "triaged", 3: "in_evaluation", 4: "ready_for_review"}


@dataclass(frozen=True)
class History:
    """What :func:`seed_history` wrote: counts by kind of event, and the period it covers."""

    start: dt.datetime
    end: dt.datetime
    counts: dict[str, int]


@dataclass(order=True)
class _Event:
    at: dt.datetime
    seq: int
    actor: str = field(compare=False)
    do: Callable[..., None] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False)


class Plan:
    """The program's events, planned at program times (see :class:`Timeline`)."""

    def __init__(self, timeline: Timeline, rng: random.Random) -> None:
        self.timeline = timeline
        self.rng = rng
        self.events: list[_Event] = []
        #: When each system is registered, in program time.
        self.registered: dict[str, float] = {}

    def at(self, q: float, actor: str, do: Callable[..., None], *args: Any) -> bool:
        """Plan ``do(workspace, *args)`` by ``actor`` at program time ``q``; False when ``q`` is
        not reached."""
        moment = self.timeline.at(q)
        if moment is None:
            return False
        self.events.append(_Event(moment, len(self.events), actor, do, args))
        return True

    def systems_by(self, q: float) -> list[Cast]:
        """The systems registered before program time ``q``."""
        return [s for s in CAST if self.registered.get(s.name, q) < q]


def seed_history(
    workspace: Workspace,
    clock: DemoClock,
    folder: Path,
    *,
    now: dt.datetime | None = None,
    seed: int = HISTORY_SEED,
) -> History:
    """Write four quarters of program history into ``workspace``, ending a little before ``now``
    (default: the wall clock's time); files it makes (incident bundles, monitoring specs) go into
    ``folder``.

    ``workspace`` must be open with ``clock``, which is set to each event's moment in turn (and
    left at the last one). Its users are the demo's team: the admin ``ada`` who opened it, the
    analyst ``sam``, the reviewer ``ravi`` and the approver ``mia``.
    """
    timeline = Timeline.ending(now or dt.datetime.now(dt.UTC))
    plan, steps = plan_history(timeline, folder, seed=seed)
    actors = _actors(workspace, clock)
    counts: Counter[str] = Counter()
    for event in sorted(plan.events):
        clock.set(event.at)
        event.do(actors[event.actor], *event.args)
        counts["events"] += 1
    counts.update(steps.counts)
    return History(timeline.start, timeline.end, dict(counts))


def plan_history(
    timeline: Timeline, folder: Path, *, seed: int = HISTORY_SEED
) -> tuple[Plan, Steps]:
    """The program's events over ``timeline`` (not yet played), and the steps that play them."""
    plan = Plan(timeline, random.Random(seed))
    steps = Steps(folder)
    steps.plan_systems(plan)
    for quarter in range(len(timeline.windows)):
        last = quarter == len(timeline.windows) - 1
        for j in range(REVIEWS_PER_QUARTER):
            # the last quarter's latest reviews are still under way, one at each stage
            stop = _UNDER_WAY.get(REVIEWS_PER_QUARTER - j) if last else None
            steps.plan_review(plan, quarter + 0.04 + 0.085 * j, stop=stop)
        for j in range(RISKS_PER_QUARTER):
            steps.plan_risk(plan, quarter + 0.05 + 0.17 * j, critical=j == 2)
        plan_waivers(steps, plan, quarter)
        plan_alerts(steps, plan, quarter)
    plan_incidents(steps, plan)
    return plan, steps


def _actors(workspace: Workspace, clock: DemoClock) -> dict[str, Workspace]:
    """A workspace per demo user, sharing ``workspace``'s store and clock (closed with it)."""
    names = ("ada", "sam", "ravi", "mia")
    return {
        name: workspace
        if name == workspace.user
        else Workspace(
            workspace.root,
            workspace.store,
            user=name,
            config=workspace.config,
            clock=clock,
            policy=workspace.policy,
        )
        for name in names
    }
