"""Rounds through the service: a volunteer's max_tasks_per_day less the tasks they already hold
that Tokyo day, each proposal's place and planned start stored, the run's proof in its stats,
round_full explained, and the ward's walking speed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from matching import dispatch, series
from matching.models import Assignment, Volunteer
from tests.conftest import TOKYO, local

HOME = (35.6432, 139.6710)
M_PER_DEG_LAT = 111_195.0
GARBAGE_SLOT = [{"weekday": d, "start_min": 6 * 60 + 30, "end_min": 9 * 60} for d in range(7)]
DAYTIME = [{"weekday": d, "start_min": 6 * 60 + 30, "end_min": 17 * 60} for d in range(7)]


def north(metres: float) -> dict[str, float]:
    return {"lat": HOME[0] + metres / M_PER_DEG_LAT, "lon": HOME[1]}


@pytest.fixture
def three_bags(make_resident, make_help_request):
    """Three ゴミ出し the day after tomorrow, 7:00-8:30, 0, 100 and 200 m north of HOME."""

    def make(day: int = 2):
        return [
            make_help_request(
                resident=make_resident(name=f"住民 {n}", **north(100 * n)),
                window_start=local(day, 7),
                window_end=local(day, 8, 30),
            )
            for n in range(3)
        ]

    return make


def test_a_neighbour_who_takes_three_a_day_gets_all_three_in_walking_order(
    session, make_volunteer, three_bags
):
    bags = three_bags()
    neighbour, _ = make_volunteer(max_tasks_per_day=3, availability=GARBAGE_SLOT, **north(-50))
    run = dispatch.run_match(session)
    proposals = sorted(run.assignments, key=lambda a: a.round_order)
    assert [a.volunteer_id for a in proposals] == [neighbour.id] * 3
    # nearest first: home is 50 m south of the first bag
    assert [a.help_request_id for a in proposals] == [b.id for b in bags]
    assert [a.round_order for a in proposals] == [1, 2, 3]
    starts = [a.planned_start.astimezone(TOKYO) for a in proposals]
    # 7:00 (the window opens; the walk from home fits in the slot opening at 6:30), then 15 min
    # of ゴミ出し and 100 m at 67 m/min (2 min, rounded up) between each
    assert [s.strftime("%H:%M") for s in starts] == ["07:00", "07:17", "07:34"]
    assert run.stats["proven_optimal"] is True
    assert run.stats["rounds"] == 1
    assert run.stats["gap_pct"] == 0.0
    assert run.stats["total_walking_m"] == pytest.approx(200, abs=1)


def test_one_task_a_day_by_default_as_before_rounds(session, make_volunteer, three_bags):
    three_bags()
    make_volunteer(availability=GARBAGE_SLOT, **north(-50))
    run = dispatch.run_match(session)
    [proposal] = run.assignments
    assert proposal.round_order == 1
    assert proposal.planned_start is not None
    # as before rounds: the one neighbour is taken (round_full is for those who said 2 or more)
    assert {u["reason"] for u in run.unmatched} == {"all_taken"}
    assert run.stats["method_code"] == 0
    assert run.stats["proven_optimal"] is True


def test_tasks_already_held_that_day_count_against_the_capacity(
    session, make_volunteer, make_resident, make_help_request, three_bags
):
    bags = three_bags()
    neighbour, _ = make_volunteer(max_tasks_per_day=2, availability=DAYTIME, **north(-50))
    # an afternoon task the same Tokyo day, already accepted
    held = make_help_request(
        resident=make_resident(name="午後の 人"),
        category="shopping",
        window_start=local(2, 14),
        window_end=local(2, 16),
    )
    [first] = dispatch.run_match(session, help_request_ids=[held.id]).assignments
    dispatch.accept(session, assignment_id=first.id)
    run = dispatch.run_match(session)
    [proposal] = run.assignments  # 2 a day, 1 held: room for one more
    assert proposal.volunteer_id == neighbour.id
    assert proposal.help_request_id == bags[0].id
    assert sorted(u["reason"] for u in run.unmatched) == ["round_full", "round_full"]


def test_a_held_task_on_another_day_leaves_the_capacity_whole(
    session, make_volunteer, make_resident, make_help_request, three_bags
):
    three_bags(day=2)
    neighbour, _ = make_volunteer(max_tasks_per_day=3, availability=GARBAGE_SLOT, **north(-50))
    other_day = make_help_request(
        resident=make_resident(name="翌日の 人"), window_start=local(3, 7), window_end=local(3, 8)
    )
    [first] = dispatch.run_match(session, help_request_ids=[other_day.id]).assignments
    dispatch.accept(session, assignment_id=first.id)
    run = dispatch.run_match(session)
    assert len(run.assignments) == 3


def test_the_day_is_the_tokyo_day_not_the_utc_one(
    session, make_volunteer, make_resident, make_help_request
):
    """07:00 Tokyo is 22:00 UTC the day before: a task held at 23:30 Tokyo the previous evening
    (14:30 UTC, the same UTC day as 07:00 Tokyo) is another day and takes no capacity."""
    neighbour, _ = make_volunteer(
        availability=[{"weekday": d, "start_min": 0, "end_min": 24 * 60} for d in range(7)],
        **north(-50),
    )
    evening = make_help_request(
        resident=make_resident(name="夜の 人"),
        window_start=local(1, 23, 30),
        window_end=local(1, 23, 59),
    )
    morning = make_help_request(window_start=local(2, 7), window_end=local(2, 8))
    assert (
        evening.window_start.astimezone(dt.UTC).date()
        == morning.window_start.astimezone(dt.UTC).date()
    )
    [held] = dispatch.run_match(session, help_request_ids=[evening.id]).assignments
    dispatch.accept(session, assignment_id=held.id)
    [proposal] = dispatch.run_match(session).assignments
    assert (proposal.volunteer_id, proposal.help_request_id) == (neighbour.id, morning.id)


def test_a_standing_occurrence_counts_against_the_capacity(
    session, make_volunteer, make_resident, make_help_request
):
    neighbour, _ = make_volunteer(max_tasks_per_day=2, availability=DAYTIME, **north(-50))
    day = local(2, 7).date()
    standing = series.create_series(
        session,
        resident_id=make_resident(name="毎週の 人", **north(300)).id,
        category="garbage",
        weekdays=[day.weekday()],
        window_start_min=7 * 60,
        window_end_min=8 * 60 + 30,
        start_date=day,
        holidays="keep",
    )
    series.set_standing(session, series_id=standing.id, volunteer_id=neighbour.id)
    series.generate(session, today=day, series_id=standing.id, weeks_ahead=1)
    assert (
        session.scalar(select(Assignment.status).where(Assignment.volunteer_id == neighbour.id))
        == "accepted"
    )
    shopping = [
        make_help_request(
            resident=make_resident(name=f"買い物 {n}", **north(100 * n)),
            category="shopping",
            window_start=local(2, 10),
            window_end=local(2, 16),
        )
        for n in range(2)
    ]
    run = dispatch.run_match(session, help_request_ids=[r.id for r in shopping])
    # 2 a day, the standing ゴミ出し holds one: one shopping trip, the other is round_full
    assert [a.volunteer_id for a in run.assignments] == [neighbour.id]
    assert [u["reason"] for u in run.unmatched] == ["round_full"]


def test_lowering_the_capacity_keeps_what_is_held_and_proposes_nothing_more(
    session, make_volunteer, three_bags
):
    bags = three_bags()
    neighbour, _ = make_volunteer(max_tasks_per_day=3, availability=GARBAGE_SLOT, **north(-50))
    [first] = dispatch.run_match(session, help_request_ids=[bags[0].id]).assignments
    session.execute(update(Volunteer).values(max_tasks_per_day=1))
    run = dispatch.run_match(session)
    assert run.assignments == []
    assert session.get(Assignment, first.id).status == "proposed"


def test_a_volunteer_at_capacity_makes_round_full_the_reason(session, make_volunteer, three_bags):
    three_bags()
    make_volunteer(max_tasks_per_day=2, availability=GARBAGE_SLOT, **north(-50))
    run = dispatch.run_match(session)
    assert len(run.assignments) == 2
    [left] = run.unmatched
    assert left["reason"] == "round_full"
    assert "引き受けられる数" in left["detail"]


def test_the_ward_walking_speed_spaces_the_round(session, make_volunteer, three_bags):
    three_bags()
    make_volunteer(max_tasks_per_day=3, availability=GARBAGE_SLOT, **north(-50))
    slow = dispatch.weights_for("20")
    run = dispatch.run_match(session, weights=slow)
    starts = sorted(a.planned_start.astimezone(TOKYO) for a in run.assignments)
    # the bags are 100.00007 m apart on the sphere: 5.0000036 minutes, rounded up to 6
    assert [s.strftime("%H:%M") for s in starts] == ["07:00", "07:21", "07:42"]
    assert run.params["weights"]["walking_m_per_min"] == 20.0


@pytest.mark.parametrize("bad", ["0", "19.9", "151", "fast", "", "nan", "inf", None])
def test_a_walking_speed_that_is_not_one_is_refused_clearly(bad):
    with pytest.raises(ValueError, match="WALKING_M_PER_MIN"):
        dispatch.weights_for(bad)


def test_the_stored_round_matches_what_was_proposed(session, make_volunteer, three_bags):
    three_bags()
    make_volunteer(max_tasks_per_day=3, availability=GARBAGE_SLOT, **north(-50))
    run = dispatch.run_match(session)
    session.expire_all()
    stored = session.scalars(
        select(Assignment).where(Assignment.match_run_id == run.id).order_by(Assignment.round_order)
    ).all()
    assert [a.round_order for a in stored] == [1, 2, 3]
    assert all(a.planned_start.tzinfo is not None for a in stored)
    for a in stored:
        request = a.help_request
        assert request.window_start <= a.planned_start
        assert a.planned_start + dt.timedelta(minutes=15) <= request.window_end


def test_one_a_day_means_a_morning_task_held_leaves_no_room_in_the_afternoon(
    session, make_volunteer, make_resident, make_help_request
):
    make_volunteer(availability=DAYTIME, **north(-50))  # max_tasks_per_day 1, the default
    morning = make_help_request(window_start=local(2, 7), window_end=local(2, 8))
    [held] = dispatch.run_match(session).assignments
    assert held.help_request_id == morning.id
    dispatch.accept(session, assignment_id=held.id)
    afternoon = make_help_request(
        resident=make_resident(name="午後の 人"),
        category="shopping",
        window_start=local(2, 14),
        window_end=local(2, 16),
    )
    run = dispatch.run_match(session)
    assert run.assignments == []
    assert run.unmatched[0]["help_request_id"] == afternoon.id
    assert run.unmatched[0]["reason"] == "round_full"


def test_held_per_day_counts_what_the_capacity_counts_by_tokyo_day(
    session, make_volunteer, make_resident, make_help_request
):
    neighbour, _ = make_volunteer(
        max_tasks_per_day=5,
        availability=[{"weekday": d, "start_min": 0, "end_min": 24 * 60} for d in range(7)],
        **north(-50),
    )
    windows = [
        (local(2, 7), local(2, 8)),
        (local(2, 14), local(2, 16)),
        (local(3, 0, 30), local(3, 2)),
    ]
    for n, (start, end) in enumerate(windows):
        make_help_request(
            resident=make_resident(name=f"住民 {n}"),
            category="shopping",
            window_start=start,
            window_end=end,
        )
    # one round a run: the day's two, then the next day's in a second run
    proposals = dispatch.run_match(session).assignments + dispatch.run_match(session).assignments
    first, second, third = sorted(proposals, key=lambda a: a.help_request.window_start)
    dispatch.accept(session, assignment_id=first.id)
    dispatch.decline(session, assignment_id=third.id)  # a decline holds nothing
    day = local(2, 7).date()
    assert dispatch.held_per_day(session, volunteer_id=neighbour.id, since=day) == {day: 2}
    assert dispatch.held_per_day(session, volunteer_id=neighbour.id, since=local(3, 0).date()) == {}
