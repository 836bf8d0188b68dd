"""Redeeming a voucher: once, never from its expiry on, into the month it happened in Tokyo, and
what each refusal says (the service)."""

import datetime as dt

import pytest
from sqlalchemy import select

from db import Conflict, InvalidInput, NotFound
from points.expiry import expire
from points.models import Account, Entry, Transfer, Voucher
from points.redemption import redeem
from points.vouchers import exchange
from tests.points.conftest import SECRET, tokyo

ISSUED = tokyo(2026, 5, 1, 10)


@pytest.fixture
def issued(session, volunteer, fund):
    """A 500 pt voucher issued on ISSUED (valid 180 days)."""
    v, _ = volunteer
    fund(v, 500, start=tokyo(2026, 4, 10))
    return exchange(
        session, volunteer_id=v.id, points=500, idempotency_key="k", secret=SECRET, now=ISSUED
    )


def use(session, shop, code, now, **kw):
    return redeem(session, shop_id=shop.id, code=code, secret=SECRET, now=now, **kw)


def test_a_redemption_records_the_shop_value_and_tokyo_month(session, issued, make_shop):
    shop, _ = make_shop()
    now = dt.datetime(2026, 5, 31, 15, 30, tzinfo=dt.UTC)  # 1 June 00:30 in Tokyo
    redemption = use(session, shop, issued.code.lower(), now)
    assert (redemption.voucher_id, redemption.shop_id) == (issued.id, shop.id)
    assert (redemption.points, redemption.value_yen) == (500, 500)
    assert redemption.redeemed_at == now
    assert redemption.settlement_month == "2026-06"
    assert redemption.voucher.status == "redeemed"
    assert redemption.voucher.redeemed_at == now
    transfer = session.get(Transfer, redemption.transfer_id)
    assert transfer.kind == "redeem" and transfer.voucher_id == issued.id
    assert transfer.reason == f"商品券 …{issued.voucher.code_tail} を協力店 {shop.id} で使用"
    assert (transfer.created_at, transfer.created_by) == (now, f"shop:{shop.id}")
    amounts = session.scalars(select(Entry.amount).where(Entry.transfer_id == transfer.id)).all()
    assert sorted(amounts) == [-500, 500]
    payable = session.scalar(select(Account.balance).where(Account.shop_id == shop.id))
    assert payable == 500


def test_a_redemption_entered_by_staff_names_them(session, issued, make_shop):
    shop, _ = make_shop()
    redemption = use(session, shop, issued.code, ISSUED, created_by="admin:7")
    assert session.get(Transfer, redemption.transfer_id).created_by == "admin:7"


def test_a_voucher_is_redeemable_until_the_second_it_expires(session, issued, make_shop):
    shop, _ = make_shop()
    expires = issued.expires_at
    assert expires == ISSUED + dt.timedelta(days=180)
    with pytest.raises(Conflict) as refused:
        use(session, shop, issued.code, expires)
    when = expires.astimezone(dt.timezone(dt.timedelta(hours=9))).isoformat(timespec="seconds")
    assert refused.value.message == f"This voucher expired at {when}."
    assert refused.value.errors == {"code": [f"Expired at {when}."]}
    use(session, shop, issued.code, expires - dt.timedelta(seconds=1))


def test_an_expired_voucher_stays_refused_whatever_the_clock_says(session, issued, make_shop):
    shop, _ = make_shop()
    expire(session, now=issued.expires_at)
    # even a clock set before its expiry date cannot redeem a voucher the expiry run closed
    with pytest.raises(Conflict, match="This voucher expired at"):
        use(session, shop, issued.code, issued.expires_at - dt.timedelta(days=1))


def test_a_second_redemption_says_when_the_first_was(session, issued, make_shop):
    shop, _ = make_shop()
    first = tokyo(2026, 6, 1, 10, 15)
    use(session, shop, issued.code, first)
    with pytest.raises(Conflict) as refused:
        use(session, shop, issued.code, first + dt.timedelta(hours=1))
    assert (
        refused.value.message == "This voucher was already redeemed at 2026-06-01T10:15:00+09:00."
    )
    assert refused.value.errors == {"code": ["Redeemed at 2026-06-01T10:15:00+09:00."]}


def test_a_mistyped_code_is_invalid_input_on_the_code_field(session, make_shop):
    shop, _ = make_shop()
    with pytest.raises(InvalidInput) as refused:
        use(session, shop, "F5WA-57TG-ANWZ-2CY5", ISSUED)
    message = "The code's check symbol does not match: please read it again."
    assert refused.value.message == message
    assert refused.value.errors == {"code": [message]}


def test_an_unknown_code_is_not_found(session, make_shop):
    shop, _ = make_shop()
    with pytest.raises(NotFound) as refused:
        use(session, shop, "F5WA-57TG-ANWZ-2CY4", ISSUED)
    assert refused.value.message == "No voucher has this code: please check it with the customer."


def test_the_expiry_run_counts_every_voucher_it_closes(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 1500, start=tokyo(2026, 4, 10))
    for key in "abc":
        last = exchange(
            session, volunteer_id=v.id, points=500, idempotency_key=key, secret=SECRET, now=ISSUED
        )
    report = expire(session, now=last.expires_at)
    assert (report.vouchers_expired, report.voucher_points_expired) == (3, 1500)
    closed = session.scalars(select(Transfer).where(Transfer.kind == "expire_voucher")).all()
    assert {t.created_at for t in closed} == {last.expires_at}
    assert {t.created_by for t in closed} == {"system"}
    tails = {session.get(Voucher, t.voucher_id).code_tail for t in closed}
    assert {t.reason for t in closed} == {f"商品券 …{tail} の有効期限切れ" for tail in tails}
    session.expire_all()
    expired = session.scalars(select(Voucher).where(Voucher.volunteer_id == v.id)).all()
    assert {(x.status, x.expired_at) for x in expired} == {("expired", last.expires_at)}
