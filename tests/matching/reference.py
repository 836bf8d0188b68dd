"""An independent reference for the engine: plain-Python constraints, milp for the optimum."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from matching.domain import CostWeights, RequestSpec, VolunteerSpec

TOKYO = ZoneInfo("Asia/Tokyo")


def distance_m(lat1, lon1, lat2, lon2):
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * r * math.asin(math.sqrt(a))


def available(volunteer: VolunteerSpec, request: RequestSpec) -> bool:
    """Lay the slots on the local calendar days the window touches, join those that touch or
    overlap, and ask one joined stretch to overlap the window by the duration (exact)."""
    start = request.window_start.astimezone(TOKYO)
    end = request.window_end.astimezone(TOKYO)
    stretches = []
    day = start.date() - dt.timedelta(days=1)
    while day <= end.date():
        midnight = dt.datetime.combine(day, dt.time(0), TOKYO)
        for slot in volunteer.slots:
            if slot.weekday == day.weekday():
                stretches.append(
                    (
                        midnight + dt.timedelta(minutes=slot.start_min),
                        midnight + dt.timedelta(minutes=slot.end_min),
                    )
                )
        day += dt.timedelta(days=1)
    joined: list[list[dt.datetime]] = []
    for s, e in sorted(stretches):
        if joined and s <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], e)
        else:
            joined.append([s, e])
    duration = dt.timedelta(minutes=request.duration_min)
    return any(min(e, end) - max(s, start) >= duration for s, e in joined)


def feasible(volunteer: VolunteerSpec, request: RequestSpec) -> bool:
    return (
        request.required_skills <= volunteer.skills
        and available(volunteer, request)
        and distance_m(volunteer.lat, volunteer.lon, request.lat, request.lon)
        <= volunteer.max_distance_m
        and (request.trial_ok or not volunteer.is_trial)
        and request.id not in volunteer.declined_request_ids
    )


DEFAULT_WEIGHTS = CostWeights()


def cost(volunteer: VolunteerSpec, request: RequestSpec, w: CostWeights = DEFAULT_WEIGHTS) -> float:
    c = distance_m(volunteer.lat, volunteer.lon, request.lat, request.lon)
    if request.resident_id in volunteer.helped_resident_ids:
        c -= w.continuity_bonus_m
    c += w.load_penalty_m_per_task * volunteer.recent_tasks
    c += w.no_show_penalty_m * volunteer.recent_no_shows
    if volunteer.is_trial and volunteer.completed_tasks == 0:
        c -= w.trial_first_task_bonus_m
    return c


def optimum(requests, volunteers) -> tuple[int, float]:
    """Return (most pairs, least total cost among those) by two-stage integer programming."""
    pairs = [
        (i, j, cost(v, r))
        for i, r in enumerate(requests)
        for j, v in enumerate(volunteers)
        if feasible(v, r)
    ]
    if not pairs:
        return 0, 0.0
    n = len(pairs)
    rows = np.zeros((len(requests) + len(volunteers), n))
    for p, (i, j, _) in enumerate(pairs):
        rows[i, p] = 1
        rows[len(requests) + j, p] = 1
    limits = LinearConstraint(rows, 0, 1)
    binary = np.ones(n)
    first = milp(-np.ones(n), constraints=[limits], integrality=binary, bounds=Bounds(0, 1))
    most = round(-first.fun)
    fixed = LinearConstraint(np.ones((1, n)), most, most)
    costs = np.array([c for _, _, c in pairs])
    second = milp(costs, constraints=[limits, fixed], integrality=binary, bounds=Bounds(0, 1))
    return most, float(second.fun)
