"""Task categories (ゴミ出し, 買い物, 電球交換 …): anyone lists them; the ward's admin adds and
changes them (matching.categories, the same service as the settings screen)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api import get_session
from api.auth import require
from api.schemas import CategoryCreate, CategoryList, CategoryPatch, CategorySchema
from matching import categories, services
from matching.models import Category

blp = Blueprint("categories", __name__, description="Task categories")

_RULES = (
    " Checked beyond the schema: every code in required_skills must be a known skill (422,"
    " 'Unknown skill …; known: …'), a skill is not listed twice in new_skills (422, '…: listed"
    " twice.'), and label_ja must not be only spaces (422). A code or label_ja another category"
    " has, or a new skill whose code exists, is 409."
)


@blp.route("/categories")
@blp.doc(security=[])
@blp.response(200, CategoryList)
def list_categories() -> dict[str, Any]:
    """List the task categories with their skills, duration, points and trial_ok."""
    return {"items": services.list_categories(get_session())}


@blp.route("/categories", methods=["POST"])
@require("admin")
@blp.arguments(CategoryCreate)
@blp.response(201, CategorySchema)
@blp.doc(description="Add a task category (the ward's admin)." + _RULES)
def create_category(data: dict[str, Any]) -> Category:
    """Add a task category, e.g. 見守り for 30 minutes."""
    return categories.create_category(get_session(), **data)


@blp.route("/categories/<string:code>", methods=["PATCH"])
@require("admin")
@blp.arguments(CategoryPatch, required=False)
@blp.response(200, CategorySchema)
@blp.doc(
    description="Send only what changes; no body changes nothing. A new code is refused (409)"
    " once a help request uses the category. Points apply from the next completed task." + _RULES
)
def patch_category(changes: dict[str, Any], code: str) -> Category:
    """Change a task category (the ward's admin)."""
    return categories.update_category(get_session(), code=code, changes=changes)


@blp.route("/categories/<string:code>", methods=["DELETE"])
@require("admin")
@blp.response(204)
@blp.doc(
    description="Only a category no help request ever used can be removed (409 otherwise: it"
    " is kept for its requests' history; set trial_ok to false instead)."
)
def delete_category(code: str) -> None:
    """Remove a task category added by mistake (the ward's admin)."""
    categories.delete_category(get_session(), code=code)
