"""The monthly settlement: each shop's redemptions, what the ward reimburses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from points.models import Account, Redemption, Shop


def redemptions_query(*, month: str, shop_id: int | None) -> Any:
    """Return the query of a month's redemptions (optionally of one shop), oldest first."""
    stmt = select(Redemption).where(Redemption.settlement_month == month)
    if shop_id is not None:
        stmt = stmt.where(Redemption.shop_id == shop_id)
    return stmt.order_by(Redemption.redeemed_at, Redemption.id)


@dataclass(frozen=True)
class ShopSettlement:
    shop_id: int
    name: str
    address: str
    count: int
    points: int
    total_yen: int
    #: The shop's payable account now (every month not yet paid out: nothing is paid out yet).
    payable_balance: int


def settlement(session: Session, *, month: str, shop_id: int | None = None) -> list[ShopSettlement]:
    """Return each shop's total for a month: what the ward reimburses."""
    stmt = (
        select(
            Shop.id,
            Shop.name,
            Shop.address,
            func.count(Redemption.id),
            func.coalesce(func.sum(Redemption.points), 0),
            func.coalesce(func.sum(Redemption.value_yen), 0),
            func.coalesce(Account.balance, 0),
        )
        .join(Redemption, Redemption.shop_id == Shop.id)
        .outerjoin(Account, Account.shop_id == Shop.id)
        .where(Redemption.settlement_month == month)
        .group_by(Shop.id, Shop.name, Shop.address, Account.balance)
        .order_by(Shop.id)
    )
    if shop_id is not None:
        stmt = stmt.where(Shop.id == shop_id)
    return [ShopSettlement(*row) for row in session.execute(stmt)]
