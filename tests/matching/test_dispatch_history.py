"""Match runs over real history: load, trial experience and continuity built through the service
(run -> accept -> complete), exact times of a run, and every open request accounted for."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from matching import dispatch
from matching.models import Assignment, HelpRequest, Resident
from matching.services import in_scope
from tests.conftest import TOKYO, local

HOME = (35.6432, 139.6710)
M_PER_DEG_LAT = 111_195.0


def north(metres: float) -> dict[str, float]:
    return {"lat": HOME[0] + metres / M_PER_DEG_LAT, "lon": HOME[1]}


def only_proposal(run):
    [assignment] = run.assignments
    return assignment


def serve(session, *, request, at: dt.datetime, complete: bool = True):
    """Propose (a run at `at`), accept and complete a request: the path a real task takes."""
    assignment = only_proposal(dispatch.run_match(session, now=at))
    assert assignment.help_request_id == request.id
    dispatch.accept(session, assignment_id=assignment.id, now=at + dt.timedelta(minutes=10))
    if complete:
        dispatch.complete(session, assignment_id=assignment.id, now=at + dt.timedelta(hours=2))
    return assignment


# --- load: tasks accepted or completed in the last 7 days --------------------------------


def test_a_completed_task_this_week_adds_its_load(
    session, make_help_request, make_resident, make_volunteer
):
    helper, _ = make_volunteer(**north(100))
    first = make_help_request(window_start=local(-3, 7), window_end=local(-3, 9), now=local(-3, 6))
    serve(session, request=first, at=local(-3, 6))
    make_help_request(resident=make_resident(name="別の 人"))
    proposal = only_proposal(dispatch.run_match(session))
    assert proposal.volunteer_id == helper.id
    assert proposal.reasons["load"] == 150.0
    assert proposal.cost == pytest.approx(proposal.distance_m + 150.0, abs=0.1)


def test_load_spreads_the_work_to_a_fresh_volunteer(
    session, make_help_request, make_resident, make_volunteer
):
    busy_bee, _ = make_volunteer(name="よく働く 人", **north(100))
    first = make_help_request(window_start=local(-2, 7), window_end=local(-2, 9), now=local(-2, 6))
    serve(session, request=first, at=local(-2, 6))
    fresh, _ = make_volunteer(name="初めての 人", **north(200))
    make_help_request(resident=make_resident(name="別の 人"))
    # 100 m + 150 (one task this week) > 200 m
    assert only_proposal(dispatch.run_match(session)).volunteer_id == fresh.id


@pytest.mark.parametrize(
    ("proposed", "accepted", "completed", "load"),
    [
        (-10, -2, None, 150.0),  # proposed long ago, accepted this week: counts
        (-10, -10, -3, 150.0),  # accepted long ago, completed this week: counts
        (-2, None, None, 0.0),  # only proposed (then withdrawn): no work done
        (-9, -9, -8, 0.0),  # all of it more than 7 days ago
    ],
)
def test_load_counts_a_task_by_when_it_was_accepted_or_completed(
    session, make_help_request, make_resident, make_volunteer, proposed, accepted, completed, load
):
    helper, _ = make_volunteer(**north(100))
    earlier = make_help_request(
        window_start=local(4, 7), window_end=local(4, 9), now=local(proposed, 6)
    )
    [assignment] = dispatch.run_match(session, now=local(proposed, 6)).assignments
    assert assignment.help_request_id == earlier.id
    if accepted is not None:
        dispatch.accept(session, assignment_id=assignment.id, now=local(accepted, 6))
    else:
        dispatch.withdraw(session, assignment_id=assignment.id, now=local(proposed, 7))
    if completed is not None:
        dispatch.complete(session, assignment_id=assignment.id, now=local(completed, 6))
    make_help_request(resident=make_resident(name="別の 人"))
    proposal = only_proposal(dispatch.run_match(session))
    assert proposal.volunteer_id == helper.id
    assert proposal.reasons["load"] == load


# --- trial experience and continuity, from completed tasks --------------------------------


def test_a_trial_volunteers_first_task_has_the_bonus_and_the_second_not(
    session, make_help_request, make_resident, make_volunteer
):
    trial, _ = make_volunteer(status="trial", skills=["garbage"], **north(100))
    first = make_help_request(
        window_start=local(-10, 7), window_end=local(-10, 9), now=local(-10, 6)
    )
    before = serve(session, request=first, at=local(-10, 6))
    assert before.volunteer_id == trial.id
    assert before.reasons["trial_experience"] == -200.0
    make_help_request(resident=make_resident(name="別の 人"))
    after = only_proposal(dispatch.run_match(session))
    assert after.volunteer_id == trial.id
    assert after.reasons["trial_experience"] == 0.0
    assert after.reasons["load"] == 0.0  # ten days ago


def test_the_volunteer_who_helped_this_resident_before_is_preferred(
    session, make_help_request, make_resident, make_volunteer
):
    resident = make_resident()
    familiar, _ = make_volunteer(name="顔なじみ", **north(250))
    first = make_help_request(
        resident=resident, window_start=local(-10, 7), window_end=local(-10, 9), now=local(-10, 6)
    )
    serve(session, request=first, at=local(-10, 6))
    make_volunteer(name="近いが初めて", **north(100))
    make_help_request(resident=resident)
    proposal = only_proposal(dispatch.run_match(session))
    assert proposal.volunteer_id == familiar.id
    assert proposal.reasons["continuity"] == -300.0


# --- a run's time is exact ----------------------------------------------------------------


def tokyo(day: dt.date, hh: int, mm: int = 0, ss: int = 0, us: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm, ss, us), TOKYO)


@pytest.fixture
def day() -> dt.date:
    return dt.datetime.now(TOKYO).date() + dt.timedelta(days=2)


def test_a_run_at_a_fraction_of_a_second_counts_what_is_left_exactly(
    session, day, make_help_request, make_resident, make_volunteer
):
    weekday = day.weekday()
    make_volunteer(availability=[{"weekday": weekday, "start_min": 540, "end_min": 660}])
    created = tokyo(day, 8)
    # 09:00-11:00 for a 60-minute task, run at 10:00:00.6: 59 min 59.4 s left
    short = make_help_request(
        category="shopping", window_start=tokyo(day, 9), window_end=tokyo(day, 11), now=created
    )
    # 09:00-12:00, but the volunteer's slot ends at 11:00: 59 min 59.4 s of it left
    unavailable = make_help_request(
        resident=make_resident(name="二人目"),
        category="shopping",
        window_start=tokyo(day, 9),
        window_end=tokyo(day, 12),
        now=created,
    )
    run = dispatch.run_match(session, now=tokyo(day, 10, 0, 0, 600_000))
    assert run.assignments == []
    assert sorted((u["help_request_id"], u["reason"]) for u in run.unmatched) == [
        (short.id, "too_late"),
        (unavailable.id, "not_available"),
    ]
    # at 10:00:00 sharp, the full hour is left of both
    again = dispatch.run_match(session, now=tokyo(day, 10))
    assert [a.help_request_id for a in again.assignments] in ([short.id], [unavailable.id])


@pytest.mark.parametrize("us", [0, 1, 999_999])
def test_windows_at_odd_seconds_read_back_from_the_database(
    session, day, make_help_request, make_volunteer, us
):
    make_volunteer(availability=[{"weekday": day.weekday(), "start_min": 540, "end_min": 780}])
    request = make_help_request(
        category="shopping",
        window_start=tokyo(day, 10, 0, 1, us),
        window_end=tokyo(day, 11, 0, 1, us),
    )
    session.expire_all()  # the run reads the window back from the database
    assert only_proposal(dispatch.run_match(session)).help_request_id == request.id


# --- every open request in scope is proposed or explained --------------------------------


def test_every_open_request_in_scope_is_proposed_or_explained(
    session, make_help_request, make_resident, make_volunteer
):
    far = make_resident(name="遠く", **north(5000))
    make_volunteer(**north(100))
    make_help_request()  # proposed
    make_help_request(resident=make_resident(name="二人目"))  # all_taken
    make_help_request(resident=far)  # nobody_nearby
    make_help_request(category="shopping", window_start=local(3, 7), window_end=local(3, 8))
    now = dt.datetime.now(dt.UTC)
    make_help_request(  # has begun: 10 minutes left for 15 minutes of work
        window_start=now - dt.timedelta(minutes=50),
        window_end=now + dt.timedelta(minutes=10),
        now=now - dt.timedelta(hours=1),
    )
    make_help_request(  # over: never served, still open
        window_start=local(-2, 7), window_end=local(-2, 9), now=local(-3, 0)
    )
    make_help_request(resident=make_resident(zone="三宿"))  # out of scope

    open_in_scope = set(
        session.scalars(
            select(HelpRequest.id)
            .join(Resident)
            .where(HelpRequest.status == "open")
            .where(*in_scope(zone="太子堂", window_from=None, window_to=None))
        )
    )
    run = dispatch.run_match(session, zone="太子堂")
    proposed = [a.help_request_id for a in run.assignments]
    explained = [u["help_request_id"] for u in run.unmatched]
    assert len(proposed) + len(explained) == len(open_in_scope) == 6
    assert set(proposed) | set(explained) == open_in_scope
    reasons = sorted(u["reason"] for u in run.unmatched)
    assert reasons == ["all_taken", "all_taken", "nobody_nearby", "too_late", "too_late"]
    assert run.requests_count == 6


# --- the partial UNIQUE index: one live assignment per request ----------------------------

LIVE = ("proposed", "accepted", "completed")
ENDED = ("declined", "cancelled", "no_show")


def _assign(session, request, volunteer, status):
    with session.begin_nested():
        session.add(
            Assignment(
                help_request_id=request.id,
                volunteer_id=volunteer.id,
                status=status,
                distance_m=100.0,
                cost=100.0,
            )
        )
        session.flush()


@pytest.mark.parametrize("first", LIVE)
@pytest.mark.parametrize("second", LIVE)
def test_the_database_refuses_a_second_live_assignment(
    session, is_postgres, make_help_request, make_volunteer, first, second
):
    request = make_help_request()
    one, _ = make_volunteer()
    other, _ = make_volunteer(name="二人目")
    _assign(session, request, one, first)
    # PostgreSQL names the index; SQLite names its column
    index = (
        "uq_assignments_live_request"
        if is_postgres
        else r"UNIQUE constraint failed: assignments\.help_request_id"
    )
    with pytest.raises(IntegrityError, match=index):
        _assign(session, request, other, second)


@pytest.mark.parametrize("ended", ENDED)
def test_ended_assignments_leave_room_for_a_new_proposal(
    session, make_help_request, make_volunteer, ended
):
    request = make_help_request()
    one, _ = make_volunteer()
    other, _ = make_volunteer(name="二人目")
    _assign(session, request, one, ended)
    _assign(session, request, one, ended)
    _assign(session, request, other, "proposed")
    statuses = session.scalars(
        select(Assignment.status).where(Assignment.help_request_id == request.id)
    ).all()
    assert sorted(statuses) == sorted([ended, ended, "proposed"])
