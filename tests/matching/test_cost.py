"""Distances, hard constraints and cost terms on hand-made pairs (cost.py via the arrays)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from matching.cost import (
    US_PER_MIN,
    Weights,
    chord_for,
    evaluate_pairs,
    haversine_m,
    merge_weekly_slots,
    slot_overlap_us,
    unit_vectors,
)
from matching.domain import CostWeights, RequestSpec, Slot, VolunteerSpec
from matching.engine import to_arrays
from tests.matching.reference import TOKYO, distance_m

R = 6_371_008.8
BASE = (35.6432, 139.6710)
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TOKYO)  # a Monday
W = CostWeights()


def law_of_cosines_m(lat1, lon1, lat2, lon2):
    """An independent great-circle formula (fine in float64 at these km distances)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return R * math.acos(min(1.0, c))


def one(lat1, lon1, lat2, lon2):
    return float(haversine_m(*(np.array([x]) for x in (lat1, lon1, lat2, lon2)))[0])


def test_tokyo_station_to_shinjuku_station():
    # 東京駅 (35.681236, 139.767125) to 新宿駅 (35.690921, 139.700258): about 6.1 km
    d = one(35.681236, 139.767125, 35.690921, 139.700258)
    assert d == pytest.approx(law_of_cosines_m(35.681236, 139.767125, 35.690921, 139.700258), 1e-9)
    assert 6000 < d < 6300


def test_a_meridian_degree_and_a_quarter_equator():
    assert one(35.0, 139.0, 36.0, 139.0) == pytest.approx(R * math.pi / 180, rel=1e-12)
    assert one(0.0, 0.0, 0.0, 90.0) == pytest.approx(R * math.pi / 2, rel=1e-12)
    assert one(35.0, 139.0, 35.0, 139.0) == 0.0


def test_chords_order_like_arcs():
    xyz = unit_vectors(np.array([35.0, 35.01]), np.array([139.0, 139.0]))
    chord = float(np.linalg.norm(xyz[0] - xyz[1]))
    assert chord == pytest.approx(chord_for(one(35.0, 139.0, 35.01, 139.0)), rel=1e-9)


def week_min(weekday, hh, mm=0):
    return weekday * 1440 + hh * 60 + mm


def joined(*slots):
    """One volunteer's slots, given as (start, end) minutes of the week, joined (µs)."""
    starts = np.array([s for s, _ in slots], dtype=np.int64)
    ends = np.array([e for _, e in slots], dtype=np.int64)
    return merge_weekly_slots(np.zeros(len(slots), dtype=np.int64), starts, ends, 1)


def overlap_min(start_min, length_min, slots):
    start, end = slots
    window_start = np.array([start_min * US_PER_MIN], dtype=np.int64)
    window_len = np.array([length_min * US_PER_MIN], dtype=np.int64)
    return slot_overlap_us(window_start, window_len, start, end)[0] / US_PER_MIN


def test_overlap_is_the_best_single_slot_and_wraps_the_week():
    # window Sunday 23:00 for 3 hours; slots Sunday 22:00-23:30 and Monday 00:00-01:30
    slots = joined((week_min(6, 22), week_min(6, 23, 30)), (week_min(0, 0), week_min(0, 1, 30)))
    assert overlap_min(week_min(6, 23), 180, slots) == 90


def test_padding_slots_never_overlap():
    padding = np.zeros((1, 3), dtype=np.int64)
    window = np.array([100 * US_PER_MIN], dtype=np.int64), np.array([60 * US_PER_MIN])
    assert slot_overlap_us(*window, padding, padding)[0] == 0


def test_touching_and_overlapping_slots_of_a_day_join():
    start, end = joined(
        (week_min(0, 10, 30), week_min(0, 11)),
        (week_min(0, 10), week_min(0, 10, 30)),  # touches the one above
        (week_min(0, 10, 45), week_min(0, 11, 15)),  # overlaps it
        (week_min(0, 12), week_min(0, 13)),  # a gap: stays apart
    )
    assert (start[0, :2] // US_PER_MIN).tolist() == [week_min(0, 10), week_min(0, 12)]
    assert (end[0, :2] // US_PER_MIN).tolist() == [week_min(0, 11, 15), week_min(0, 13)]


def test_slots_join_across_midnight():
    # Monday 22:00-24:00 and Tuesday 00:00-02:00 cover a window from 23:00 to 01:00
    slots = joined((week_min(0, 22), week_min(0, 24)), (week_min(1, 0), week_min(1, 2)))
    assert overlap_min(week_min(0, 23), 120, slots) == 120
    assert overlap_min(week_min(0, 21), 360, slots) == 240


def test_slots_join_across_the_end_of_the_week():
    # Sunday 22:00-24:00 and Monday 00:00-02:00: a window from Sunday 23:00 to Monday 01:00, and
    # one from Monday 00:00 (the start of the week) that began in the slot the Sunday before
    slots = joined((week_min(6, 22), week_min(6, 24)), (week_min(0, 0), week_min(0, 2)))
    assert overlap_min(week_min(6, 23), 120, slots) == 120
    assert overlap_min(week_min(0, 0), 180, slots) == 120
    assert overlap_min(week_min(6, 21), 60 * 24 * 7 + 120, slots) == 240  # every week


def test_a_week_without_a_gap_is_one_slot_without_end():
    slots = joined(*((week_min(d, 0), week_min(d, 24)) for d in range(7)))
    assert overlap_min(week_min(6, 20), 600, slots) == 600
    assert overlap_min(week_min(2, 8), 3 * 7 * 1440, slots) == 3 * 7 * 1440


def test_volunteers_slots_never_join_with_each_others():
    # volunteer 0: 10:00-11:00; volunteer 1: 11:00-11:40; a window 10:00-11:40
    owner = np.array([0, 1], dtype=np.int64)
    starts = np.array([week_min(0, 10), week_min(0, 11)])
    ends = np.array([week_min(0, 11), week_min(0, 11, 40)])
    start, end = merge_weekly_slots(owner, starts, ends, 2)
    window = np.array([week_min(0, 10) * US_PER_MIN] * 2), np.array([100 * US_PER_MIN] * 2)
    assert (slot_overlap_us(*window, start, end) // US_PER_MIN).tolist() == [60, 40]


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


def pair(r: RequestSpec, v: VolunteerSpec):
    req, vol = to_arrays([r], [v])
    weights = Weights(W.continuity_bonus_m, W.load_penalty_m_per_task, W.trial_first_task_bonus_m)
    return evaluate_pairs(np.array([0]), np.array([0]), req, vol, weights)


def feasible(r: RequestSpec, v: VolunteerSpec) -> bool:
    return bool(pair(r, v).feasible[0])


def test_the_default_pair_is_feasible():
    assert feasible(request(), volunteer())


def test_a_missing_skill():
    assert not feasible(request(required_skills=frozenset({"shopping"})), volunteer())
    assert not feasible(request(required_skills=frozenset({"garbage", "shopping"})), volunteer())
    assert feasible(request(required_skills=frozenset()), volunteer(skills=frozenset()))


def test_a_slot_too_short_for_the_duration():
    short = volunteer(slots=(Slot(0, 7 * 60 + 50, 9 * 60),))  # 10 minutes inside the window
    assert not feasible(request(), short)
    assert feasible(request(duration_min=10), short)


def test_two_short_slots_do_not_add_up():
    split = volunteer(slots=(Slot(0, 7 * 60, 7 * 60 + 10), Slot(0, 7 * 60 + 30, 7 * 60 + 40)))
    assert not feasible(request(), split)


def test_a_window_crossing_midnight_into_tuesday():
    late = MONDAY + dt.timedelta(hours=23, minutes=30)
    r = request(window_start=late, window_end=late + dt.timedelta(hours=2), duration_min=60)
    assert feasible(r, volunteer(slots=(Slot(1, 0, 90),)))  # Tuesday 00:00-01:30: 90 min
    assert not feasible(r, volunteer(slots=(Slot(0, 23 * 60, 1440),)))  # Monday: 30 min only
    assert not feasible(r, volunteer(slots=(Slot(1, 60, 180),)))  # Tuesday 01:00-: 30 min only


def test_a_window_over_several_days_meets_a_later_slot():
    r = request(window_end=MONDAY + dt.timedelta(days=3, hours=12), duration_min=60)
    assert feasible(r, volunteer(slots=(Slot(3, 9 * 60, 11 * 60),)))  # Thursday
    assert not feasible(r, volunteer(slots=(Slot(4, 9 * 60, 11 * 60),)))  # Friday


def test_utc_windows_are_read_in_tokyo_time():
    # 22:00 UTC Sunday is 07:00 Monday in Tokyo (no daylight saving there)
    start = dt.datetime(2026, 11, 29, 22, 0, tzinfo=dt.UTC)
    r = request(window_start=start, window_end=start + dt.timedelta(hours=1))
    assert feasible(r, volunteer(slots=(Slot(0, 7 * 60, 8 * 60),)))
    assert not feasible(r, volunteer(slots=(Slot(6, 22 * 60, 23 * 60),)))  # Sunday 22:00 local
    # the same instant in midsummer: Tokyo is still UTC+9
    summer = dt.datetime(2026, 7, 26, 22, 0, tzinfo=dt.UTC)  # Sunday UTC, Monday 07:00 JST
    r = request(window_start=summer, window_end=summer + dt.timedelta(hours=1))
    assert feasible(r, volunteer(slots=(Slot(0, 7 * 60, 8 * 60),)))


def test_naive_datetimes_are_refused():
    naive = dt.datetime(2026, 11, 30, 7, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        to_arrays([request(window_start=naive, window_end=naive + dt.timedelta(hours=1))], [])


@pytest.mark.parametrize(("delta", "ok"), [(-0.001, True), (0.001, False)])
def test_distance_just_under_and_over_the_maximum(delta, ok):
    r, v = request(), volunteer()
    d = distance_m(v.lat, v.lon, r.lat, r.lon)  # plain-Python haversine, about 222 m
    assert feasible(r, volunteer(max_distance_m=d - delta)) is ok


def test_trial_volunteers_only_get_trial_ok_requests():
    trial = volunteer(is_trial=True)
    assert feasible(request(trial_ok=True), trial)
    assert not feasible(request(trial_ok=False), trial)
    assert feasible(request(trial_ok=False), volunteer(is_trial=False))


def test_a_declined_request_is_never_proposed_again():
    assert not feasible(request(id=10), volunteer(declined_request_ids=frozenset({10})))
    assert feasible(request(id=10), volunteer(declined_request_ids=frozenset({11})))


def test_history_less_non_trial_volunteer_costs_exactly_the_distance():
    c = pair(request(), volunteer())
    assert c.continuity[0] == 0.0 and c.load[0] == 0.0 and c.trial_experience[0] == 0.0
    assert c.cost[0] == c.distance[0]


def test_each_cost_term():
    c = pair(request(resident_id=7), volunteer(helped_resident_ids=frozenset({7})))
    assert c.continuity[0] == -W.continuity_bonus_m
    c = pair(request(), volunteer(recent_tasks=3))
    assert c.load[0] == 3 * W.load_penalty_m_per_task
    c = pair(request(), volunteer(is_trial=True, completed_tasks=0))
    assert c.trial_experience[0] == -W.trial_first_task_bonus_m
    c = pair(request(), volunteer(is_trial=True, completed_tasks=1))
    assert c.trial_experience[0] == 0.0
    c = pair(request(), volunteer(is_trial=False, completed_tasks=0))
    assert c.trial_experience[0] == 0.0
