"""Partner shops (協力店): registration and their terminals' API keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from access.models import ApiToken
from access.tokens import new_token
from db import NotFound
from points.accounts import ensure_account
from points.models import Shop


def create_shop(session: Session, *, name: str, address: str, now: dt.datetime) -> tuple[Shop, str]:
    """Register a partner shop with its payable account; return it and its API key (once)."""
    shop = Shop(name=name, address=address, created_at=now)
    session.add(shop)
    session.flush()
    ensure_account(session, kind="shop_payable", shop_id=shop.id)
    return shop, _issue_shop_key(session, shop.id, now)


def _issue_shop_key(session: Session, shop_id: int, now: dt.datetime) -> str:
    key, key_hash = new_token()
    session.add(ApiToken(token_hash=key_hash, role="shop", shop_id=shop_id, created_at=now))
    session.flush()
    return key


def rotate_shop_key(session: Session, *, shop_id: int, now: dt.datetime) -> str:
    """Revoke a shop's keys and issue a new one (shown once)."""
    get_shop(session, shop_id=shop_id)
    session.execute(
        update(ApiToken)
        .where(ApiToken.shop_id == shop_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return _issue_shop_key(session, shop_id, now)


def get_shop(session: Session, *, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"Shop {shop_id} not found.")
    return shop


def shops_query() -> Any:
    """Return the query of partner shops, in registration order."""
    return select(Shop).order_by(Shop.id)
