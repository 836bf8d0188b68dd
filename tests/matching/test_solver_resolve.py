"""Widening without solving everything again.

After a widening round the solver looks at the pairs it has just added. If none has a negative
reduced cost under the prices of the last solve, those prices are still a feasible LP dual of
the larger candidate graph with the same complementary slackness, so the last matching is
optimal on it too and the solver does not solve again. If some have, it first repairs the
matching around their requests (rematch) and keeps the repair only when Bellman-Ford proves it
optimal on all the pairs; otherwise it solves in full. These tests hold such results to the
dense and milp optima, check the repair's proof and its fallback, and count the solves.
"""

from __future__ import annotations

import numpy as np
import pytest

import matching.solver as solver_module
from matching.bench import make_instance
from matching.engine import dense_costs, plan
from matching.exactness import outcome
from matching.solver import match_candidates, rematch, solve, solve_dense
from tests.matching.test_solver import lexicographic_optimum
from tests.matching.test_supply_short import short_instance


def dense_outcome(cost: np.ndarray) -> tuple[int, float]:
    want = solve_dense(cost)
    picked = np.flatnonzero(want >= 0)
    return int(picked.size), float(cost[picked, want[picked]].sum())


@pytest.mark.parametrize("seed", range(60))
def test_solves_skipped_or_not_the_result_is_the_optimum(seed):
    # plentiful (25 x 25 and wider) and short shapes, k = 1 so that most runs widen
    shapes = [(10, 30), (20, 40), (25, 25), (30, 8), (12, 36)]
    n_req, n_vol = shapes[seed % len(shapes)]
    layout = ["scattered", "clusters", "shared"][seed % 3]
    (rx, vx), reach, evaluate, bounds, cost, extras = short_instance(
        500 + seed, n_req, n_vol, layout, bonus=seed % 2 == 0
    )
    s = solve(rx, vx, reach_m=reach, evaluate=evaluate, cost_bounds=bounds, k=1, **extras)
    chosen = np.flatnonzero(s.volunteer_of >= 0)
    vols = s.volunteer_of[chosen]
    assert len(set(vols.tolist())) == vols.size
    got = (int(chosen.size), float(cost[chosen, vols].sum()))
    most, least = lexicographic_optimum(cost)
    assert got[0] == most
    assert got[1] == pytest.approx(least, abs=1e-6)
    assert got == pytest.approx(dense_outcome(cost), abs=1e-6)
    assert 1 <= s.solves + s.repairs <= s.widenings + 1


def test_some_widening_rounds_need_no_new_solve():
    # over many small geometric instances, some widening rounds add only pairs that keep the
    # prices feasible: those rounds are not solved again, and the results are still optimal
    skipped = 0
    for seed in range(40):
        (rx, vx), reach, evaluate, bounds, cost, extras = short_instance(
            900 + seed, 20, 40, "scattered", bonus=seed % 2 == 0
        )
        s = solve(rx, vx, reach_m=reach, evaluate=evaluate, cost_bounds=bounds, k=1, **extras)
        chosen = np.flatnonzero(s.volunteer_of >= 0)
        got = (int(chosen.size), float(cost[chosen, s.volunteer_of[chosen]].sum()))
        assert got == pytest.approx(dense_outcome(cost), abs=1e-6)
        skipped += s.widenings + 1 - s.solves - s.repairs
    assert skipped > 0


def test_a_ward_instance_is_solved_fewer_times_than_it_is_widened(monkeypatch):
    # 200 requests x 600 volunteers on real 世田谷区 points, k = 2: two widening rounds. The first
    # adds pairs that break the prices, and a repair around them is proven optimal; the second
    # adds none that could improve on it. Counting the sparse matchings solved in full: one
    # (the first), and the same optimum as the dense matrix.
    requests, volunteers = make_instance(200, 600, seed=2)
    calls = 0
    real = solver_module.match_candidates

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(solver_module, "match_candidates", counting)
    result = plan(requests, volunteers, k=2)
    assert result.stats["widenings"] == 2
    assert calls == result.stats["solves"] == 1
    assert result.stats["repairs"] == 1
    cost = dense_costs(requests, volunteers)
    assert outcome(result) == pytest.approx(dense_outcome(cost), abs=1e-6)


def pairs_of(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ri, vi = np.nonzero(np.isfinite(cost))
    return ri.astype(np.int64), vi.astype(np.int64), cost[ri, vi]


@pytest.mark.parametrize("seed", range(80))
def test_a_repair_is_returned_only_when_it_is_the_optimum(monkeypatch, seed):
    # a geometric instance solved on a random part of its pairs, then all the pairs are added:
    # rematch() either proves a repair optimal on all of them (the milp optimum, and the same
    # prices as a full solve) or gives up (None); regions may cover every request here
    monkeypatch.setattr(solver_module, "REPAIR_SHARE", 1.0)
    shapes = [(10, 30), (20, 20), (30, 10), (25, 40)]
    n_req, n_vol = shapes[seed % len(shapes)]
    layout = ["scattered", "clusters", "shared"][seed % 3]
    *_, bounds, cost, _ = short_instance(1_300 + seed, n_req, n_vol, layout, bonus=True)
    rng = np.random.default_rng(seed)
    ri, vi, c = pairs_of(cost)
    part = rng.random(ri.size) < rng.choice([0.3, 0.6, 0.9])
    m = match_candidates(n_req, ri[part], vi[part], c[part], bounds, n_vol)
    new = ~part
    reduced = c[new] - m.shift + m.potential[ri[new]] - m.volunteer_potential[vi[new]]
    seeds = np.unique(ri[new][reduced < -1e-9])
    if seeds.size == 0:
        return
    repaired = rematch(m, seeds, n_req, ri, vi, c, bounds, n_vol)
    full = match_candidates(n_req, ri, vi, c, bounds, n_vol)
    if repaired is None:
        return
    chosen = np.flatnonzero(repaired.volunteer_of >= 0)
    vols = repaired.volunteer_of[chosen]
    assert len(set(vols.tolist())) == vols.size
    got = (int(chosen.size), float(cost[chosen, vols].sum()))
    assert got == pytest.approx(lexicographic_optimum(cost), abs=1e-6)
    # shortest-path potentials of an optimal matching: the same whichever optimum it is
    assert repaired.potential == pytest.approx(full.potential, abs=1e-6)
    assert repaired.volunteer_potential == pytest.approx(full.volunteer_potential, abs=1e-6)


def test_repairs_are_proven_on_most_instances(monkeypatch):
    # (a repair of most of the requests is not worth it; here the region may be all of them)
    monkeypatch.setattr(solver_module, "REPAIR_SHARE", 1.0)
    proven = tried = 0
    for seed in range(40):
        *_, bounds, cost, _ = short_instance(1_500 + seed, 25, 40, "scattered", bonus=False)
        ri, vi, c = pairs_of(cost)
        part = np.random.default_rng(seed).random(ri.size) < 0.8
        m = match_candidates(25, ri[part], vi[part], c[part], bounds, 40)
        new = ~part
        reduced = c[new] - m.shift + m.potential[ri[new]] - m.volunteer_potential[vi[new]]
        seeds = np.unique(ri[new][reduced < -1e-9])
        if seeds.size:
            tried += 1
            proven += rematch(m, seeds, 25, ri, vi, c, bounds, 40) is not None
    assert tried > 10
    assert proven > tried // 2


def test_a_repair_too_narrow_to_reach_the_optimum_gives_up(monkeypatch):
    # r0 holds v0 (10) and r1 holds v1 (10), the only way to match both. A new pair r0-v1 (1)
    # makes r0-v1 + r1-v0 (1 + 1) the optimum: r1 must move too. A region of r0 alone (no
    # growing, one attempt) cannot move r1, and Bellman-Ford finds the negative cycle
    before = np.array([[10.0, np.inf], [1.0, 10.0]])
    after = np.array([[10.0, 1.0], [1.0, 10.0]])
    ri, vi, c = pairs_of(before)
    m = match_candidates(2, ri, vi, c, (0.0, 20.0), 2)
    assert m.volunteer_of.tolist() == [0, 1]
    ri, vi, c = pairs_of(after)
    monkeypatch.setattr(solver_module, "REPAIR_SHARE", 1.0)
    monkeypatch.setattr(solver_module, "REPAIR_DEPTH", 0)
    monkeypatch.setattr(solver_module, "REPAIR_ATTEMPTS", 1)
    assert rematch(m, np.array([0]), 2, ri, vi, c, (0.0, 20.0), 2) is None
    monkeypatch.setattr(solver_module, "REPAIR_DEPTH", 1)
    repaired = rematch(m, np.array([0]), 2, ri, vi, c, (0.0, 20.0), 2)
    assert repaired is not None
    assert repaired.volunteer_of.tolist() == [1, 0]


@pytest.mark.parametrize("seed", range(20))
def test_when_every_repair_gives_up_the_full_solves_give_the_optimum(monkeypatch, seed):
    monkeypatch.setattr(solver_module, "REPAIR_ATTEMPTS", 0)  # rematch() always returns None
    n_req, n_vol = [(20, 40), (30, 8), (25, 25)][seed % 3]
    (rx, vx), reach, evaluate, bounds, cost, extras = short_instance(
        1_700 + seed, n_req, n_vol, "clusters", bonus=seed % 2 == 0
    )
    s = solve(rx, vx, reach_m=reach, evaluate=evaluate, cost_bounds=bounds, k=1, **extras)
    assert s.repairs == 0
    chosen = np.flatnonzero(s.volunteer_of >= 0)
    got = (int(chosen.size), float(cost[chosen, s.volunteer_of[chosen]].sum()))
    assert got == pytest.approx(lexicographic_optimum(cost), abs=1e-6)
