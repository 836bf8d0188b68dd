"""What an admin's reversal undoes, when it is refused, and what each refusal says (the service)."""

import datetime as dt

import pytest
from sqlalchemy import select

from db import Conflict, NotFound
from points.credits import reverse
from points.models import Account, Entry, Transfer
from points.vouchers import exchange
from tests.points.conftest import tokyo


def balance(session, volunteer):
    return session.scalar(select(Account.balance).where(Account.volunteer_id == volunteer.id))


def undo(session, transfer_id, now, reason="二重登録のため取消"):
    return reverse(session, transfer_id=transfer_id, reason=reason, created_by="admin:1", now=now)


def test_a_reversal_is_stamped_with_the_time_and_admin_that_made_it(
    session, volunteer, complete_task
):
    v, _ = volunteer
    credit = complete_task(v, "shopping", tokyo(2026, 5, 1, 9))
    now = tokyo(2026, 5, 2, 10, 30)
    reversal = undo(session, credit.id, now)
    assert reversal.created_at == now
    assert reversal.created_by == "admin:1"
    assert (reversal.fiscal_year, reversal.reverses_id) == (2026, credit.id)
    amounts = session.scalars(select(Entry.amount).where(Entry.transfer_id == reversal.id)).all()
    assert sorted(amounts) == [-100, 100]
    assert balance(session, v) == 0


def test_reversing_an_unknown_transfer_names_it(session):
    with pytest.raises(NotFound, match="Transfer 999999 not found"):
        undo(session, 999999, tokyo(2026, 5, 1))


def test_only_credits_are_reversed_and_the_refusal_says_so(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 500, start=tokyo(2026, 5, 1))
    issued = exchange(
        session,
        volunteer_id=v.id,
        points=500,
        idempotency_key="k",
        secret="s",
        now=tokyo(2026, 6, 1),
    )
    with pytest.raises(Conflict) as refused:
        undo(session, issued.transfer.id, tokyo(2026, 6, 2))
    assert refused.value.message == (
        f"Transfer {issued.transfer.id} is exchange: only credits are reversed. Vouchers"
        " are settled by redemption or expiry."
    )


def test_credits_of_a_lapsed_fiscal_year_are_never_reversed(session, volunteer, complete_task):
    v, _ = volunteer
    old = complete_task(v, "shopping", tokyo(2024, 10, 1, 9))  # fiscal 2024: lapses 2026-04-01
    newer = complete_task(v, "shopping", tokyo(2025, 4, 1, 9))  # fiscal 2025
    # the last moment fiscal 2024's points are still valid: the credit can be undone
    still_valid = tokyo(2026, 3, 31, 23, 59)
    with pytest.raises(Conflict, match="fiscal year 2024, which have lapsed"):
        undo(session, old.id, tokyo(2026, 4, 1, 0, 0))
    assert balance(session, v) == 200
    undo(session, newer.id, tokyo(2026, 4, 1, 0, 0))  # fiscal 2025 has not lapsed yet
    assert balance(session, v) == 100
    undo(session, old.id, still_valid)
    assert balance(session, v) == 0


def test_a_credit_the_daily_cap_made_zero_has_nothing_to_undo(session, volunteer, complete_task):
    v, _ = volunteer
    day = tokyo(2026, 12, 1, 8)
    for hour in range(3):
        last = complete_task(v, "shopping", day + dt.timedelta(hours=hour))
    assert last.entries == []
    with pytest.raises(Conflict, match=f"Transfer {last.id} credited nothing"):
        undo(session, last.id, day + dt.timedelta(hours=5))


def test_a_reversal_the_balance_no_longer_covers_is_refused_with_both_amounts(
    session, volunteer, fund
):
    v, _ = volunteer
    fund(v, 500, start=tokyo(2026, 5, 1))
    exchange(
        session,
        volunteer_id=v.id,
        points=500,
        idempotency_key="k",
        secret="s",
        now=tokyo(2026, 6, 1),
    )
    spent = session.scalars(
        select(Transfer.id).where(Transfer.kind == "credit", Transfer.volunteer_id == v.id)
    ).first()
    with pytest.raises(Conflict) as refused:
        undo(session, spent, tokyo(2026, 6, 2))
    assert refused.value.message == (
        "The volunteer's balance (0 pt) no longer covers the 100 pt to reverse:"
        " they were exchanged or expired."
    )
