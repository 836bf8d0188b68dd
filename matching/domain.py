"""The matching engine's inputs and outputs: plain frozen dataclasses, no ORM, no web."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Slot:
    """A weekly availability slot in local time: weekday 0 = Monday, minutes since midnight.

    A volunteer's slots that touch or overlap count as one, across midnight and the end of the
    week too (Monday 22:00-24:00 and Tuesday 00:00-02:00 cover 23:00 to 01:00).
    """

    weekday: int
    start_min: int
    end_min: int


@dataclass(frozen=True)
class RequestSpec:
    id: int
    resident_id: int
    lat: float
    lon: float
    required_skills: frozenset[str]
    duration_min: int
    trial_ok: bool
    window_start: dt.datetime
    window_end: dt.datetime


@dataclass(frozen=True)
class VolunteerSpec:
    id: int
    lat: float
    lon: float
    max_distance_m: float
    skills: frozenset[str]
    slots: tuple[Slot, ...]
    is_trial: bool
    #: Requests this volunteer must never be proposed for (declined, or busy at that time).
    declined_request_ids: frozenset[int] = frozenset()
    #: Residents this volunteer completed a task for: the continuity term.
    helped_resident_ids: frozenset[int] = frozenset()
    #: Tasks accepted or completed in the last 7 days, counted by when they were accepted or
    #: completed (not proposed): the load term.
    recent_tasks: int = 0
    #: All-time completed tasks: a trial volunteer's first task gets the experience term.
    completed_tasks: int = 0
    #: Tasks this volunteer did not show for (assignments marked no_show) whose window began in
    #: the last 180 days: the no-show term.
    recent_no_shows: int = 0
    #: Tasks this volunteer takes on one local day (the profile's max_tasks_per_day). The
    #: one-task engine (engine.plan) ignores it; matching.rounds plans a round of up to this
    #: many tasks, less those already held that day (held_per_day).
    capacity_per_day: int = 1
    #: Tasks already proposed or accepted, per local date (Asia/Tokyo): they count against
    #: capacity_per_day on that date. Not part of the hash (a dict).
    held_per_day: Mapping[dt.date, int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class CostWeights:
    """Extra cost terms in metres-equivalent; all zero for a history-less, non-trial volunteer."""

    continuity_bonus_m: float = 300.0
    load_penalty_m_per_task: float = 150.0
    trial_first_task_bonus_m: float = 200.0
    #: Added per no-show in the last 180 days (VolunteerSpec.recent_no_shows): a volunteer who
    #: repeatedly did not show is proposed after an equally placed one who did, never excluded
    #: (their status never changes because of it). 200 m for one, 600 m for three.
    no_show_penalty_m: float = 200.0
    #: Walking speed between a round's tasks (and from home to its first task), metres per
    #: minute: 67 m/min is 4 km/h. Walking times are the haversine distance over this speed,
    #: rounded up to whole minutes.
    walking_m_per_min: float = 67.0


@dataclass(frozen=True)
class Proposal:
    request_id: int
    volunteer_id: int
    distance_m: float
    cost: float
    #: Each cost term: {"distance", "continuity", "load", "trial_experience", "no_show"}; cost
    #: is their sum.
    reasons: Mapping[str, float]
    #: The task's place in the volunteer's round (1 = first); always 1 from engine.plan.
    round_order: int = 1
    #: When the task is planned to begin (timezone-aware), or None where nobody planned it.
    planned_start: dt.datetime | None = None


@dataclass(frozen=True)
class Unmatched:
    request_id: int
    #: too_late | nobody_nearby | no_skill | trial_only | not_available | declined | round_full
    #: | all_taken (round_full from matching.rounds only)
    reason: str
    #: The reason in words for the coordinator's screen.
    detail: str


@dataclass(frozen=True)
class MatchResult:
    proposals: tuple[Proposal, ...]
    unmatched: tuple[Unmatched, ...]
    stats: Mapping[str, float | int] = field(default_factory=dict)
