"""Residents (利用者): coordinators only, since address and phone are sensitive."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api import get_session
from api.auth import require
from api.schemas import ResidentCreate, ResidentOut
from matching import services
from matching.models import Resident

blp = Blueprint("residents", __name__, description="Residents who receive help")


@blp.route("/residents", methods=["POST"])
@require("coordinator")
@blp.arguments(ResidentCreate)
@blp.response(201, ResidentOut)
def create_resident(data: dict[str, Any]) -> Resident:
    """Register a resident (the SC enters them, often from a phone call)."""
    return services.create_resident(get_session(), **data)


@blp.route("/residents/<int:resident_id>")
@require("coordinator")
@blp.response(200, ResidentOut)
def get_resident(resident_id: int) -> Resident:
    """Show one resident, address and phone included (coordinators only)."""
    return services.get_resident(get_session(), resident_id=resident_id)
