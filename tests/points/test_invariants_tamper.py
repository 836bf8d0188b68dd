"""`points check` catches tampering on the yen and calendar side of the ledger.

A ledger is built through the services (credits, a reversal, exchanges, a redemption), placed
where Asia/Tokyo and UTC disagree on the day, month and fiscal year. Each test then changes one
column with a direct UPDATE, as someone with database access could, and expects `check` to name
the invariant that broke. The UPDATE runs in a savepoint that is rolled back, so the ledger is
whole again for the check every test ends with (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from points import credits, vouchers
from points.invariants import INVARIANTS, check
from points.models import Redemption, Transfer, Voucher
from points.redemption import redeem
from tests.points.conftest import SECRET, tokyo

#: 00:30 in Tokyo is still the previous day in UTC: the credits, the exchanges and the
#: redemption below fall on a day, month or fiscal year that UTC would get wrong.
FIRST_TASK = tokyo(2025, 4, 1, 0, 30)  # FY2025 in Tokyo; 2025-03-31 (FY2024) in UTC
EXCHANGED = tokyo(2026, 4, 1, 0, 30)  # FY2026 in Tokyo; FY2025 in UTC
REDEEMED = tokyo(2026, 5, 1, 0, 30)  # settled in 2026-05; 2026-04 in UTC


@dataclass(frozen=True)
class Ledger:
    credit: int
    reversal: int
    exchange: int
    redeemed: int  # a voucher, redeemed
    outstanding: int  # a voucher, outstanding
    outstanding_code: str
    redemption: int
    shop_id: int


@pytest.fixture
def ledger(
    session: Session, volunteer: Any, fund: Callable[..., None], complete_task: Any, make_shop: Any
) -> Ledger:
    v, _ = volunteer
    fund(v, 1200, start=FIRST_TASK)  # two 100 pt tasks a day from 1 April 2025
    mistaken = complete_task(v, "shopping", tokyo(2025, 6, 1))
    reversal = credits.reverse(
        session,
        transfer_id=mistaken.id,
        reason="誤登録",
        created_by="admin:1",
        now=tokyo(2025, 6, 2),
    )
    redeemed, outstanding = (
        vouchers.exchange(
            session,
            volunteer_id=v.id,
            points=500,
            idempotency_key=key,
            secret=SECRET,
            now=EXCHANGED,
        )
        for key in ("a", "b")
    )
    shop, _ = make_shop()
    redemption = redeem(session, shop_id=shop.id, code=redeemed.code, secret=SECRET, now=REDEEMED)
    first_credit = session.scalar(
        select(func.min(Transfer.id)).where(
            Transfer.kind == "credit", Transfer.volunteer_id == v.id
        )
    )
    assert first_credit is not None
    return Ledger(
        credit=first_credit,
        reversal=reversal.id,
        exchange=redeemed.transfer.id,
        redeemed=redeemed.voucher.id,
        outstanding=outstanding.voucher.id,
        outstanding_code=outstanding.code,
        redemption=redemption.id,
        shop_id=shop.id,
    )


def broken(session: Session) -> set[str]:
    """The names of the invariants that `check` reports violated."""
    session.expire_all()
    return {line.split(":", 1)[0] for line in check(session)}


@contextmanager
def tampered(session: Session, statement: Any) -> Iterator[None]:
    """Run an UPDATE in a savepoint, rolled back after the block.

    transfers refuse any UPDATE (a trigger): the trigger is dropped (SQLite) or disabled
    (PostgreSQL) in the same savepoint, so the rollback brings it back.
    """
    savepoint = session.begin_nested()
    try:
        if statement.table.name == "transfers":
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("ALTER TABLE transfers DISABLE TRIGGER transfers_append_only"))
            else:
                session.execute(text("DROP TRIGGER transfers_no_update"))
        session.execute(statement.execution_options(synchronize_session=False))
        session.expire_all()
        yield
    finally:
        savepoint.rollback()
        session.expire_all()


def test_the_untouched_ledger_holds_every_invariant(session, ledger):
    assert check(session) == []
    # and it sits where a UTC reading would be wrong
    credit = session.get(Transfer, ledger.credit)
    assert (credit.activity_date, credit.fiscal_year) == (dt.date(2025, 4, 1), 2025)
    assert credit.created_at.astimezone(dt.UTC).date() == dt.date(2025, 3, 31)
    assert session.get(Transfer, ledger.exchange).fiscal_year == 2026
    redemption = session.get(Redemption, ledger.redemption)
    assert redemption.settlement_month == "2026-05"
    assert redemption.redeemed_at.astimezone(dt.UTC).month == 4
    voucher = session.get(Voucher, ledger.outstanding)
    assert (voucher.yen_per_point, voucher.valid_days) == (1, 180)
    assert voucher.expires_at == EXCHANGED + dt.timedelta(days=180)


V, R, T = Voucher, Redemption, Transfer
LATER = tokyo(2026, 6, 15)

TAMPERS = {
    "redemption yen raised": (
        lambda ids: update(R).where(R.id == ids.redemption).values(value_yen=R.value_yen + 50_000),
        {"redemption_matches_its_voucher"},
    ),
    "outstanding voucher yen raised": (
        lambda ids: update(V).where(V.id == ids.outstanding).values(value_yen=50_500),
        {"voucher_value_is_points_times_rate"},
    ),
    "redeemed voucher yen raised": (
        lambda ids: update(V).where(V.id == ids.redeemed).values(value_yen=50_500),
        {"voucher_value_is_points_times_rate", "redemption_matches_its_voucher"},
    ),
    "voucher rate changed": (
        lambda ids: update(V).where(V.id == ids.outstanding).values(yen_per_point=2),
        {"voucher_value_is_points_times_rate"},
    ),
    "settlement month moved to the UTC month": (
        lambda ids: update(R).where(R.id == ids.redemption).values(settlement_month="2026-04"),
        {"settlement_month_is_tokyo_month"},
    ),
    "settlement month moved a month on": (
        lambda ids: update(R).where(R.id == ids.redemption).values(settlement_month="2026-06"),
        {"settlement_month_is_tokyo_month"},
    ),
    "redemption time moved to another month": (
        lambda ids: update(R).where(R.id == ids.redemption).values(redeemed_at=LATER),
        {"settlement_month_is_tokyo_month", "redemption_matches_its_voucher"},
    ),
    "voucher expiry pushed to 2099": (
        lambda ids: (
            update(V)
            .where(V.id == ids.outstanding)
            .values(expires_at=dt.datetime(2099, 12, 31, tzinfo=dt.UTC))
        ),
        {"voucher_expires_after_its_validity"},
    ),
    "voucher expiry a second later": (
        lambda ids: (
            update(V)
            .where(V.id == ids.outstanding)
            .values(expires_at=EXCHANGED + dt.timedelta(days=180, seconds=1))
        ),
        {"voucher_expires_after_its_validity"},
    ),
    "voucher validity changed": (
        lambda ids: update(V).where(V.id == ids.outstanding).values(valid_days=3650),
        {"voucher_expires_after_its_validity"},
    ),
    "voucher issued later, with its expiry": (
        lambda ids: (
            update(V)
            .where(V.id == ids.outstanding)
            .values(created_at=LATER, expires_at=LATER + dt.timedelta(days=180))
        ),
        {"voucher_expires_after_its_validity"},
    ),
    "credit moved to another fiscal year": (
        lambda ids: update(T).where(T.id == ids.credit).values(fiscal_year=2026),
        {"credit_fiscal_year_of_activity_date"},
    ),
    "credit's activity date moved within its year": (
        lambda ids: update(T).where(T.id == ids.credit).values(activity_date=dt.date(2025, 4, 2)),
        {"credit_activity_date_is_its_tasks"},
    ),
    "credit's activity date moved to the UTC day": (
        lambda ids: update(T).where(T.id == ids.credit).values(activity_date=dt.date(2025, 3, 31)),
        {"credit_activity_date_is_its_tasks", "credit_fiscal_year_of_activity_date"},
    ),
    "reversal moved to another fiscal year": (
        lambda ids: update(T).where(T.id == ids.reversal).values(fiscal_year=2026),
        {"credit_fiscal_year_of_activity_date"},
    ),
    "exchange counted in the UTC fiscal year": (
        lambda ids: update(T).where(T.id == ids.exchange).values(fiscal_year=2025),
        {"exchange_fiscal_year_of_its_time"},
    ),
}


@pytest.mark.parametrize("tamper", TAMPERS)
def test_check_names_the_invariant_a_direct_update_breaks(session, ledger, tamper):
    statement, expected = TAMPERS[tamper]
    with tampered(session, statement(ledger)):
        assert broken(session) == expected
    assert check(session) == []


def test_a_voucher_raised_before_redemption_is_caught_after_it(session, ledger):
    """The issue's case: 50,500 yen settled for 500 pt."""
    raised = update(V).where(V.id == ledger.outstanding).values(value_yen=50_500)
    with tampered(session, raised):
        redemption = redeem(
            session,
            shop_id=ledger.shop_id,
            code=ledger.outstanding_code,
            secret=SECRET,
            now=REDEEMED,
        )
        assert (redemption.points, redemption.value_yen) == (500, 50_500)
        assert broken(session) == {"voucher_value_is_points_times_rate"}


def test_the_append_only_trigger_is_back_after_a_tamper(session, ledger):
    with tampered(session, update(T).where(T.id == ledger.credit).values(fiscal_year=2026)):
        pass
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="never updated or deleted"):
        session.execute(update(T).where(T.id == ledger.credit).values(fiscal_year=2026))
    savepoint.rollback()


def test_each_invariant_has_a_query_for_both_databases():
    for invariant in INVARIANTS:
        for dialect in ("sqlite", "postgresql"):
            assert invariant.query(dialect).startswith("SELECT "), invariant.name
