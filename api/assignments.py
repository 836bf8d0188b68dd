"""Assignments: proposed -> accepted -> completed, or declined / cancelled / no-show."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from flask_smorest import Blueprint, abort

from api import get_session
from api.auth import principal, require
from api.pages import page_of
from api.schemas import (
    AlternativeOut,
    AlternativesQuery,
    AnswerIn,
    AssignmentQuery,
    OverrideIn,
    TaskOut,
    TaskPage,
)
from db import utcnow
from matching import alternatives, dispatch
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


def _answered(data: dict[str, Any]) -> dict[str, Any]:
    """Who answers and how: a volunteer in the app, or staff (by phone when they say so)."""
    own = _own_volunteer_id()
    if own is not None:
        if data.get("by_phone"):
            abort(403, message="Only staff record an answer by phone; answer for yourself.")
        return {"volunteer_id": own}
    return {"via": "phone" if data.get("by_phone") else None, "by_user_id": principal().user_id}


_ANSWER_DOC = (
    "The body is optional. A volunteer answers for themselves (recorded as through the app);"
    " staff answer on a volunteer's behalf, with by_phone true after a phone call."
)


@blp.route("/assignments/<int:assignment_id>/accept", methods=["POST"])
@require("coordinator", "volunteer")
@blp.arguments(AnswerIn, required=False)
@blp.response(200, TaskOut)
@blp.doc(description=_ANSWER_DOC)
def accept(data: dict[str, Any], assignment_id: int) -> _Task:
    """Accept a proposal (that volunteer, or the SC after a phone call)."""
    return _task(
        dispatch.accept(get_session(), assignment_id=assignment_id, **_answered(data or {}))
    )


@blp.route("/assignments/<int:assignment_id>/decline", methods=["POST"])
@require("coordinator", "volunteer")
@blp.arguments(AnswerIn, required=False)
@blp.response(200, TaskOut)
@blp.doc(description=_ANSWER_DOC)
def decline(data: dict[str, Any], assignment_id: int) -> _Task:
    """Decline: the request reopens and this volunteer is never proposed for it again."""
    return _task(
        dispatch.decline(get_session(), assignment_id=assignment_id, **_answered(data or {}))
    )


@blp.route("/assignments/<int:assignment_id>/alternatives")
@require("coordinator")
@blp.arguments(AlternativesQuery, location="query")
@blp.response(200, AlternativeOut(many=True))
def list_alternatives(query: dict[str, Any], assignment_id: int) -> list[dict[str, Any]]:
    """Other feasible volunteers for this assignment's request, cheapest first (solver's cost)."""
    found = alternatives.alternatives(
        get_session(), assignment_id=assignment_id, limit=query["limit"]
    )
    return [
        {
            "volunteer_id": volunteer.id,
            "name": volunteer.name,
            "status": volunteer.status,
            "contact": volunteer.contact,
            "distance_m": choice.distance_m,
            "cost": choice.cost,
            "reasons": choice.reasons,
        }
        for choice, volunteer in found
    ]


@blp.route("/assignments/<int:assignment_id>/override", methods=["POST"])
@require("coordinator")
@blp.arguments(OverrideIn)
@blp.response(201, TaskOut)
@blp.doc(
    description="Withdraws the proposal and proposes the chosen volunteer for the same request"
    " in the same match run. Checked beyond the schema: the volunteer must be feasible (one of"
    " the alternatives), else 422; only a pending proposal is overridden, else 409."
)
def override(data: dict[str, Any], assignment_id: int) -> _Task:
    """Propose another feasible volunteer instead of this proposal's (the SC's choice)."""
    return _task(
        alternatives.override(
            get_session(),
            assignment_id=assignment_id,
            volunteer_id=data["volunteer_id"],
            by_user_id=principal().user_id,
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
