"""Rounds: several tasks per volunteer in one run, in a planned order (matching.rounds)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import defaultdict

import numpy as np
import pytest

from matching.domain import CostWeights, RequestSpec, Slot, VolunteerSpec
from matching.engine import plan
from matching.exactness import LAYOUTS, random_instance
from matching.rounds import ROUND_FULL, plan_rounds
from tests.matching.rounds_reference import between, check_round, optimum

TOKYO = dt.timezone(dt.timedelta(hours=9))
TUESDAY = dt.datetime(2026, 12, 1, tzinfo=TOKYO)
BASE = (35.6432, 139.6710)
ALL_WEEK = tuple(Slot(d, 0, 1440) for d in range(7))
#: metres per degree of latitude (haversine, R = 6,371,008.8 m)
M_PER_DEG = 6_371_008.8 * 3.141592653589793 / 180


def at(hour: int, minute: int = 0, day: int = 0) -> dt.datetime:
    return TUESDAY + dt.timedelta(days=day, hours=hour, minutes=minute)


def north(metres: float) -> tuple[float, float]:
    return BASE[0] + metres / M_PER_DEG, BASE[1]


def request(rid: int, where=BASE, start=None, end=None, minutes=15, **kw) -> RequestSpec:
    start = start or at(7)
    return RequestSpec(
        id=rid,
        resident_id=kw.pop("resident_id", rid),
        lat=where[0],
        lon=where[1],
        required_skills=kw.pop("required_skills", frozenset()),
        duration_min=minutes,
        trial_ok=kw.pop("trial_ok", True),
        window_start=start,
        window_end=end or start + dt.timedelta(minutes=90),
        **kw,
    )


def volunteer(vid: int, where=BASE, capacity=1, **kw) -> VolunteerSpec:
    return VolunteerSpec(
        id=vid,
        lat=where[0],
        lon=where[1],
        max_distance_m=kw.pop("max_distance_m", 2000.0),
        skills=kw.pop("skills", frozenset()),
        slots=kw.pop("slots", ALL_WEEK),
        is_trial=kw.pop("is_trial", False),
        capacity_per_day=capacity,
        **kw,
    )


def outcome(result, requests) -> tuple[int, float, float]:
    """(matched, total cost, total walking between consecutive tasks in metres)."""
    req = {r.id: r for r in requests}
    walking = sum(
        between(req[a.request_id], req[b.request_id])
        for props in rounds_of(result).values()
        for a, b in itertools.pairwise(props)
    )
    return len(result.proposals), float(sum(p.cost for p in result.proposals)), walking


def rounds_of(result) -> dict[int, list]:
    by_volunteer = defaultdict(list)
    for p in result.proposals:
        by_volunteer[p.volunteer_id].append(p)
    return {v: sorted(ps, key=lambda p: p.round_order) for v, ps in by_volunteer.items()}


def assert_rounds_feasible(result, requests, volunteers, speed=67.0) -> None:
    """Every proposed round passes the independent checker, in its planned order and times."""
    req = {r.id: r for r in requests}
    vol = {v.id: v for v in volunteers}
    for vid, props in rounds_of(result).items():
        assert [p.round_order for p in props] == list(range(1, len(props) + 1))
        tasks = [req[p.request_id] for p in props]
        starts = [p.planned_start for p in props]
        assert check_round(vol[vid], tasks, starts, speed) is None, (vid, tasks, starts)


# --- hand-made cases -----------------------------------------------------------------------------


def test_a_neighbour_takes_three_bags_on_one_walk_in_order():
    bags = [request(i, north(40.0 * i)) for i in range(1, 4)]
    neighbour = volunteer(9, capacity=3, slots=(Slot(1, 420, 600),))  # Tuesday 7:00-10:00
    result = plan_rounds(bags, [neighbour])
    assert [(p.request_id, p.round_order) for p in result.proposals] == [(1, 1), (2, 2), (3, 3)]
    # from 7:00, home to the first bag 40 m = 1 minute; 15 minutes each, 1 minute's walk between
    assert [p.planned_start for p in result.proposals] == [at(7, 1), at(7, 17), at(7, 33)]
    assert result.stats["proven_optimal"] is True
    assert result.stats["gap_pct"] == 0.0
    assert outcome(result, bags)[2] == pytest.approx(80.0, abs=0.01)
    assert_rounds_feasible(result, bags, [neighbour])


def test_walking_time_is_rounded_up_to_whole_minutes():
    # the second window leaves exactly one minute after the first task
    def pair(metres: float):
        first = request(1, BASE, at(7), at(7, 15))
        second = request(2, north(metres), at(7, 16), at(7, 31))
        return [first, second]

    one_minute = plan_rounds(pair(66.0), [volunteer(9, capacity=2)])
    assert len(one_minute.proposals) == 2
    # 68 m at 67 m/min is 1.01 minutes: two whole minutes, and the second task no longer fits
    two_minutes = plan_rounds(pair(68.0), [volunteer(9, capacity=2)])
    assert len(two_minutes.proposals) == 1
    assert [u.reason for u in two_minutes.unmatched] == ["round_full"]
    # a slower ward: 66 m at 60 m/min is 2 minutes too
    slow = plan_rounds(
        pair(66.0), [volunteer(9, capacity=2)], weights=CostWeights(walking_m_per_min=60.0)
    )
    assert len(slow.proposals) == 1


def test_a_round_leaves_time_to_walk_from_home_but_one_task_alone_need_not():
    # slot from 7:00; the bag at 7:00-7:15 sharp is 300 m (5 minutes) from home
    slots = (Slot(1, 420, 600),)
    early = request(1, north(300.0), at(7), at(7, 15))
    later = request(2, north(300.0), at(8), at(8, 30))
    alone = plan_rounds([early], [volunteer(9, capacity=2, slots=slots)])
    assert [p.planned_start for p in alone.proposals] == [at(7)]
    both = plan_rounds([early, later], [volunteer(9, capacity=2, slots=slots)])
    assert len(both.proposals) == 1
    # a slot from 6:50 leaves the 5 minutes: both fit
    roomy = (Slot(1, 410, 600),)
    both = plan_rounds([early, later], [volunteer(9, capacity=2, slots=roomy)])
    assert [(p.request_id, p.planned_start) for p in both.proposals] == [(1, at(7)), (2, at(8))]


def test_capacity_counts_tasks_already_held_that_day():
    bags = [request(i, north(10.0 * i)) for i in range(1, 4)]
    date = at(7).date()
    held_today = volunteer(9, capacity=3, held_per_day={date: 2})
    result = plan_rounds(bags, [held_today])
    assert len(result.proposals) == 1
    assert {u.reason for u in result.unmatched} == {"round_full"}
    held_tomorrow = volunteer(9, capacity=3, held_per_day={date + dt.timedelta(days=1): 2})
    assert len(plan_rounds(bags, [held_tomorrow]).proposals) == 3
    full = volunteer(9, capacity=3, held_per_day={date: 3})
    result = plan_rounds(bags, [full, volunteer(8, capacity=1, held_per_day={date: 1})])
    assert result.proposals == ()
    assert [u.reason for u in result.unmatched] == ["round_full"] * 3
    assert result.unmatched[0].detail == ROUND_FULL[1]


def test_round_full_when_capacity_is_reached_and_all_taken_when_used_on_another_day():
    bags = [request(i, north(10.0 * i)) for i in range(1, 4)]
    result = plan_rounds(bags, [volunteer(9, capacity=2)])
    assert len(result.proposals) == 2
    assert [(u.request_id, u.reason) for u in result.unmatched] == [(3, "round_full")]
    # a volunteer whose round is on another day took other requests: all_taken
    tomorrow = [request(10 + i, north(10.0 * i), at(7, day=1)) for i in range(1, 3)]
    result = plan_rounds([bags[0], *tomorrow], [volunteer(9, capacity=2)])
    assert {p.request_id for p in result.proposals} == {11, 12}
    assert [(u.request_id, u.reason) for u in result.unmatched] == [(1, "all_taken")]
    # one-task volunteers never make round_full: the one-task engine's all_taken
    result = plan_rounds(bags, [volunteer(9), volunteer(8)])
    assert {u.reason for u in result.unmatched} == {"all_taken"}


def test_one_round_per_volunteer_per_run_on_one_day():
    today = request(1)
    tomorrow = request(2, start=at(7, day=1))
    result = plan_rounds([today, tomorrow], [volunteer(9, capacity=3)])
    assert len(result.proposals) == 1


def test_earlier_reasons_stay_as_the_engine_gives_them():
    far = request(1, north(5000.0))
    skill = request(2, required_skills=frozenset({"ladder"}))
    result = plan_rounds([far, skill], [volunteer(9, capacity=2)])
    assert [(u.request_id, u.reason) for u in result.unmatched] == [
        (1, "nobody_nearby"),
        (2, "no_skill"),
    ]


# --- random instances ----------------------------------------------------------------------------

CATEGORIES = (
    # (skills, minutes, window start (h, m), window minutes)
    (frozenset({"garbage"}), 15, (7, 0), 90),  # ゴミ出し 7:00-8:30
    (frozenset({"garbage"}), 15, (7, 0), 90),
    (frozenset({"garbage"}), 15, (7, 30), 15),  # exactly its duration
    (frozenset({"shopping"}), 60, (10, 0), 180),
    (frozenset({"ladder"}), 30, (13, 0), 120),
)
SLOT_PATTERNS = ((390, 540), (420, 480), (420, 1080), (540, 1020), (0, 1440))


def random_rounds_instance(seed: int):
    """A small instance: ≤ 40 requests on 1-3 days, tight windows, shared points, capacities."""
    rng = np.random.default_rng(seed)
    n_req = int(rng.integers(3, 41))
    n_vol = int(rng.integers(1, 8))
    n_days = int(rng.integers(1, 4))
    shared = [
        (BASE[0] + rng.uniform(-0.004, 0.004), BASE[1] + rng.uniform(-0.005, 0.005))
        for _ in range(3)
    ]
    layout = seed % 3  # scattered, some shared points, all on shared points

    def point():
        if layout == 2 or (layout == 1 and rng.random() < 0.4):
            return shared[int(rng.integers(len(shared)))]
        return BASE[0] + rng.uniform(-0.004, 0.004), BASE[1] + rng.uniform(-0.005, 0.005)

    requests = []
    for i in range(n_req):
        skills, minutes, (h, m), window = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
        start = at(h, m, day=int(rng.integers(n_days)))
        requests.append(
            request(
                100 + i,
                point(),
                start,
                start + dt.timedelta(minutes=window),
                minutes,
                required_skills=skills,
                resident_id=int(rng.integers(6)),
                trial_ok=bool(rng.random() < 0.7),
            )
        )
    dates = sorted({r.window_start.date() for r in requests})
    volunteers = []
    for j in range(n_vol):
        a, b = SLOT_PATTERNS[int(rng.integers(len(SLOT_PATTERNS)))]
        skills = {"garbage"} | {s for s in ("shopping", "ladder") if rng.random() < 0.4}
        held = {d: int(rng.integers(1, 3)) for d in dates if rng.random() < 0.2}
        volunteers.append(
            volunteer(
                500 + j,
                point(),
                capacity=int(rng.choice([1, 2, 2, 3, 3])),
                max_distance_m=float(rng.choice([300.0, 600.0, 1000.0])),
                skills=frozenset(skills),
                slots=tuple(Slot(d, a, b) for d in range(7) if rng.random() < 0.8),
                is_trial=bool(rng.random() < 0.2),
                held_per_day=held,
                declined_request_ids=frozenset(r.id for r in requests if rng.random() < 0.05),
                helped_resident_ids=frozenset(x for x in range(6) if rng.random() < 0.15),
                recent_tasks=int(rng.choice([0, 0, 1, 3])),
                completed_tasks=int(rng.choice([0, 2])),
            )
        )
    speed = float(rng.choice([67.0, 67.0, 30.0]))
    return requests, volunteers, CostWeights(walking_m_per_min=speed)


@pytest.mark.parametrize("block", range(10))
def test_rounds_equal_a_milp_over_every_round_listed_by_brute_force(block):
    for seed in range(block * 30, block * 30 + 30):
        requests, volunteers, weights = random_rounds_instance(seed)
        result = plan_rounds(requests, volunteers, weights=weights, exact_limit=10**6)
        want = optimum(requests, volunteers, weights)
        got = outcome(result, requests)
        assert got[0] == want[0], (seed, got, want)
        assert got[1] == pytest.approx(want[1], rel=1e-6, abs=1e-6), (seed, got, want)
        assert got[2] == pytest.approx(want[2], rel=1e-6, abs=1e-6), (seed, got, want)
        assert result.stats["proven_optimal"] is True
        assert_rounds_feasible(result, requests, volunteers, weights.walking_m_per_min)
        explained = {p.request_id for p in result.proposals} | {
            u.request_id for u in result.unmatched
        }
        assert explained == {r.id for r in requests}


@pytest.mark.parametrize("block", range(4))
def test_copies_and_repair_give_feasible_rounds_within_their_bound(block):
    for seed in range(1000 + block * 25, 1000 + block * 25 + 25):
        requests, volunteers, weights = random_rounds_instance(seed)
        result = plan_rounds(requests, volunteers, weights=weights, exact_limit=0)
        assert_rounds_feasible(result, requests, volunteers, weights.walking_m_per_min)
        stats = result.stats
        if stats["method_code"] == 2:
            want = optimum(requests, volunteers, weights)
            assert stats["matched_bound"] >= want[0] >= len(result.proposals)
            if stats["matched_bound"] == want[0]:
                assert stats["lower_bound"] <= want[1] + 0.1
            assert stats["gap_pct"] >= 0.0
            if stats["proven_optimal"]:
                assert outcome(result, requests) == pytest.approx(want)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_with_capacity_one_the_result_is_the_one_task_engines(layout):
    rng = np.random.default_rng(len(layout))
    for n_req, n_vol in ((1, 12), (5, 40), (12, 12), (25, 10), (30, 30), (20, 5)):
        for _ in range(5):
            requests, volunteers = random_instance(rng, layout, n_req, n_vol)
            one = plan(requests, volunteers)
            rounds = plan_rounds(requests, volunteers)
            assert [dataclasses.replace(p, planned_start=None) for p in rounds.proposals] == list(
                one.proposals
            )
            assert rounds.unmatched == one.unmatched
            assert rounds.stats["proven_optimal"] is True
            assert all(p.round_order == 1 and p.planned_start for p in rounds.proposals)
            assert_rounds_feasible(rounds, requests, volunteers)


def test_capacity_one_with_a_day_already_held_declines_that_day_only():
    date = at(7).date()
    result = plan_rounds(
        [request(1), request(2, start=at(7, day=1))],
        [volunteer(9, held_per_day={date: 1})],
    )
    assert [p.request_id for p in result.proposals] == [2]
    assert [(u.request_id, u.reason) for u in result.unmatched] == [(1, "round_full")]


def test_capacity_one_everywhere_is_the_engine_plan_on_the_copies_bound_too():
    requests, volunteers, weights = random_rounds_instance(7)
    ones = [dataclasses.replace(v, capacity_per_day=1, held_per_day={}) for v in volunteers]
    result = plan_rounds(requests, ones, weights=weights)
    assert result.stats["method_code"] == 0
    assert outcome(result, requests)[:2] == pytest.approx(optimum(requests, ones, weights)[:2])
