"""An independent reference for rounds: plain-Python time checks on datetimes, every ordered
round listed by brute force, and milp for the lexicographic optimum (no matching.rounds code)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from matching.domain import CostWeights, RequestSpec, VolunteerSpec
from tests.matching.reference import TOKYO, cost, distance_m, feasible

DEFAULT_WEIGHTS = CostWeights()


def local_date(request: RequestSpec) -> dt.date:
    return request.window_start.astimezone(TOKYO).date()


def capacity(volunteer: VolunteerSpec, date: dt.date) -> int:
    """Tasks the volunteer may still take that day: the capacity less what they hold."""
    return max(0, volunteer.capacity_per_day - volunteer.held_per_day.get(date, 0))


def stretches(volunteer: VolunteerSpec, request: RequestSpec) -> list[tuple[dt.datetime, ...]]:
    """The volunteer's slots laid on the calendar days around the window, joined where they
    touch or overlap (as reference.available does)."""
    start = request.window_start.astimezone(TOKYO)
    end = request.window_end.astimezone(TOKYO)
    laid = []
    day = start.date() - dt.timedelta(days=1)
    while day <= end.date():
        midnight = dt.datetime.combine(day, dt.time(0), TOKYO)
        for slot in volunteer.slots:
            if slot.weekday == day.weekday():
                laid.append(
                    (
                        midnight + dt.timedelta(minutes=slot.start_min),
                        midnight + dt.timedelta(minutes=slot.end_min),
                    )
                )
        day += dt.timedelta(days=1)
    joined: list[list[dt.datetime]] = []
    for s, e in sorted(laid):
        if joined and s <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], e)
        else:
            joined.append([s, e])
    return [tuple(j) for j in joined]


def walk(metres: float, speed: float) -> dt.timedelta:
    """Walking time: metres over the speed, rounded up to whole minutes."""
    return dt.timedelta(minutes=math.ceil(metres / speed))


def between(a: RequestSpec, b: RequestSpec) -> float:
    return distance_m(a.lat, a.lon, b.lat, b.lon)


def from_home(v: VolunteerSpec, r: RequestSpec) -> float:
    return distance_m(v.lat, v.lon, r.lat, r.lon)


def check_round(v, tasks, starts, speed=67.0) -> str | None:
    """Return None if these tasks at these planned starts are a feasible round, else why."""
    if len({local_date(r) for r in tasks}) > 1:
        return "days"
    if len(tasks) > capacity(v, local_date(tasks[0])):
        return "capacity"
    for n, (r, s) in enumerate(zip(tasks, starts, strict=True)):
        if not feasible(v, r):
            return "pair"
        end = s + dt.timedelta(minutes=r.duration_min)
        if s < r.window_start or end > r.window_end:
            return "window"
        inside = [(a, b) for a, b in stretches(v, r) if a <= s and end <= b]
        if not inside:
            return "slot"
        if n == 0 and len(tasks) >= 2 and s - walk(from_home(v, r), speed) < inside[0][0]:
            return "home"
        if n > 0:
            prev, prev_start = tasks[n - 1], starts[n - 1]
            prev_end = prev_start + dt.timedelta(minutes=prev.duration_min)
            if s < prev_end + walk(between(prev, r), speed):
                return "walk"
    return None


def earliest(laid, r, after, home):
    """The earliest start no earlier than `after` (or the window), `home` after the start of
    the stretch (of `laid`) the task runs in; None if none."""
    best = None
    duration = dt.timedelta(minutes=r.duration_min)
    for a, b in laid:
        lo = max(r.window_start, a + home)
        if after is not None:
            lo = max(lo, after)
        if lo + duration <= min(r.window_end, b) and (best is None or lo < best):
            best = lo
    return best


def all_rounds(requests, volunteers, weights=DEFAULT_WEIGHTS):
    """Every feasible round: (volunteer index, frozenset of request indices, cost, least walk).

    Brute force over ordered sequences, each planned at its earliest; a sequence of two or
    more is only grown from a feasible beginning (its tasks keep their earliest times).
    """
    speed = weights.walking_m_per_min
    found = {}
    for j, v in enumerate(volunteers):
        by_day = {}
        for i, r in enumerate(requests):
            if feasible(v, r) and capacity(v, local_date(r)) >= 1:
                by_day.setdefault(local_date(r), []).append(i)
        laid = {i: stretches(v, requests[i]) for ids in by_day.values() for i in ids}
        for date, candidates in by_day.items():
            for i in candidates:
                found[j, frozenset([i])] = 0.0
            if capacity(v, date) < 2:
                continue

            def grow(order, end, metres, candidates=candidates, date=date, v=v, laid=laid, j=j):
                if len(order) >= 2:
                    key = (j, frozenset(order))
                    found[key] = min(found.get(key, metres), metres)
                if len(order) == capacity(v, date):
                    return
                last = requests[order[-1]]
                for i in candidates:
                    if i in order:
                        continue
                    leg = between(last, requests[i])
                    s = earliest(laid[i], requests[i], end + walk(leg, speed), dt.timedelta(0))
                    if s is not None:
                        grow(
                            (*order, i),
                            s + dt.timedelta(minutes=requests[i].duration_min),
                            metres + leg,
                        )

            for i in candidates:
                r = requests[i]
                s = earliest(laid[i], r, None, walk(from_home(v, r), speed))
                if s is not None:
                    grow((i,), s + dt.timedelta(minutes=r.duration_min), 0.0)
    return [
        (j, subset, sum(cost(volunteers[j], requests[i], weights) for i in subset), metres)
        for (j, subset), metres in found.items()
    ]


def optimum(requests, volunteers, weights=DEFAULT_WEIGHTS) -> tuple[int, float, float]:
    """(most matched, least cost among those, least walking among those) by staged milp."""
    rounds = all_rounds(requests, volunteers, weights)
    if not rounds:
        return 0, 0.0, 0.0
    n = len(rounds)
    a = np.zeros((len(requests) + len(volunteers), n))
    for c, (j, subset, _, _) in enumerate(rounds):
        for i in subset:
            a[i, c] = 1
        a[len(requests) + j, c] = 1
    limits = LinearConstraint(a, 0, 1)
    size = np.array([len(s) for _, s, _, _ in rounds], dtype=float)
    costs = np.array([c for _, _, c, _ in rounds])
    walks = np.array([m for _, _, _, m in rounds])
    kw = {
        "integrality": np.ones(n),
        "bounds": Bounds(0, 1),
        "options": {"mip_rel_gap": 0.0, "presolve": False},
    }
    first = milp(-size, constraints=[limits], **kw)
    most = round(-first.fun)
    fixed = LinearConstraint(size[None, :], most, most)
    second = milp(costs, constraints=[limits, fixed], **kw)
    least = float(second.fun)
    slack = 1e-7 * max(1.0, float(np.abs(costs).sum()))
    third = milp(
        walks,
        constraints=[limits, fixed, LinearConstraint(costs[None, :], -np.inf, least + slack)],
        **kw,
    )
    return most, least, float(third.fun)
