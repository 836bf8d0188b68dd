"""おためしボランティア: the public, rate-limited signup form's endpoint."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api import get_session
from api.schemas import TrialSignup, TrialSignupOut
from matching import places, services

blp = Blueprint("trial_signups", __name__, description="おためしボランティア signups")


@blp.route("/trial-signups", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(TrialSignup)
@blp.response(201, TrialSignupOut)
@blp.doc(
    description="Where the person lives: lat and lon together, or a chome (a 町丁目 of Tokyo's 23"
    " wards, such as 太子堂4丁目); a point must lie in the 23 wards. Checked beyond the schema:"
    " the chome is a known 町丁目, the point is in the wards, each availability slot's end is"
    " later than its start, and interests are codes of GET /categories."
)
def sign_up(data: dict[str, Any]) -> dict[str, Any]:
    """Sign up to try volunteering once (status trial); anyone may, a few times a minute."""
    chome_name = data.pop("chome", None)
    if "lat" not in data:
        chome = places.find_chome(chome_name)
        data["lat"], data["lon"] = chome.lat, chome.lon
    else:
        chome = places.nearest_chome(data["lat"], data["lon"])
    volunteer, token = services.signup_trial(
        get_session(), zone=places.zone_of_area(chome.area_name), **data
    )
    return {
        "volunteer_id": volunteer.id,
        "status": volunteer.status,
        "zone": volunteer.zone,
        "skills": volunteer.skill_codes,
        "token": token,
    }
