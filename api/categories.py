"""Task categories (ゴミ出し, 買い物, 電球交換 …)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api import get_session
from api.schemas import CategoryList
from matching import services

blp = Blueprint("categories", __name__, description="Task categories")


@blp.route("/categories")
@blp.doc(security=[])
@blp.response(200, CategoryList)
def list_categories() -> dict[str, Any]:
    """List the task categories with their skills, duration, points and trial_ok."""
    return {"items": services.list_categories(get_session())}
