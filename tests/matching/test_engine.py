"""plan() against an independent reference on many small random instances."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from matching.domain import RequestSpec, Slot, VolunteerSpec
from matching.engine import plan
from tests.matching import reference
from tests.matching.reference import TOKYO

BASE = (35.6432, 139.6710)
MONDAY = dt.datetime(2026, 11, 30, tzinfo=TOKYO)
SKILLS = ("garbage", "shopping", "ladder")


def random_instance(rng: random.Random, n_req: int, n_vol: int):
    requests = []
    for i in range(n_req):
        day = MONDAY + dt.timedelta(days=rng.randrange(7), hours=rng.choice([6, 9, 13, 22]))
        requests.append(
            RequestSpec(
                id=100 + i,
                resident_id=rng.randrange(4),
                lat=BASE[0] + rng.uniform(-0.01, 0.01),
                lon=BASE[1] + rng.uniform(-0.012, 0.012),
                required_skills=frozenset(rng.sample(SKILLS, rng.choice([0, 1, 1, 2]))),
                duration_min=rng.choice([15, 30, 60]),
                trial_ok=rng.random() < 0.5,
                window_start=day,
                window_end=day + dt.timedelta(minutes=rng.choice([30, 90, 180, 600])),
            )
        )
    volunteers = []
    for j in range(n_vol):
        slots = tuple(
            Slot(weekday=rng.randrange(7), start_min=s, end_min=s + rng.choice([30, 120, 300]))
            for s in rng.sample(range(0, 1140, 30), rng.randrange(1, 4))
        )
        volunteers.append(
            VolunteerSpec(
                id=500 + j,
                lat=BASE[0] + rng.uniform(-0.01, 0.01),
                lon=BASE[1] + rng.uniform(-0.012, 0.012),
                max_distance_m=rng.choice([300.0, 800.0, 1500.0, 3000.0]),
                skills=frozenset(rng.sample(SKILLS, rng.randrange(4))),
                slots=slots,
                is_trial=rng.random() < 0.25,
                declined_request_ids=frozenset(r.id for r in requests if rng.random() < 0.1),
                helped_resident_ids=frozenset(x for x in range(4) if rng.random() < 0.2),
                recent_tasks=rng.choice([0, 0, 0, 1, 3]),
                completed_tasks=rng.choice([0, 0, 2]),
            )
        )
    return requests, volunteers


def check_against_reference(requests, volunteers, **kw):
    result = plan(requests, volunteers, **kw)
    by_id_r = {r.id: r for r in requests}
    by_id_v = {v.id: v for v in volunteers}
    # every proposed pair satisfies every hard constraint, each request and volunteer once
    assert len({p.request_id for p in result.proposals}) == len(result.proposals)
    assert len({p.volunteer_id for p in result.proposals}) == len(result.proposals)
    for p in result.proposals:
        r, v = by_id_r[p.request_id], by_id_v[p.volunteer_id]
        assert reference.feasible(v, r), p
        assert p.cost == pytest.approx(reference.cost(v, r), abs=1e-6)
        assert p.cost == pytest.approx(sum(p.reasons.values()), abs=1e-6)
    most, least = reference.optimum(requests, volunteers)
    assert len(result.proposals) == most
    assert sum(p.cost for p in result.proposals) == pytest.approx(least, abs=1e-4)
    # every request is either proposed or explained
    explained = {u.request_id for u in result.unmatched}
    assert explained | {p.request_id for p in result.proposals} == set(by_id_r)
    assert not explained & {p.request_id for p in result.proposals}
    return result


@pytest.mark.parametrize("seed", range(60))
def test_random_instances_match_the_integer_programming_optimum(seed):
    rng = random.Random(seed)
    shape = rng.choice([(1, 1), (3, 8), (8, 3), (6, 6), (10, 25), (25, 10), (15, 15)])
    check_against_reference(*random_instance(rng, *shape))


@pytest.mark.parametrize("seed", range(20))
def test_tiny_candidate_lists_are_widened_until_optimal(seed):
    rng = random.Random(1000 + seed)
    check_against_reference(*random_instance(rng, 12, 30), k=1)


def volunteer(**kw):
    defaults = dict(
        id=1,
        lat=BASE[0],
        lon=BASE[1],
        max_distance_m=1000.0,
        skills=frozenset(SKILLS),
        slots=tuple(Slot(d, 0, 1440) for d in range(7)),
        is_trial=False,
    )
    return VolunteerSpec(**{**defaults, **kw})


def request(**kw):
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


def test_nobody_and_nothing():
    assert plan([], []).proposals == ()
    result = plan([request()], [])
    assert [u.reason for u in result.unmatched] == ["nobody_nearby"]
    assert plan([], [volunteer()]).unmatched == ()


def test_ties_are_broken_the_same_way_every_time():
    vs = [volunteer(id=i, lat=BASE[0] + 0.004) for i in range(1, 5)]
    rs = [request(id=10 + i) for i in range(3)]
    first = plan(rs, vs)
    assert all(plan(rs, vs).proposals == first.proposals for _ in range(3))
    assert len(first.proposals) == 3


def test_history_free_non_trial_cost_is_the_distance():
    [p] = plan([request()], [volunteer()]).proposals
    assert p.cost == p.distance_m == p.reasons["distance"]
    assert p.reasons["continuity"] == p.reasons["load"] == p.reasons["trial_experience"] == 0


@pytest.mark.parametrize(
    ("v", "r", "reason"),
    [
        (dict(max_distance_m=100.0), {}, "nobody_nearby"),
        (dict(skills=frozenset()), dict(required_skills=frozenset({"ladder"})), "no_skill"),
        (dict(is_trial=True), dict(trial_ok=False), "trial_only"),
        (dict(slots=(Slot(0, 8 * 60 + 50, 9 * 60),)), {}, "not_available"),
        (dict(declined_request_ids=frozenset({10})), {}, "declined"),
    ],
)
def test_each_unmatched_reason(v, r, reason):
    result = plan([request(**r)], [volunteer(**v)])
    assert result.proposals == ()
    [u] = result.unmatched
    assert (u.request_id, u.reason) == (10, reason)
    assert u.detail


def test_all_taken_when_the_only_volunteer_serves_another_request():
    result = plan([request(id=10), request(id=11)], [volunteer()])
    assert len(result.proposals) == 1
    assert [u.reason for u in result.unmatched] == ["all_taken"]


def test_a_window_crossing_midnight_uses_the_next_days_slot():
    late = MONDAY + dt.timedelta(hours=23, minutes=30)
    r = request(window_start=late, window_end=late + dt.timedelta(hours=2), duration_min=60)
    tuesday_early = volunteer(slots=(Slot(1, 0, 90),))
    monday_late = volunteer(slots=(Slot(0, 23 * 60, 1440),))
    assert len(plan([r], [tuesday_early]).proposals) == 1
    assert plan([r], [monday_late]).unmatched[0].reason == "not_available"


def test_utc_windows_are_read_in_tokyo_time():
    # 22:00 UTC Sunday is 07:00 Monday in Tokyo
    start = dt.datetime(2026, 11, 29, 22, 0, tzinfo=dt.UTC)
    r = request(window_start=start, window_end=start + dt.timedelta(hours=1))
    monday_morning = volunteer(slots=(Slot(0, 7 * 60, 8 * 60),))
    assert len(plan([r], [monday_morning]).proposals) == 1


@pytest.mark.parametrize("seed", range(10))
def test_ties_match_the_reference_optimum(seed):
    # volunteers stacked on three spots and requests on two: many pairs cost exactly the same
    rng = random.Random(2000 + seed)
    requests, volunteers = random_instance(rng, 8, 12)
    spots = [(BASE[0] + 0.001 * i, BASE[1]) for i in range(3)]
    volunteers = [
        VolunteerSpec(**{**v.__dict__, "lat": spots[j % 3][0], "lon": spots[j % 3][1]})
        for j, v in enumerate(volunteers)
    ]
    requests = [
        RequestSpec(**{**r.__dict__, "lat": BASE[0] + 0.0005 * (i % 2), "lon": BASE[1]})
        for i, r in enumerate(requests)
    ]
    check_against_reference(requests, volunteers)


def test_nobody_feasible_matches_nothing_and_explains_everything():
    rng = random.Random(7)
    requests, volunteers = random_instance(rng, 6, 6)
    volunteers = [VolunteerSpec(**{**v.__dict__, "slots": ()}) for v in volunteers]
    result = check_against_reference(requests, volunteers)
    assert result.proposals == ()
    assert len(result.unmatched) == 6


@pytest.mark.parametrize("seed", range(10))
def test_many_requests_few_volunteers(seed):
    rng = random.Random(3000 + seed)
    check_against_reference(*random_instance(rng, 30, 4))


def test_a_tiny_k_is_widened_to_the_optimum():
    # On a line (metres east of BASE): v1 at 0, r10 at 10, v2 at 15, r11 at 22. With k = 1 both
    # requests see only v2; r11 cannot use v1 (no ladder), so r10 must be widened to v1.
    def east(m):
        return BASE[1] + m / (111_195 * math.cos(math.radians(BASE[0])))

    requests = [
        request(id=10, lat=BASE[0], lon=east(10), required_skills=frozenset()),
        request(id=11, lat=BASE[0], lon=east(22), required_skills=frozenset({"ladder"})),
    ]
    volunteers = [
        volunteer(id=1, lon=east(0), skills=frozenset({"garbage"})),
        volunteer(id=2, lon=east(15)),
    ]
    result = check_against_reference(requests, volunteers, k=1)
    assert {(p.request_id, p.volunteer_id) for p in result.proposals} == {(10, 1), (11, 2)}
    assert result.stats["widenings"] >= 1
