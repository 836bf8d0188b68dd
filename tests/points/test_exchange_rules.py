"""The exchange service's rules at their edges, and what each refusal says (no HTTP layer)."""

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from db import Conflict, InvalidInput
from points import codes
from points.balances import summary
from points.models import Account, Entry, Transfer, Voucher
from points.point_rules import update_rules
from points.vouchers import exchange
from tests.points.conftest import SECRET, tokyo


def swap(session, v, points, now, key="k"):
    return exchange(
        session, volunteer_id=v.id, points=points, idempotency_key=key, secret=SECRET, now=now
    )


def balance(session, volunteer):
    return session.scalar(select(Account.balance).where(Account.volunteer_id == volunteer.id))


def ledger_rows(session):
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Transfer, Entry, Voucher)
    )


@pytest.mark.parametrize("points", [0, -500, 250])
def test_points_not_a_positive_multiple_of_the_unit_are_refused_by_the_service(
    session, volunteer, fund, points
):
    v, _ = volunteer
    fund(v, 1000, start=tokyo(2026, 5, 1))
    with pytest.raises(InvalidInput) as refused:
        swap(session, v, points, tokyo(2026, 6, 1))
    assert refused.value.message == "Exchange a positive multiple of 500 points."
    assert refused.value.errors == {"points": ["Must be a positive multiple of 500."]}


def test_a_voucher_records_its_value_validity_and_origin(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 1000, start=tokyo(2026, 5, 1))
    update_rules(
        session,
        changes={"voucher_yen_per_point": 3, "voucher_valid_days": 30},
        updated_by="t",
        now=tokyo(2026, 5, 1),
    )
    now = tokyo(2026, 6, 1, 10)
    issued = exchange(
        session,
        volunteer_id=v.id,
        points=1000,
        idempotency_key="key-9",
        secret=SECRET,
        now=now,
        created_by="volunteer:self",
    )
    voucher, transfer = issued.voucher, issued.transfer
    assert (voucher.points, voucher.value_yen, voucher.status) == (1000, 3000, "outstanding")
    assert (voucher.created_at, voucher.expires_at) == (now, now + dt.timedelta(days=30))
    assert voucher.volunteer_id == v.id
    assert voucher.code_tail == issued.code[-4:]
    assert voucher.code_hash == codes.lookup_hash(SECRET, issued.code)
    assert issued.code == codes.derive_code(
        SECRET, bytes.fromhex(voucher.code_salt), f"volunteer:{v.id}"
    )
    assert issued.replayed is False
    assert (transfer.kind, transfer.fiscal_year, transfer.voucher_id) == (
        "exchange",
        2026,
        voucher.id,
    )
    assert (transfer.created_at, transfer.created_by) == (now, "volunteer:self")
    assert transfer.idempotency_key == "key-9"
    # the body's fingerprint, as stored: a replay after a release must still recognise it
    assert transfer.request_fingerprint == hashlib.sha256(b'{"points": 1000}').hexdigest()
    assert transfer.reason == f"商品券 …{voucher.code_tail}（3000円）"
    assert balance(session, v) == 0


def test_exactly_the_balance_may_be_exchanged(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 500, start=tokyo(2026, 5, 1))
    swap(session, v, 500, tokyo(2026, 6, 1))
    assert balance(session, v) == 0


def test_a_short_balance_is_refused_with_the_balance_and_writes_nothing(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 400, start=tokyo(2026, 5, 1))
    before = ledger_rows(session)
    with pytest.raises(Conflict) as refused:
        swap(session, v, 500, tokyo(2026, 6, 1))
    assert refused.value.message == (
        "Not enough points: the balance is 400 pt, the exchange needs 500 pt."
    )
    assert refused.value.errors == {"points": ["The balance is 400."]}
    assert ledger_rows(session) == before


def test_exchanges_may_reach_the_annual_cap_exactly(session, volunteer, fund):
    v, _ = volunteer
    update_rules(
        session, changes={"annual_exchange_cap": 1000}, updated_by="t", now=tokyo(2026, 5, 1)
    )
    fund(v, 1500, start=tokyo(2026, 5, 1))
    swap(session, v, 500, tokyo(2026, 6, 1), key="a")
    swap(session, v, 500, tokyo(2026, 6, 2), key="b")
    with pytest.raises(Conflict) as refused:
        swap(session, v, 500, tokyo(2026, 6, 3), key="c")
    assert refused.value.message == (
        "The yearly exchange cap is 1000 pt (April to March):"
        " 1000 pt exchanged in fiscal year 2026, 0 pt left."
    )
    assert refused.value.errors == {"points": ["At most 0 this fiscal year."]}


def test_the_cap_refusal_offers_whole_units_of_what_is_left(session, volunteer, fund):
    v, _ = volunteer
    update_rules(
        session, changes={"annual_exchange_cap": 1200}, updated_by="t", now=tokyo(2026, 5, 1)
    )
    fund(v, 2000, start=tokyo(2026, 5, 1))
    swap(session, v, 500, tokyo(2026, 6, 1), key="a")
    before = ledger_rows(session)
    with pytest.raises(Conflict) as refused:
        swap(session, v, 1000, tokyo(2026, 6, 2), key="b")
    assert "500 pt exchanged in fiscal year 2026, 700 pt left." in refused.value.message
    assert refused.value.errors == {"points": ["At most 500 this fiscal year."]}
    assert ledger_rows(session) == before


def test_other_volunteers_exchanges_do_not_count_against_the_cap(session, make_volunteer, fund):
    (a, _), (b, _) = make_volunteer(), make_volunteer(name="鈴木 次郎")
    update_rules(
        session, changes={"annual_exchange_cap": 500}, updated_by="t", now=tokyo(2026, 5, 1)
    )
    fund(a, 500, start=tokyo(2026, 5, 1))
    fund(b, 500, start=tokyo(2026, 5, 1))
    swap(session, a, 500, tokyo(2026, 6, 1), key="a")
    swap(session, b, 500, tokyo(2026, 6, 1), key="b")
    assert (balance(session, a), balance(session, b)) == (0, 0)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (
            "trial",
            "Only registered volunteers exchange points: trial volunteers earn points and"
            " exchange them once registered (status active).",
        ),
        ("inactive", "This volunteer is inactive; only active volunteers exchange points."),
    ],
)
def test_only_active_volunteers_exchange_and_the_refusal_says_why(
    session, volunteer, fund, status, message
):
    v, _ = volunteer
    fund(v, 500, start=tokyo(2026, 5, 1))
    v.status = status
    session.flush()
    before = ledger_rows(session)
    with pytest.raises(Conflict) as refused:
        swap(session, v, 500, tokyo(2026, 6, 1))
    assert refused.value.message == message
    assert ledger_rows(session) == before


def test_lapsed_points_are_expired_first_and_only_the_rest_is_spendable(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 500, start=tokyo(2024, 10, 1))  # fiscal 2024: lapsed on 1 April 2026
    fund(v, 500, start=tokyo(2025, 10, 1))  # fiscal 2025: still valid
    now = tokyo(2026, 4, 2, 10)
    assert summary(session, volunteer_id=v.id, now=now).exchangeable == 500
    with pytest.raises(Conflict, match="the balance is 500 pt, the exchange needs 1000 pt"):
        swap(session, v, 1000, now, key="a")
    assert balance(session, v) == 1000  # a refusal writes nothing, not even the expiry
    swap(session, v, 500, now, key="b")
    assert balance(session, v) == 0
    expiry = session.scalar(
        select(Transfer).where(Transfer.kind == "expire_points", Transfer.volunteer_id == v.id)
    )
    assert (expiry.fiscal_year, expiry.created_at) == (2024, now)
    amounts = session.scalars(select(Entry.amount).where(Entry.transfer_id == expiry.id)).all()
    assert sorted(amounts) == [-500, 500]


def test_with_a_unit_of_one_point_a_single_point_is_exchanged(session, volunteer, fund):
    v, _ = volunteer
    update_rules(session, changes={"voucher_unit": 1}, updated_by="t", now=tokyo(2026, 5, 1))
    fund(v, 100, start=tokyo(2026, 5, 1))
    assert swap(session, v, 1, tokyo(2026, 6, 1)).points == 1
    assert balance(session, v) == 99
