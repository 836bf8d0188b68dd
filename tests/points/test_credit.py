"""Crediting completed tasks: the category's points, the daily cap, at most once per task."""

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from db import Conflict, NotFound
from matching.models import Assignment
from points import credits, point_rules
from points.models import Account, Entry, Transfer
from tests.points.conftest import completed_assignment, tokyo


def balance(session, volunteer):
    return session.scalar(select(Account.balance).where(Account.volunteer_id == volunteer.id))


def test_a_completed_task_credits_the_categorys_points(session, volunteer, complete_task):
    v, _ = volunteer
    transfer = complete_task(v, "shopping", tokyo(2026, 12, 1, 9))
    assert transfer.kind == "credit"
    assert transfer.reason == "買い物 2026-12-01"
    assert transfer.fiscal_year == 2026
    assert sorted(e.amount for e in transfer.entries) == [-100, 100]
    assert balance(session, v) == 100
    assert complete_task(v, "garbage", tokyo(2026, 12, 2, 7)).entries[1].amount == 50
    assert balance(session, v) == 150


def test_crediting_again_returns_the_first_credit_and_writes_nothing(session, volunteer):
    v, _ = volunteer
    now = tokyo(2026, 12, 1, 9)
    assignment = completed_assignment(session, volunteer_id=v.id, completed_at=now)
    first = credits.credit_completed_task(session, assignment_id=assignment, now=now)
    count = session.scalar(select(func.count()).select_from(Transfer))
    again = credits.credit_completed_task(session, assignment_id=assignment, now=now)
    later = credits.credit_completed_task(
        session, assignment_id=assignment, now=tokyo(2026, 12, 9, 9)
    )
    assert first.id == again.id == later.id
    assert session.scalar(select(func.count()).select_from(Transfer)) == count
    assert balance(session, v) == 50


def test_the_database_refuses_a_second_credit_for_a_task(session, volunteer, complete_task):
    v, _ = volunteer
    first = complete_task(v)
    savepoint = session.begin_nested()
    session.add(
        Transfer(
            kind="credit",
            volunteer_id=v.id,
            assignment_id=first.assignment_id,
            fiscal_year=first.fiscal_year,
            activity_date=first.activity_date,
            reason="twice",
            created_by="test",
        )
    )
    # PostgreSQL names the constraint, SQLite its column
    with pytest.raises(
        IntegrityError, match=r"uq_transfers_assignment_id|transfers\.assignment_id"
    ):
        session.flush()
    savepoint.rollback()


def test_the_daily_cap_reduces_the_last_credit_and_records_a_zero_credit(
    session, volunteer, complete_task
):
    v, _ = volunteer
    complete_task(v, "shopping", tokyo(2026, 12, 1, 8))
    complete_task(v, "garbage", tokyo(2026, 12, 1, 9))
    partial = complete_task(v, "shopping", tokyo(2026, 12, 1, 10))  # 150 earned: 50 left
    assert [e.amount for e in partial.entries if e.amount > 0] == [50]
    assert "上限 200 pt" in partial.reason
    nothing = complete_task(v, "garbage", tokyo(2026, 12, 1, 23, 59))
    assert nothing.entries == []  # recorded, so a retry can never credit it after all
    assert "100 pt のうち" not in nothing.reason and "のうち 0 pt" in nothing.reason
    assert balance(session, v) == 200
    # a new local day: 00:00 in Tokyo is 15:00 UTC the day before
    assert complete_task(v, "garbage", tokyo(2026, 12, 2, 0, 1)).entries[1].amount == 50
    assert balance(session, v) == 250


def test_a_reversed_credit_no_longer_counts_against_the_daily_cap(
    session, volunteer, complete_task
):
    v, _ = volunteer
    day = tokyo(2026, 12, 1, 8)
    duplicate = complete_task(v, "shopping", day)
    complete_task(v, "shopping", day + dt.timedelta(hours=1))
    credits.reverse(
        session,
        transfer_id=duplicate.id,
        reason="二重登録のため取消",
        created_by="admin:1",
        now=day + dt.timedelta(hours=2),
    )
    assert balance(session, v) == 100
    third = complete_task(v, "shopping", day + dt.timedelta(hours=3))
    assert [e.amount for e in third.entries if e.amount > 0] == [100]
    assert "上限" not in third.reason
    assert balance(session, v) == 200
    # the cap counts the day's points net of reversals: 200 again, so a fourth earns nothing
    assert complete_task(v, "shopping", day + dt.timedelta(hours=4)).entries == []
    assert balance(session, v) == 200


def test_the_daily_cap_follows_the_wards_rules(session, volunteer, complete_task):
    v, _ = volunteer
    point_rules.update_rules(
        session, changes={"daily_cap": 100}, updated_by="test", now=tokyo(2026, 1, 1)
    )
    complete_task(v, "garbage", tokyo(2026, 12, 1, 8))
    assert [e.amount for e in complete_task(v, "shopping", tokyo(2026, 12, 1, 9)).entries] in (
        [-50, 50],
        [50, -50],
    )


def test_trial_volunteers_earn_points(session, make_volunteer, complete_task):
    v, _ = make_volunteer(name="おためし 太郎")
    v.status = "trial"
    session.flush()
    complete_task(v, "garbage")
    assert balance(session, v) == 50


def test_only_completed_tasks_earn(session, volunteer):
    v, _ = volunteer
    now = tokyo(2026, 12, 1, 9)
    assignment_id = completed_assignment(session, volunteer_id=v.id, completed_at=now)
    session.get(Assignment, assignment_id).status = "accepted"
    session.flush()
    with pytest.raises(Conflict, match="only completed tasks"):
        credits.credit_completed_task(session, assignment_id=assignment_id, now=now)
    with pytest.raises(NotFound):
        credits.credit_completed_task(session, assignment_id=10**9, now=now)
    assert (
        session.scalar(select(func.count()).select_from(Entry).where(Entry.account_id == -1)) == 0
    )


def test_seeded_categories_follow_the_default_rule(session):
    from matching.models import Category
    from points.rules import points_for_duration

    for category in session.scalars(select(Category)):
        assert category.points == points_for_duration(category.duration_min)


def test_completing_through_the_api_credits_once(
    api, coordinator, make_help_request, make_volunteer
):
    make_help_request(category="shopping")
    v, token = make_volunteer()
    [proposal] = api.post("/api/v1/match-runs", {}, token=coordinator).get_json()["assignments"]
    api.post(f"/api/v1/assignments/{proposal['id']}/accept", token=token)
    for _ in range(2):
        done = api.post(f"/api/v1/assignments/{proposal['id']}/complete", token=coordinator)
        assert done.status_code == 200
    points = api.get(f"/api/v1/volunteers/{v.id}/points", token=token).get_json()
    assert points["balance"] == 100
    assert [e["kind"] for e in points["entries"]] == ["credit"]
    assert points["entries"][0]["what_for"].startswith("買い物 ")
