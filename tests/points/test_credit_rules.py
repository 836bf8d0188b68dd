"""Crediting a completed task: which day and fiscal year it counts for, whose credits the daily
cap counts, and what a credit and a refusal say (the service)."""

import pytest
from sqlalchemy import select

from db import Conflict, NotFound
from matching.models import Assignment, HelpRequest
from points.credits import credit_completed_task
from points.models import Account, Entry
from points.point_rules import update_rules
from tests.points.conftest import completed_assignment, tokyo


def balance(session, volunteer):
    return session.scalar(select(Account.balance).where(Account.volunteer_id == volunteer.id))


def test_a_task_confirmed_after_its_window_counts_for_the_day_it_was_done(session, volunteer):
    v, _ = volunteer
    confirmed = tokyo(2026, 4, 2, 10)  # fiscal 2026
    assignment_id = completed_assignment(
        session, volunteer_id=v.id, category="shopping", completed_at=confirmed
    )
    request = session.get(HelpRequest, session.get(Assignment, assignment_id).help_request_id)
    request.window_start, request.window_end = tokyo(2026, 3, 31, 9), tokyo(2026, 3, 31, 11)
    session.flush()
    credit = credit_completed_task(
        session, assignment_id=assignment_id, now=confirmed, created_by="sc:1"
    )
    assert credit.activity_date.isoformat() == "2026-03-31"
    assert credit.fiscal_year == 2025
    assert credit.reason == "買い物 2026-03-31"
    assert (credit.created_at, credit.created_by) == (confirmed, "sc:1")
    assert credit.volunteer_id == v.id and credit.assignment_id == assignment_id
    assert balance(session, v) == 100


def test_a_credit_is_made_by_the_system_unless_told_otherwise(session, volunteer):
    v, _ = volunteer
    now = tokyo(2026, 6, 1, 9)
    assignment_id = completed_assignment(session, volunteer_id=v.id, completed_at=now)
    assert credit_completed_task(session, assignment_id=assignment_id, now=now).created_by == (
        "system"
    )


def test_the_daily_cap_counts_only_this_volunteers_credits_of_that_day(
    session, make_volunteer, complete_task
):
    (a, _), (b, _) = make_volunteer(), make_volunteer(name="鈴木 次郎")
    complete_task(a, "shopping", tokyo(2026, 12, 1, 8))
    complete_task(a, "shopping", tokyo(2026, 12, 1, 9))  # a reached the cap of 200
    complete_task(a, "shopping", tokyo(2026, 11, 30, 9))  # another day: its own cap
    complete_task(b, "shopping", tokyo(2026, 12, 1, 10))
    complete_task(b, "shopping", tokyo(2026, 12, 1, 11))
    assert (balance(session, a), balance(session, b)) == (300, 200)


def test_a_capped_credit_says_how_much_of_the_tasks_points_it_gives(
    session, volunteer, complete_task
):
    v, _ = volunteer
    complete_task(v, "shopping", tokyo(2026, 12, 1, 8))
    complete_task(v, "garbage", tokyo(2026, 12, 1, 9))
    partial = complete_task(v, "shopping", tokyo(2026, 12, 1, 10))
    assert partial.reason == "買い物 2026-12-01（1日の上限 200 pt のため 100 pt のうち 50 pt）"
    amounts = session.scalars(select(Entry.amount).where(Entry.transfer_id == partial.id)).all()
    assert sorted(amounts) == [-50, 50]


def test_refusals_name_the_assignment(session, volunteer):
    v, _ = volunteer
    now = tokyo(2026, 12, 1, 9)
    with pytest.raises(NotFound) as missing:
        credit_completed_task(session, assignment_id=10**9, now=now)
    assert missing.value.message == "Assignment 1000000000 not found."
    assignment_id = completed_assignment(session, volunteer_id=v.id, completed_at=now)
    session.get(Assignment, assignment_id).status = "accepted"
    session.flush()
    with pytest.raises(Conflict) as refused:
        credit_completed_task(session, assignment_id=assignment_id, now=now)
    assert refused.value.message == (
        f"Assignment {assignment_id} is accepted; only completed tasks earn points."
    )


def test_a_task_credited_days_later_counts_for_the_day_it_was_completed(session, volunteer):
    v, _ = volunteer
    completed = tokyo(2026, 12, 1, 23, 30)  # the window runs on past midnight
    assignment_id = completed_assignment(session, volunteer_id=v.id, completed_at=completed)
    credit = credit_completed_task(session, assignment_id=assignment_id, now=tokyo(2026, 12, 5, 9))
    assert credit.activity_date.isoformat() == "2026-12-01"


def test_the_first_task_of_a_day_may_earn_the_whole_cap(session, volunteer, complete_task):
    v, _ = volunteer
    update_rules(session, changes={"daily_cap": 100}, updated_by="t", now=tokyo(2026, 1, 1))
    assert complete_task(v, "shopping", tokyo(2026, 12, 1, 8)).reason == "買い物 2026-12-01"
    assert balance(session, v) == 100


def test_a_single_point_left_under_the_cap_is_credited(session, volunteer, complete_task):
    v, _ = volunteer
    update_rules(session, changes={"daily_cap": 101}, updated_by="t", now=tokyo(2026, 1, 1))
    complete_task(v, "shopping", tokyo(2026, 12, 1, 8))
    last = complete_task(v, "garbage", tokyo(2026, 12, 1, 9))
    amounts = session.scalars(select(Entry.amount).where(Entry.transfer_id == last.id)).all()
    assert sorted(amounts) == [-1, 1]
    assert balance(session, v) == 101
