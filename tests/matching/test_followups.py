"""おためし follow-up: the first completed task opens one to-do for the SC; registering the
volunteer closes it; the conversion rate counts who registered within 90 days."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from access.models import User
from db import Conflict, NotFound, utcnow
from matching import dispatch, followups, services
from matching.models import TrialFollowup
from tests.conftest import local


@pytest.fixture
def finish_task(session, make_help_request):
    """Propose a fresh ゴミ出し request to this volunteer (the only one), accept and complete it;
    each on the next day (a volunteer takes one task a day unless they said more)."""
    days = iter(range(2, 30))

    def finish(volunteer):
        day = next(days)
        make_help_request(window_start=local(day, 7), window_end=local(day, 9))
        run = dispatch.run_match(session)
        [assignment] = [a for a in run.assignments if a.volunteer_id == volunteer.id]
        dispatch.accept(session, assignment_id=assignment.id)
        return dispatch.complete(session, assignment_id=assignment.id)

    return finish


@pytest.fixture
def make_staff_user(session):
    def make(name="sc-sangenjaya"):
        user = User(name=name, role="coordinator")
        session.add(user)
        session.flush()
        return user

    return make


@pytest.fixture
def trial_volunteer(make_volunteer):
    volunteer, _ = make_volunteer(name="鈴木 はじめ", status="trial", skills=["garbage"])
    return volunteer


def followups_of(session, volunteer):
    return list(
        session.scalars(select(TrialFollowup).where(TrialFollowup.volunteer_id == volunteer.id))
    )


def test_a_trial_volunteers_first_completed_task_opens_a_follow_up(
    session, trial_volunteer, finish_task
):
    task = finish_task(trial_volunteer)

    [followup] = followups.open_followups(session)
    assert followup.volunteer.name == "鈴木 はじめ"
    assert followup.assignment_id == task.id
    assert followup.assignment.help_request.category.label_ja == "ゴミ出し"
    assert followup.done_at is None


def test_the_second_completed_task_adds_nothing(session, trial_volunteer, finish_task):
    first = finish_task(trial_volunteer)
    finish_task(trial_volunteer)

    [followup] = followups_of(session, trial_volunteer)
    assert followup.assignment_id == first.id


def test_completing_the_same_task_again_adds_nothing(session, trial_volunteer, finish_task):
    task = finish_task(trial_volunteer)
    dispatch.complete(session, assignment_id=task.id)

    assert len(followups_of(session, trial_volunteer)) == 1


def test_a_registered_volunteers_task_opens_no_follow_up(session, make_volunteer, finish_task):
    volunteer, _ = make_volunteer()
    finish_task(volunteer)

    assert followups.open_followups(session) == []


def test_activating_registers_them_and_closes_the_follow_up(
    session, trial_volunteer, finish_task, make_staff_user
):
    finish_task(trial_volunteer)
    sc = make_staff_user()
    when = dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)

    volunteer = followups.activate(
        session, volunteer_id=trial_volunteer.id, by_user_id=sc.id, now=when
    )

    assert volunteer.status == "active"
    assert volunteer.registered_at == when
    assert volunteer.registered_by_id == sc.id
    [followup] = followups_of(session, trial_volunteer)
    assert (followup.done_at, followup.done_by_id) == (when, sc.id)
    assert followups.open_followups(session) == []


def test_activating_twice_is_a_conflict_and_changes_nothing(session, trial_volunteer):
    first = dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)
    followups.activate(session, volunteer_id=trial_volunteer.id, by_user_id=None, now=first)

    with pytest.raises(Conflict):
        followups.activate(session, volunteer_id=trial_volunteer.id, by_user_id=None)
    session.refresh(trial_volunteer)
    assert trial_volunteer.registered_at == first


def test_activating_a_registered_volunteer_is_a_conflict(session, make_volunteer):
    volunteer, _ = make_volunteer()
    with pytest.raises(Conflict):
        followups.activate(session, volunteer_id=volunteer.id, by_user_id=None)


def test_activating_nobody_is_not_found(session):
    with pytest.raises(NotFound):
        followups.activate(session, volunteer_id=999_999, by_user_id=None)


def test_registering_by_a_status_change_also_closes_the_follow_up(
    session, trial_volunteer, finish_task
):
    finish_task(trial_volunteer)
    services.update_volunteer(
        session, volunteer_id=trial_volunteer.id, changes={"status": "active"}
    )

    assert followups.open_followups(session) == []


def test_the_conversion_rate_counts_trial_volunteers_registered_within_90_days(
    session, make_volunteer
):
    start = utcnow() - dt.timedelta(days=200)

    def trial(name, signed_up_days_ago, registered_after_days=None):
        volunteer, _ = make_volunteer(name=name, status="trial")
        volunteer.created_at = utcnow() - dt.timedelta(days=signed_up_days_ago)
        if registered_after_days is not None:
            followups.activate(
                session,
                volunteer_id=volunteer.id,
                by_user_id=None,
                now=volunteer.created_at + dt.timedelta(days=registered_after_days),
            )
        session.flush()

    trial("within", 150, registered_after_days=90)
    trial("too late", 150, registered_after_days=91)
    trial("never", 120)
    trial("before the period", 300, registered_after_days=10)
    make_volunteer(name="registered at once")  # never on trial: not counted

    rate = followups.conversion_rate(session, since=start, until=utcnow())
    assert (rate.converted, rate.trial_volunteers) == (1, 3)
    assert rate.rate == pytest.approx(1 / 3)


def test_a_period_with_nobody_has_no_rate(session):
    rate = followups.conversion_rate(session, since=utcnow(), until=utcnow())
    assert (rate.converted, rate.trial_volunteers, rate.rate) == (0, 0, None)
