"""plan() and dense_costs() at their edges: which reason an unmatched request gets, what input
is refused, the stats, the time zone and weights asked for, and large inputs in chunks."""

from __future__ import annotations

import datetime as dt
import math
import random
import re

import numpy as np
import pytest

from matching.cost import haversine_m
from matching.domain import CostWeights, RequestSpec, Slot, VolunteerSpec
from matching.engine import REASONS, dense_costs, plan
from tests.matching import reference
from tests.matching.reference import TOKYO

BASE = (35.6432, 139.6710)
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TOKYO)  # a Monday


def volunteer(**kw) -> VolunteerSpec:
    defaults = dict(
        id=1,
        lat=BASE[0],
        lon=BASE[1],
        max_distance_m=1000.0,
        skills=frozenset({"garbage", "ladder"}),
        slots=(Slot(0, 7 * 60, 9 * 60),),
        is_trial=False,
    )
    return VolunteerSpec(**{**defaults, **kw})


def request(**kw) -> RequestSpec:
    defaults = dict(
        id=10,
        resident_id=1,
        lat=BASE[0] + 0.002,
        lon=BASE[1],
        required_skills=frozenset(),
        duration_min=15,
        trial_ok=True,
        window_start=MONDAY + dt.timedelta(hours=7),
        window_end=MONDAY + dt.timedelta(hours=9),
    )
    return RequestSpec(**{**defaults, **kw})


def reason(r: RequestSpec, *volunteers: VolunteerSpec) -> str:
    result = plan([r], list(volunteers))
    if result.proposals:
        return "matched"
    [unmatched] = result.unmatched
    assert unmatched.detail == dict(REASONS)[unmatched.reason]
    return unmatched.reason


FAR = dict(max_distance_m=100.0)
NO_SKILL = dict(skills=frozenset())
TRIAL = dict(is_trial=True)
BUSY = dict(slots=(Slot(2, 7 * 60, 9 * 60),))  # Wednesday only
DECLINED = dict(declined_request_ids=frozenset({10}))
LADDER_JOB = dict(required_skills=frozenset({"ladder"}), trial_ok=False)


@pytest.mark.parametrize(
    ("failing", "expected"),
    [
        ({**FAR, **NO_SKILL, **TRIAL, **BUSY, **DECLINED}, "nobody_nearby"),
        ({**NO_SKILL, **TRIAL, **BUSY, **DECLINED}, "no_skill"),
        ({**TRIAL, **BUSY, **DECLINED}, "trial_only"),
        ({**BUSY, **DECLINED}, "not_available"),
        (DECLINED, "declined"),
    ],
)
def test_an_unmatched_request_gets_the_first_failing_constraint_in_order(failing, expected):
    assert reason(request(**LADDER_JOB), volunteer(**failing)) == expected


def test_the_reason_is_how_far_the_nearest_volunteers_got():
    # one volunteer lacks the skill, another is available but declined: the request got
    # past the skill check with somebody, so the reason is the later one
    r = request(**LADDER_JOB)
    assert reason(r, volunteer(id=1, **NO_SKILL), volunteer(id=2, **DECLINED)) == "declined"
    assert reason(r, volunteer(id=1, **NO_SKILL), volunteer(id=2, **TRIAL)) == "trial_only"


def test_a_window_starting_seconds_into_a_minute_needs_those_seconds_too():
    slot_to_nine = volunteer(slots=(Slot(0, 8 * 60, 9 * 60),))
    on_time = MONDAY + dt.timedelta(hours=8, minutes=45)
    late = on_time + dt.timedelta(seconds=30)
    end = MONDAY + dt.timedelta(hours=10)
    assert reason(request(window_start=on_time, window_end=end), slot_to_nine) == "matched"
    assert reason(request(window_start=late, window_end=end), slot_to_nine) == "not_available"
    # a second past the hour is a second, not a minute: the slot still covers the task
    just_after_eight = MONDAY + dt.timedelta(hours=8, seconds=1)
    assert reason(request(window_start=just_after_eight, window_end=end), slot_to_nine) == (
        "matched"
    )


@pytest.mark.parametrize("naive", ["window_start", "window_end"])
def test_either_naive_window_time_is_refused_naming_the_request(naive):
    r = request(id=42, **{naive: MONDAY.replace(tzinfo=None) + dt.timedelta(hours=8)})
    with pytest.raises(ValueError, match="^request 42: window times must be timezone-aware$"):
        plan([r], [volunteer()])


def test_sixty_two_skills_fit_the_bitmask_and_sixty_three_do_not():
    skills = frozenset(f"skill-{i:02d}" for i in range(62))
    everything = request(required_skills=skills)
    assert reason(everything, volunteer(skills=skills)) == "matched"
    assert reason(everything, volunteer(skills=skills - {"skill-61"})) == "no_skill"
    with pytest.raises(ValueError, match="^at most 62 distinct skills fit the skill bitmask$"):
        plan([everything], [volunteer(skills=skills | {"one-too-many"})])


@pytest.mark.parametrize(
    ("resident_id", "ok"), [(0, True), (2**31 - 1, True), (-1, False), (2**31, False)]
)
def test_resident_ids_must_fit_the_shared_key(resident_id, ok):
    r = request(resident_id=resident_id)
    if ok:
        assert reason(r, volunteer()) == "matched"
    else:
        with pytest.raises(ValueError, match=r"^resident ids must be in \[0, 2\*\*31\)$"):
            plan([r], [volunteer()])


@pytest.mark.parametrize(
    ("slot", "ok"),
    [
        (Slot(0, 0, 1440), True),
        (Slot(6, 0, 1440), True),
        (Slot(7, 0, 60), False),
        (Slot(-1, 0, 60), False),
        (Slot(0, -1, 60), False),
        (Slot(0, 60, 60), False),
        (Slot(0, 90, 60), False),
        (Slot(0, 0, 1441), False),
    ],
)
def test_slots_must_lie_within_one_day_of_the_week(slot, ok):
    v = volunteer(id=5, slots=(slot,))
    if ok:
        plan([request()], [v])
    else:
        with pytest.raises(ValueError, match=f"^{re.escape(f'volunteer 5: bad slot {slot}')}$"):
            plan([request()], [v])


def test_the_stats_count_and_total_what_was_proposed():
    near = volunteer(id=1, lat=BASE[0] + 0.0033)
    also = volunteer(id=2, lat=BASE[0] - 0.0017777, recent_tasks=2)
    requests = [request(id=10), request(id=11), request(id=12, required_skills=frozenset({"cook"}))]
    result = plan(requests, [near, also], k=3)
    stats = result.stats
    assert (stats["requests"], stats["volunteers"]) == (3, 2)
    assert (stats["matched"], stats["unmatched"]) == (2, 1)
    assert stats["k_initial"] == 3 and stats["k_final"] >= 1
    assert stats["candidate_pairs"] >= 2
    total_distance = sum(p.distance_m for p in result.proposals)
    total_cost = sum(p.cost for p in result.proposals)
    assert stats["total_distance_m"] == round(total_distance, 1)
    assert stats["total_cost"] == round(total_cost, 1)
    assert total_cost == pytest.approx(total_distance + 2 * CostWeights().load_penalty_m_per_task)
    assert all(stats[k] >= 0 for k in ("build_ms", "solve_ms", "total_ms"))
    assert stats["widenings"] >= 0 and stats["widened_requests"] >= 0


def test_the_weights_asked_for_price_the_proposals():
    weights = CostWeights(continuity_bonus_m=0.0, load_penalty_m_per_task=1000.0)
    busy = volunteer(id=1, recent_tasks=1)
    idle_further = volunteer(id=2, lat=BASE[0] - 0.004)
    [p] = plan([request()], [busy, idle_further], weights=weights).proposals
    assert p.volunteer_id == 2
    [p] = plan([request()], [busy, idle_further]).proposals
    assert p.volunteer_id == 1
    assert p.reasons["load"] == CostWeights().load_penalty_m_per_task


def test_windows_and_slots_are_read_in_the_time_zone_asked_for():
    # 07:00 in Tokyo is 22:00 the day before in UTC
    sunday_utc_evening = volunteer(slots=(Slot(6, 22 * 60, 23 * 60),))
    assert reason(request(), sunday_utc_evening) == "not_available"
    assert len(plan([request()], [sunday_utc_evening], tz="UTC").proposals) == 1
    r, v = request(), sunday_utc_evening
    assert dense_costs([r], [v])[0, 0] == math.inf
    assert dense_costs([r], [v], tz="UTC")[0, 0] < math.inf


def test_dense_costs_in_several_blocks_price_every_pair():
    # 200,001 volunteers make blocks of 9 requests: 10 requests need two blocks
    v = volunteer()
    requests = [request(id=i, lat=BASE[0] + 0.0005 * i) for i in range(9)]
    requests.append(request(id=99, required_skills=frozenset({"cook"})))
    costs = dense_costs(requests, [v] * 200_001)
    assert costs.shape == (10, 200_001)
    lat = np.array([r.lat for r in requests[:9]])
    expected = haversine_m(lat, np.full(9, BASE[1]), np.full(9, v.lat), np.full(9, v.lon))
    assert np.array_equal(costs[:9], np.repeat(expected[:, None], 200_001, axis=1))
    assert np.isinf(costs[9]).all()


def test_thousands_of_unmatched_requests_are_each_explained():
    # more than one chunk of 2,000: far ones have nobody near, near ones lack the skill
    near = [request(id=i, required_skills=frozenset({"cook"})) for i in range(2500)]
    far = [request(id=10_000 + i, lat=BASE[0] + 0.5) for i in range(2000)]
    result = plan(near + far, [volunteer()])
    assert result.proposals == ()
    reasons = {u.request_id: u.reason for u in result.unmatched}
    assert len(reasons) == 4500
    assert {reasons[r.id] for r in near} == {"no_skill"}
    assert {reasons[r.id] for r in far} == {"nobody_nearby"}


def test_a_slot_exactly_as_long_as_the_task_gets_past_availability():
    exact = volunteer(slots=(Slot(0, 7 * 60, 7 * 60 + 15),), **DECLINED)
    assert reason(request(duration_min=15), exact) == "declined"
    assert reason(request(duration_min=16), exact) == "not_available"


def test_a_decline_is_the_reason_for_the_request_it_names_only():
    far = request(id=9, lat=BASE[0] + 0.5)
    r = request(id=10, **LADDER_JOB)
    volunteers = [volunteer(id=1, **NO_SKILL), volunteer(id=2, **DECLINED)]
    result = plan([far, r], volunteers)
    assert {u.request_id: u.reason for u in result.unmatched} == {
        9: "nobody_nearby",
        10: "declined",
    }


def test_a_first_task_trial_volunteer_further_away_wins_within_the_bonus():
    # the trial volunteer is 100 m further than a regular one but 200 m cheaper: even when
    # only the nearest volunteer is gathered first (k = 1), the trial volunteer is proposed
    regular = volunteer(id=1, lat=BASE[0] + 0.002 - 0.0009)  # about 100 m away
    trial = volunteer(id=2, lat=BASE[0] + 0.002 + 0.0018, is_trial=True)  # about 200 m away
    [p] = plan([request(trial_ok=True)], [regular, trial], k=1).proposals
    assert p.volunteer_id == 2
    assert p.reasons["trial_experience"] == -CostWeights().trial_first_task_bonus_m
    [p] = plan([request(trial_ok=False)], [regular, trial], k=1).proposals
    assert p.volunteer_id == 1


@pytest.mark.parametrize("seed", range(12))
def test_bonuses_and_history_with_k_1_still_reach_the_optimum(seed):
    # many first-task trial volunteers and much shared history: the cheapest pairs are often
    # not the nearest, so the solver's bounds and widening decide the result
    rng = random.Random(5000 + seed)
    requests = [
        request(
            id=100 + i,
            resident_id=rng.randrange(3),
            lat=BASE[0] + rng.uniform(-0.006, 0.006),
            lon=BASE[1] + rng.uniform(-0.006, 0.006),
            trial_ok=rng.random() < 0.7,
        )
        for i in range(10)
    ]
    volunteers = [
        volunteer(
            id=500 + j,
            lat=BASE[0] + rng.uniform(-0.006, 0.006),
            lon=BASE[1] + rng.uniform(-0.006, 0.006),
            max_distance_m=rng.choice([400.0, 900.0, 1500.0]),
            is_trial=rng.random() < 0.5,
            helped_resident_ids=frozenset(x for x in range(3) if rng.random() < 0.3),
            recent_tasks=rng.choice([0, 0, 1, 4]),
            completed_tasks=rng.choice([0, 0, 1]),
        )
        for j in range(8)
    ]
    result = plan(requests, volunteers, k=1)
    most, least = reference.optimum(requests, volunteers)
    assert len(result.proposals) == most
    assert sum(p.cost for p in result.proposals) == pytest.approx(least, abs=1e-4)


def test_the_stats_time_building_solving_and_the_whole_in_milliseconds(monkeypatch):
    ticks = iter([100.0, 100.25678, 101.75, 101.81234])  # start, built, solved, done (seconds)
    monkeypatch.setattr(
        "matching.engine.time",
        type("Clock", (), {"perf_counter": staticmethod(lambda: next(ticks))}),
    )
    stats = plan([request()], [volunteer()]).stats
    assert (stats["build_ms"], stats["solve_ms"], stats["total_ms"]) == (256.8, 1493.2, 1812.3)
