"""plan() stays exact when people stand on the same point: ties in any order, same optimum.

The おためし form stores a 町丁目's representative point, so everyone who signs up from one 町丁目
stands on the same coordinates. The k-d tree returns points at equal distances in an order
that changes with k; the engine must find the optimum whatever that order is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import numpy as np
import pytest

from matching import exactness
from matching.domain import RequestSpec, Slot, VolunteerSpec
from matching.engine import plan
from matching.exactness import BASE, LAYOUTS, SHAPES, Case
from tests.matching import reference
from tests.matching.reference import TOKYO

MONDAY = dt.datetime(2026, 11, 30, tzinfo=TOKYO)
ALWAYS = tuple(Slot(d, 0, 1440) for d in range(7))
#: 300 m north of BASE
NORTH_300 = BASE[0] + 300 / 111_195


def shopping_request(**kw):
    # 買い物: 60 minutes, shopping skill, not for trial volunteers
    start = MONDAY + dt.timedelta(hours=10)
    defaults = dict(
        id=10,
        resident_id=1,
        lat=BASE[0],
        lon=BASE[1],
        required_skills=frozenset({"shopping"}),
        duration_min=60,
        trial_ok=False,
        window_start=start,
        window_end=start + dt.timedelta(hours=6),
    )
    return RequestSpec(**{**defaults, **kw})


def crowd(n, skilled, skill, *, lat=NORTH_300, **kw):
    """n free volunteers on one point; only the one at position `skilled` has `skill`."""
    return [
        VolunteerSpec(
            id=1 + j,
            lat=lat,
            lon=BASE[1],
            max_distance_m=1000.0,
            skills=frozenset({skill}) if j == skilled else frozenset(),
            slots=ALWAYS,
            **kw,
        )
        for j in range(n)
    ]


@pytest.mark.parametrize("position", range(12))
def test_the_one_skilled_volunteer_in_a_crowd_on_one_point_is_proposed(position):
    result = plan([shopping_request()], crowd(12, position, "shopping", is_trial=False))
    assert [(p.request_id, p.volunteer_id) for p in result.proposals] == [(10, position + 1)]
    assert result.unmatched == ()
    assert result.proposals[0].distance_m == pytest.approx(300, abs=1)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("position", [0, 4, 7, 8, 11])
def test_any_first_list_size_finds_the_skilled_volunteer(k, position):
    result = plan([shopping_request()], crowd(12, position, "shopping", is_trial=False), k=k)
    assert [p.volunteer_id for p in result.proposals] == [position + 1]


@pytest.mark.parametrize("position", range(12))
def test_a_crowd_of_first_time_trial_volunteers_is_searched_in_full(position):
    # Four regular volunteers 250 m away fill the first candidate list (cost 250). Twelve
    # first-time trial volunteers stand together 300 m away; their 200 m bonus makes the one
    # who can take out the garbage cost 100: the trial volunteers' own search must find them.
    garbage = shopping_request(required_skills=frozenset({"garbage"}), trial_ok=True)
    regulars = [
        VolunteerSpec(
            id=100 + j,
            lat=BASE[0] + 250 / 111_195,
            lon=BASE[1],
            max_distance_m=1000.0,
            skills=frozenset({"garbage"}),
            slots=ALWAYS,
            is_trial=False,
        )
        for j in range(4)
    ]
    trials = crowd(12, position, "garbage", is_trial=True, completed_tasks=0)
    [p] = plan([garbage], regulars + trials).proposals
    assert p.volunteer_id == position + 1
    assert p.cost == pytest.approx(100, abs=1)


def test_the_order_of_people_on_shared_points_does_not_change_the_optimum():
    rng = random.Random(5)
    for seed in range(20):
        c = Case(seed, "few_points", 10, 25, k=rng.choice([1, 2, 4]))
        requests, volunteers = c.instance()
        want = exactness.dense_optimum(requests, volunteers)
        for _ in range(5):
            rng.shuffle(volunteers)
            rng.shuffle(requests)
            got = exactness.outcome(plan(requests, volunteers, k=c.k))
            assert exactness.same(got, want), (c, got, want)


# 1,200 random instances against the dense optimum: every layout x shape x k, eight times over
DENSE_BATCH = 50


@pytest.mark.parametrize("batch", range(24))
def test_random_instances_with_shared_points_match_the_dense_optimum(batch):
    seeds = range(batch * DENSE_BATCH, (batch + 1) * DENSE_BATCH)
    problems = [p for p in (exactness.check(exactness.case(s)) for s in seeds) if p]
    assert problems == []


def test_the_random_cases_cover_every_layout_shape_and_k():
    cases = [exactness.case(s) for s in range(24 * DENSE_BATCH)]
    combos = {(c.layout, (c.n_req, c.n_vol), c.k) for c in cases}
    assert len(combos) == len(LAYOUTS) * len(SHAPES) * len(exactness.KS)
    shapes = {(c.n_req, c.n_vol) for c in cases}
    assert any(r > v for r, v in shapes) and any(r < v for r, v in shapes)


def check_against_milp(requests, volunteers, k):
    """plan() against plain-Python constraints and two-stage integer programming."""
    result = plan(requests, volunteers, k=k)
    by_id_r = {r.id: r for r in requests}
    by_id_v = {v.id: v for v in volunteers}
    assert len({p.volunteer_id for p in result.proposals}) == len(result.proposals)
    for p in result.proposals:
        r, v = by_id_r[p.request_id], by_id_v[p.volunteer_id]
        assert reference.feasible(v, r), p
        assert p.cost == pytest.approx(reference.cost(v, r), abs=1e-6)
    most, least = reference.optimum(requests, volunteers)
    assert len(result.proposals) == most
    assert sum(p.cost for p in result.proposals) == pytest.approx(least, abs=1e-4)
    proposed = {p.request_id for p in result.proposals}
    assert proposed | {u.request_id for u in result.unmatched} == set(by_id_r)
    return result


SMALL_SHAPES = [(1, 12), (1, 30), (2, 20), (4, 16), (8, 8), (12, 12), (8, 3), (20, 5)]


@pytest.mark.parametrize("layout", ["quarter_shared", "few_points", "one_point"])
@pytest.mark.parametrize("seed", range(40))
def test_shared_points_match_the_integer_programming_optimum(layout, seed):
    rng = np.random.default_rng(10_000 + seed)
    shape = SMALL_SHAPES[seed % len(SMALL_SHAPES)]
    requests, volunteers = exactness.random_instance(rng, layout, *shape)
    check_against_milp(requests, volunteers, k=(1, 2, 4)[seed % 3])


@pytest.mark.parametrize("seed", range(20))
def test_everyone_on_one_point_requests_included(seed):
    # requests and volunteers on one spot: every distance is 0, only the other terms differ
    rng = np.random.default_rng(20_000 + seed)
    shape = SMALL_SHAPES[seed % len(SMALL_SHAPES)]
    requests, volunteers = exactness.random_instance(rng, "scattered", *shape)
    spot = dict(lat=BASE[0], lon=BASE[1])
    requests = [dataclasses.replace(r, **spot) for r in requests]
    volunteers = [dataclasses.replace(v, **spot) for v in volunteers]
    check_against_milp(requests, volunteers, k=1 + seed % 2)
