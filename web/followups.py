"""おためしのフォロー: the SC's list of trial volunteers who finished their first task — who,
what they did and when — with a button that registers them (trial -> active) through the
same service as ``POST /api/v1/volunteers/{id}/activate``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from db import Conflict
from matching import followups
from web import dispatch_text
from web.auth import current_staff, staff_required
from web.database import get_session

blp = Blueprint("followups", __name__)


@blp.get("/followups")
@staff_required("coordinator")
def index() -> Any:
    """The open follow-ups, oldest first."""
    items = [
        {
            "volunteer": f.volunteer,
            "what": f.assignment.help_request.category.label_ja,
            "when": dispatch_text.window(
                f.assignment.help_request.window_start, f.assignment.help_request.window_end
            ),
            "done": dispatch_text.when(f.assignment.completed_at or f.created_at),
        }
        for f in followups.open_followups(get_session())
    ]
    return render_template("followups_list.html", items=items)


@blp.post("/followups/<int:volunteer_id>/activate")
@staff_required("coordinator")
def activate(volunteer_id: int) -> Any:
    """Register them; a second press (or another SC's) says so instead of failing."""
    staff = current_staff()
    session = get_session()
    try:
        volunteer = followups.activate(
            session, volunteer_id=volunteer_id, by_user_id=staff.id if staff else None
        )
    except Conflict:
        flash("この方はすでに登録ボランティアです。", "info")
    else:
        flash(f"{volunteer.name} さんを登録ボランティアにしました。", "success")
    return redirect(url_for("web.followups.index"), code=303)
