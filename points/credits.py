"""Crediting a completed task's points, and reversing a credit (an admin's correction)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from db import Conflict, NotFound
from points import rules as calendar
from points.accounts import (
    SYSTEM,
    ShortBalance,
    lock_volunteer_account,
    matching_table,
    post,
    system_account_id,
)
from points.models import Entry, Transfer
from points.point_rules import get_rules


def credit_completed_task(
    session: Session, *, assignment_id: int, now: dt.datetime, created_by: str = SYSTEM
) -> Transfer:
    """Credit a completed task's points to its volunteer, at most once, within the daily cap.

    Call it in the transaction that completes the assignment. A retry returns the first
    credit. The daily cap counts the day's credits net of their reversals. When the cap leaves
    nothing, or the task's fiscal year has already lapsed (a task confirmed after the end of
    the fiscal year after the one it was done in: its points lapse at once), a credit transfer
    without entries is still recorded (reason says why): it marks the task as credited, so a
    retry on another day can never credit it after all, and the volunteer's history shows why
    it earned nothing.
    """
    assignments, requests, categories = (
        matching_table("assignments"),
        matching_table("help_requests"),
        matching_table("categories"),
    )
    row = session.execute(
        select(
            assignments.c.status,
            assignments.c.volunteer_id,
            assignments.c.completed_at,
            requests.c.window_end,
            categories.c.points,
            categories.c.label_ja,
        )
        .join(requests, assignments.c.help_request_id == requests.c.id)
        .join(categories, requests.c.category_id == categories.c.id)
        .where(assignments.c.id == assignment_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"Assignment {assignment_id} not found.")
    status, volunteer_id, completed_at, window_end, points, label = row
    if status != "completed":
        raise Conflict(f"Assignment {assignment_id} is {status}; only completed tasks earn points.")
    existing = _credit_of(session, assignment_id)
    if existing is not None:
        return existing
    account_id, _ = lock_volunteer_account(session, volunteer_id)
    existing = _credit_of(session, assignment_id)  # credited while we waited for the lock?
    if existing is not None:
        return existing

    rules = get_rules(session)
    # the day of the activity: when it was confirmed, or the window's end if confirmed later
    done = completed_at or now
    activity_date = calendar.local_date(min(done, window_end))
    # points belong to the year of the activity, not of the confirmation
    fiscal_year = calendar.fiscal_year_of(activity_date)
    reason = f"{label} {activity_date.isoformat()}"
    if fiscal_year <= calendar.last_expired_fiscal_year(now):
        # confirmed after that year's points lapsed: they lapse at once, never in the balance
        amount = 0
        last_day = (calendar.points_expire_at(fiscal_year) - dt.timedelta(days=1)).date()
        reason += (
            f"（{fiscal_year}年度のポイントは {last_day.isoformat()} まで有効で失効済みのため"
            f" {points} pt のうち 0 pt）"
        )
    else:
        amount = calendar.credit_after_cap(
            points, _earned_on(session, account_id, activity_date), rules.daily_cap
        )
        if amount < points:
            reason += f"（1日の上限 {rules.daily_cap} pt のため {points} pt のうち {amount} pt）"
    try:
        with session.begin_nested():
            transfer = Transfer(
                kind="credit",
                volunteer_id=volunteer_id,
                assignment_id=assignment_id,
                fiscal_year=fiscal_year,
                activity_date=activity_date,
                reason=reason,
                created_at=now,
                created_by=created_by,
            )
            issuance = system_account_id(session, "issuance")
            post(
                session,
                transfer,
                source=issuance,
                target=account_id,
                amount=amount,
                issuance_id=issuance,
            )
    except IntegrityError:
        # uq_transfers_assignment_id: another transaction credited this task first
        existing = _credit_of(session, assignment_id)
        if existing is None:
            raise
        return existing
    return transfer


def _earned_on(session: Session, account_id: int, activity_date: dt.date) -> int:
    """Return the points credited for a day's activity, net of the reversals of those credits."""
    reversed_credit = aliased(Transfer)
    day = func.coalesce(reversed_credit.activity_date, Transfer.activity_date)
    return (
        session.scalar(
            select(func.coalesce(func.sum(Entry.amount), 0))
            .join(Transfer, Entry.transfer_id == Transfer.id)
            .outerjoin(reversed_credit, Transfer.reverses_id == reversed_credit.id)
            .where(
                Entry.account_id == account_id,
                Transfer.kind.in_(("credit", "reversal")),
                day == activity_date,
            )
        )
        or 0
    )


def _credit_of(session: Session, assignment_id: int) -> Transfer | None:
    return session.scalar(
        select(Transfer).where(Transfer.kind == "credit", Transfer.assignment_id == assignment_id)
    )


def reverse(
    session: Session, *, transfer_id: int, reason: str, created_by: str, now: dt.datetime
) -> Transfer:
    """Undo a credit with a reversing transfer (an admin's correction, with a reason)."""
    original = session.get(Transfer, transfer_id)
    if original is None:
        raise NotFound(f"Transfer {transfer_id} not found.")
    if original.kind != "credit":
        raise Conflict(
            f"Transfer {transfer_id} is {original.kind}: only credits are reversed. Vouchers"
            " are settled by redemption or expiry."
        )
    assert original.volunteer_id is not None  # noqa: S101 - ck_transfers_volunteer_kinds
    already = session.scalar(select(Transfer.id).where(Transfer.reverses_id == transfer_id))
    if already is not None:
        raise Conflict(f"Transfer {transfer_id} was already reversed by transfer {already}.")
    if original.fiscal_year is not None and original.fiscal_year <= (
        calendar.last_expired_fiscal_year(now)
    ):
        raise Conflict(
            f"Transfer {transfer_id} credited points of fiscal year {original.fiscal_year},"
            " which have lapsed: reversing it now would take points the volunteer earned later."
        )
    account_id, balance = lock_volunteer_account(session, original.volunteer_id)
    credited = session.scalar(
        select(Entry.amount).where(Entry.transfer_id == transfer_id, Entry.account_id == account_id)
    )
    if not credited:
        raise Conflict(f"Transfer {transfer_id} credited nothing (the daily cap): nothing to undo.")
    if balance < credited:
        raise Conflict(
            f"The volunteer's balance ({balance} pt) no longer covers the {credited} pt"
            " to reverse: they were exchanged or expired."
        )
    issuance = system_account_id(session, "issuance")
    try:
        with session.begin_nested():
            reversal = Transfer(
                kind="reversal",
                volunteer_id=original.volunteer_id,
                reverses_id=transfer_id,
                fiscal_year=original.fiscal_year,
                reason=reason,
                created_at=now,
                created_by=created_by,
            )
            post(
                session,
                reversal,
                source=account_id,
                target=issuance,
                amount=credited,
                issuance_id=issuance,
            )
    except ShortBalance as short:
        raise Conflict("The volunteer's balance no longer covers this credit.") from short
    except IntegrityError as error:
        raise Conflict(f"Transfer {transfer_id} was already reversed.") from error
    return reversal
