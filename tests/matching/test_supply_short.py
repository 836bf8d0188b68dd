"""Where volunteers are short: the same optimum, without checking everyone within reach.

Most requests end unmatched there. Each one is checked against every volunteer's own price
(its potential) rather than against everyone within reach; these tests hold the result to the
dense optimum and to a milp optimum, on few volunteers, on clusters where most requests cannot
be served, and on shared points (ties), with and without first-task bonuses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from matching import exactness
from matching.engine import dense_costs, plan
from matching.exactness import dense_optimum, outcome, same
from matching.solver import solve, solve_dense
from tests.matching import reference
from tests.matching.test_solver import distance_matrix, lexicographic_optimum, xyz

BASE = (35.65, 139.65)
M_PER_DEG_LAT = 111_195.0


def offset(metres_north: np.ndarray, metres_east: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = BASE[0] + metres_north / M_PER_DEG_LAT
    lon = BASE[1] + metres_east / (M_PER_DEG_LAT * math.cos(math.radians(BASE[0])))
    return lat, lon


def place(rng: np.random.Generator, n: int, layout: str, centres: np.ndarray) -> tuple:
    """n points: scattered over 3 km, around a few cluster centres, or on the centres exactly."""
    if layout == "scattered":
        return offset(rng.uniform(-1500, 1500, n), rng.uniform(-1500, 1500, n))
    pick = centres[rng.integers(len(centres), size=n)]
    jitter = 0.0 if layout == "shared" else 60.0
    return offset(
        pick[:, 0] + rng.normal(0, 1, n) * jitter, pick[:, 1] + rng.normal(0, 1, n) * jitter
    )


def short_instance(seed: int, n_req: int, n_vol: int, layout: str, bonus: bool):
    """Requests outnumber volunteers; costs never below distance (+ bonus for bonus volunteers)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-1200, 1200, size=(int(rng.integers(1, 4)), 2))
    r_lat, r_lon = place(rng, n_req, layout, centres)
    v_lat, v_lon = place(rng, n_vol, layout, centres)
    distance = distance_matrix(r_lat, r_lon, v_lat, v_lon)
    reach = rng.choice([300.0, 700.0, 1500.0], size=n_vol)
    load = rng.choice([0.0, 0.0, 150.0, 450.0], size=n_vol)
    ok = (distance <= reach[None, :]) & (rng.random((n_req, n_vol)) < 0.5)
    special = rng.random(n_vol) < (0.3 if bonus else 0.0)
    discount = np.where(rng.random(n_req) < 0.6, -200.0, 0.0)  # trial_ok requests
    cost = distance + load[None, :] + np.where(special[None, :], discount[:, None], 0.0)
    cost = np.where(ok, cost, np.inf)

    def evaluate(ri, vi):
        c = cost[ri, vi]
        return np.isfinite(c), np.where(np.isfinite(c), c, 0.0)

    points = (xyz(r_lat, r_lon), xyz(v_lat, v_lon))
    bounds = (-200.0, float(reach.max() + load.max()))
    extras = {"bonus_volunteers": special, "bonus": discount, "volunteer_reach_m": reach}
    return points, float(reach.max()), evaluate, bounds, cost, extras


SHAPES = [(12, 3), (20, 5), (30, 8), (40, 10), (25, 25)]
LAYOUTS = ["scattered", "clusters", "shared"]


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("k", [1, 4])
def test_supply_short_solve_is_the_lexicographic_optimum(seed, k):
    n_req, n_vol = SHAPES[seed % len(SHAPES)]
    layout = LAYOUTS[seed % len(LAYOUTS)]
    (rx, vx), reach, evaluate, bounds, cost, extras = short_instance(
        seed, n_req, n_vol, layout, bonus=seed % 2 == 0
    )
    s = solve(rx, vx, reach_m=reach, evaluate=evaluate, cost_bounds=bounds, k=k, **extras)
    chosen = np.flatnonzero(s.volunteer_of >= 0)
    vols = s.volunteer_of[chosen]
    assert len(set(vols.tolist())) == vols.size
    assert np.isfinite(cost[chosen, vols]).all()
    got = (int(chosen.size), float(cost[chosen, vols].sum()))
    most, least = lexicographic_optimum(cost)
    dense = solve_dense(cost)
    picked = np.flatnonzero(dense >= 0)
    assert got[0] == most == picked.size
    assert got[1] == pytest.approx(least, abs=1e-6)
    assert got[1] == pytest.approx(float(cost[picked, dense[picked]].sum()), abs=1e-6)
    old = solve(
        rx, vx, reach_m=reach, evaluate=evaluate, cost_bounds=bounds, k=k, supply_short=False
    )
    assert np.nansum(old.cost_of) == pytest.approx(got[1], abs=1e-6)


def test_most_requests_unserved_in_a_cluster():
    # 60 requests on one point, 4 volunteers around it, 3 farther away on another point
    rng = np.random.default_rng(3)
    r_lat, r_lon = offset(np.zeros(60), np.zeros(60))
    v_lat, v_lon = offset(np.array([10.0, 20, 30, 40, 900, 900, 900]), np.zeros(7))
    distance = distance_matrix(r_lat, r_lon, v_lat, v_lon)
    cost = np.where(rng.random(distance.shape) < 0.7, distance, np.inf)
    cost[:, 4:] = np.where(distance[:, 4:] <= 1000.0, cost[:, 4:], np.inf)

    def evaluate(ri, vi):
        c = cost[ri, vi]
        return np.isfinite(c), np.where(np.isfinite(c), c, 0.0)

    s = solve(
        xyz(r_lat, r_lon),
        xyz(v_lat, v_lon),
        reach_m=1000.0,
        evaluate=evaluate,
        cost_bounds=(0.0, 1000.0),
        k=1,
    )
    chosen = np.flatnonzero(s.volunteer_of >= 0)
    assert (chosen.size, float(cost[chosen, s.volunteer_of[chosen]].sum())) == pytest.approx(
        lexicographic_optimum(cost)
    )
    assert chosen.size == 7


def test_unmatched_requests_are_not_checked_against_everyone_within_reach():
    # 400 requests and 40 volunteers on 3 km: most requests stay unmatched. Checking each of
    # them against every volunteer within reach evaluates most of the 16,000 pairs; checking
    # against each volunteer's own price needs far fewer.
    rng = np.random.default_rng(8)
    r_lat, r_lon = offset(rng.uniform(-1500, 1500, 400), rng.uniform(-1500, 1500, 400))
    v_lat, v_lon = offset(rng.uniform(-1500, 1500, 40), rng.uniform(-1500, 1500, 40))
    distance = distance_matrix(r_lat, r_lon, v_lat, v_lon)
    reach = np.full(40, 1500.0)
    cost = np.where((distance <= 1500.0) & (rng.random(distance.shape) < 0.5), distance, np.inf)
    looked = {True: 0, False: 0}

    def counting(short):
        def evaluate(ri, vi):
            looked[short] += ri.size
            c = cost[ri, vi]
            return np.isfinite(c), np.where(np.isfinite(c), c, 0.0)

        return evaluate

    results = {
        short: solve(
            xyz(r_lat, r_lon),
            xyz(v_lat, v_lon),
            reach_m=1500.0,
            evaluate=counting(short),
            cost_bounds=(0.0, 1500.0),
            volunteer_reach_m=reach,
            supply_short=short,
        )
        for short in (True, False)
    }
    assert [np.nansum(s.cost_of) for s in results.values()] == pytest.approx(
        [lexicographic_optimum(cost)[1]] * 2
    )
    assert (results[True].volunteer_of >= 0).sum() == 40
    within_reach = int((distance <= 1500.0).sum())
    assert looked[False] > within_reach // 2
    assert looked[True] < looked[False] // 2


SHORT_SHAPES = [(8, 3), (20, 5), (25, 10), (30, 6), (40, 8)]


@pytest.mark.parametrize("seed", range(40))
def test_plan_where_volunteers_are_short_matches_dense_and_milp(seed):
    layout = exactness.LAYOUTS[seed % len(exactness.LAYOUTS)]
    n_req, n_vol = SHORT_SHAPES[seed % len(SHORT_SHAPES)]
    rng = np.random.default_rng(7_000 + seed)
    requests, volunteers = exactness.random_instance(rng, layout, n_req, n_vol)
    got = outcome(plan(requests, volunteers, k=1 + seed % 4))
    assert same(got, dense_optimum(requests, volunteers))
    assert same(got, reference.optimum(requests, volunteers))
    assert same(got, outcome(plan(requests, volunteers, supply_short=False)))


def test_plan_gives_the_same_proposals_either_way_on_a_shared_point():
    # everyone on one point: all distances tie, so only the certificate decides what is seen
    rng = np.random.default_rng(11)
    requests, volunteers = exactness.random_instance(rng, "one_point", 30, 6)
    cost = dense_costs(requests, volunteers)
    want = solve_dense(cost)
    picked = np.flatnonzero(want >= 0)
    result = plan(requests, volunteers, k=1)
    assert outcome(result) == (picked.size, pytest.approx(float(cost[picked, want[picked]].sum())))
