"""Partner shops (協力店): registration, voucher redemption and the monthly settlement."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, current_app
from flask_smorest import Blueprint

from api import get_session
from api.auth import principal, require
from api.pages import page_of
from api.points import actor
from api.schemas import (
    PageQuery,
    RedemptionCreate,
    RedemptionOut,
    SettlementCsvQuery,
    SettlementPage,
    SettlementQuery,
    ShopCreate,
    ShopCreated,
    ShopKeyOut,
    ShopPage,
    WithToken,
)
from db import utcnow
from points import redemption, rules, settlement
from points import shops as partner_shops
from points.models import Redemption

blp = Blueprint("shops", __name__, description="Partner shops, redemptions and settlement")


class _Created(WithToken):
    @property
    def api_key(self) -> str:
        return self.token


@blp.route("/shops", methods=["POST"])
@require("admin")
@blp.arguments(ShopCreate)
@blp.response(201, ShopCreated)
def create_shop(data: dict[str, Any]) -> _Created:
    """Register a partner shop; its terminal's API key is in the response, once."""
    shop, key = partner_shops.create_shop(get_session(), **data, now=utcnow())
    return _Created(shop, key)


@blp.route("/shops")
@require("admin")
@blp.arguments(PageQuery, location="query")
@blp.response(200, ShopPage)
def list_shops(query: dict[str, Any]) -> dict[str, Any]:
    """List the partner shops."""
    return page_of(
        get_session(), partner_shops.shops_query(), page=query["page"], page_size=query["page_size"]
    )


@blp.route("/shops/<int:shop_id>/api-key", methods=["POST"])
@require("admin")
@blp.response(201, ShopKeyOut)
def rotate_shop_key(shop_id: int) -> dict[str, Any]:
    """Issue a new API key for a shop (lost or leaked terminal); its old keys stop working."""
    key = partner_shops.rotate_shop_key(get_session(), shop_id=shop_id, now=utcnow())
    return {"shop_id": shop_id, "api_key": key}


@blp.route("/redemptions", methods=["POST"])
@require("shop")
@blp.arguments(RedemptionCreate)
@blp.response(201, RedemptionOut)
@blp.doc(
    description="Checked beyond the schema: the code is 16 symbols of Crockford Base32 whose"
    " last is a check symbol; a code that cannot be one (a typo) is 422, a well-formed code no"
    " voucher has is 404, one already redeemed or expired is 409."
)
def redeem(data: dict[str, Any]) -> Redemption:
    """Redeem a voucher at the calling shop (the shop comes from its API key, never the body)."""
    who = principal()
    assert who.shop_id is not None  # noqa: S101 - ck_api_tokens_owner_matches_role
    return redemption.redeem(
        get_session(),
        shop_id=who.shop_id,
        code=data["code"],
        secret=current_app.config["SECRET_KEY"],
        now=utcnow(),
        created_by=actor(),
    )


def _scope(shop_id: int | None) -> int | None:
    who = principal()
    return who.shop_id if who.role == "shop" else shop_id


@blp.route("/redemptions")
@require("shop", "admin")
@blp.arguments(SettlementQuery, location="query")
@blp.response(200, SettlementPage)
def list_redemptions(query: dict[str, Any]) -> dict[str, Any]:
    """A month's redemptions and totals: a shop sees its own, an admin every shop's."""
    session = get_session()
    month = query.get("month") or rules.month_of(utcnow())
    shop_id = _scope(query.get("shop_id"))
    page = page_of(
        session,
        settlement.redemptions_query(month=month, shop_id=shop_id),
        page=query["page"],
        page_size=query["page_size"],
    )
    shops = settlement.settlement(session, month=month, shop_id=shop_id)
    return {
        **page,
        "month": month,
        "count": sum(s.count for s in shops),
        "total_points": sum(s.points for s in shops),
        "total_yen": sum(s.total_yen for s in shops),
        "shops": shops,
    }


def _cell(text: str) -> str:
    """Keep Excel from running a shop's name or address as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@blp.route("/redemptions.csv")
@require("admin")
@blp.arguments(SettlementCsvQuery, location="query")
@blp.doc(
    responses={
        "200": {
            "description": "the month's settlement per shop, UTF-8 with BOM (opens in Excel)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
)
def settlement_csv(query: dict[str, Any]) -> Response:
    """Download a month's settlement per shop as CSV for the ward's accounting."""
    month = query["month"]
    shops = settlement.settlement(get_session(), month=month, shop_id=query.get("shop_id"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["精算月", "協力店ID", "協力店名", "住所", "件数", "ポイント", "金額(円)"])
    for s in shops:
        writer.writerow(
            [month, s.shop_id, _cell(s.name), _cell(s.address), s.count, s.points, s.total_yen]
        )
    writer.writerow(
        [
            month,
            "",
            "合計",
            "",
            sum(s.count for s in shops),
            sum(s.points for s in shops),
            sum(s.total_yen for s in shops),
        ]
    )
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="settlement-{month}.csv"'},
    )
