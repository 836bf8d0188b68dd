"""The credit and exchange journeys through dispatch itself: requests opened, a real match run,
the volunteer's accept and dispatch.complete, then a voucher redeemed and settled. (The other
points tests insert completed tasks directly, for speed.)"""

import datetime as dt

import pytest
from sqlalchemy import select

from db import Conflict
from matching import dispatch
from matching.models import Assignment
from points import balances, redemption, settlement, vouchers
from points.models import Transfer
from tests.points.conftest import SECRET, tokyo


def matched_and_done(session, make_help_request, resident, volunteer_id, start):
    """Open a 買い物 request, match it, let the volunteer accept, confirm it done; return it."""
    window_end = start + dt.timedelta(hours=2)
    before = start - dt.timedelta(hours=16)
    request = make_help_request(
        resident_id=resident.id,
        category="shopping",
        window_start=start,
        window_end=window_end,
        now=before,
    )
    run = dispatch.run_match(session, zone=resident.zone, now=before)
    [proposal] = run.assignments
    assert (proposal.help_request_id, proposal.volunteer_id) == (request.id, volunteer_id)
    dispatch.accept(session, assignment_id=proposal.id, volunteer_id=volunteer_id, now=before)
    done = start + dt.timedelta(hours=1)
    completed = dispatch.complete(session, assignment_id=proposal.id, now=done)
    assert completed.status == "completed" and completed.help_request.status == "completed"
    return completed


def test_tasks_dispatched_and_completed_earn_a_voucher_that_a_shop_redeems(
    session, make_resident, make_volunteer, make_help_request, make_shop
):
    resident = make_resident()
    v, _ = make_volunteer(max_tasks_per_day=2)  # two 買い物 a day
    starts = [tokyo(2026, 10, day, hour) for day in (5, 6, 7) for hour in (9, 13)][:5]
    done = [matched_and_done(session, make_help_request, resident, v.id, s) for s in starts]

    credited = session.scalars(
        select(Transfer).where(Transfer.kind == "credit", Transfer.volunteer_id == v.id)
    ).all()
    assert sorted(t.assignment_id for t in credited) == sorted(a.id for a in done)
    assert [t.reason for t in credited][:2] == ["買い物 2026-10-05"] * 2
    # completing again is a retry, not a second task
    again = dispatch.complete(session, assignment_id=done[0].id, now=tokyo(2026, 10, 9))
    assert again.id == done[0].id
    summary = balances.summary(session, volunteer_id=v.id, now=tokyo(2026, 10, 10))
    assert (summary.balance, summary.exchangeable) == (500, 500)

    issued = vouchers.exchange(
        session,
        volunteer_id=v.id,
        points=500,
        idempotency_key="journey",
        secret=SECRET,
        now=tokyo(2026, 10, 10),
    )
    assert (issued.points, issued.value_yen, issued.replayed) == (500, 500, False)
    shop, _ = make_shop()
    paid = redemption.redeem(
        session, shop_id=shop.id, code=issued.code, secret=SECRET, now=tokyo(2026, 10, 12)
    )
    assert paid.value_yen == 500
    [line] = settlement.settlement(session, month="2026-10", shop_id=shop.id)
    assert (line.count, line.points, line.total_yen) == (1, 500, 500)
    assert balances.summary(session, volunteer_id=v.id, now=tokyo(2026, 10, 12)).balance == 0


def test_the_daily_cap_holds_for_tasks_completed_through_dispatch(
    session, make_resident, make_volunteer, make_help_request
):
    resident = make_resident()
    v, _ = make_volunteer(max_tasks_per_day=3)  # three 買い物 on one day
    for hour in (8, 11, 14):
        matched_and_done(session, make_help_request, resident, v.id, tokyo(2026, 10, 5, hour))
    history = balances.history(session, volunteer_id=v.id, page=1, page_size=10)["items"]
    assert [item.amount for item in reversed(history)] == [100, 100, 0]
    # a proposal not yet accepted earns nothing when someone tries to complete it
    request = make_help_request(
        resident_id=resident.id,
        category="shopping",
        window_start=tokyo(2026, 10, 6, 9),
        window_end=tokyo(2026, 10, 6, 11),
        now=tokyo(2026, 10, 5, 18),
    )
    [proposal] = dispatch.run_match(session, now=tokyo(2026, 10, 5, 18)).assignments
    assert proposal.help_request_id == request.id
    with pytest.raises(Conflict, match="cannot become completed"):
        dispatch.complete(session, assignment_id=proposal.id, now=tokyo(2026, 10, 6, 10))
    assert session.get(Assignment, proposal.id).status == "proposed"
    assert balances.summary(session, volunteer_id=v.id, now=tokyo(2026, 10, 6, 12)).balance == 200
