"""The first page a signed-in staff member sees: who they are, today's numbers, where to go."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import func, select

from matching.models import Assignment, HelpRequest, Volunteer
from web.auth import ROLE_NAMES, current_staff, staff_required
from web.database import get_session

blp = Blueprint("home", __name__)


@blp.get("/")
@staff_required()
def index() -> Any:
    session = get_session()

    def count(stmt: Any) -> int:
        return session.scalar(stmt) or 0

    numbers = {
        "open_requests": count(
            select(func.count()).select_from(HelpRequest).where(HelpRequest.status == "open")
        ),
        "proposed": count(
            select(func.count()).select_from(Assignment).where(Assignment.status == "proposed")
        ),
        "volunteers": count(
            select(func.count()).select_from(Volunteer).where(Volunteer.status == "active")
        ),
        "trial": count(
            select(func.count()).select_from(Volunteer).where(Volunteer.status == "trial")
        ),
    }
    staff = current_staff()
    if staff is None:  # pragma: no cover - staff_required let only staff in
        abort(401)
    config = current_app.config
    return render_template(
        "home.html",
        staff=staff,
        role_name=ROLE_NAMES[staff.role],
        numbers=numbers,
        api_docs=config["OPENAPI_SWAGGER_UI_PATH"],
        openapi_json=config["OPENAPI_URL_PREFIX"].rstrip("/") + "/" + config["OPENAPI_JSON_PATH"],
    )
