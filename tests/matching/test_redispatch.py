"""Automatic re-dispatch: a proposal not answered by the cut-off, a decline and a no-show with
time left go back to matching on their own (`dispatch due`), never to the same volunteer again,
and the SC sees the request flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from matching import dispatch, flags, series, services
from matching.models import Assignment, HelpRequest, MatchRun
from matching.redispatch import Cutoff, run_due
from tests.conftest import TOKYO, local
from tests.matching.test_dispatch_history import north, only_proposal

US = dt.timedelta(microseconds=1)


def tokyo(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TOKYO)


def proposed_to(session, request_id: int) -> list[int]:
    """Every volunteer ever proposed this request, in order."""
    return list(
        session.scalars(
            select(Assignment.volunteer_id)
            .where(Assignment.help_request_id == request_id)
            .order_by(Assignment.id)
        )
    )


@pytest.fixture
def two_neighbours(make_volunteer):
    """The nearer is proposed first; the other is who re-dispatch turns to."""
    near, _ = make_volunteer(name="近い 一郎", **north(50))
    far, _ = make_volunteer(name="遠い 次郎", **north(400))
    return near, far


# --- the cut-off ---------------------------------------------------------------------------


def test_the_cut_off_is_18_00_tokyo_the_day_before_across_a_month_and_a_year():
    cutoff = Cutoff()
    assert cutoff.deadline(tokyo(2026, 12, 1, 7)) == tokyo(2026, 11, 30, 18)
    assert cutoff.deadline(tokyo(2027, 1, 1, 0, 30)) == tokyo(2026, 12, 31, 18)
    # a task late in the evening still has the day before as its deadline, not 18:00 that day
    assert cutoff.deadline(tokyo(2027, 4, 1, 23, 59)) == tokyo(2027, 3, 31, 18)
    assert Cutoff(at=dt.time(12), days_before=2).deadline(tokyo(2026, 12, 1, 7)) == tokyo(
        2026, 11, 29, 12
    )


def test_a_proposal_made_after_the_cut_off_still_gets_its_grace_to_answer():
    cutoff = Cutoff()
    start = tokyo(2026, 12, 2, 7)
    assert cutoff.answer_by(window_start=start, proposed_at=tokyo(2026, 11, 30, 9)) == tokyo(
        2026, 12, 1, 18
    )
    assert cutoff.answer_by(window_start=start, proposed_at=tokyo(2026, 12, 1, 19, 5)) == tokyo(
        2026, 12, 1, 20, 5
    )
    # exactly at the cut-off: the grace is later
    assert cutoff.answer_by(window_start=start, proposed_at=tokyo(2026, 12, 1, 18)) == tokyo(
        2026, 12, 1, 19
    )


@pytest.mark.parametrize(
    ("at", "days", "grace", "message"),
    [
        ("6pm", 1, 60, "a time like 18:00"),
        ("25:00", 1, 60, "a time like 18:00"),
        ("18:00", 15, 60, "days_before"),
        ("18:00", 1, 1441, "grace"),
    ],
)
def test_a_wrong_cut_off_setting_is_refused_clearly(at, days, grace, message):
    with pytest.raises(ValueError, match=message):
        Cutoff.parse(at, days, grace)


def test_an_unanswered_proposal_is_withdrawn_exactly_at_its_cut_off_and_offered_to_another(
    session, make_help_request, two_neighbours
):
    near, far = two_neighbours
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    assert first.volunteer_id == near.id

    just_before = run_due(session, now=local(1, 18) - US)
    assert just_before.unanswered == [] and just_before.tried == []
    assert session.get(Assignment, first.id).status == "proposed"

    at_cutoff = run_due(session, now=local(1, 18))
    assert at_cutoff.unanswered == [first.id]
    assert at_cutoff.proposed == [request.id]
    session.expire_all()
    silent = session.get(Assignment, first.id)
    assert (silent.status, silent.ended_reason, silent.ended_at) == (
        "cancelled",
        "no_answer",
        local(1, 18),
    )
    assert proposed_to(session, request.id) == [near.id, far.id]
    request = session.get(HelpRequest, request.id)
    assert (request.status, request.flag, request.flagged_at) == (
        "proposed",
        "no_answer",
        local(1, 18),
    )
    assert request.redispatch_at is None
    run = session.get(MatchRun, at_cutoff.match_run_id)
    assert run.params["trigger"] == "dispatch due"
    assert run.created_by_id is None


def test_an_answered_proposal_is_left_alone_at_the_cut_off(
    session, make_help_request, two_neighbours
):
    near, _ = two_neighbours
    make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    accepted = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    dispatch.accept(session, assignment_id=accepted.id, now=local(1, 17))
    report = run_due(session, now=local(1, 18, 30))
    assert report.unanswered == [] and report.tried == []
    assert session.get(Assignment, accepted.id).status == "accepted"


def test_a_proposal_made_after_the_cut_off_is_withdrawn_only_after_its_grace(
    session, make_help_request, two_neighbours
):
    near, far = two_neighbours
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    late = only_proposal(dispatch.run_match(session, now=local(1, 19)))
    assert run_due(session, now=local(1, 20) - US).unanswered == []
    assert run_due(session, now=local(1, 20)).unanswered == [late.id]
    assert proposed_to(session, request.id) == [near.id, far.id]


def test_the_wards_own_cut_off_is_used(session, make_help_request, two_neighbours):
    make_help_request(window_start=local(3, 7), window_end=local(3, 9))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    noon_two_days_before = Cutoff(at=dt.time(12), days_before=2)
    assert run_due(session, now=local(1, 12) - US, cutoff=noon_two_days_before).unanswered == []
    assert run_due(session, now=local(1, 12), cutoff=noon_two_days_before).unanswered == [first.id]


# --- declines and no-shows ---------------------------------------------------------------


def test_a_decline_is_flagged_queued_and_re_dispatched_to_someone_else(
    session, make_help_request, two_neighbours
):
    near, far = two_neighbours
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    dispatch.decline(session, assignment_id=first.id, volunteer_id=near.id, now=local(0, 10))
    session.refresh(request)
    assert (request.status, request.flag, request.redispatch_at) == (
        "open",
        "declined",
        local(0, 10),
    )

    report = run_due(session, now=local(0, 10, 5))
    assert report.tried == report.proposed == [request.id]
    assert proposed_to(session, request.id) == [near.id, far.id]
    # done: a second pass finds nothing
    again = run_due(session, now=local(0, 10, 10))
    assert (again.unanswered, again.tried, again.match_run_id) == ([], [], None)


def test_a_request_nobody_else_can_take_is_tried_once_and_left_flagged_for_the_sc(
    session, make_help_request, make_volunteer
):
    only, _ = make_volunteer(**north(50))
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    dispatch.decline(session, assignment_id=first.id, volunteer_id=only.id, now=local(0, 10))

    report = run_due(session, now=local(0, 10, 5))
    assert report.tried == [request.id] and report.proposed == []
    run = session.get(MatchRun, report.match_run_id)
    assert [u["reason"] for u in run.unmatched] == ["declined"]
    session.refresh(request)
    assert (request.status, request.flag, request.redispatch_at) == ("open", "declined", None)
    assert run_due(session, now=local(0, 10, 10)).tried == []
    assert flags.flagged_requests(session, now=local(0, 11)) == [request]


def test_a_no_show_with_time_left_is_re_dispatched_without_the_absent_volunteer(
    session, make_help_request, two_neighbours
):
    near, far = two_neighbours
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 12))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    dispatch.accept(session, assignment_id=first.id, now=local(0, 10))
    dispatch.mark_no_show(session, assignment_id=first.id, now=local(2, 8))
    session.refresh(request)
    assert (request.flag, request.redispatch_at) == ("no_show", local(2, 8))

    # exactly the 15 minutes ゴミ出し takes are enough
    report = run_due(session, now=local(2, 11, 45))
    assert report.proposed == [request.id]
    assert proposed_to(session, request.id) == [near.id, far.id]


def test_a_no_show_without_time_left_stays_with_the_sc(session, make_help_request, two_neighbours):
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    dispatch.accept(session, assignment_id=first.id, now=local(0, 10))
    # ゴミ出し takes 15 minutes: 14 minutes 59.999999 seconds are too few
    dispatch.mark_no_show(session, assignment_id=first.id, now=local(2, 8, 45) + US)
    report = run_due(session, now=local(2, 8, 45) + US)
    assert report.out_of_time == [request.id] and report.tried == []
    assert report.match_run_id is None
    session.refresh(request)
    assert (request.status, request.flag, request.redispatch_at) == ("open", "no_show", None)


def test_the_scs_own_run_takes_a_queued_request_off_the_queue(
    session, make_help_request, two_neighbours
):
    near, far = two_neighbours
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    dispatch.decline(session, assignment_id=first.id, now=local(0, 10))
    again = only_proposal(dispatch.run_match(session, now=local(0, 10, 1)))
    assert again.volunteer_id == far.id
    session.refresh(request)
    assert request.redispatch_at is None and request.flag == "declined"
    assert run_due(session, now=local(0, 10, 5)).tried == []


def test_re_dispatch_touches_only_the_queued_requests(
    session, make_help_request, make_resident, two_neighbours
):
    queued = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    other = make_help_request(
        resident=make_resident(name="別の 依頼"), window_start=local(3, 7), window_end=local(3, 9)
    )
    dispatch.decline(session, assignment_id=first.id, now=local(0, 10))
    report = run_due(session, now=local(0, 10, 5))
    assert report.tried == [queued.id]
    session.refresh(other)
    assert other.status == "open"
    assert session.get(MatchRun, report.match_run_id).requests_count == 1


def test_a_volunteer_the_sc_withdrew_can_be_proposed_again(
    session, make_help_request, two_neighbours
):
    near, _ = two_neighbours
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    dispatch.withdraw(session, assignment_id=first.id, now=local(0, 10))
    session.refresh(request)
    assert request.flag is None and request.redispatch_at is None
    assert only_proposal(dispatch.run_match(session, now=local(0, 11))).volunteer_id == near.id


def test_a_cancelled_request_is_not_re_dispatched(session, make_help_request, two_neighbours):
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    dispatch.decline(session, assignment_id=first.id, now=local(0, 10))
    services.cancel_help_request(session, help_request_id=request.id)
    assert run_due(session, now=local(0, 10, 5)).tried == []
    assert flags.flagged_requests(session, now=local(0, 11)) == []


# --- flags ---------------------------------------------------------------------------------


def test_the_sc_clears_a_flag_once_seen_and_the_list_follows_the_zone(
    session, make_help_request, make_resident, two_neighbours
):
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    dispatch.decline(session, assignment_id=first.id, now=local(0, 10))
    assert flags.flagged_requests(session, zone="太子堂", now=local(0, 11)) == [request]
    assert flags.flagged_requests(session, zone="三軒茶屋", now=local(0, 11)) == []
    # history after a day past its window
    assert flags.flagged_requests(session, now=local(3, 9) + US) == []

    flags.clear_flag(session, help_request_id=request.id)
    flags.clear_flag(session, help_request_id=request.id)
    assert flags.flagged_requests(session, now=local(0, 11)) == []
    # the queued re-dispatch still happens
    assert run_due(session, now=local(0, 10, 5)).tried == [request.id]


def test_the_database_refuses_a_flag_it_does_not_know_or_without_its_time(
    session, make_help_request
):
    request = make_help_request()
    with session.begin_nested():
        request.flag = "lost"
        request.flagged_at = local(0, 9)
        with pytest.raises(IntegrityError, match="flag_known"):
            session.flush()
    session.refresh(request)
    with session.begin_nested():
        request.flag = "declined"
        request.flagged_at = None
        with pytest.raises(IntegrityError, match="flag_with_time"):
            session.flush()


def test_the_database_refuses_an_ended_reason_it_does_not_know(
    session, make_help_request, two_neighbours
):
    make_help_request()
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    with session.begin_nested():
        first.ended_reason = "bored"
        with pytest.raises(IntegrityError, match="ended_reason_known"):
            session.flush()


# --- standing volunteers who stop --------------------------------------------------------


def test_a_standing_volunteer_who_stops_leaves_their_occurrences_open_and_flagged(
    session, make_resident, make_volunteer
):
    volunteer, _ = make_volunteer(**north(50))
    resident = make_resident()
    today = dt.datetime.now(TOKYO).date()
    made = series.create_series(
        session,
        resident_id=resident.id,
        category="garbage",
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        window_start_min=7 * 60,
        window_end_min=8 * 60 + 30,
        start_date=today + dt.timedelta(days=1),
        holidays="keep",
    )
    series.set_standing(session, series_id=made.id, volunteer_id=volunteer.id)
    series.generate(session, weeks_ahead=1, today=today, holidays="keep")
    accepted = list(
        session.scalars(
            select(HelpRequest.id).where(
                HelpRequest.series_id == made.id, HelpRequest.status == "accepted"
            )
        )
    )
    assert accepted

    services.update_volunteer(session, volunteer_id=volunteer.id, changes={"status": "inactive"})
    session.expire_all()
    reopened = session.scalars(select(HelpRequest).where(HelpRequest.id.in_(accepted))).all()
    assert {(r.status, r.flag, r.redispatch_at) for r in reopened} == {
        ("open", "standing_ended", None)
    }
    assert series.get_series(session, series_id=made.id).standing_volunteer_id is None


def test_a_new_standing_volunteer_is_not_given_an_occurrence_they_left_unanswered(
    session, make_resident, make_volunteer
):
    volunteer, _ = make_volunteer(**north(50))
    today = dt.datetime.now(TOKYO).date()
    made = series.create_series(
        session,
        resident_id=make_resident().id,
        category="garbage",
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        window_start_min=7 * 60,
        window_end_min=9 * 60,
        start_date=today + dt.timedelta(days=2),
        end_date=today + dt.timedelta(days=3),
        holidays="keep",
    )
    series.generate(session, weeks_ahead=1, today=today, holidays="keep")
    run = dispatch.run_match(session, now=local(0, 9))
    silent = next(a for a in run.assignments if a.help_request.window_start == local(2, 7))
    run_due(session, now=local(1, 18))  # unanswered: the other occurrence's cut-off is later
    session.expire_all()
    assert session.get(Assignment, silent.id).ended_reason == "no_answer"

    series.set_standing(session, series_id=made.id, volunteer_id=volunteer.id, now=local(1, 18, 1))
    session.expire_all()
    left = session.get(HelpRequest, silent.help_request_id)
    assert (left.status, left.flag) == ("open", "no_answer")
