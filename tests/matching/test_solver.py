"""The solver on plain arrays, against integer programming and brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from matching.solver import greedy_nearest, match_candidates, solve, solve_dense

R = 6_371_008.8


def lexicographic_optimum(cost: np.ndarray) -> tuple[int, float]:
    """Most pairs, then least total cost, by two-stage milp (inf = infeasible)."""
    ri, vi = np.nonzero(np.isfinite(cost))
    if ri.size == 0:
        return 0, 0.0
    n = ri.size
    a = np.zeros((cost.shape[0] + cost.shape[1], n))
    a[ri, np.arange(n)] = 1
    a[cost.shape[0] + vi, np.arange(n)] = 1
    rows = LinearConstraint(a, 0, 1)
    one = np.ones(n)
    first = milp(-one, constraints=[rows], integrality=one, bounds=Bounds(0, 1))
    most = round(-first.fun)
    second = milp(
        cost[ri, vi],
        constraints=[rows, LinearConstraint(one[None, :], most, most)],
        integrality=one,
        bounds=Bounds(0, 1),
    )
    return most, float(second.fun)


def brute_force(cost: np.ndarray) -> tuple[int, float]:
    """Try every assignment of requests to volunteers or nobody (tiny instances only)."""
    n_req, n_vol = cost.shape
    best = (0, 0.0)
    for choice in itertools.product(range(-1, n_vol), repeat=n_req):
        used = [v for v in choice if v >= 0]
        if len(used) != len(set(used)):
            continue
        if any(v >= 0 and not math.isfinite(cost[r, v]) for r, v in enumerate(choice)):
            continue
        total = sum(cost[r, v] for r, v in enumerate(choice) if v >= 0)
        if len(used) > best[0] or (len(used) == best[0] and total < best[1] - 1e-9):
            best = (len(used), total)
    return best


def maximum_matching_size(cost: np.ndarray) -> int:
    graph = csr_matrix(np.isfinite(cost).astype(np.int8))
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


def outcome(cost: np.ndarray, volunteer_of: np.ndarray) -> tuple[int, float]:
    chosen = np.flatnonzero(volunteer_of >= 0)
    vols = volunteer_of[chosen]
    assert len(set(vols.tolist())) == vols.size, "a volunteer used twice"
    assert np.isfinite(cost[chosen, vols]).all(), "an infeasible pair"
    return int(chosen.size), float(cost[chosen, vols].sum())


def random_cost(rng: np.random.Generator, n_req: int, n_vol: int, density: float) -> np.ndarray:
    cost = rng.integers(1, 12, size=(n_req, n_vol)).astype(float)  # small integers: many ties
    cost[rng.random((n_req, n_vol)) > density] = np.inf
    return cost


SHAPES = [(1, 1), (2, 5), (5, 2), (4, 4), (6, 3), (3, 6), (8, 12), (12, 8), (15, 15)]


@pytest.mark.parametrize("seed", range(40))
def test_match_candidates_is_the_lexicographic_optimum(seed):
    rng = np.random.default_rng(seed)
    n_req, n_vol = SHAPES[seed % len(SHAPES)]
    cost = random_cost(rng, n_req, n_vol, density=rng.choice([0.0, 0.15, 0.4, 1.0]))
    cost -= 5.0  # negative costs are allowed
    ri, vi = np.nonzero(np.isfinite(cost))
    m = match_candidates(n_req, ri.astype(np.int64), vi.astype(np.int64), cost[ri, vi])
    count, total = outcome(cost, m.volunteer_of)
    most, least = lexicographic_optimum(cost)
    assert count == most == maximum_matching_size(cost)
    assert total == pytest.approx(least, abs=1e-6)


@pytest.mark.parametrize("seed", range(25))
def test_tiny_instances_against_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    n_req, n_vol = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    cost = random_cost(rng, n_req, n_vol, density=0.5)
    most, least = brute_force(cost)
    ri, vi = np.nonzero(np.isfinite(cost))
    m = match_candidates(n_req, ri.astype(np.int64), vi.astype(np.int64), cost[ri, vi])
    assert outcome(cost, m.volunteer_of) == (most, pytest.approx(least, abs=1e-9))
    assert outcome(cost, solve_dense(cost)) == (most, pytest.approx(least, abs=1e-9))


@pytest.mark.parametrize("seed", range(20))
def test_solve_dense_is_the_lexicographic_optimum(seed):
    rng = np.random.default_rng(200 + seed)
    n_req, n_vol = SHAPES[seed % len(SHAPES)]
    cost = random_cost(rng, n_req, n_vol, density=0.3)
    count, total = outcome(cost, solve_dense(cost))
    assert (count, total) == pytest.approx(lexicographic_optimum(cost))


def test_one_more_match_beats_any_saving():
    # r0 alone would take v0 (cost 1); the optimum gives v0 to r1 (cost 100) so both match
    cost = np.array([[1.0, 50.0], [100.0, np.inf]])
    ri, vi = np.nonzero(np.isfinite(cost))
    m = match_candidates(2, ri.astype(np.int64), vi.astype(np.int64), cost[ri, vi])
    assert m.volunteer_of.tolist() == [1, 0]


def test_few_volunteers_many_requests():
    # every volunteer matched, most requests not: the part solved from the volunteers' side
    rng = np.random.default_rng(5)
    cost = random_cost(rng, 30, 4, density=0.6)
    ri, vi = np.nonzero(np.isfinite(cost))
    m = match_candidates(30, ri.astype(np.int64), vi.astype(np.int64), cost[ri, vi])
    assert outcome(cost, m.volunteer_of) == pytest.approx(lexicographic_optimum(cost))


def points_near(rng: np.random.Generator, n: int, spread_m: float) -> tuple[np.ndarray, ...]:
    lat = 35.65 + rng.uniform(-1, 1, n) * spread_m / 111_195
    lon = 139.65 + rng.uniform(-1, 1, n) * spread_m / (111_195 * math.cos(math.radians(35.65)))
    return lat, lon


def xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    p, la = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(p) * np.cos(la), np.cos(p) * np.sin(la), np.sin(p)))


def distance_matrix(lat1, lon1, lat2, lon2) -> np.ndarray:
    # law of cosines on unit vectors: an independent formula from the solver's haversine
    dot = np.clip(xyz(lat1, lon1) @ xyz(lat2, lon2).T, -1.0, 1.0)
    return R * np.arccos(dot)


def geometric_instance(seed: int, n_req: int, n_vol: int):
    rng = np.random.default_rng(seed)
    r_lat, r_lon = points_near(rng, n_req, 1500)
    v_lat, v_lon = points_near(rng, n_vol, 1500)
    distance = distance_matrix(r_lat, r_lon, v_lat, v_lon)
    reach = rng.choice([300.0, 700.0, 1200.0], size=n_vol)
    extra = rng.choice([0.0, 0.0, 150.0, 450.0], size=n_vol)  # load: never below distance
    ok = (distance <= reach[None, :]) & (rng.random((n_req, n_vol)) < 0.6)
    cost = np.where(ok, distance + extra[None, :], np.inf)

    def evaluate(ri, vi):
        c = cost[ri, vi]
        return np.isfinite(c), np.where(np.isfinite(c), c, 0.0)

    points = (xyz(r_lat, r_lon), xyz(v_lat, v_lon))
    bounds = (0.0, float(reach.max() + extra.max()))
    return points, float(reach.max()), evaluate, bounds, cost


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("k", [1, 2, 8])
def test_pruned_search_finds_the_full_optimum(seed, k):
    n_req, n_vol = [(10, 30), (30, 10), (20, 20), (5, 40)][seed % 4]
    (rx, vx), reach, evaluate, bounds, cost = geometric_instance(seed, n_req, n_vol)
    s = solve(rx, vx, reach_m=reach, evaluate=evaluate, cost_bounds=bounds, k=k)
    count, total = outcome(cost, s.volunteer_of)
    most, least = lexicographic_optimum(cost)
    assert count == most
    assert total == pytest.approx(least, abs=1e-6)
    assert np.nansum(s.cost_of) == pytest.approx(total)


def test_widening_repairs_what_a_tiny_k_got_wrong():
    # On a line: v0 at 0 m, r0 at 10 m, v1 at 15 m, r1 at 22 m. With k = 1 both requests see
    # only v1 (their nearest). Matched alone, r1 would go unmatched; r0 must be widened to v0.
    lon = 139.65 + np.array([0.0, 10.0, 15.0, 22.0]) / (111_195 * math.cos(math.radians(35.65)))
    lat = np.full(4, 35.65)
    r_lat, r_lon, v_lat, v_lon = lat[[1, 3]], lon[[1, 3]], lat[[0, 2]], lon[[0, 2]]
    cost = distance_matrix(r_lat, r_lon, v_lat, v_lon)
    cost[1, 0] = np.inf  # r1 cannot use v0

    def evaluate(ri, vi):
        c = cost[ri, vi]
        return np.isfinite(c), np.where(np.isfinite(c), c, 0.0)

    s = solve(
        xyz(r_lat, r_lon),
        xyz(v_lat, v_lon),
        reach_m=100.0,
        evaluate=evaluate,
        cost_bounds=(0.0, 100.0),
        k=1,
    )
    assert s.volunteer_of.tolist() == [0, 1]
    assert s.widenings >= 1


def test_nobody_feasible_and_empty_sides():
    (rx, vx), reach, _, bounds, _ = geometric_instance(3, 6, 6)

    def nothing(ri, vi):
        return np.zeros(ri.size, bool), np.zeros(ri.size)

    s = solve(rx, vx, reach_m=reach, evaluate=nothing, cost_bounds=bounds)
    assert (s.volunteer_of == -1).all()
    assert (
        solve(rx, vx[:0], reach_m=reach, evaluate=nothing, cost_bounds=bounds).volunteer_of == -1
    ).all()
    assert solve_dense(np.full((3, 2), np.inf)).tolist() == [-1, -1, -1]


def test_same_input_same_output():
    (rx, vx), reach, evaluate, bounds, _ = geometric_instance(11, 25, 25)
    first = solve(rx, vx, reach_m=reach, evaluate=evaluate, cost_bounds=bounds, k=2)
    for _ in range(3):
        again = solve(rx, vx, reach_m=reach, evaluate=evaluate, cost_bounds=bounds, k=2)
        assert again.volunteer_of.tolist() == first.volunteer_of.tolist()


def test_greedy_takes_the_nearest_free_volunteer_in_order():
    # r0 first takes v0 (nearest); r1 then gets v1 though the optimum would swap them
    ri = np.array([0, 0, 1, 1])
    vi = np.array([0, 1, 0, 1])
    distance = np.array([1.0, 2.0, 1.5, 10.0])
    assert greedy_nearest(np.array([0, 1]), ri, vi, distance, 2).tolist() == [0, 1]
    assert greedy_nearest(np.array([1, 0]), ri, vi, distance, 2).tolist() == [1, 0]
    cost = np.array([[1.0, 2.0], [1.5, 10.0]])
    assert outcome(cost, solve_dense(cost))[1] == pytest.approx(3.5)
