"""Help requests: what a resident needs, and when."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api import get_session
from api.auth import require
from api.pages import page_of
from api.schemas import HelpRequestCreate, HelpRequestOut, HelpRequestPage, HelpRequestQuery
from matching import flags, services
from matching.models import HelpRequest

blp = Blueprint("help_requests", __name__, description="Help requests")


@blp.route("/help-requests", methods=["POST"])
@require("coordinator")
@blp.arguments(HelpRequestCreate)
@blp.response(201, HelpRequestOut)
@blp.doc(
    description="Checked beyond the schema (422, naming the field): window_end is later than"
    " window_start, in the future, at most 14 days after window_start and at least the"
    " category's duration after it; category is a code of GET /categories (the ward keeps"
    " them in its database); resident_id is an existing resident."
)
def create_help_request(data: dict[str, Any]) -> HelpRequest:
    """Open a request for a resident in a time window (status open)."""
    return services.create_help_request(get_session(), **data)


@blp.route("/help-requests")
@require("coordinator")
@blp.arguments(HelpRequestQuery, location="query")
@blp.response(200, HelpRequestPage)
def list_help_requests(query: dict[str, Any]) -> dict[str, Any]:
    """List requests by status, zone and window (from/to), oldest window first."""
    stmt = services.help_request_query(
        status=query.get("status"),
        zone=query.get("zone"),
        window_from=query.get("from_"),
        window_to=query.get("to"),
        flagged=query.get("flagged"),
    )
    return page_of(get_session(), stmt, page=query["page"], page_size=query["page_size"])


@blp.route("/help-requests/<int:help_request_id>")
@require("coordinator")
@blp.response(200, HelpRequestOut)
def get_help_request(help_request_id: int) -> HelpRequest:
    """Show one help request."""
    return services.get_help_request(get_session(), help_request_id=help_request_id)


@blp.route("/help-requests/<int:help_request_id>/cancel", methods=["POST"])
@require("coordinator")
@blp.response(200, HelpRequestOut)
def cancel_help_request(help_request_id: int) -> HelpRequest:
    """Cancel an open or proposed request (a pending proposal is withdrawn)."""
    return services.cancel_help_request(get_session(), help_request_id=help_request_id)


@blp.route("/help-requests/<int:help_request_id>/acknowledge", methods=["POST"])
@require("coordinator")
@blp.response(200, HelpRequestOut)
def acknowledge_help_request(help_request_id: int) -> HelpRequest:
    """The SC has seen why a flagged request came back: clear its flag (idempotent; a queued
    re-dispatch still happens)."""
    return flags.clear_flag(get_session(), help_request_id=help_request_id)
