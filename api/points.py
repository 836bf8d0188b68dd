"""地域貢献ポイント: balances, history, voucher exchange, the ward's rules and corrections."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from api import get_session
from api.auth import ensure_staff_or_volunteer, principal, require
from api.schemas import (
    IdempotencyHeader,
    PointRulesOut,
    PointRulesPatch,
    PointsOut,
    PointsQuery,
    TransferOut,
    TransferReverse,
    VoucherCreate,
    VoucherOut,
)
from db import utcnow
from points import balances, credits, point_rules, vouchers
from points.models import Transfer
from points.rules import Rules

blp = Blueprint("points", __name__, description="地域貢献ポイント and vouchers")


def actor() -> str:
    """Name the caller for the ledger's created_by: "coordinator:3", "volunteer:12" ..."""
    who = principal()
    return f"{who.role}:{who.user_id or who.volunteer_id or who.shop_id}"


@blp.route("/volunteers/<int:volunteer_id>/points")
@require("coordinator", "volunteer")
@blp.arguments(PointsQuery, location="query")
@blp.response(200, PointsOut)
def get_points(query: dict[str, Any], volunteer_id: int) -> dict[str, Any]:
    """Show a volunteer's balance, what they may exchange now, and their history (newest first)."""
    ensure_staff_or_volunteer(volunteer_id)
    session = get_session()
    now = utcnow()
    summary = balances.summary(session, volunteer_id=volunteer_id, now=now)
    page = balances.history(
        session, volunteer_id=volunteer_id, page=query["page"], page_size=query["page_size"]
    )
    entries = page.pop("items")
    return {**vars(summary), **page, "entries": entries}


@blp.route("/volunteers/<int:volunteer_id>/vouchers", methods=["POST"])
@require("coordinator", "volunteer")
@blp.arguments(IdempotencyHeader, location="headers")
@blp.arguments(VoucherCreate)
@blp.response(201, VoucherOut)
@blp.doc(
    description="points is a positive multiple of the ward's voucher_unit (GET /point-rules;"
    " 500 by default). The ward may change the unit at any time, so the schema cannot fix it"
    " as multipleOf; another amount is 422."
    " A retry with the same Idempotency-Key and body returns the same voucher"
    " (201 again, with the header Idempotent-Replayed: true) and writes nothing; the same key"
    " with another body is 409."
)
def exchange(headers: dict[str, Any], body: dict[str, Any], volunteer_id: int) -> Any:
    """Exchange points for a 地域商品券 (that volunteer, or staff on their behalf)."""
    ensure_staff_or_volunteer(volunteer_id)
    issued = vouchers.exchange(
        get_session(),
        volunteer_id=volunteer_id,
        points=body["points"],
        idempotency_key=headers["idempotency_key"],
        secret=current_app.config["SECRET_KEY"],
        now=utcnow(),
        created_by=actor(),
    )
    replayed = "true" if issued.replayed else "false"
    return issued, 201, {"Idempotent-Replayed": replayed, "Cache-Control": "no-store"}


@blp.route("/point-rules")
@blp.doc(security=[])
@blp.response(200, PointRulesOut)
def get_point_rules() -> Rules:
    """Show the ward's point rules (anyone: the signup form explains them)."""
    return point_rules.get_rules(get_session())


@blp.route("/point-rules", methods=["PATCH"])
@require("admin")
@blp.arguments(PointRulesPatch, required=False)
@blp.response(200, PointRulesOut)
@blp.doc(description="Send only the rules to change; no body changes nothing.")
def patch_point_rules(changes: dict[str, int]) -> Rules:
    """Change the ward's point rules; they apply from the next credit or exchange."""
    return point_rules.update_rules(
        get_session(), changes=changes, updated_by=actor(), now=utcnow()
    )


@blp.route("/transfers/<int:transfer_id>")
@require("admin")
@blp.response(200, TransferOut)
def get_transfer(transfer_id: int) -> Transfer:
    """Show one ledger transfer with its entries (ward staff with the admin role)."""
    return balances.get_transfer(get_session(), transfer_id=transfer_id)


@blp.route("/transfers/<int:transfer_id>/reverse", methods=["POST"])
@require("admin")
@blp.arguments(TransferReverse)
@blp.response(201, TransferOut)
def reverse_transfer(body: dict[str, Any], transfer_id: int) -> Transfer:
    """Correct a credit by a reversing transfer, with a reason (ledger rows never change)."""
    return credits.reverse(
        get_session(),
        transfer_id=transfer_id,
        reason=body["reason"],
        created_by=actor(),
        now=utcnow(),
    )
