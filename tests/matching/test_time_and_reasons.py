"""Exact time (whole microseconds), joined slots, and the order of unmatched reasons (plan())."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest

from matching.domain import RequestSpec, Slot
from matching.engine import REASONS, plan
from tests.matching.test_engine import (
    MONDAY,
    check_against_reference,
    random_instance,
    request,
    volunteer,
)

HOUR = dt.timedelta(hours=1)


def at(hh: int, mm: int = 0, ss: int = 0, us: int = 0, day: int = 0) -> dt.datetime:
    """Monday (+ day) hh:mm:ss.us in Tokyo."""
    return MONDAY + dt.timedelta(days=day, hours=hh, minutes=mm, seconds=ss, microseconds=us)


def outcome(r: RequestSpec, *slots: Slot) -> str:
    result = plan([r], [volunteer(slots=slots)])
    return "proposed" if result.proposals else result.unmatched[0].reason


def shopping(start: dt.datetime, end: dt.datetime) -> RequestSpec:
    return request(duration_min=60, window_start=start, window_end=end)


# --- whole microseconds, compared exactly -------------------------------------------------


@pytest.mark.parametrize("day", range(7))
@pytest.mark.parametrize("second", [1, 7, 59])
def test_a_window_starting_at_an_odd_second_fits_a_slot_around_it(day, second):
    # 10:00:01-11:00:01 in 09:00-13:00: the overlap is exactly 60 minutes (in minutes as floats
    # it came out as 59.99999999999977 on a Tuesday)
    r = shopping(at(10, 0, second, day=day), at(11, 0, second, day=day))
    assert outcome(r, Slot(day, 9 * 60, 13 * 60)) == "proposed"


@pytest.mark.parametrize("us", [1, 600_000, 999_999])
def test_microseconds_are_neither_dropped_nor_rounded(us):
    slot = Slot(0, 9 * 60, 13 * 60)
    # exactly 60 minutes from an odd microsecond on
    assert outcome(shopping(at(10, us=us), at(11, us=us)), slot) == "proposed"
    # a run at 10:00:00.6 (say) trims 09:00-12:00 to what is left; a slot ending at 11:00
    # leaves 59 min 59.4 s: one microsecond short is short
    assert outcome(shopping(at(10, us=us), at(12)), Slot(0, 9 * 60, 11 * 60)) == "not_available"
    assert outcome(shopping(at(10, us=us), at(12)), Slot(0, 9 * 60, 11 * 60 + 1)) == "proposed"


def test_what_is_left_of_a_window_must_hold_the_whole_task():
    # 10:00:00.6 to 11:00: 59 min 59.4 s for a 60-minute task, whatever the slots
    late = shopping(at(10, us=600_000), at(11))
    assert outcome(late, Slot(0, 0, 1440)) == "too_late"
    assert outcome(shopping(at(10), at(11)), Slot(0, 10 * 60, 11 * 60)) == "proposed"


def test_odd_seconds_on_both_sides_of_a_slot_edge():
    slot = Slot(0, 10 * 60, 11 * 60)  # exactly the task's hour
    assert outcome(shopping(at(9, 59, 59), at(11, 0, 1)), slot) == "proposed"
    assert outcome(shopping(at(10, 0, 1), at(11, 0, 1)), slot) == "not_available"
    assert outcome(shopping(at(9, 59, 59), at(10, 59, 59)), slot) == "not_available"


def _jitter(rng: random.Random, t: dt.datetime) -> dt.datetime:
    return t + dt.timedelta(seconds=rng.randrange(-90, 91), microseconds=rng.randrange(10**6))


@pytest.mark.parametrize("seed", range(100))
def test_random_windows_at_odd_seconds_match_the_exact_reference(seed):
    rng = random.Random(5000 + seed)
    shape = rng.choice([(1, 3), (4, 6), (8, 8), (12, 6)])
    requests, volunteers = random_instance(rng, *shape)
    requests = [
        RequestSpec(
            **{
                **r.__dict__,
                "window_start": _jitter(rng, r.window_start),
                "window_end": _jitter(rng, r.window_end),
            }
        )
        for r in requests
    ]
    requests = [r for r in requests if r.window_end > r.window_start]
    result = check_against_reference(requests, volunteers)
    for u in result.unmatched:
        [r] = [r for r in requests if r.id == u.request_id]
        short = r.window_end - r.window_start < dt.timedelta(minutes=r.duration_min)
        assert (u.reason == "too_late") is short


# --- joined slots ----------------------------------------------------------------------------


def test_touching_slots_cover_a_task_together():
    halves = (Slot(0, 10 * 60, 10 * 60 + 30), Slot(0, 10 * 60 + 30, 11 * 60))
    assert outcome(shopping(at(10), at(11)), *halves) == "proposed"
    assert outcome(shopping(at(10), at(11)), *reversed(halves)) == "proposed"
    overlapping = (Slot(0, 10 * 60, 10 * 60 + 40), Slot(0, 10 * 60 + 20, 11 * 60))
    assert outcome(shopping(at(10), at(11)), *overlapping) == "proposed"
    gap = (Slot(0, 10 * 60, 10 * 60 + 29), Slot(0, 10 * 60 + 30, 11 * 60))
    assert outcome(shopping(at(10), at(11)), *gap) == "not_available"


def test_slots_join_across_midnight():
    # Monday 22:00-24:00 and Tuesday 00:00-02:00 cover 23:00-01:00
    slots = (Slot(0, 22 * 60, 1440), Slot(1, 0, 2 * 60))
    r = request(duration_min=120, window_start=at(23), window_end=at(1, day=1))
    assert outcome(r, *slots) == "proposed"
    assert outcome(r, slots[0]) == outcome(r, slots[1]) == "not_available"


def test_slots_join_across_the_end_of_the_week():
    # Sunday 22:00-24:00 and Monday 00:00-02:00 cover Sunday 23:00 to Monday 01:00
    slots = (Slot(6, 22 * 60, 1440), Slot(0, 0, 2 * 60))
    r = request(duration_min=120, window_start=at(23, day=6), window_end=at(1, day=7))
    assert outcome(r, *slots) == "proposed"
    assert outcome(r, slots[0]) == "not_available"
    # and a window from Monday 00:00 on still meets the Monday part on its own
    monday = request(duration_min=120, window_start=at(0), window_end=at(3))
    assert outcome(monday, *slots) == "proposed"


def test_a_week_without_a_gap_covers_any_window():
    always = tuple(Slot(d, 0, 1440) for d in range(7))
    r = request(duration_min=60 * 30, window_start=at(20, day=6), window_end=at(8, day=9))
    assert outcome(r, *always) == "proposed"


# --- the order of unmatched reasons ---------------------------------------------------------

#: How a lone volunteer (or the request itself) fails each check, in the documented order.
FAILS: dict[str, tuple[dict, dict]] = {
    "too_late": ({}, {"window_end": at(7, 10)}),  # 10 minutes for a 15-minute task
    "nobody_nearby": ({"max_distance_m": 100.0}, {}),  # the resident is 222 m away
    "no_skill": ({"skills": frozenset()}, {"required_skills": frozenset({"ladder"})}),
    "trial_only": ({"is_trial": True}, {"trial_ok": False}),
    "not_available": ({"slots": (Slot(0, 8 * 60 + 50, 9 * 60),)}, {}),
    "declined": ({"declined_request_ids": frozenset({10})}, {}),
}


def test_the_documented_order_is_the_engines():
    assert [code for code, _ in REASONS] == [*FAILS, "all_taken"]


@pytest.mark.parametrize("reason", FAILS)
def test_each_check_alone_gives_its_reason(reason):
    v, r = FAILS[reason]
    [u] = plan([request(**r)], [volunteer(**v)]).unmatched
    assert u.reason == reason


@pytest.mark.parametrize(("earlier", "later"), list(itertools.combinations(FAILS, 2)))
def test_a_request_failing_two_checks_gets_the_earlier_reason(earlier, later):
    # e.g. nobody has the skill AND nobody is available: no_skill, not not_available
    v = {**FAILS[earlier][0], **FAILS[later][0]}
    r = {**FAILS[earlier][1], **FAILS[later][1]}
    [u] = plan([request(**r)], [volunteer(**v)]).unmatched
    assert u.reason == earlier


@pytest.mark.parametrize(("earlier", "later"), list(itertools.pairwise(FAILS))[1:])
def test_the_reason_is_where_the_last_candidates_drop_out(earlier, later):
    # two volunteers, one failing each check: the candidates run out at the later check
    v1, r1 = FAILS[earlier]
    v2, r2 = FAILS[later]
    result = plan([request(**r1, **r2)], [volunteer(id=1, **v1), volunteer(id=2, **v2)])
    [u] = result.unmatched
    assert u.reason == later


def test_declined_comes_before_all_taken():
    # the only volunteer declined request 10 and serves request 11: 10 is declined, not taken
    v = volunteer(declined_request_ids=frozenset({10}))
    result = plan([request(id=10), request(id=11)], [v])
    assert [(p.request_id, p.volunteer_id) for p in result.proposals] == [(11, 1)]
    assert [(u.request_id, u.reason) for u in result.unmatched] == [(10, "declined")]


def test_too_late_needs_no_volunteer_at_all():
    late = request(window_end=at(7, 10))
    assert [u.reason for u in plan([late], []).unmatched] == ["too_late"]
    # already over (a run trims the window to nothing): too late, and still accounted for
    over = request(window_start=at(9), window_end=at(9))
    assert [u.reason for u in plan([over, request(id=11)], [volunteer()]).unmatched] == ["too_late"]


def test_a_too_late_request_is_never_solved_and_others_are():
    rs = [request(id=10 + i, window_end=at(7, 10) if i % 2 else at(9)) for i in range(6)]
    vs = [volunteer(id=i) for i in range(1, 7)]
    result = plan(rs, vs)
    assert sorted(p.request_id for p in result.proposals) == [10, 12, 14]
    assert sorted(u.request_id for u in result.unmatched) == [11, 13, 15]
    assert {u.reason for u in result.unmatched} == {"too_late"}
    assert result.stats["requests"] == 6
