"""Distances and chords at their extremes, and feasibility and cost at the edges of each
constraint (matching.cost through its public functions and plain specs)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from matching.cost import chord_for, chord_of_m, haversine_m, m_of_chord, unit_vectors
from matching.domain import CostWeights, RequestSpec, Slot, VolunteerSpec
from matching.engine import dense_costs
from tests.matching.reference import TOKYO

R = 6_371_008.8
BASE = (35.6432, 139.6710)
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TOKYO)  # a Monday


def one(lat1, lon1, lat2, lon2):
    return float(haversine_m(*(np.array([x]) for x in (lat1, lon1, lat2, lon2)))[0])


def test_antipodes_are_half_the_circumference_not_nan():
    assert one(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * R, rel=1e-12)
    # rounding takes the haversine term a hair above 1 here: still half the circumference
    assert one(2.5, -179.5, -2.5, 0.5) == pytest.approx(math.pi * R, rel=1e-7)


def test_distance_along_a_parallel_follows_the_latitude():
    # one degree of longitude at latitude 60 is about half a degree at the equator
    at_60 = one(60.0, 10.0, 60.0, 11.0)
    assert at_60 == pytest.approx(
        2 * R * math.asin(math.cos(math.radians(60)) * math.sin(math.radians(0.5)))
    )
    assert one(60.0, 10.0, 60.0, 11.0) == one(60.0, 11.0, 60.0, 10.0)


def test_unit_vectors_point_at_the_poles_and_meridians():
    xyz = unit_vectors(np.array([0.0, 0.0, 90.0, -90.0]), np.array([0.0, 90.0, 0.0, 0.0]))
    assert xyz == pytest.approx(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, -1]]), abs=1e-12)
    tokyo = unit_vectors(np.array([BASE[0]]), np.array([BASE[1]]))
    assert float(np.linalg.norm(tokyo)) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("metres", [0.0, 1.0, 250.0, 5_000.0, 1_000_000.0])
def test_chords_and_arcs_convert_both_ways(metres):
    chord = chord_for(metres)
    assert chord == pytest.approx(2 * math.sin(metres / R / 2), abs=1e-15)
    assert float(chord_of_m(np.array([metres]))[0]) == pytest.approx(chord, abs=1e-15)
    assert float(m_of_chord(np.array([chord]))[0]) == pytest.approx(metres, abs=1e-6)


def test_no_chord_is_longer_than_the_diameter():
    assert chord_for(math.pi * R) == pytest.approx(2.0)
    assert chord_for(10 * R) == pytest.approx(2.0)
    assert chord_of_m(np.array([10 * R]))[0] == pytest.approx(2.0)
    assert m_of_chord(np.array([2.5, 2.0]))[0] == pytest.approx(math.pi * R)
    assert m_of_chord(np.array([0.0]))[0] == 0.0


# --- feasibility and cost at the edges, through dense_costs (np.inf = infeasible) ----------


def volunteer(**kw) -> VolunteerSpec:
    defaults = dict(
        id=1,
        lat=BASE[0],
        lon=BASE[1],
        max_distance_m=1000.0,
        skills=frozenset({"garbage"}),
        slots=(Slot(0, 7 * 60, 9 * 60),),
        is_trial=False,
    )
    return VolunteerSpec(**{**defaults, **kw})


def request(**kw) -> RequestSpec:
    defaults = dict(
        id=10,
        resident_id=7,
        lat=BASE[0] + 0.002,
        lon=BASE[1],
        required_skills=frozenset({"garbage"}),
        duration_min=15,
        trial_ok=True,
        window_start=MONDAY + dt.timedelta(hours=7),
        window_end=MONDAY + dt.timedelta(hours=8),
    )
    return RequestSpec(**{**defaults, **kw})


def cost(r: RequestSpec, v: VolunteerSpec, **kw) -> float:
    return float(dense_costs([r], [v], **kw)[0, 0])


def distance(r: RequestSpec, v: VolunteerSpec) -> float:
    return one(r.lat, r.lon, v.lat, v.lon)


@pytest.mark.parametrize("weekday", [0, 3, 6])
def test_a_slot_exactly_as_long_as_the_task_is_enough(weekday):
    day = MONDAY + dt.timedelta(days=weekday)
    window = dict(window_start=day + dt.timedelta(hours=7), window_end=day + dt.timedelta(hours=8))
    v = volunteer(slots=(Slot(weekday, 7 * 60 + 45, 9 * 60),))  # 15 minutes inside the window
    assert cost(request(duration_min=15, **window), v) == pytest.approx(distance(request(), v))
    assert cost(request(duration_min=16, **window), v) == math.inf
    ends_inside = volunteer(slots=(Slot(weekday, 7 * 60, 7 * 60 + 15),))  # 07:00-07:15
    assert cost(request(duration_min=15, **window), ends_inside) < math.inf
    assert cost(request(duration_min=16, **window), ends_inside) == math.inf


def test_a_window_reaching_into_next_week_without_a_slot_there_is_infeasible():
    sunday_late = MONDAY + dt.timedelta(days=6, hours=23)
    r = request(window_start=sunday_late, window_end=sunday_late + dt.timedelta(hours=3))
    # the only slot is Monday 05:00-06:00: after the window ends
    assert (
        cost(request(**{**r.__dict__, "duration_min": 1}), volunteer(slots=(Slot(0, 300, 360),)))
        == math.inf
    )
    # Monday 00:00-01:00 lies inside the window's second week
    assert cost(r, volunteer(slots=(Slot(0, 0, 60),))) < math.inf


def test_a_one_minute_task_needs_a_minute_of_overlap():
    r = request(duration_min=1)
    assert cost(r, volunteer(slots=(Slot(0, 8 * 60, 9 * 60),))) == math.inf  # after the window
    assert cost(r, volunteer(slots=(Slot(0, 7 * 60 + 59, 9 * 60),))) < math.inf


def test_several_declined_requests_exclude_only_those():
    v = volunteer(declined_request_ids=frozenset({11, 13}))
    requests = [request(id=i) for i in (10, 11, 12, 13, 14)]
    row = dense_costs(requests, [v])[:, 0]
    assert np.isinf(row).tolist() == [False, True, False, True, False]


def test_continuity_is_the_volunteers_own_history_only():
    helped_other = volunteer(id=1, helped_resident_ids=frozenset({2**31 - 1}))
    helped_this = volunteer(id=2, helped_resident_ids=frozenset({0}))
    r = request(resident_id=0)
    costs = dense_costs([r], [helped_other, helped_this])[0]
    d = distance(r, helped_this)
    assert costs[0] == pytest.approx(d)
    assert costs[1] == pytest.approx(d - CostWeights().continuity_bonus_m)


def test_a_history_id_beyond_the_key_space_never_lands_on_the_next_volunteer():
    # volunteer 0's out-of-range id 2**31 must not read as volunteer 1 having helped resident 0
    strange = volunteer(id=1, helped_resident_ids=frozenset({2**31}))
    plain = volunteer(id=2)
    r = request(resident_id=0)
    costs = dense_costs([r], [strange, plain])[0]
    assert costs == pytest.approx([distance(r, plain)] * 2)


def test_each_weight_moves_only_its_own_term():
    weights = CostWeights(
        continuity_bonus_m=11.0, load_penalty_m_per_task=7.0, trial_first_task_bonus_m=5.0
    )
    r = request(resident_id=3)
    d = distance(r, volunteer())
    assert cost(r, volunteer(helped_resident_ids=frozenset({3})), weights=weights) == pytest.approx(
        d - 11
    )
    assert cost(r, volunteer(recent_tasks=2), weights=weights) == pytest.approx(d + 14)
    assert cost(r, volunteer(is_trial=True), weights=weights) == pytest.approx(d - 5)
    assert cost(r, volunteer(is_trial=True, completed_tasks=1), weights=weights) == pytest.approx(d)


def test_the_reach_is_inclusive():
    r, v = request(), volunteer()
    d = distance(r, v)  # computed by the same function on the same numbers as the engine does
    assert cost(r, volunteer(max_distance_m=d)) == pytest.approx(d)
    assert cost(r, volunteer(max_distance_m=math.nextafter(d, 0.0))) == math.inf
