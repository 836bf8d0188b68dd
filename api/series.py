"""Request series: recurring requests whose occurrences are generated as help requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api import get_session
from api.auth import current_principal, require
from api.schemas import MAX_ID, YEARS, ClockTime, LocalDateTime, Whole
from matching import series as series_service
from matching.models import SERIES_HOLIDAY_RULES, SERIES_PATTERNS, RequestSeries

blp = Blueprint("series", __name__, description="Request series (recurring requests)")

#: A date of the years the server takes (2000 to 2100), as the schema can say it
DATE_PATTERN = r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"


def _date(**kwargs: Any) -> fields.Date:
    return fields.Date(
        validate=validate.Range(dt.date(YEARS[0], 1, 1), dt.date(YEARS[1], 12, 31)),
        metadata={"pattern": DATE_PATTERN},
        **kwargs,
    )


def _holidays() -> fields.String:
    return fields.String(
        allow_none=True,
        validate=validate.OneOf(SERIES_HOLIDAY_RULES),
        metadata={"description": "skip or keep public holidays and 12/29–1/3; null: the ward's"},
    )


def _weekdays(required: bool) -> fields.List:
    return fields.List(
        Whole(validate=validate.Range(0, 6, error="weekday is 0 (Monday) to 6 (Sunday).")),
        required=required,
        validate=validate.Length(min=1, max=7),
        metadata={"description": "0 = Monday … 6 = Sunday"},
    )


class _Window:
    @validates_schema
    def _window(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("window_start_min"), data.get("window_end_min")
        if start is not None and end is not None and end <= start:
            raise ValidationError("window_end must be later than window_start.", "window_end")
        first, last = data.get("start_date"), data.get("end_date")
        if first is not None and last is not None and last < first:
            raise ValidationError("end_date is on or after start_date.", "end_date")


class SeriesCreate(_Window, Schema):
    resident_id = Whole(required=True, validate=validate.Range(min=1, max=MAX_ID))
    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    weekdays = _weekdays(required=True)
    pattern = fields.String(
        load_default="weekly",
        validate=validate.OneOf(SERIES_PATTERNS),
        metadata={
            "description": "weekly; biweekly (every other week from start_date's week);"
            " second_fourth (the 2nd and 4th such weekday of the month)"
        },
    )
    window_start = ClockTime(required=True, attribute="window_start_min")
    window_end = ClockTime(required=True, attribute="window_end_min")
    start_date = _date(required=True)
    end_date = _date(allow_none=True)
    holidays = _holidays()
    notes = fields.String(allow_none=True, validate=validate.Length(max=1000))


class SeriesPatch(_Window, Schema):
    weekdays = _weekdays(required=False)
    pattern = fields.String(validate=validate.OneOf(SERIES_PATTERNS))
    window_start = ClockTime(attribute="window_start_min")
    window_end = ClockTime(attribute="window_end_min")
    end_date = _date(allow_none=True)
    holidays = _holidays()
    notes = fields.String(allow_none=True, validate=validate.Length(max=1000))


class StandingIn(Schema):
    volunteer_id = Whole(
        required=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "the volunteer who takes the series; null: nobody"},
    )


class OccurrenceOut(Schema):
    id = fields.Integer()
    occurrence_date = fields.Date()
    window_start = LocalDateTime()
    window_end = LocalDateTime()
    status = fields.String()


class SeriesOut(Schema):
    id = fields.Integer()
    resident_id = fields.Integer()
    category = fields.String(attribute="category.code")
    weekdays = fields.List(fields.Integer())
    pattern = fields.String()
    window_start = ClockTime(attribute="window_start_min")
    window_end = ClockTime(attribute="window_end_min")
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    status = fields.String()
    holidays = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    standing_volunteer_id = fields.Integer(allow_none=True)
    created_at = LocalDateTime()
    occurrences = fields.List(fields.Nested(OccurrenceOut))


RULES = (
    "Occurrences are help requests made by `flask --app wsgi series generate` (cron) some weeks"
    " ahead. Checked beyond the schema (422, naming the field): window_end is later than"
    " window_start and the window at least the category's duration; end_date is on or after"
    " start_date; category is a code of GET /categories; resident_id is an existing resident."
)


@blp.route("/series", methods=["POST"])
@require("coordinator")
@blp.arguments(SeriesCreate)
@blp.response(201, SeriesOut)
@blp.doc(description=RULES)
def create_series(data: dict[str, Any]) -> RequestSeries:
    """Create a recurring request (status active)."""
    principal = current_principal()
    series = series_service.create_series(
        get_session(), created_by_id=principal.user_id if principal else None, **data
    )
    return series


@blp.route("/series/<int:series_id>")
@require("coordinator")
@blp.response(200, SeriesOut)
def get_series(series_id: int) -> RequestSeries:
    """Show a series with its occurrences so far."""
    return series_service.get_series(get_session(), series_id=series_id)


@blp.route("/series/<int:series_id>", methods=["PATCH"])
@require("coordinator")
@blp.arguments(SeriesPatch, required=False)
@blp.response(200, SeriesOut)
@blp.doc(
    description="Changes the rule from now on: occurrences not yet begun and not accepted are"
    " withdrawn, and the next generate makes them by the new rule; 409 if ended. Checked with"
    " the fields not given (422, naming the field): window_end is later than window_start and"
    " the window at least the category's duration; end_date is on or after start_date."
)
def edit_series(data: dict[str, Any], series_id: int) -> RequestSeries:
    """Change a series for its future occurrences only."""
    return series_service.edit_series(get_session(), series_id=series_id, changes=data or {})


@blp.route("/series/<int:series_id>/pause", methods=["POST"])
@require("coordinator")
@blp.response(200, SeriesOut)
@blp.doc(description="409 unless active. Future occurrences not accepted are withdrawn.")
def pause_series(series_id: int) -> RequestSeries:
    """Pause a series (a stay in hospital): no more occurrences until resumed."""
    return series_service.pause_series(get_session(), series_id=series_id)


@blp.route("/series/<int:series_id>/resume", methods=["POST"])
@require("coordinator")
@blp.response(200, SeriesOut)
@blp.doc(description="409 unless paused.")
def resume_series(series_id: int) -> RequestSeries:
    """Resume a paused series; the next generate makes its occurrences again."""
    return series_service.resume_series(get_session(), series_id=series_id)


@blp.route("/series/<int:series_id>/end", methods=["POST"])
@require("coordinator")
@blp.response(200, SeriesOut)
@blp.doc(description="409 if ended already. Future occurrences not accepted are withdrawn.")
def end_series(series_id: int) -> RequestSeries:
    """End a series for good; past occurrences stay as they were."""
    return series_service.end_series(get_session(), series_id=series_id)


@blp.route("/series/<int:series_id>/standing", methods=["POST"])
@require("coordinator")
@blp.arguments(StandingIn)
@blp.response(200, SeriesOut)
@blp.doc(
    description="Its open occurrences not yet begun and new ones come to this volunteer,"
    " accepted, unless they already hold a task at that time or blocked that day. Null or"
    " another volunteer: the previous one's accepted occurrences"
    " not yet begun reopen for matching. 422 (json.volunteer_id) if no such active volunteer."
)
def set_standing(data: dict[str, Any], series_id: int) -> RequestSeries:
    """Give a whole series to one volunteer (standing assignment), or take it back."""
    return series_service.set_standing(
        get_session(), series_id=series_id, volunteer_id=data["volunteer_id"]
    )
