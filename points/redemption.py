"""Redeeming a voucher at a partner shop: exactly once, never after it expired."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db import Conflict, InvalidInput, NotFound
from points import codes
from points import rules as calendar
from points.accounts import ShortBalance, ensure_account, post, rowcount, system_account_id
from points.models import Redemption, Transfer, Voucher


def _iso_local(moment: dt.datetime) -> str:
    return moment.astimezone(calendar.TOKYO).isoformat(timespec="seconds")


def redeem(
    session: Session,
    *,
    shop_id: int,
    code: str,
    secret: str | bytes,
    now: dt.datetime,
    created_by: str | None = None,
) -> Redemption:
    """Redeem a voucher at a shop: exactly once, never after it expired."""
    try:
        canonical = codes.normalise(code)
    except codes.InvalidCode as error:
        raise InvalidInput(str(error), {"code": [str(error)]}) from error
    voucher = session.scalar(
        select(Voucher).where(Voucher.code_hash == codes.lookup_hash(secret, canonical))
    )
    if voucher is None:
        raise NotFound("No voucher has this code: please check it with the customer.")
    _refuse_unredeemable(voucher, now)
    changed = rowcount(
        session,
        update(Voucher)
        .where(
            Voucher.id == voucher.id,
            Voucher.status == "outstanding",
            Voucher.expires_at > now,
        )
        .values(status="redeemed", redeemed_at=now)
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        # someone else redeemed (or the expiry ran) between our read and our write
        session.refresh(voucher)
        _refuse_unredeemable(voucher, now)
        raise Conflict("This voucher changed meanwhile; try again.")  # pragma: no cover
    liability = system_account_id(session, "voucher_liability")
    payable = ensure_account(session, kind="shop_payable", shop_id=shop_id)
    transfer = Transfer(
        kind="redeem",
        voucher_id=voucher.id,
        reason=f"商品券 …{voucher.code_tail} を協力店 {shop_id} で使用",
        created_at=now,
        created_by=created_by or f"shop:{shop_id}",
    )
    try:
        post(session, transfer, source=liability, target=payable, amount=voucher.points)
    except ShortBalance as short:  # pragma: no cover - the liability covers every voucher
        raise Conflict("The voucher liability does not cover this voucher.") from short
    redemption = Redemption(
        voucher_id=voucher.id,
        shop_id=shop_id,
        transfer_id=transfer.id,
        points=voucher.points,
        value_yen=voucher.value_yen,
        redeemed_at=now,
        settlement_month=calendar.month_of(now),
    )
    session.add(redemption)
    session.flush()
    session.refresh(voucher)
    return redemption


def _refuse_unredeemable(voucher: Voucher, now: dt.datetime) -> None:
    if voucher.status == "redeemed":
        assert voucher.redeemed_at is not None  # noqa: S101 - ck_vouchers_redeemed_stamp
        when = _iso_local(voucher.redeemed_at)
        raise Conflict(
            f"This voucher was already redeemed at {when}.",
            {"code": [f"Redeemed at {when}."]},
        )
    if voucher.status == "expired" or voucher.expires_at <= now:
        when = _iso_local(voucher.expires_at)
        raise Conflict(
            f"This voucher expired at {when}.",
            {"code": [f"Expired at {when}."]},
        )
