"""The bound of copies and repair over several days (matching.rounds._Hull): valid, and tighter
than the copies relaxation where a volunteer could otherwise work every day."""

from __future__ import annotations

import pytest

from matching.rounds import plan_rounds
from tests.matching.rounds_reference import optimum
from tests.matching.test_rounds import (
    assert_rounds_feasible,
    at,
    north,
    outcome,
    random_rounds_instance,
    request,
    volunteer,
)


def test_a_volunteer_who_works_one_day_bounds_the_week_by_one_round():
    # two bags on Tuesday, two on Wednesday, one neighbour taking two a day
    bags = [request(i, north(20.0 * i), at(7, day=(i - 1) // 2)) for i in range(1, 5)]
    neighbour = volunteer(9, capacity=2)
    result = plan_rounds(bags, [neighbour], exact_limit=0)
    assert result.stats["method_code"] == 2
    assert len(result.proposals) == 2
    # the copies relaxation let the neighbour work both days (bound 4, gap 50 %)
    assert result.stats["matched_bound"] == 2
    assert result.stats["matched_gap_pct"] == 0.0
    assert result.stats["lower_bound"] <= outcome(result, bags)[1] + 0.1
    assert_rounds_feasible(result, bags, [neighbour])


@pytest.mark.parametrize("block", range(4))
def test_the_bound_never_cuts_off_the_milp_optimum(block):
    """matched_bound >= the most matched; lower_bound <= the least cost of any plan matching
    as many as this one (so <= the optimum's cost, which matches at least as many)."""
    checked = 0
    for seed in range(2000 + block * 25, 2000 + block * 25 + 25):
        requests, volunteers, weights = random_rounds_instance(seed)
        result = plan_rounds(requests, volunteers, weights=weights, exact_limit=0)
        assert_rounds_feasible(result, requests, volunteers, weights.walking_m_per_min)
        stats = result.stats
        if stats["method_code"] != 2:
            continue
        checked += 1
        most, least, _ = optimum(requests, volunteers, weights)
        assert stats["matched_bound"] >= most >= len(result.proposals), seed
        assert stats["lower_bound"] <= least + 0.1, seed
        assert 0.0 <= stats["matched_gap_pct"] <= stats["gap_pct"]
    assert checked >= 10


@pytest.mark.parametrize(
    ("seed", "least_cost_too"), [(3016, False), (3070, True), (3078, True), (3087, True)]
)
def test_moving_volunteers_to_another_day_reaches_the_optimum_repair_alone_missed(
    seed, least_cost_too
):
    # copies and repair alone matched 10 of 11 (3016) or paid more at the most matched (others)
    requests, volunteers, weights = random_rounds_instance(seed)
    result = plan_rounds(requests, volunteers, weights=weights, exact_limit=0)
    assert result.stats["method_code"] == 2
    most, least, _ = optimum(requests, volunteers, weights)
    matched, cost, _ = outcome(result, requests)
    assert matched == most
    if least_cost_too:
        assert cost == pytest.approx(least, rel=1e-9)
    assert_rounds_feasible(result, requests, volunteers, weights.walking_m_per_min)
