"""Assignments: proposed -> accepted -> completed, or declined / cancelled / no-show."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from flask_smorest import Blueprint, abort

from api import get_session
from api.auth import principal, require
from api.pages import page_of
from api.schemas import AssignmentQuery, TaskOut, TaskPage
from db import utcnow
from matching import dispatch
from matching.models import Assignment

blp = Blueprint("assignments", __name__, description="Assignments and their lifecycle")

#: How long after the window a volunteer with an accepted task still sees the address and phone.
VOLUNTEER_SEES_RESIDENT_AFTER = dt.timedelta(hours=2)


class _Task:
    """An assignment with the resident's details only for those allowed to see them now."""

    def __init__(self, assignment: Assignment, *, staff: bool) -> None:
        self._a = assignment
        resident = assignment.help_request.resident
        self.resident: Any = None
        if staff:
            self.resident = resident
        elif assignment.status == "accepted" and utcnow() <= (
            assignment.help_request.window_end + VOLUNTEER_SEES_RESIDENT_AFTER
        ):
            # the volunteer needs to find and call the resident, not read the SC's notes
            self.resident = SimpleNamespace(
                name=resident.name, address=resident.address, phone=resident.phone, notes=None
            )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._a, name)


def _own_volunteer_id() -> int | None:
    """None for staff (acting on anyone's behalf); the volunteer's id for a volunteer."""
    who = principal()
    return None if who.is_staff else who.volunteer_id


def _task(assignment: Assignment) -> _Task:
    return _Task(assignment, staff=principal().is_staff)


@blp.route("/assignments")
@require("coordinator", "volunteer")
@blp.arguments(AssignmentQuery, location="query")
@blp.response(200, TaskPage)
def list_assignments(query: dict[str, Any]) -> dict[str, Any]:
    """List assignments: a volunteer sees their own; staff filter by volunteer and status."""
    own = _own_volunteer_id()
    volunteer_id = own if own is not None else query.get("volunteer_id")
    stmt = dispatch.assignment_query(volunteer_id=volunteer_id, status=query.get("status"))
    page = page_of(get_session(), stmt, page=query["page"], page_size=query["page_size"])
    page["items"] = [_task(a) for a in page["items"]]
    return page


@blp.route("/assignments/<int:assignment_id>")
@require("coordinator", "volunteer")
@blp.response(200, TaskOut)
def get_assignment(assignment_id: int) -> _Task:
    """Show one assignment (the volunteer sees the resident's address once they accepted)."""
    assignment = dispatch.get_assignment(get_session(), assignment_id=assignment_id)
    own = _own_volunteer_id()
    if own is not None and assignment.volunteer_id != own:
        abort(404, message=f"Assignment {assignment_id} not found.")
    return _task(assignment)


@blp.route("/assignments/<int:assignment_id>/accept", methods=["POST"])
@require("coordinator", "volunteer")
@blp.response(200, TaskOut)
def accept(assignment_id: int) -> _Task:
    """Accept a proposal (that volunteer, or the SC after a phone call)."""
    return _task(
        dispatch.accept(
            get_session(), assignment_id=assignment_id, volunteer_id=_own_volunteer_id()
        )
    )


@blp.route("/assignments/<int:assignment_id>/decline", methods=["POST"])
@require("coordinator", "volunteer")
@blp.response(200, TaskOut)
def decline(assignment_id: int) -> _Task:
    """Decline: the request reopens and this volunteer is never proposed for it again."""
    return _task(
        dispatch.decline(
            get_session(), assignment_id=assignment_id, volunteer_id=_own_volunteer_id()
        )
    )


@blp.route("/assignments/<int:assignment_id>/complete", methods=["POST"])
@require("coordinator")
@blp.response(200, TaskOut)
def complete(assignment_id: int) -> _Task:
    """Confirm the task was done; credits points exactly once, whatever retries come."""
    return _task(dispatch.complete(get_session(), assignment_id=assignment_id))


@blp.route("/assignments/<int:assignment_id>/no-show", methods=["POST"])
@require("coordinator")
@blp.response(200, TaskOut)
def no_show(assignment_id: int) -> _Task:
    """Record that an accepted task did not happen; the request reopens."""
    return _task(dispatch.mark_no_show(get_session(), assignment_id=assignment_id))


@blp.route("/assignments/<int:assignment_id>/cancel", methods=["POST"])
@require("coordinator")
@blp.response(200, TaskOut)
def cancel(assignment_id: int) -> _Task:
    """Withdraw a proposal or an accepted task (the SC's decision); the request reopens."""
    return _task(dispatch.withdraw(get_session(), assignment_id=assignment_id))
