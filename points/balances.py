"""A volunteer's balance, what they may exchange, when points lapse, and their history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import NotFound
from points import ledger
from points import rules as calendar
from points.accounts import ledger_position, volunteer_status
from points.models import Account, Entry, Transfer
from points.point_rules import get_rules
from points.vouchers import exchanged_in_fiscal_year


@dataclass(frozen=True)
class Expiring:
    fiscal_year: int
    points: int
    expires_at: dt.datetime


@dataclass(frozen=True)
class PointsSummary:
    volunteer_id: int
    status: str
    balance: int
    exchangeable: int
    fiscal_year: int
    fiscal_year_exchanged: int
    annual_exchange_cap: int
    voucher_unit: int
    #: What lapses when: FIFO-unspent points by the fiscal year they were earned in.
    expiring: list[Expiring]


def summary(session: Session, *, volunteer_id: int, now: dt.datetime) -> PointsSummary:
    """Return a volunteer's balance, what they may exchange now, and when points lapse."""
    status = volunteer_status(session, volunteer_id)
    rules = get_rules(session)
    account = session.execute(
        select(Account.id, Account.balance).where(Account.volunteer_id == volunteer_id)
    ).one_or_none()
    balance = account.balance if account else 0
    fiscal_year = calendar.fiscal_year_at(now)
    exchanged = exchanged_in_fiscal_year(
        session, volunteer_id=volunteer_id, fiscal_year=fiscal_year
    )
    expiring: list[Expiring] = []
    lapsed = 0
    if account is not None:
        credits, debited, expired_years = ledger_position(session, account.id)
        for year, points in sorted(ledger.unspent_by_fiscal_year(credits, debited).items()):
            expiring.append(Expiring(year, points, calendar.points_expire_at(year)))
        # lapsed but not yet expired by cron: an exchange would expire them first
        lapsed = sum(
            ledger.points_to_expire(
                credits,
                debited,
                through_fiscal_year=calendar.last_expired_fiscal_year(now),
                already_expired=expired_years,
            ).values()
        )
    return PointsSummary(
        volunteer_id=volunteer_id,
        status=status,
        balance=balance,
        exchangeable=calendar.exchangeable(
            balance=balance - lapsed,
            exchanged_this_year=exchanged,
            rules=rules,
            may_exchange=status == "active",
        ),
        fiscal_year=fiscal_year,
        fiscal_year_exchanged=exchanged,
        annual_exchange_cap=rules.annual_exchange_cap,
        voucher_unit=rules.voucher_unit,
        expiring=expiring,
    )


@dataclass(frozen=True)
class HistoryItem:
    transfer_id: int
    kind: str
    amount: int
    balance_after: int | None
    created_at: dt.datetime
    what_for: str


def history(session: Session, *, volunteer_id: int, page: int, page_size: int) -> dict[str, Any]:
    """Return one page of a volunteer's transfers, newest first, with amount and balance after.

    Credits the daily cap reduced to nothing appear with amount 0 (and no balance_after).
    """
    volunteer_status(session, volunteer_id)
    account_id = session.scalar(select(Account.id).where(Account.volunteer_id == volunteer_id))
    stmt = (
        select(Transfer, Entry.amount, Entry.balance_after)
        .outerjoin(
            Entry,
            (Entry.transfer_id == Transfer.id) & (Entry.account_id == (account_id or -1)),
        )
        .where(Transfer.volunteer_id == volunteer_id)
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(Transfer.id.desc()).limit(page_size).offset((page - 1) * page_size)
    ).all()
    items = [
        HistoryItem(
            transfer_id=transfer.id,
            kind=transfer.kind,
            amount=amount or 0,
            balance_after=balance_after,
            created_at=transfer.created_at,
            what_for=(
                f"訂正: 取引 {transfer.reverses_id} の取消（{transfer.reason}）"
                if transfer.kind == "reversal"
                else transfer.reason
            ),
        )
        for transfer, amount, balance_after in rows
    ]
    return {
        "items": items,
        "page": page,
        "page_size": page_size,
        "total": total,
        "pages": (total + page_size - 1) // page_size,
    }


def get_transfer(session: Session, *, transfer_id: int) -> Transfer:
    """Return one transfer with its entries."""
    transfer = session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(f"Transfer {transfer_id} not found.")
    return transfer
