"""Expiry: lapsed points (FIFO by the fiscal year earned) and vouchers past their date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from points import ledger
from points import rules as calendar
from points.accounts import (
    SYSTEM,
    ledger_position,
    lock_volunteer_account,
    post,
    rowcount,
    system_account_id,
)
from points.models import Transfer, Voucher


@dataclass
class ExpiryReport:
    """What one expiry run did."""

    points_transfers: int = 0
    points_expired: int = 0
    vouchers_expired: int = 0
    voucher_points_expired: int = 0
    by_fiscal_year: dict[int, int] = field(default_factory=dict)


def expire(session: Session, *, now: dt.datetime) -> ExpiryReport:
    """Expire lapsed points (FIFO, per fiscal year earned) and unredeemed vouchers past date.

    Idempotent: a year's points expire once per volunteer (uq_transfers_expire_points_year)
    and a voucher once (its status and uq_transfers_voucher_id_kind), so a second run finds
    nothing to do. Points first, then vouchers: the same lock order as exchanges (a volunteer's
    account before the ward's), so a run never deadlocks with requests.
    """
    report = ExpiryReport()
    through = calendar.last_expired_fiscal_year(now)
    expired_account = system_account_id(session, "expired")
    volunteer_ids = session.scalars(
        select(Transfer.volunteer_id)
        .where(Transfer.kind == "credit", Transfer.fiscal_year <= through)
        .distinct()
        .order_by(Transfer.volunteer_id)
    ).all()
    for volunteer_id in volunteer_ids:
        assert volunteer_id is not None  # noqa: S101 - ck_transfers_volunteer_kinds
        expire_points_of(session, volunteer_id, through, expired_account, now, report)

    voucher_ids = session.scalars(
        select(Voucher.id)
        .where(Voucher.status == "outstanding", Voucher.expires_at <= now)
        .order_by(Voucher.id)
    ).all()
    liability = system_account_id(session, "voucher_liability")
    for voucher_id in voucher_ids:
        changed = rowcount(
            session,
            update(Voucher)
            .where(
                Voucher.id == voucher_id,
                Voucher.status == "outstanding",
                Voucher.expires_at <= now,
            )
            .values(status="expired", expired_at=now)
            .execution_options(synchronize_session=False),
        )
        if changed != 1:
            continue  # redeemed just before its end
        voucher_points, tail = session.execute(
            select(Voucher.points, Voucher.code_tail).where(Voucher.id == voucher_id)
        ).one()
        transfer = Transfer(
            kind="expire_voucher",
            voucher_id=voucher_id,
            reason=f"商品券 …{tail} の有効期限切れ",
            created_at=now,
            created_by=SYSTEM,
        )
        post(session, transfer, source=liability, target=expired_account, amount=voucher_points)
        report.vouchers_expired += 1
        report.voucher_points_expired += voucher_points
    session.flush()
    return report


def expire_points_of(
    session: Session,
    volunteer_id: int,
    through: int,
    expired_account: int,
    now: dt.datetime,
    report: ExpiryReport,
) -> None:
    account_id, balance = lock_volunteer_account(session, volunteer_id)
    credits, debited, expired_years = ledger_position(session, account_id)
    if sum(credits.values()) - debited != balance:  # pragma: no cover - `points check` says more
        raise RuntimeError(f"account {account_id}: balance disagrees with its entries")
    todo = ledger.points_to_expire(
        credits, debited, through_fiscal_year=through, already_expired=expired_years
    )
    for year, amount in sorted(todo.items()):
        lapse = calendar.points_expire_at(year) - dt.timedelta(days=1)
        try:
            with session.begin_nested():
                transfer = Transfer(
                    kind="expire_points",
                    volunteer_id=volunteer_id,
                    fiscal_year=year,
                    reason=f"{year}年度に得たポイントの失効（{lapse.date().isoformat()} まで有効）",
                    created_at=now,
                    created_by=SYSTEM,
                )
                post(session, transfer, source=account_id, target=expired_account, amount=amount)
        except IntegrityError:  # pragma: no cover - a concurrent run expired it first
            continue
        report.points_transfers += 1
        report.points_expired += amount
        report.by_fiscal_year[year] = report.by_fiscal_year.get(year, 0) + amount
