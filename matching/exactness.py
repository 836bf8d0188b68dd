"""Check plan() against the dense optimum on many small random instances, ties included.

    python -m matching.exactness                       # 5,000 instances
    python -m matching.exactness --instances 20000 --seed 7

Each instance has a layout: people scattered at random; a quarter of them on a few shared
points (the おためし form stores a 町丁目's representative point, so everyone who signs up from
one 町丁目 stands on the same coordinates); everyone on a few shared points; or all volunteers
on one point. Shapes run from one request and many volunteers to many requests and few
volunteers, with trial volunteers (first-task bonus), continuity pairs, load, no-shows,
declines, and k (the first candidate list) of 1, 2 or 4. The reference is the full cost matrix
solved by linear_sum_assignment (`solve_dense`). Prints the instances checked and the mismatches per
layout; exits with status 1 if any instance differs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy as np

from matching import solver
from matching.domain import MatchResult, RequestSpec, Slot, VolunteerSpec
from matching.engine import dense_costs, plan
from matching.solver import solve_dense

TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TOKYO)
BASE = (35.6432, 139.6710)
SKILLS = ("garbage", "shopping", "ladder")
LAYOUTS = ("scattered", "quarter_shared", "few_points", "one_point")
#: (requests, volunteers): one request in a crowd, more volunteers, square, more requests.
SHAPES = (
    (1, 12),
    (1, 30),
    (2, 20),
    (4, 16),
    (5, 40),
    (8, 8),
    (12, 12),
    (10, 25),
    (8, 3),
    (20, 5),
    (25, 10),
    (30, 30),
)
KS = (1, 2, 4)

Point = tuple[float, float]
Place = Callable[[], Point]
T = TypeVar("T")


Rng = np.random.Generator


def _pick(rng: Rng, options: Sequence[T]) -> T:
    return options[int(rng.integers(len(options)))]


def _point(rng: Rng) -> Point:
    # within about 1 km of BASE, so that every reach from 300 m to 3 km matters
    return BASE[0] + float(rng.uniform(-0.008, 0.008)), BASE[1] + float(rng.uniform(-0.01, 0.01))


def _placer(rng: Rng, layout: str) -> tuple[Place, Place]:
    """Return (place a request, place a volunteer): callables giving a point each call."""
    shared = [_point(rng) for _ in range(int(rng.integers(1, 5)))]
    if layout == "scattered":
        return lambda: _point(rng), lambda: _point(rng)
    if layout == "quarter_shared":

        def some_shared() -> Point:
            return _pick(rng, shared) if rng.random() < 0.25 else _point(rng)

        return some_shared, some_shared
    if layout == "few_points":

        def on_shared() -> Point:
            return _pick(rng, shared)

        return on_shared, on_shared
    if layout == "one_point":
        # requests on the volunteers' point (distance 0), on one other point, or scattered
        here = shared[0]
        mode = int(rng.integers(3))
        there = here if mode == 0 else _point(rng)

        def request_point() -> Point:
            return there if mode < 2 else _point(rng)

        return request_point, lambda: here
    raise ValueError(f"unknown layout {layout!r}")


def _some(rng: Rng, n: int) -> frozenset[str]:
    """n skills drawn without replacement."""
    return frozenset(str(s) for s in rng.permutation(SKILLS)[:n])


def random_instance(
    rng: Rng, layout: str, n_req: int, n_vol: int
) -> tuple[list[RequestSpec], list[VolunteerSpec]]:
    """Return a small random instance in this layout (see the module docstring)."""
    place_request, place_volunteer = _placer(rng, layout)
    requests = []
    for i in range(n_req):
        lat, lon = place_request()
        start = MONDAY + dt.timedelta(days=int(rng.integers(7)), hours=_pick(rng, (7, 9, 13, 22)))
        requests.append(
            RequestSpec(
                id=100 + i,
                resident_id=int(rng.integers(4)),
                lat=lat,
                lon=lon,
                required_skills=_some(rng, _pick(rng, (0, 1, 1, 2))),
                duration_min=_pick(rng, (15, 30, 60)),
                trial_ok=bool(rng.random() < 0.6),
                window_start=start,
                window_end=start + dt.timedelta(minutes=_pick(rng, (60, 180, 600))),
            )
        )
    volunteers = []
    for j in range(n_vol):
        lat, lon = place_volunteer()
        always = rng.random() < 0.4  # free all week: many volunteers tie on everything
        slots = (
            tuple(Slot(d, 0, 1440) for d in range(7))
            if always
            else tuple(
                Slot(int(rng.integers(7)), int(s), int(s) + _pick(rng, (60, 180, 300)))
                for s in rng.permutation(np.arange(0, 1080, 60))[: int(rng.integers(1, 4))]
            )
        )
        volunteers.append(
            VolunteerSpec(
                id=500 + j,
                lat=lat,
                lon=lon,
                max_distance_m=_pick(rng, (300.0, 800.0, 1500.0, 3000.0)),
                skills=_some(rng, int(rng.integers(4))),
                slots=slots,
                is_trial=bool(rng.random() < 0.25),
                declined_request_ids=frozenset(r.id for r in requests if rng.random() < 0.05),
                helped_resident_ids=frozenset(x for x in range(4) if rng.random() < 0.15),
                recent_tasks=_pick(rng, (0, 0, 0, 1, 3)),
                completed_tasks=_pick(rng, (0, 0, 2)),
                recent_no_shows=_pick(rng, (0, 0, 0, 0, 1, 3)),
            )
        )
    return requests, volunteers


def outcome(result: MatchResult) -> tuple[int, float]:
    """Return (pairs proposed, their total cost)."""
    return len(result.proposals), float(sum(p.cost for p in result.proposals))


def dense_optimum(
    requests: Sequence[RequestSpec], volunteers: Sequence[VolunteerSpec]
) -> tuple[int, float]:
    """Return (most pairs, least total cost) from the full cost matrix."""
    cost = dense_costs(requests, volunteers)
    volunteer_of = solve_dense(cost)
    chosen = np.flatnonzero(volunteer_of >= 0)
    return int(chosen.size), float(cost[chosen, volunteer_of[chosen]].sum())


def same(a: tuple[int, float], b: tuple[int, float]) -> bool:
    return a[0] == b[0] and abs(a[1] - b[1]) <= 1e-6 * max(1.0, abs(b[1]))


@dataclass(frozen=True)
class Case:
    seed: int
    layout: str
    n_req: int
    n_vol: int
    k: int

    def instance(self) -> tuple[list[RequestSpec], list[VolunteerSpec]]:
        rng = np.random.default_rng(self.seed)
        return random_instance(rng, self.layout, self.n_req, self.n_vol)


def case(seed: int) -> Case:
    """Return the seed's case: layout, shape and k cycle so that every combination comes up."""
    layout = LAYOUTS[seed % len(LAYOUTS)]
    n_req, n_vol = SHAPES[(seed // len(LAYOUTS)) % len(SHAPES)]
    k = KS[(seed // (len(LAYOUTS) * len(SHAPES))) % len(KS)]
    return Case(seed, layout, n_req, n_vol, k)


def check(c: Case) -> str | None:
    """Return None if plan() finds the dense optimum on this case, else what differs."""
    requests, volunteers = c.instance()
    got = outcome(plan(requests, volunteers, k=c.k))
    want = dense_optimum(requests, volunteers)
    if same(got, want):
        return None
    return f"{c}: plan {got[0]} pairs cost {got[1]:.3f}, optimum {want[0]} pairs cost {want[1]:.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="plan() against the dense optimum.")
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument(
        "--repair-share",
        type=float,
        default=None,
        help="solver.REPAIR_SHARE (1.0: repair these small instances too, instead of solving"
        " them in full)",
    )
    args = parser.parse_args(argv)
    if args.repair_share is not None:
        solver.REPAIR_SHARE = args.repair_share
    started = time.perf_counter()
    checked = dict.fromkeys(LAYOUTS, 0)
    failed = dict.fromkeys(LAYOUTS, 0)
    for seed in range(args.seed, args.seed + args.instances):
        c = case(seed)
        problem = check(c)
        checked[c.layout] += 1
        if problem is not None:
            failed[c.layout] += 1
            print("MISMATCH", problem, flush=True)
    for layout in LAYOUTS:
        print(f"{layout:<15} checked {checked[layout]:>6,}  mismatches {failed[layout]:>4,}")
    total_failed = sum(failed.values())
    print(
        f"{'all':<15} checked {sum(checked.values()):>6,}  mismatches {total_failed:>4,}"
        f"  ({time.perf_counter() - started:.1f} s; shapes {len(SHAPES)}, k in {KS})"
    )
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
