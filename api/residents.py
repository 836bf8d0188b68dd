"""Residents (利用者): coordinators only, since address and phone are sensitive."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from api import get_session
from api.auth import require
from api.schemas import ResidentCreate, ResidentOut, ResidentPage, ResidentQuery
from matching import directory, services
from matching.models import Resident

blp = Blueprint("residents", __name__, description="Residents who receive help")

#: How an address becomes a point; the rule the schema cannot hold.
ADDRESS_RULES = (
    "Without lat and lon, the address's 町丁目 in the 2024 list of Tokyo's 23 wards gives the"
    " point, and its 町名 the zone unless zone is given. Checked beyond the schema: such an"
    " address names exactly one 町丁目, else 422 whose errors say in Japanese which part"
    " failed (address), with the part's code (address_part: address, postcode, prefecture, ward,"
    " town or chome) and, when it narrowed to a few, the 町丁目 to pick from"
    " (address_candidates). With lat and lon (both or neither) and no zone, the point must lie"
    " in the 23 wards (its nearest 町丁目 gives the zone)."
)


@blp.route("/residents", methods=["POST"])
@require("coordinator")
@blp.arguments(ResidentCreate)
@blp.response(201, ResidentOut)
@blp.doc(description=ADDRESS_RULES)
def create_resident(data: dict[str, Any]) -> Resident:
    """Register a resident (the SC enters them, often from a phone call)."""
    return services.create_resident(get_session(), ward=current_app.config.get("WARD"), **data)


@blp.route("/residents")
@require("coordinator")
@blp.arguments(ResidentQuery, location="query")
@blp.response(200, ResidentPage)
def list_residents(query: dict[str, Any]) -> dict[str, Any]:
    """Find residents by a part of their name, phone or address, and zone; oldest first."""
    return directory.search_residents(get_session(), **query)


@blp.route("/residents/<int:resident_id>")
@require("coordinator")
@blp.response(200, ResidentOut)
def get_resident(resident_id: int) -> Resident:
    """Show one resident, address and phone included (coordinators only)."""
    return services.get_resident(get_session(), resident_id=resident_id)
