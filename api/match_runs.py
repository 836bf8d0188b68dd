"""Match runs: the optimal proposal of volunteers for the open requests in a scope."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from api import get_session
from api.auth import principal, require
from api.schemas import MatchRunCreate, MatchRunOut
from matching import dispatch
from matching.models import MatchRun

blp = Blueprint("match_runs", __name__, description="Match runs (optimal dispatch)")


@blp.route("/match-runs", methods=["POST"])
@require("coordinator")
@blp.arguments(MatchRunCreate, required=False)
@blp.response(201, MatchRunOut)
@blp.doc(
    description="Every field is optional, and so is the body: without one the run takes every"
    " open request. Checked beyond the schema: window_to is later than window_from."
)
def create_match_run(data: dict[str, Any]) -> MatchRun:
    """Propose volunteers for the open requests in zone and window (all when omitted)."""
    return dispatch.run_match(
        get_session(),
        created_by_id=principal().user_id,
        weights=current_app.config["MATCH_WEIGHTS"],
        **data,
    )


@blp.route("/match-runs/<int:match_run_id>")
@require("coordinator")
@blp.response(200, MatchRunOut)
def get_match_run(match_run_id: int) -> MatchRun:
    """Show a match run as it was computed, with its assignments' current status."""
    return dispatch.get_match_run(get_session(), match_run_id=match_run_id)
