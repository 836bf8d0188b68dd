"""plan_rounds(): several tasks per volunteer in one run, in a planned order (pure: numpy, scipy).

A volunteer gets at most one *round* per run: up to `capacity_per_day` tasks (less those already
held that day, `held_per_day`) on one local day, done one after another. This generalises the
one-task engine's "at most one request per volunteer per run": with every capacity 1 the rounds
are single tasks and the result is engine.plan's (it is delegated to).

A round is feasible when, in its order, each task starts inside its window and runs inside one of
the volunteer's joined weekly slots (exact whole microseconds, as in the engine), and each next
task starts no earlier than the previous one's end plus the walk between the two residents; a
round of two or more tasks also starts its first task no earlier than the start of the slot it
runs in plus the walk from home. Walks are the haversine distance over the ward's walking speed,
rounded up to whole minutes. A single task is feasible exactly when engine.plan's pair is, so a
larger capacity never loses a match. Every task of a round is itself a feasible pair (reach from
home, skills, trial, slots, declines). Planned starts are the earliest the order allows.

Objective, in this order: most requests matched; then least total pair cost (cost.py's, the
same as engine.plan's); then least total walking in metres between consecutive tasks.

Two ways to solve:
- exact: when the feasible rounds are few enough to list (each volunteer's pair-feasible requests
  of one day, subsets up to the capacity, the order with the least walking), a set-packing
  integer programme over them (scipy.optimize.milp, HiGHS) in three stages, one per level of the
  objective. proven_optimal.
- copies and repair: a volunteer with capacity c becomes c copies of itself (copy k only for days
  where the capacity is at least k) and the one-task solver finds the exact optimum of that
  relaxation: it ignores time between tasks and the one-day-per-run rule, so no plan matches more
  requests, nor as many at a lower cost. That optimum is the bound. Each volunteer then keeps one
  day and the largest (then cheapest, then shortest) feasible round of what the relaxation gave
  them; what is dropped is offered again to volunteers with room, the pairs that failed never
  again, until nothing more fits.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from matching.cost import (
    US_PER_MIN,
    US_PER_WEEK,
    Bools,
    Floats,
    Ints,
    chord_for,
    evaluate_pairs,
    haversine_m,
    too_late,
    unit_vectors,
)
from matching.domain import (
    CostWeights,
    MatchResult,
    RequestSpec,
    Unmatched,
    VolunteerSpec,
)
from matching.engine import _proposals, _weights, _why_unmatched, plan, to_arrays
from matching.solver import solve

ROUND_FULL = (
    "round_full",
    "近くの担い手は、その日に引き受けられる数に達しているか、回る順に組み込めません。",
)
#: Reason codes of plan_rounds in the order they are looked for.
ROUND_REASON_ORDER = (
    "too_late",
    "nobody_nearby",
    "no_skill",
    "trial_only",
    "not_available",
    "declined",
    "round_full",
    "all_taken",
)
#: The exact method lists at most this many candidate subsets (rounds before ordering).
EXACT_LIMIT = 20_000
#: Rounds of relaxation and repair in the copies method.
MAX_REPAIRS = 6
_NEVER = -(2**62)


@dataclass(frozen=True)
class Round:
    volunteer: int  # index into volunteers
    tasks: tuple[int, ...]  # request indices in visiting order
    starts: tuple[int, ...]  # planned starts, µs on the tasks' week axis
    cost: float
    walk_m: float


class _Problem:
    """Arrays, feasible pairs and the time checks of one plan_rounds call."""

    def __init__(
        self,
        requests: Sequence[RequestSpec],
        volunteers: Sequence[VolunteerSpec],
        weights: CostWeights,
        tz: str,
    ) -> None:
        self.requests = requests
        self.volunteers = volunteers
        self.zone = ZoneInfo(tz)
        self.req, self.vol = to_arrays(requests, volunteers, tz)
        self.w = _weights(weights)
        if not weights.walking_m_per_min > 0:
            raise ValueError("walking_m_per_min must be positive")
        self.speed = weights.walking_m_per_min
        local_dates = [r.window_start.astimezone(self.zone).date() for r in requests]
        self.dates = sorted(set(local_dates))
        index = {d: n for n, d in enumerate(self.dates)}
        self.day = np.array([index[d] for d in local_dates], dtype=np.int64)
        self.cap = np.zeros((len(volunteers), len(self.dates)), dtype=np.int64)
        for j, v in enumerate(volunteers):
            for d, date in enumerate(self.dates):
                self.cap[j, d] = max(0, v.capacity_per_day - int(v.held_per_day.get(date, 0)))
        self.reach = float(self.vol.max_distance.max(initial=0.0))
        self.slots: list[list[tuple[int, int]]] = [
            [(int(a), int(b)) for a, b in zip(sa, sb, strict=True) if b > a]
            for sa, sb in zip(self.vol.slot_start.tolist(), self.vol.slot_end.tolist(), strict=True)
        ]
        self.ws = self.req.window_start.tolist()
        self.we = (self.req.window_start + self.req.window_len).tolist()
        self.dur = self.req.duration.tolist()
        self._walk: dict[tuple[int, int], float] = {}
        # feasible pairs (pair-feasible and some capacity that day), filled by load_pairs
        self.pair_cost: dict[tuple[int, int], float] = {}
        self.home_m: dict[tuple[int, int], float] = {}
        self.of_volunteer: dict[int, list[int]] = {}
        self.of_request: dict[int, list[int]] = {}

    # --- pairs -------------------------------------------------------------------------------

    def near_pairs(self, rows: Ints) -> tuple[Ints, Ints]:
        """Return (request, volunteer) index pairs within each volunteer's reach, rows only."""
        if rows.size == 0 or not self.volunteers:
            return rows[:0], rows[:0]
        tree = cKDTree(unit_vectors(self.req.lat[rows], self.req.lon[rows]))
        radius = np.array([chord_for(float(m)) * (1 + 1e-9) for m in self.vol.max_distance])
        found = tree.query_ball_point(unit_vectors(self.vol.lat, self.vol.lon), r=radius)
        counts = np.fromiter((len(f) for f in found), np.int64, len(self.volunteers))
        ri = rows[np.fromiter((i for f in found for i in f), np.int64, int(counts.sum()))]
        vi = np.repeat(np.arange(len(self.volunteers), dtype=np.int64), counts)
        return ri, vi

    def load_pairs(self, rows: Ints) -> None:
        """Find every feasible pair of these requests (capacity that day included)."""
        ri, vi = self.near_pairs(rows)
        pairs = evaluate_pairs(ri, vi, self.req, self.vol, self.w)
        ok = pairs.feasible & (self.cap[vi, self.day[ri]] >= 1)
        order = np.lexsort((ri[ok], vi[ok]))
        ri, vi = ri[ok][order], vi[ok][order]
        cost, dist = pairs.cost[ok][order], pairs.distance[ok][order]
        for i, j, c, m in zip(ri.tolist(), vi.tolist(), cost.tolist(), dist.tolist(), strict=True):
            self.pair_cost[i, j] = c
            self.home_m[i, j] = m
            self.of_volunteer.setdefault(j, []).append(i)
            self.of_request.setdefault(i, []).append(j)

    # --- time ----------------------------------------------------------------------------------

    def walk_m(self, a: int, b: int) -> float:
        key = (a, b) if a <= b else (b, a)
        if key not in self._walk:
            req = self.req
            self._walk[key] = float(
                haversine_m(req.lat[[a]], req.lon[[a]], req.lat[[b]], req.lon[[b]])[0]
            )
        return self._walk[key]

    def walk_us(self, metres: float) -> int:
        return math.ceil(metres / self.speed) * US_PER_MIN

    def earliest(self, i: int, v: int, after: int, home_us: int) -> int | None:
        """The earliest start >= after of request i in its window and in one of v's slots,
        home_us after the start of that slot; None if there is none."""
        w0, w1, d = self.ws[i], self.we[i], self.dur[i]
        best: int | None = None
        for k in range(max(1, -(-w1 // US_PER_WEEK))):
            shift = k * US_PER_WEEK
            for a, b in self.slots[v]:
                lo = max(w0, a + shift + home_us, after)
                if lo <= min(w1, b + shift) - d and (best is None or lo < best):
                    best = lo
        return best

    def schedule(self, v: int, tasks: Sequence[int], home: bool = True) -> list[int] | None:
        """Planned starts of this order, or None if it is not feasible (see the module doc)."""
        starts: list[int] = []
        after = _NEVER
        for n, i in enumerate(tasks):
            home_us = 0
            if n == 0:
                if home and len(tasks) >= 2:
                    home_us = self.walk_us(self.home_m[i, v])
            else:
                prev = tasks[n - 1]
                after = starts[-1] + self.dur[prev] + self.walk_us(self.walk_m(prev, i))
            s = self.earliest(i, v, after, home_us)
            if s is None:
                return None
            starts.append(s)
        return starts

    def best_order(self, v: int, subset: Sequence[int]) -> Round | None:
        """The feasible order of these tasks with the least walking (the first such order in
        lexicographic order of request indices), or None."""
        best: Round | None = None
        for order in itertools.permutations(sorted(subset)):
            walk = sum(self.walk_m(a, b) for a, b in itertools.pairwise(order))
            if best is not None and walk >= best.walk_m:
                continue
            starts = self.schedule(v, order)
            if starts is not None:
                cost = sum(self.pair_cost[i, v] for i in order)
                best = Round(v, order, tuple(starts), cost, walk)
        return best

    def compatible(self, v: int, a: int, b: int) -> bool:
        """Whether a and b could share a round of v (in either order, home walk aside)."""
        return self.schedule(v, (a, b), home=False) is not None or (
            self.schedule(v, (b, a), home=False) is not None
        )

    def best_round(self, v: int, fixed: Sequence[int], extra: Sequence[int]) -> Round | None:
        """The best feasible round with all of `fixed` and as many of `extra` as fit within
        the capacity: most tasks, then least cost, then least walking."""
        room = int(self.cap[v, self.day[(list(fixed) + list(extra))[0]]]) - len(fixed)
        for size in range(min(room, len(extra)), -1, -1):
            found: Round | None = None
            for more in itertools.combinations(sorted(extra), size):
                r = self.best_order(v, (*fixed, *more)) if fixed or more else None
                if r is not None and (found is None or _better(r, found)):
                    found = r
            if found is not None:
                return found
        return None


def _better(a: Round, b: Round) -> bool:
    """Whether a beats b: more tasks, then less cost, then less walking (tolerant ties)."""
    if len(a.tasks) != len(b.tasks):
        return len(a.tasks) > len(b.tasks)
    tol = 1e-9 * max(1.0, abs(a.cost), abs(b.cost))
    if abs(a.cost - b.cost) > tol:
        return a.cost < b.cost
    return a.walk_m < b.walk_m - 1e-9 * max(1.0, b.walk_m)


# --- exact: list the rounds, pack them ---------------------------------------------------------


def _groups(p: _Problem) -> list[tuple[int, int, list[int]]]:
    """Each volunteer's feasible requests per day: (volunteer, capacity that day, requests)."""
    out = []
    for v in sorted(p.of_volunteer):
        by_day: dict[int, list[int]] = {}
        for i in p.of_volunteer[v]:
            by_day.setdefault(int(p.day[i]), []).append(i)
        for d in sorted(by_day):
            out.append((v, int(p.cap[v, d]), sorted(by_day[d])))
    return out


def _subsets_to_list(p: _Problem) -> int:
    return sum(
        math.comb(len(rs), k) for _, c, rs in _groups(p) for k in range(1, min(c, len(rs)) + 1)
    )


def _list_rounds(p: _Problem) -> list[Round]:
    rounds: list[Round] = []
    for v, c, rs in _groups(p):
        for i in rs:
            starts = p.schedule(v, (i,))
            assert starts is not None  # noqa: S101 - a feasible pair is a feasible one-task round
            rounds.append(Round(v, (i,), tuple(starts), p.pair_cost[i, v], 0.0))
        if c < 2 or len(rs) < 2:
            continue
        ok = {(a, b) for a, b in itertools.combinations(rs, 2) if p.compatible(v, a, b)}
        for size in range(2, min(c, len(rs)) + 1):
            for subset in itertools.combinations(rs, size):
                if all(pair in ok for pair in itertools.combinations(subset, 2)):
                    r = p.best_order(v, subset)
                    if r is not None:
                        rounds.append(r)
    return rounds


def _pack(rounds: Sequence[Round], n_req: int, n_vol: int) -> list[Round]:
    """Choose rounds, at most one per volunteer and request: the lexicographic optimum."""
    if not rounds:
        return []
    n = len(rounds)
    rows = [i for r in rounds for i in r.tasks] + [n_req + r.volunteer for r in rounds]
    cols = [c for c, r in enumerate(rounds) for _ in r.tasks] + list(range(n))
    a = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_req + n_vol, n))
    limits = LinearConstraint(a, 0, 1)
    size = np.array([len(r.tasks) for r in rounds], dtype=np.float64)
    cost = np.array([r.cost for r in rounds])
    walk = np.array([r.walk_m for r in rounds])
    integral = np.ones(n)
    box = Bounds(0, 1)
    options = {"mip_rel_gap": 0.0}

    def solved(c: Floats, extra: list[LinearConstraint]) -> Floats:
        res = milp(
            c, constraints=[limits, *extra], integrality=integral, bounds=box, options=options
        )
        if res.x is None:
            raise RuntimeError(f"milp failed: {res.message}")
        x: Floats = np.round(res.x)
        return x

    x = solved(-size, [])
    most = float(size @ x)
    keep_most = LinearConstraint(size[None, :], most, most)
    x = solved(cost, [keep_most])
    least = float(cost @ x)
    tol = 1e-7 * max(1.0, float(np.abs(cost).sum()))
    x = solved(walk, [keep_most, LinearConstraint(cost[None, :], -np.inf, least + tol)])
    return [rounds[c] for c in np.flatnonzero(x > 0.5).tolist()]


# --- copies and repair -------------------------------------------------------------------------


@dataclass
class _Copies:
    base: Ints  # volunteer index of each copy
    level: Ints  # copy k of a volunteer (1-based): needs capacity >= k that day
    only_day: Ints  # the day a copy is bound to, -1 for any


def _copies(p: _Problem, rounds: dict[int, Round]) -> _Copies:
    base: list[int] = []
    level: list[int] = []
    only: list[int] = []
    for v in range(len(p.volunteers)):
        if v in rounds:
            d = int(p.day[rounds[v].tasks[0]])
            top, first, day = int(p.cap[v, d]), len(rounds[v].tasks) + 1, d
        else:
            top, first, day = int(p.cap[v].max(initial=0)), 1, -1
        for k in range(first, top + 1):
            base.append(v)
            level.append(k)
            only.append(day)
    return _Copies(
        np.array(base, dtype=np.int64), np.array(level, dtype=np.int64), np.array(only, np.int64)
    )


def _solve_copies(p: _Problem, rows: Ints, copies: _Copies, tabu: Ints) -> tuple[Ints, Floats]:
    """The one-task optimum of `rows` on the copies (tabu: request * V + volunteer keys never
    paired). Returns each row's copy (-1 none) and the cost of its pair."""
    req, vol, w = p.req, p.vol, p.w
    n_vol = len(p.volunteers)

    def evaluate(ri: Ints, ci: Ints) -> tuple[Bools, Floats]:
        r, v = rows[ri], copies.base[ci]
        pairs = evaluate_pairs(r, v, req, vol, w)
        d = p.day[r]
        ok = pairs.feasible & (p.cap[v, d] >= copies.level[ci])
        ok &= (copies.only_day[ci] < 0) | (copies.only_day[ci] == d)
        if tabu.size:
            pos = np.minimum(np.searchsorted(tabu, r * n_vol + v), tabu.size - 1)
            ok &= tabu[pos] != r * n_vol + v
        return ok, pairs.cost

    # continuity pairs are always candidates (as in engine.plan)
    position = {int(r): n for n, r in enumerate(rows.tolist())}
    resident_rows: dict[int, list[int]] = {}
    for r in rows.tolist():
        resident_rows.setdefault(int(req.resident[r]), []).append(position[r])
    pinned = [
        (n, c)
        for c, v in enumerate(copies.base.tolist())
        for rid in p.volunteers[v].helped_resident_ids
        for n in resident_rows.get(rid, ())
    ]
    base = copies.base
    solution = solve(
        unit_vectors(req.lat[rows], req.lon[rows]),
        unit_vectors(vol.lat[base], vol.lon[base]),
        reach_m=p.reach,
        evaluate=evaluate,
        cost_bounds=(
            -(w.continuity + w.trial_first),
            p.reach
            + float(vol.recent_tasks.max(initial=0.0)) * w.load
            + float(vol.recent_no_shows.max(initial=0.0)) * w.no_show,
        ),
        bonus_volunteers=vol.first_task_trial[base],
        bonus=np.where(req.trial_ok[rows], -w.trial_first, 0.0),
        pinned=(
            np.array([a for a, _ in pinned], dtype=np.int64),
            np.array([b for _, b in pinned], dtype=np.int64),
        ),
    )
    return solution.volunteer_of, solution.cost_of


def _repair(p: _Problem, live: Ints) -> tuple[dict[int, Round], int, float]:
    """Copies and repair: the rounds, and the relaxation's (matched, cost) bound."""
    rounds: dict[int, Round] = {}
    left = live
    tabu = np.zeros(0, dtype=np.int64)
    n_vol = len(p.volunteers)
    bound: tuple[int, float] | None = None
    for _ in range(MAX_REPAIRS):
        copies = _copies(p, rounds)
        if left.size == 0 or copies.base.size == 0:
            break
        copy_of, cost_of = _solve_copies(p, left, copies, tabu)
        got = np.flatnonzero(copy_of >= 0)
        if bound is None:
            bound = (int(got.size), float(cost_of[got].sum()))
        if got.size == 0:
            break
        offered: dict[int, list[int]] = {}
        for n in got.tolist():
            offered.setdefault(int(copies.base[copy_of[n]]), []).append(int(left[n]))
        placed: set[int] = set()
        failed: list[int] = []
        for v in sorted(offered):
            tasks = offered[v]
            if v in rounds:
                r = p.best_round(v, rounds[v].tasks, tasks)
            else:
                by_day: dict[int, list[int]] = {}
                for i in tasks:
                    by_day.setdefault(int(p.day[i]), []).append(i)
                r = None
                for d in sorted(by_day):
                    candidate = p.best_round(v, (), by_day[d])
                    if candidate is not None and (r is None or _better(candidate, r)):
                        r = candidate
            if r is None:  # pragma: no cover - one task alone always fits
                continue
            rounds[v] = r
            placed.update(r.tasks)
            day = int(p.day[r.tasks[0]])
            # a task that did not fit this volunteer's round is never offered to them again;
            # one of another day is not offered again because the round fixed the day
            failed.extend(i * n_vol + v for i in tasks if i not in r.tasks and p.day[i] == day)
        left = np.array([i for i in left.tolist() if i not in placed], dtype=np.int64)
        tabu = np.union1d(tabu, np.array(failed, dtype=np.int64))
        if not placed and not failed:
            break
    _insert_left(p, rounds, left)
    matched, cost = bound if bound is not None else (0, 0.0)
    return rounds, matched, cost


def _insert_left(p: _Problem, rounds: dict[int, Round], left: Ints) -> None:
    """Offer each request still unmatched to every volunteer with room, cheapest fit first."""
    for i in left.tolist():
        d = int(p.day[i])
        best: Round | None = None
        for v in p.of_request.get(i, ()):
            if v in rounds:
                current = rounds[v]
                if p.day[current.tasks[0]] != d or len(current.tasks) >= p.cap[v, d]:
                    continue
                r = p.best_round(v, current.tasks, (i,))
                if r is None or len(r.tasks) == len(current.tasks):
                    continue
                extra = Round(
                    v, r.tasks, r.starts, r.cost - current.cost, r.walk_m - current.walk_m
                )
            else:
                starts = p.schedule(v, (i,))
                if starts is None:  # pragma: no cover - a feasible pair fits alone
                    continue
                r = extra = Round(v, (i,), tuple(starts), p.pair_cost[i, v], 0.0)
            if best is None or _better(extra, best):
                best, chosen = extra, r
        if best is not None:
            rounds[chosen.volunteer] = chosen


# --- the plan ----------------------------------------------------------------------------------


def _round_full(
    p: _Problem, unmatched: Iterable[Unmatched], rounds: dict[int, Round]
) -> tuple[Unmatched, ...]:
    """all_taken becomes round_full where every feasible volunteer is at capacity that day or
    has a round that day that had room for more than one task."""
    index = {r.id: i for i, r in enumerate(p.requests)}
    taken = [index[u.request_id] for u in unmatched if u.reason == "all_taken"]
    if taken:
        ri, vi = p.near_pairs(np.array(taken, dtype=np.int64))
        feasible = evaluate_pairs(ri, vi, p.req, p.vol, p.w).feasible
        ri, vi = ri[feasible], vi[feasible]
    full: set[int] = set()
    if taken and ri.size:
        d = p.day[ri]
        round_day = np.array(
            [int(p.day[rounds[v].tasks[0]]) if v in rounds else -1 for v in range(len(p.vol.lat))],
            dtype=np.int64,
        )
        spent = (p.cap[vi, d] == 0) | ((round_day[vi] == d) & (p.cap[vi, d] >= 2))
        some_free = np.bincount(ri[~spent], minlength=len(p.requests)) > 0
        full = {i for i in taken if not some_free[i]}
    return tuple(
        Unmatched(u.request_id, *ROUND_FULL) if index[u.request_id] in full else u
        for u in unmatched
    )


def _result(
    p: _Problem, rounds: dict[int, Round], stats: dict[str, float | int], started: float
) -> MatchResult:
    order_of: dict[int, tuple[int, int, int]] = {}
    for v, r in rounds.items():
        for n, (i, s) in enumerate(zip(r.tasks, r.starts, strict=True)):
            order_of[i] = (v, n + 1, s)
    chosen = np.array(sorted(order_of), dtype=np.int64)
    vols = np.array([order_of[i][0] for i in chosen.tolist()], dtype=np.int64)
    terms = evaluate_pairs(chosen, vols, p.req, p.vol, p.w)
    proposals = tuple(
        replace(
            prop,
            round_order=order_of[i][1],
            planned_start=_at(p, i, order_of[i][2]),
        )
        for prop, i in zip(
            _proposals(p.requests, p.volunteers, chosen, vols, terms), chosen.tolist(), strict=True
        )
    )
    volunteer_of = np.full(len(p.requests), -1, dtype=np.int64)
    volunteer_of[chosen] = vols
    unmatched = _round_full(
        p, _why_unmatched(p.requests, volunteer_of, p.req, p.vol, p.reach), rounds
    )
    walk = sum(r.walk_m for r in rounds.values())
    stats.update(
        requests=len(p.requests),
        volunteers=len(p.volunteers),
        matched=len(proposals),
        unmatched=len(unmatched),
        total_cost=round(float(terms.cost.sum()), 1),
        total_distance_m=round(float(terms.distance.sum()), 1),
        total_walking_m=round(walk, 1),
        rounds=sum(1 for r in rounds.values() if len(r.tasks) >= 2),
        total_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return MatchResult(proposals=proposals, unmatched=unmatched, stats=stats)


def _at(p: _Problem, i: int, start_us: int) -> dt.datetime:
    """The datetime of a start given in µs on request i's week axis (wall clock)."""
    local = p.requests[i].window_start.astimezone(p.zone)
    return local + dt.timedelta(microseconds=start_us - p.ws[i])


def plan_rounds(
    requests: Sequence[RequestSpec],
    volunteers: Sequence[VolunteerSpec],
    *,
    weights: CostWeights = CostWeights(),  # noqa: B008 - frozen, so sharing it is safe
    tz: str = "Asia/Tokyo",
    exact_limit: int = EXACT_LIMIT,
) -> MatchResult:
    """Plan rounds: most requests matched, then least total cost, then least walking.

    stats: proven_optimal (bool as 0/1), method ("one_task" 0, "exact" 1, "copies" 2 in
    `method_code`; the name in the docstring), matched_bound and lower_bound (the relaxation's
    most matched and least cost at that count), gap_pct, plus engine.plan's totals.
    """
    started = time.perf_counter()
    p = _Problem(requests, volunteers, weights, tz)
    if p.cap.max(initial=0) <= 1:
        return _one_task(p, weights, tz, started)
    live = np.flatnonzero(~too_late(p.req)).astype(np.int64)
    p.load_pairs(live)
    stats: dict[str, float | int] = {}
    if _subsets_to_list(p) <= exact_limit:
        rounds = {r.volunteer: r for r in _pack(_list_rounds(p), len(requests), len(volunteers))}
        result = _result(p, rounds, stats, started)
        cost = float(result.stats["total_cost"])
        stats.update(
            method_code=1,
            proven_optimal=True,
            matched_bound=len(result.proposals),
            lower_bound=cost,
            gap_pct=0.0,
        )
        return result
    rounds, matched_bound, cost_bound = _repair(p, live)
    result = _result(p, rounds, stats, started)
    matched = len(result.proposals)
    cost = sum(pr.cost for pr in result.proposals)
    matched_gap = 100.0 * (matched_bound - matched) / matched_bound if matched_bound else 0.0
    cost_gap = 100.0 * (cost - cost_bound) / max(1.0, abs(cost_bound)) if matched else 0.0
    tol = 1e-9 * max(1.0, abs(cost_bound))
    proven = matched == matched_bound and cost <= cost_bound + tol and stats["total_walking_m"] == 0
    stats.update(
        method_code=2,
        proven_optimal=bool(proven),
        matched_bound=matched_bound,
        lower_bound=round(cost_bound, 1),
        matched_gap_pct=round(max(0.0, matched_gap), 3),
        cost_gap_pct=round(max(0.0, cost_gap), 3),
        gap_pct=round(max(0.0, matched_gap, cost_gap), 3) if not proven else 0.0,
    )
    return result


def _one_task(p: _Problem, weights: CostWeights, tz: str, started: float) -> MatchResult:
    """Every capacity is at most 1: engine.plan's optimum (a volunteer with nothing left on a
    day declines that day's requests), with planned starts."""
    volunteers = list(p.volunteers)
    for j, spec in enumerate(p.volunteers):
        spent = {d for d in range(len(p.dates)) if p.cap[j, d] == 0}
        if spent:
            ids = frozenset(r.id for i, r in enumerate(p.requests) if int(p.day[i]) in spent)
            volunteers[j] = replace(spec, declined_request_ids=spec.declined_request_ids | ids)
    result = plan(p.requests, volunteers, weights=weights, tz=tz)
    index_r = {r.id: i for i, r in enumerate(p.requests)}
    index_v = {v.id: j for j, v in enumerate(p.volunteers)}
    rounds: dict[int, Round] = {}
    proposals = []
    for prop in result.proposals:
        i, v = index_r[prop.request_id], index_v[prop.volunteer_id]
        s = p.earliest(i, v, _NEVER, 0)
        assert s is not None  # noqa: S101 - engine.plan proposes feasible pairs only
        rounds[v] = Round(v, (i,), (s,), prop.cost, 0.0)
        proposals.append(replace(prop, planned_start=_at(p, i, s)))
    unmatched = _round_full(p, result.unmatched, rounds)
    stats = dict(result.stats)
    cost = float(stats["total_cost"])
    stats.update(
        unmatched=len(unmatched),
        total_walking_m=0.0,
        rounds=0,
        method_code=0,
        proven_optimal=True,
        matched_bound=len(proposals),
        lower_bound=cost,
        gap_pct=0.0,
        total_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return MatchResult(proposals=tuple(proposals), unmatched=unmatched, stats=stats)
