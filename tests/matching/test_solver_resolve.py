"""Widening without re-solving: a round whose new pairs keep the prices feasible reuses them.

After a widening round the solver looks at the pairs it has just added. If none has a negative
reduced cost under the prices of the last solve, those prices are still a feasible LP dual of
the larger candidate graph with the same complementary slackness, so the last matching is
optimal on it too and the solver does not solve again. These tests hold such results to the
dense and milp optima, and count the solves.
"""

from __future__ import annotations

import numpy as np
import pytest

import matching.solver as solver_module
from matching.bench import make_instance
from matching.engine import dense_costs, plan
from matching.exactness import outcome
from matching.solver import solve, solve_dense
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
    assert 1 <= s.solves <= s.widenings + 1


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
        skipped += s.widenings + 1 - s.solves
    assert skipped > 0


def test_a_ward_instance_is_solved_fewer_times_than_it_is_widened(monkeypatch):
    # 200 requests x 600 volunteers on real 世田谷区 points, k = 2: two widening rounds, and the
    # second one adds no pair that could improve on the first re-solve. Counting the sparse
    # matchings solved: one fewer than the rounds, and the same optimum as the dense matrix.
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
    assert calls == result.stats["solves"] == 2
    cost = dense_costs(requests, volunteers)
    assert outcome(result) == pytest.approx(dense_outcome(cost), abs=1e-6)
