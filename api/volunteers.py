"""Volunteers (担い手): registered by an SC; each sees and edits only their own profile."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint, abort

from api import get_session
from api.auth import ensure_staff_or_volunteer, principal, require
from api.residents import ADDRESS_RULES
from api.schemas import (
    VOLUNTEER_SELF_FIELDS,
    DateBlockIn,
    DateBlockOut,
    DateBlockQuery,
    VolunteerCreate,
    VolunteerCreated,
    VolunteerOut,
    VolunteerPage,
    VolunteerPatch,
    VolunteerProfile,
    VolunteerQuery,
    WithNoShows,
    WithToken,
)
from matching import blocks, directory, followups, services
from matching.models import Volunteer, VolunteerDateBlock

blp = Blueprint("volunteers", __name__, description="Volunteers")


#: Rules the schema cannot hold, stated in the operations' descriptions.
SLOT_AND_SKILL_RULES = (
    "Checked beyond the schema: each availability slot's end is later than its start, and"
    " skills are codes the ward keeps in its database (see the categories' required_skills;"
    " an unknown code is 422)."
)


@blp.route("/volunteers", methods=["POST"])
@require("coordinator")
@blp.arguments(VolunteerCreate)
@blp.response(201, VolunteerCreated)
@blp.doc(description=f"{ADDRESS_RULES} {SLOT_AND_SKILL_RULES}")
def create_volunteer(data: dict[str, Any]) -> WithToken:
    """Register a volunteer (status active); their token is in the response, once."""
    volunteer, token = services.create_volunteer(
        get_session(), ward=current_app.config.get("WARD"), **data
    )
    return WithToken(volunteer, token)


@blp.route("/volunteers")
@require("coordinator")
@blp.arguments(VolunteerQuery, location="query")
@blp.response(200, VolunteerPage)
def list_volunteers(query: dict[str, Any]) -> dict[str, Any]:
    """Find volunteers by a part of their name or contact, zone, status and skill; oldest first."""
    return directory.search_volunteers(get_session(), **query)


@blp.route("/volunteers/<int:volunteer_id>")
@require("coordinator", "volunteer")
@blp.response(200, VolunteerProfile)
def get_volunteer(volunteer_id: int) -> WithNoShows:
    """Show a volunteer's profile (staff, or that volunteer), with their no-show count."""
    ensure_staff_or_volunteer(volunteer_id)
    session = get_session()
    volunteer = services.get_volunteer(session, volunteer_id=volunteer_id)
    return WithNoShows(volunteer, blocks.no_show_count(session, volunteer_id=volunteer_id))


@blp.route("/volunteers/<int:volunteer_id>", methods=["PATCH"])
@require("coordinator", "volunteer")
@blp.arguments(VolunteerPatch, required=False)
@blp.response(200, VolunteerOut)
@blp.doc(
    description="Send only the fields to change; no body changes nothing. A volunteer may send"
    " only availability, skills and max_distance_m (403 otherwise). lat and lon change together."
    f" {SLOT_AND_SKILL_RULES} status never goes back to trial (409)."
)
def patch_volunteer(changes: dict[str, Any], volunteer_id: int) -> Volunteer:
    """Change a profile: a volunteer their availability, skills and distance; staff any field."""
    who = ensure_staff_or_volunteer(volunteer_id)
    if not who.is_staff:
        others = sorted(set(changes) - VOLUNTEER_SELF_FIELDS)
        if others:
            abort(
                403,
                message="A volunteer may change only availability, skills and max_distance_m.",
                errors={"json": {name: ["Only a coordinator may change this."] for name in others}},
            )
    return services.update_volunteer(get_session(), volunteer_id=volunteer_id, changes=changes)


@blp.route("/volunteers/<int:volunteer_id>/activate", methods=["POST"])
@require("coordinator")
@blp.response(200, VolunteerOut)
@blp.doc(
    description="An おためし volunteer becomes registered (status active): registered_at and"
    " registered_by_id record when and by whom, and their follow-up item is closed. 409 when"
    " they are not on trial (a second activation included)."
)
def activate_volunteer(volunteer_id: int) -> Volunteer:
    """Register an おためし volunteer (trial -> active)."""
    return followups.activate(
        get_session(), volunteer_id=volunteer_id, by_user_id=principal().user_id
    )


@blp.route("/volunteers/<int:volunteer_id>/blocks")
@require("coordinator", "volunteer")
@blp.arguments(DateBlockQuery, location="query")
@blp.response(200, DateBlockOut(many=True))
def list_blocks(query: dict[str, Any], volunteer_id: int) -> list[VolunteerDateBlock]:
    """List the days a volunteer cannot help, earliest first (staff, or that volunteer)."""
    ensure_staff_or_volunteer(volunteer_id)
    return blocks.list_blocks(get_session(), volunteer_id=volunteer_id, **query)


@blp.route("/volunteers/<int:volunteer_id>/blocks", methods=["POST"])
@require("coordinator", "volunteer")
@blp.arguments(DateBlockIn)
@blp.response(201, DateBlockOut)
@blp.doc(
    description="Local dates (Asia/Tokyo), first to last day inclusive (422 if the last comes"
    " before the first or the block is longer than a year). Blocks may overlap. No match run"
    " proposes the volunteer for a request whose window touches a blocked day."
)
def add_block(data: dict[str, Any], volunteer_id: int) -> VolunteerDateBlock:
    """Block days a volunteer cannot help (travel, hospital): staff, or that volunteer."""
    ensure_staff_or_volunteer(volunteer_id)
    return blocks.add_block(get_session(), volunteer_id=volunteer_id, **data)


@blp.route("/volunteers/<int:volunteer_id>/blocks/<int:block_id>", methods=["DELETE"])
@require("coordinator", "volunteer")
@blp.response(204)
def remove_block(volunteer_id: int, block_id: int) -> None:
    """Remove a block: the volunteer can be proposed on those days again."""
    ensure_staff_or_volunteer(volunteer_id)
    blocks.remove_block(get_session(), volunteer_id=volunteer_id, block_id=block_id)
