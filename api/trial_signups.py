"""おためしボランティア: the public, rate-limited signup form's endpoint."""

from __future__ import annotations

from typing import Any

from flask import current_app
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
    " wards, written as either list writes it: 太子堂4丁目 or 太子堂四丁目, with or without its"
    " ward; without one, the ward the service is set up for), or an address as a person says it"
    " (its 町丁目 is found as for POST /residents); a point must lie in the 23 wards. Checked"
    " beyond the schema: the chome or address names one known 町丁目 (else 422 whose errors"
    " name the part that failed, in Japanese, with its code in chome_part or address_part and"
    " any candidates in chome_candidates or address_candidates), the point is in the wards,"
    " each availability slot's end is later than its start, and interests are codes of"
    " GET /categories."
)
def sign_up(data: dict[str, Any]) -> dict[str, Any]:
    """Sign up to try volunteering once (status trial); anyone may, a few times a minute."""
    place = places.place_of(
        address=data.pop("address", None),
        area=data.pop("chome", None),
        lat=data.pop("lat", None),
        lon=data.pop("lon", None),
        ward=current_app.config.get("WARD"),
        area_field="chome",
    )
    volunteer, token = services.signup_trial(
        get_session(), zone=place.zone, lat=place.lat, lon=place.lon, **data
    )
    return {
        "volunteer_id": volunteer.id,
        "status": volunteer.status,
        "zone": volunteer.zone,
        "skills": volunteer.skill_codes,
        "token": token,
    }
