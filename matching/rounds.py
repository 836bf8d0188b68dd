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
- copies and repair: on each day, a volunteer with capacity c that day becomes c copies of
  themselves, and the one-task matching (solver.match_candidates, over every feasible pair) finds
  the exact optimum of that relaxation, day by day: it ignores the time between tasks and the
  one-round-per-run rule. Each volunteer then keeps one day and the largest (then cheapest, then
  shortest) feasible round of what the relaxation gave them; what is dropped is offered again to
  volunteers with room, the pairs that failed never again, until nothing more fits. Over several
  days, when that plan matches fewer than the bound below, volunteers with room move to another
  day where they can do more of the requests left, and the copies are solved again with every
  volunteer held to the day of their round (which exchanges tasks between the volunteers of a
  day), then repaired; the better plan is kept, a few times over (_improve).

The bound of copies and repair (stats matched_bound, lower_bound). Any plan is a set of rounds;
forget the time between tasks and keep of each round only that it is one volunteer's, on one
day d, with at most cap[v, d] tasks, each a feasible pair. Call that the relaxation R; every plan
is feasible for R, so whatever bounds R bounds every plan.
- The copies' optimum: R without "one day per volunteer" is, day by day, the copies matching.
  Its most matched M_c bounds the most matched of any plan, and its least cost C_c at M_c bounds
  the cost of any plan matching M_c requests. For one day this is R itself.
- Prices over several days (Lagrange): for any prices mu_i >= 0 on the requests, a plan x
  (x_vi = 1 when v does i) has
      sum x  <=  sum x + sum_i mu_i (1 - sum_v x_vi)  =  sum_i mu_i + sum_v sum_i (1 - mu_i) x_vi
             <=  sum_i mu_i + sum_v max_d (the cap[v, d] largest positive 1 - mu_i of v's pairs
                 on day d)  =:  L(mu),
  since each volunteer's round is one day's tasks, at most cap[v, d] of them. So floor(L(mu))
  bounds the most matched. mu comes from the copies relaxation over the whole week (each
  volunteer c copies in all): a least vertex cover of its matching (König), mu_i = 1 on the
  requests in it, 0 elsewhere; L(mu) is then at most that relaxation's (and M_c), and at most
  every volunteer's capacity, because a volunteer counts only one day. L is exact arithmetic on
  0/1 prices, no solver tolerance is trusted.
- Cost at a plan's count m: for any mu >= 0, theta >= 0 and a plan x with sum x >= m,
      cost(x) >= cost(x) + sum_i mu_i (sum_v x_vi - 1) - theta (sum x - m)
              >= theta m - sum_i mu_i + sum_v min_d (the cap[v, d] most negative
                 c_vi + mu_i - theta of v's pairs on day d, or 0)  =:  L(mu, theta),
  a lower bound on the cost of every plan matching at least m requests, so also on the
  optimum's cost when m is at most the optimum's count (it is: m is this plan's). theta is the
  best of a scan at mu = 0, then a few subgradient steps; each iterate is valid, the best kept.
Reported: matched_bound = min(M_c, floor(L(mu))) (L only over several days); lower_bound =
C_c when the plan matches M_c (the least cost at that count), else the best L(mu, theta) at the
plan's count. matched_gap_pct = 100 (matched_bound - matched) / matched_bound; cost_gap_pct =
100 (cost - lower_bound) / max(1, |lower_bound|): how far the plan's cost can be from the
cheapest plan matching as many; gap_pct the larger, 0 when the bound is reached (the first two
levels proven optimal). The walking level is not bounded.
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
from scipy.sparse.csgraph import breadth_first_order, maximum_bipartite_matching
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
from matching.engine import REASONS, _proposals, _weights, _why_unmatched, plan, to_arrays
from matching.solver import match_candidates

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
EXACT_LIMIT = 5_000
#: Rounds of relaxation and repair in the copies method.
MAX_REPAIRS = 6
#: Subgradient steps of the cost bound at a plan's matched count (see _Hull.cost_bound).
COST_STEPS = 20
#: Requests left per day a volunteer with room looks at to move to another day.
SWITCH_CHOICES = 6
#: Rounds of moving and solving again over several days (_improve).
IMPROVE_STEPS = 3
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
        self.stated = np.array([v.capacity_per_day for v in volunteers], dtype=np.int64)
        self.reach = float(self.vol.max_distance.max(initial=0.0))
        self.slots: list[list[tuple[int, int]]] = [
            [(int(a), int(b)) for a, b in zip(sa, sb, strict=True) if b > a]
            for sa, sb in zip(self.vol.slot_start.tolist(), self.vol.slot_end.tolist(), strict=True)
        ]
        self.ws = self.req.window_start.tolist()
        self.we = (self.req.window_start + self.req.window_len).tolist()
        self.dur = self.req.duration.tolist()
        self._walk: dict[tuple[int, int], float] = {}
        # Every feasible pair of the live requests, by volunteer then request (load_pairs):
        # pi, pv indices, pcost its cost; usable where the volunteer has capacity that day.
        self.pi = np.zeros(0, dtype=np.int64)
        self.pv = np.zeros(0, dtype=np.int64)
        self.pcost = np.zeros(0)
        self.usable = np.zeros(0, dtype=bool)
        self.pair_cost: dict[tuple[int, int], float] = {}
        self.home_m: dict[tuple[int, int], float] = {}

    # --- pairs -------------------------------------------------------------------------------

    def near_pairs(self, rows: Ints) -> tuple[Ints, Ints]:
        """Return (request, volunteer) index pairs within the largest reach, rows only."""
        if rows.size == 0 or not self.volunteers:
            return rows[:0], rows[:0]
        requests = cKDTree(unit_vectors(self.req.lat[rows], self.req.lon[rows]))
        volunteers = cKDTree(unit_vectors(self.vol.lat, self.vol.lon))
        near = requests.sparse_distance_matrix(
            volunteers, chord_for(self.reach) * (1 + 1e-9), output_type="ndarray"
        )
        ri = rows[near["i"].astype(np.int64)]
        vi = near["j"].astype(np.int64)
        return ri, vi

    def load_pairs(self, rows: Ints) -> None:
        """Find every feasible pair of these requests."""
        ri, vi = self.near_pairs(rows)
        pairs = evaluate_pairs(ri, vi, self.req, self.vol, self.w)
        ok = pairs.feasible
        order = np.lexsort((ri[ok], vi[ok]))
        self.pi, self.pv = ri[ok][order], vi[ok][order]
        self.pcost, dist = pairs.cost[ok][order], pairs.distance[ok][order]
        self.usable = self.cap[self.pv, self.day[self.pi]] >= 1
        keys = list(zip(self.pi[self.usable].tolist(), self.pv[self.usable].tolist(), strict=True))
        self.pair_cost = dict(zip(keys, self.pcost[self.usable].tolist(), strict=True))
        self.home_m = dict(zip(keys, dist[self.usable].tolist(), strict=True))

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
    """Each volunteer's usable requests per day: (volunteer, capacity that day, requests)."""
    pi, pv = p.pi[p.usable], p.pv[p.usable]
    key = pv * max(1, len(p.dates)) + p.day[pi]
    order = np.lexsort((pi, key))
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    out = []
    for part in np.split(order, bounds) if order.size else []:
        v, d = int(pv[part[0]]), int(p.day[pi[part[0]]])
        out.append((v, int(p.cap[v, d]), pi[part].tolist()))
    return out


def _subsets_to_list(p: _Problem) -> int:
    """How many sets of tasks the exact method would look at (up to each capacity)."""
    key = p.pv[p.usable] * max(1, len(p.dates)) + p.day[p.pi[p.usable]]
    groups, first, counts = np.unique(key, return_index=True, return_counts=True)
    caps = p.cap[p.pv[p.usable][first], p.day[p.pi[p.usable]][first]]
    return sum(
        math.comb(n, k)
        for n, c in zip(counts.tolist(), caps.tolist(), strict=True)
        for k in range(1, min(c, n) + 1)
    )


def _list_rounds(p: _Problem) -> list[Round]:
    """Every feasible round, each set of tasks in its order with the least walking.

    Orders grow from feasible beginnings: a round's beginning, planned at its earliest, is a
    feasible round itself (with the walk from home), so nothing feasible is missed.
    """
    rounds: list[Round] = []
    for v, c, rs in _groups(p):
        for i in rs:
            alone = p.schedule(v, (i,))
            assert alone is not None  # noqa: S101 - a feasible pair is a feasible one-task round
            rounds.append(Round(v, (i,), tuple(alone), p.pair_cost[i, v], 0.0))
        if c < 2 or len(rs) < 2:
            continue
        best: dict[frozenset[int], Round] = {}
        stack: list[tuple[tuple[int, ...], tuple[int, ...], float]] = []
        for i in reversed(rs):
            s = p.earliest(i, v, _NEVER, p.walk_us(p.home_m[i, v]))
            if s is not None:
                stack.append(((i,), (s,), 0.0))
        while stack:  # depth first, in lexicographic order of the tasks
            tasks, starts, walk = stack.pop()
            if len(tasks) >= 2:
                key = frozenset(tasks)
                if key not in best or walk < best[key].walk_m:
                    cost = sum(p.pair_cost[i, v] for i in tasks)
                    best[key] = Round(v, tasks, starts, cost, walk)
            if len(tasks) == c:
                continue
            last = tasks[-1]
            grown = []
            for i in rs:
                if i in tasks:
                    continue
                metres = p.walk_m(last, i)
                after = starts[-1] + p.dur[last] + p.walk_us(metres)
                s = p.earliest(i, v, after, 0)
                if s is not None:
                    grown.append(((*tasks, i), (*starts, s), walk + metres))
            stack.extend(reversed(grown))
        rounds.extend(best.values())
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
    options = {"mip_rel_gap": 0.0, "presolve": False}

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


def _solve_copies(
    p: _Problem, left: Bools, rounds: dict[int, Round], tabu: Ints
) -> tuple[Ints, Floats]:
    """The one-task optimum of the requests marked `left` on copies of the volunteers, each
    day on its own.

    A volunteer without a round gets, on each day, copies 1 .. their capacity that day; one
    with a round of m tasks on day d gets copies m + 1 .. their capacity that day, on day d
    only. tabu: request * V + volunteer keys
    never paired. Every feasible pair is a candidate, so the optimum is exact. Returns each
    request's volunteer (-1 none) and the cost of its pair.
    """
    n_vol = len(p.volunteers)
    top = int(p.cap.max(initial=0)) + 1
    pick = p.usable & left[p.pi]
    if tabu.size:
        pick &= ~np.isin(p.pi * n_vol + p.pv, tabu)
    r, v, c = p.pi[pick], p.pv[pick], p.pcost[pick]
    d = p.day[r]
    round_len = np.zeros(n_vol, dtype=np.int64)
    round_day = np.full(n_vol, -1, dtype=np.int64)
    for j, rd in rounds.items():
        round_len[j], round_day[j] = len(rd.tasks), p.day[rd.tasks[0]]
    first = round_len[v] + 1
    last = np.where((round_day[v] < 0) | (round_day[v] == d), p.cap[v, d], 0)
    n = np.maximum(last - first + 1, 0)
    level = np.repeat(first, n) + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    ri, vi, cost = np.repeat(r, n), np.repeat(v, n), np.repeat(c, n)
    # Days are solved apart: a volunteer's copies on one day are independent of their copies
    # on another, which relaxes the one-day rule further but keeps each matching small (the
    # sparse assignment solver can stall for minutes on a week's copies at once).
    volunteer_of = np.full(len(p.requests), -1, dtype=np.int64)
    on_day = p.day[ri]
    for day in np.unique(on_day).tolist():
        e = np.flatnonzero(on_day == day)
        m = match_candidates(len(p.requests), ri[e], vi[e] * top + level[e], cost[e])
        found = m.volunteer_of >= 0
        volunteer_of[found] = m.volunteer_of[found] // top
    got = np.flatnonzero(volunteer_of >= 0)
    cost_of = np.full(len(p.requests), np.nan)
    pairs = zip(got.tolist(), volunteer_of[got].tolist(), strict=True)
    cost_of[got] = [p.pair_cost[i, j] for i, j in pairs]
    return volunteer_of, cost_of


def _repair(
    p: _Problem, live: Ints, rounds: dict[int, Round] | None = None
) -> tuple[dict[int, Round], int, float]:
    """Copies and repair: the rounds, and the relaxation's (matched, cost) bound (that of the
    first relaxation, of the requests in `live` not in `rounds`)."""
    rounds = dict(rounds or {})
    left = np.zeros(len(p.requests), dtype=bool)
    left[live] = True
    for kept in rounds.values():
        left[list(kept.tasks)] = False
    tabu = np.zeros(0, dtype=np.int64)
    n_vol = len(p.volunteers)
    bound: tuple[int, float] | None = None
    converged = False
    for _ in range(MAX_REPAIRS):
        volunteer_of, cost_of = _solve_copies(p, left, rounds, tabu)
        got = np.flatnonzero(volunteer_of >= 0)
        if bound is None:
            bound = (int(got.size), float(cost_of[got].sum()))
        offered: dict[int, list[int]] = {}
        for i, v in zip(got.tolist(), volunteer_of[got].tolist(), strict=True):
            offered.setdefault(v, []).append(i)
        placed: list[int] = []
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
            placed.extend(i for i in r.tasks if left[i])
            rounds[v] = r
            day = int(p.day[r.tasks[0]])
            # a task that did not fit this volunteer's round is never offered to them again;
            # one of another day is not offered again because the round fixed the day
            failed.extend(i * n_vol + v for i in tasks if i not in r.tasks and p.day[i] == day)
        left[placed] = False
        tabu = np.union1d(tabu, np.array(failed, dtype=np.int64))
        if not placed:
            converged = True
            break
    if not converged:
        _insert_left(p, rounds, np.flatnonzero(left), tabu)
    matched, cost = bound if bound is not None else (0, 0.0)
    return rounds, matched, cost


def _insert_left(p: _Problem, rounds: dict[int, Round], left: Ints, tabu: Ints) -> None:
    """Offer each request still unmatched to every volunteer with room, cheapest fit first."""
    order = np.argsort(p.pi, kind="stable")
    starts = np.searchsorted(p.pi[order], left)
    ends = np.searchsorted(p.pi[order], left, side="right")
    n_vol = len(p.volunteers)
    for i, a, b in zip(left.tolist(), starts.tolist(), ends.tolist(), strict=True):
        d = int(p.day[i])
        best: Round | None = None
        for pair in order[a:b].tolist():
            v = int(p.pv[pair])
            if not p.usable[pair] or (tabu.size and np.isin(i * n_vol + v, tabu)):
                continue
            if v in rounds:
                current = rounds[v]
                if p.day[current.tasks[0]] != d or len(current.tasks) >= p.cap[v, d]:
                    continue
                r = p.best_round(v, current.tasks, (i,))
                if r is None or len(r.tasks) == len(current.tasks):
                    continue
                added = (r.cost - current.cost, r.walk_m - current.walk_m)
                extra = Round(v, r.tasks, r.starts, *added)
            else:
                alone = p.schedule(v, (i,))
                if alone is None:  # pragma: no cover - a feasible pair fits alone
                    continue
                r = extra = Round(v, (i,), tuple(alone), p.pair_cost[i, v], 0.0)
            if best is None or _better(extra, best):
                best, chosen = extra, r
        if best is not None:
            rounds[chosen.volunteer] = chosen


# --- a bound over several days: Lagrangian prices per request ------------------------------------


class _Hull:
    """The one-day relaxation's Lagrangian over several days (see plan_rounds' docstring).

    Every usable pair p = (request r[p], volunteer v[p]) on day d is in group (v, d), with the
    volunteer's capacity that day. Groups are sorted by volunteer, pairs by group.
    """

    def __init__(self, p: _Problem) -> None:
        r, v, c = p.pi[p.usable], p.pv[p.usable], p.pcost[p.usable]
        key = v * max(1, len(p.dates)) + p.day[r]
        order = np.argsort(key, kind="stable")
        self.r, self.c, key = r[order], c[order], key[order]
        groups, self.g, sizes = np.unique(key, return_inverse=True, return_counts=True)
        self.g = self.g.astype(np.int64)
        self.first = (np.cumsum(sizes) - sizes)[self.g]
        self.gv = groups // max(1, len(p.dates))
        self.gcap = p.cap[self.gv, groups % max(1, len(p.dates))]
        starts = np.flatnonzero(np.r_[True, np.diff(self.gv) != 0]) if groups.size else groups
        self.vstart = starts.astype(np.int64)
        self.n_req = len(p.requests)
        self.several_days = bool(groups.size) and self.vstart.size < groups.size

    def _best_groups(self, w: Floats, sign: float) -> tuple[Floats, Bools]:
        """Each volunteer's best day: the sum of the (at most capacity) best terms sign * w > 0
        of one group, the largest over groups (0 if none); and the pairs that make it up."""
        order = np.lexsort((-sign * w, self.g))
        ws = sign * w[order]
        rank = np.arange(order.size) - self.first[order]
        keep = (rank < self.gcap[self.g[order]]) & (ws > 0)
        total: Floats = np.bincount(self.g[order][keep], ws[keep], minlength=self.gv.size).astype(
            np.float64
        )
        if not total.size:
            return total, np.zeros(0, dtype=np.bool_)
        best = np.maximum.reduceat(total, self.vstart)
        per_group = np.repeat(best, np.diff(np.r_[self.vstart, total.size]))
        # the first group reaching the volunteer's best (a volunteer keeps one day)
        is_best = (total == per_group) & (total > 0)
        first_best = np.zeros(total.size, dtype=bool)
        hits = np.flatnonzero(is_best)
        vol_of_hit = np.searchsorted(self.vstart, hits, side="right") - 1
        _, one = np.unique(vol_of_hit, return_index=True)
        first_best[hits[one]] = True
        chosen = np.zeros(order.size, dtype=bool)
        chosen[order[keep & first_best[self.g[order]]]] = True
        return best, chosen

    def matched(self, mu: Floats) -> tuple[float, Bools]:
        """L(mu) >= the most requests any plan matches, and the pairs the volunteers pick."""
        best, chosen = self._best_groups(1.0 - mu[self.r], 1.0)
        return float(mu.sum() + best.sum()), chosen

    def cost(self, mu: Floats, theta: float, m: int) -> tuple[float, Bools]:
        """L(mu, theta) <= the least cost of any plan matching at least m requests."""
        best, chosen = self._best_groups(self.c + mu[self.r] - theta, -1.0)
        return float(theta * m - mu.sum() - best.sum()), chosen

    def load(self, chosen: Bools) -> Floats:
        return np.bincount(self.r[chosen], minlength=self.n_req).astype(np.float64)

    def cost_bound(self, m: int, target: float, iterations: int) -> float:
        """The largest L(mu, theta) found: theta the best of a scan at mu = 0, then subgradient
        steps on both (Polyak steps towards target, the cost of a plan). Each is a valid bound."""
        has_pair = np.bincount(self.r, minlength=self.n_req) > 0
        mu = np.zeros(self.n_req)
        thetas: list[float] = (
            np.unique(np.quantile(self.c, np.linspace(0.0, 1.0, 9))).tolist() if self.c.size else []
        )
        best, theta = -math.inf, 0.0
        for t in [0.0, *thetas]:
            value = self.cost(mu, float(t), m)[0]
            if value > best:
                best, theta = value, float(t)
        alpha = 1.0
        for _ in range(iterations):
            value, chosen = self.cost(mu, theta, m)
            if value > best + 1e-9:
                best = value
            else:
                alpha *= 0.7
            if value >= target:
                break
            step_mu = np.where(has_pair, self.load(chosen) - 1.0, 0.0)
            step_theta = float(m - np.count_nonzero(chosen))
            norm = float(step_mu @ step_mu) + step_theta**2
            if norm == 0.0:
                break
            t = alpha * (target - value) / norm
            mu = np.maximum(mu + t * step_mu, 0.0)
            theta = max(theta + t * step_theta, 0.0)
        return best


def _cover_prices(p: _Problem, h: _Hull) -> Floats:
    """Start prices: 1 on the requests of a least vertex cover of the week's copies relaxation
    (each volunteer's copies 1 .. capacity, over all days at once; König: as many as its most
    matched), 0 elsewhere. L of these prices is at most that relaxation's most matched."""
    top = int(p.cap.max(initial=0)) + 1
    cap = h.gcap[h.g]
    n = np.maximum(cap, 0)
    level = np.repeat(np.ones_like(n), n) + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    rows = np.repeat(h.r, n)
    cols = np.repeat(h.gv[h.g], n) * top + level
    n_req, n_col = h.n_req, len(p.volunteers) * top
    graph = csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_req, n_col))
    col_of = maximum_bipartite_matching(graph, perm_type="column").astype(np.int64)
    has_pair = np.bincount(h.r, minlength=n_req) > 0
    # alternating paths from the unmatched requests: request -> any column -> its request
    source = n_req + n_col
    free = np.flatnonzero(has_pair & (col_of < 0))
    back = np.flatnonzero(col_of >= 0)
    src = np.r_[np.full(free.size, source), rows, n_req + col_of[back]]
    dst = np.r_[free, n_req + cols, back]
    walk = csr_matrix((np.ones(src.size), (src, dst)), shape=(source + 1, source + 1))
    reached = np.zeros(source + 1, dtype=bool)
    reached[breadth_first_order(walk, source, directed=True, return_predecessors=False)] = True
    return np.where(has_pair & ~reached[:n_req], 1.0, 0.0)


def _plan_by_days(p: _Problem, live: Ints, day_of: Ints) -> dict[int, Round]:
    """Copies and repair with each volunteer on their day (day_of; -1 any), then once more
    for the requests left, where a volunteer without a round may take any day."""
    cap, usable = p.cap, p.usable
    on_day = day_of >= 0
    p.cap = cap.copy()
    p.cap[on_day] = 0
    p.cap[np.flatnonzero(on_day), day_of[on_day]] = cap[np.flatnonzero(on_day), day_of[on_day]]
    p.usable = usable & (p.cap[p.pv, p.day[p.pi]] >= 1)
    try:
        rounds, _, _ = _repair(p, live)
    finally:
        p.cap, p.usable = cap, usable
    rounds, _, _ = _repair(p, live, rounds)
    return rounds


def _outcome(rounds: dict[int, Round]) -> tuple[int, float, float]:
    """(-matched, cost, walking): smaller is better."""
    values = rounds.values()
    return (
        -sum(len(r.tasks) for r in values),
        sum(r.cost for r in values),
        sum(r.walk_m for r in values),
    )


def _switch_days(p: _Problem, rounds: dict[int, Round], live: Ints) -> dict[int, Round]:
    """Volunteers with room move to another day where they can do more of the requests left;
    what they leave is offered again (copies and repair). Never fewer matched."""
    rounds = dict(rounds)
    matched = np.zeros(len(p.requests), dtype=bool)
    for r in rounds.values():
        matched[list(r.tasks)] = True
    is_live = np.zeros(len(p.requests), dtype=bool)
    is_live[live] = True
    pick = np.flatnonzero(p.usable & is_live[p.pi] & ~matched[p.pi])
    pick = pick[np.lexsort((p.pcost[pick], p.pv[pick]))]
    options: dict[int, list[int]] = {}
    for i, v in zip(p.pi[pick].tolist(), p.pv[pick].tolist(), strict=True):
        options.setdefault(v, []).append(i)
    moved = False
    for v in sorted(options):
        current = rounds.get(v)
        if current is None:
            continue
        day = int(p.day[current.tasks[0]])
        if len(current.tasks) >= p.cap[v, day]:
            continue
        by_day: dict[int, list[int]] = {}
        for i in options[v]:
            d = int(p.day[i])
            if not matched[i] and d != day and len(by_day.get(d, [])) < SWITCH_CHOICES:
                by_day.setdefault(d, []).append(i)
        best = current
        for d in sorted(by_day):
            candidate = p.best_round(v, (), by_day[d])
            if candidate is not None and len(candidate.tasks) > len(best.tasks):
                best = candidate
        if best is not current:
            matched[list(current.tasks)] = False
            matched[list(best.tasks)] = True
            rounds[v] = best
            moved = True
    if moved:
        rounds, _, _ = _repair(p, live, rounds)
    return rounds


def _improve(p: _Problem, rounds: dict[int, Round], live: Ints) -> dict[int, Round]:
    """Over several days: move volunteers with room to a better day (_switch_days), then solve
    the copies again with every volunteer on the day of their round (a volunteer without one on
    any), which exchanges tasks between volunteers of a day; keep what is better, until nothing
    is. Never worse than `rounds`."""
    for _ in range(IMPROVE_STEPS):
        moved = _switch_days(p, rounds, live)
        day_of = np.full(len(p.volunteers), -1, dtype=np.int64)
        for v, r in moved.items():
            day_of[v] = p.day[r.tasks[0]]
        again = _plan_by_days(p, live, day_of)
        best = min((again, moved), key=_outcome)
        if _outcome(best) >= _outcome(rounds):
            break
        rounds = best
    return rounds


# --- the plan ----------------------------------------------------------------------------------


def _round_full(
    p: _Problem, unmatched: Iterable[Unmatched], rounds: dict[int, Round], ri: Ints, vi: Ints
) -> tuple[Unmatched, ...]:
    """all_taken becomes round_full where every feasible volunteer has nothing left that day
    (tasks held), or takes more than one task a day and has their round on that day (full, or
    this task does not fit into it). One-task volunteers used elsewhere leave all_taken.

    ri, vi: feasible pairs, all of them for every request reported all_taken.
    """
    index = {r.id: i for i, r in enumerate(p.requests)}
    taken = [index[u.request_id] for u in unmatched if u.reason == "all_taken"]
    full: set[int] = set()
    if taken and ri.size:
        d = p.day[ri]
        round_day = np.full(len(p.volunteers), -1, dtype=np.int64)
        for v, r in rounds.items():
            round_day[v] = p.day[r.tasks[0]]
        spent = (p.cap[vi, d] == 0) | ((round_day[vi] == d) & (p.stated[vi] >= 2))
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
    # A request with a feasible pair is all_taken (or round_full); the engine explains the rest.
    volunteer_of = np.full(len(p.requests), -1, dtype=np.int64)
    volunteer_of[chosen] = vols
    has_pair = np.bincount(p.pi, minlength=len(p.requests)) > 0
    explained = {
        u.request_id: u
        for u in _why_unmatched(
            p.requests, np.where(has_pair, 0, volunteer_of), p.req, p.vol, _searched_all(p)
        )
    }
    all_taken = REASONS[-1]
    missing = np.flatnonzero(volunteer_of < 0).tolist()
    unmatched = _round_full(
        p,
        [
            explained.get(p.requests[i].id) or Unmatched(p.requests[i].id, *all_taken)
            for i in missing
        ],
        rounds,
        p.pi,
        p.pv,
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

    exact_limit: the most sets of tasks the exact method lists before copies and repair take
    over. stats, besides engine.plan's totals: method_code (0 every capacity at most 1, so
    engine.plan; 1 exact; 2 copies and repair), proven_optimal (all three levels), bound_reached
    (matched and cost equal the bound: the first two levels proven), matched_bound (no plan
    matches more), lower_bound (no plan matching as many as this one costs less),
    matched_gap_pct, cost_gap_pct and gap_pct (their larger; 0 when the bound is reached; see
    the module docstring for why these bounds are valid), total_walking_m and rounds
    (volunteers with two tasks or more).
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
            bound_reached=True,
            matched_bound=len(result.proposals),
            lower_bound=cost,
            gap_pct=0.0,
        )
        return result
    rounds, copies_matched, copies_cost = _repair(p, live)
    matched_bound, cost_bound = copies_matched, copies_cost
    hull = _Hull(p) if -_outcome(rounds)[0] < copies_matched else None
    if hull is not None and hull.several_days:
        matched_bound = min(matched_bound, math.floor(hull.matched(_cover_prices(p, hull))[0]))
        if -_outcome(rounds)[0] < matched_bound:
            rounds = _improve(p, rounds, live)
    result = _result(p, rounds, stats, started)
    matched = len(result.proposals)
    cost = sum(pr.cost for pr in result.proposals)
    if hull is not None:
        # the copies' cost is the least at their count only: bound the cost at this plan's
        cost_bound = hull.cost_bound(matched, cost, COST_STEPS)
    matched_gap = 100.0 * (matched_bound - matched) / matched_bound if matched_bound else 0.0
    cost_gap = 100.0 * (cost - cost_bound) / max(1.0, abs(cost_bound)) if matched else 0.0
    tol = 1e-9 * max(1.0, abs(cost_bound))
    reached = matched == matched_bound and cost <= cost_bound + tol
    # the bound says nothing about walking: proven only if there is none to save
    proven = reached and stats["total_walking_m"] == 0
    stats.update(
        method_code=2,
        proven_optimal=bool(proven),
        bound_reached=bool(reached),
        matched_bound=matched_bound,
        lower_bound=round(cost_bound, 1),
        matched_gap_pct=round(max(0.0, matched_gap), 3),
        cost_gap_pct=round(max(0.0, cost_gap), 3),
        gap_pct=0.0 if reached else round(max(0.0, matched_gap, cost_gap), 3),
    )
    stats["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
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
    unmatched = result.unmatched
    if len(volunteers) and any(a is not b for a, b in zip(volunteers, p.volunteers, strict=True)):
        # the reasons from the volunteers as given (not the declines added above)
        volunteer_of = np.full(len(p.requests), -1, dtype=np.int64)
        for v, r in rounds.items():
            volunteer_of[r.tasks[0]] = v
        unmatched = _why_unmatched(p.requests, volunteer_of, p.req, p.vol, _searched_all(p))
    if (p.stated >= 2).any() or (p.cap == 0).any():
        index = {r.id: i for i, r in enumerate(p.requests)}
        rows = [index[u.request_id] for u in unmatched if u.reason == "all_taken"]
        ri, vi = p.near_pairs(np.array(rows, dtype=np.int64))
        ok = evaluate_pairs(ri, vi, p.req, p.vol, p.w).feasible
        unmatched = _round_full(p, unmatched, rounds, ri[ok], vi[ok])
    stats = dict(result.stats)
    cost = float(stats["total_cost"])
    stats.update(
        unmatched=len(unmatched),
        total_walking_m=0.0,
        rounds=0,
        method_code=0,
        proven_optimal=True,
        bound_reached=True,
        matched_bound=len(proposals),
        lower_bound=cost,
        gap_pct=0.0,
        total_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return MatchResult(proposals=tuple(proposals), unmatched=unmatched, stats=stats)


def _searched_all(p: _Problem) -> Bools:
    """No request is taken as having a pair already: the engine searches each one's reason."""
    return np.zeros(len(p.requests), dtype=np.bool_)
