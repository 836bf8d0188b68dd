"""Marshmallow schemas, written by hand: what clients send and what they get back."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from matching.categories import CODE_PATTERN as CATEGORY_CODE_PATTERN
from matching.categories import DURATION_RANGE, POINTS_RANGE
from matching.models import ENDED_REASONS, MAX_TASKS_PER_DAY, REQUEST_FLAGS, REQUEST_STATUSES
from points.point_rules import RULE_RANGES

TOKYO = ZoneInfo("Asia/Tokyo")
#: Ids are PostgreSQL INTEGERs; a larger number is bad input (422), never an overflow (500).
MAX_ID = 2**31 - 1
#: Times outside these years are typing mistakes; refusing them also keeps datetime in range.
YEARS = (2000, 2100)
#: Patterns are written once for the server and the OpenAPI document, in the subset where
#: Python and ECMA-262 (JSON Schema) agree: [0-9], never \d (Python's matches any Unicode digit,
#: such as full-width ２), and always checked with re.fullmatch (Python's $ also matches before a
#: trailing newline). See FullMatch.
#: RFC 3339 with its offset, in the years YEARS; Python's fromisoformat alone takes more.
DATETIME_PATTERN = (
    r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
HHMM_PATTERN = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ()-]*$"
PRINTABLE_ASCII_PATTERN = r"^[\x21-\x7e]+$"
#: Text a database can hold: no NUL (refused, with 422, before any view reads the input).
STORABLE_TEXT_PATTERN = r"^[^\x00]*$"
_HHMM = re.compile(HHMM_PATTERN)
_DATETIME = re.compile(DATETIME_PATTERN)


def storable_text(
    converter: Any, field: fields.Field, ret: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """An apispec attribute function: a text field without a pattern of its own says that it
    takes no NUL, as api.errors refuses any input holding one (see create_app)."""
    if isinstance(field, fields.String) and "pattern" not in ret:
        return {"pattern": STORABLE_TEXT_PATTERN}
    return {}


class FullMatch(validate.Regexp):
    """validate.Regexp on the whole value: re.match stops early and lets "2026-11\\n" through."""

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class Whole(fields.Integer):
    """An integer as JSON Schema's "integer" has it: 8259 or 8259.0, never 8259.5, "8259" or true.

    marshmallow's strict Integer refused 8259.0, which the document (type integer) allows.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


def _with_pattern(pattern: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Show a field's pattern in the OpenAPI document (a custom field's own check)."""
    return {**kwargs, "metadata": {"pattern": pattern, **kwargs.get("metadata", {})}}


_LAST_OFFSET = dt.timezone(-dt.timedelta(hours=23, minutes=59))


class LocalDateTime(fields.AwareDateTime):
    """An RFC 3339 time that must carry its offset; written back in Asia/Tokyo."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_pattern(DATETIME_PATTERN, kwargs))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        if isinstance(value, str) and _DATETIME.fullmatch(value) is None:
            raise ValidationError(
                "Give a time as YYYY-MM-DDTHH:MM:SS with its offset (+09:00 or Z),"
                f" between the years {YEARS[0]} and {YEARS[1]}."
            )
        moment: dt.datetime = super()._deserialize(value, attr, data, **kwargs)
        if not YEARS[0] <= moment.year <= YEARS[1]:  # pragma: no cover - the pattern says so
            raise ValidationError(f"Give a time between the years {YEARS[0]} and {YEARS[1]}.")
        return moment

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        local = value.astimezone(TOKYO)
        if local.year > YEARS[1]:
            # accepted late on 31 December 2100 (in UTC or a western offset), it is already 2101
            # in Tokyo: written in the westernmost offset the pattern allows, it is still 2100
            local = value.astimezone(_LAST_OFFSET)
        return local.isoformat()


class ClockTime(fields.String):
    """A local "HH:MM" (00:00 to 24:00), held as minutes since midnight."""

    default_error_messages = {"invalid_time": 'Not a time of day: use "HH:MM" (00:00 to 24:00).'}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_pattern(HHMM_PATTERN, kwargs))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _HHMM.fullmatch(text) is None:
            raise self.make_error("invalid_time")
        return int(text[:2]) * 60 + int(text[3:])

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return f"{value // 60:02d}:{value % 60:02d}"


def _name() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=100))


def _lat(required: bool = True) -> fields.Float:
    return fields.Float(required=required, validate=validate.Range(-90, 90), allow_nan=False)


def _lon(required: bool = True) -> fields.Float:
    return fields.Float(required=required, validate=validate.Range(-180, 180), allow_nan=False)


def _birth_year(required: bool = True) -> fields.Integer:
    this_year = dt.date.today().year
    return Whole(
        required=required,
        validate=validate.Range(1900, this_year, error="Give a year between {min} and {max}."),
    )


def _codes(description: str) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        validate=validate.Length(max=20),
        metadata={"description": description},
    )


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class PageMeta(Schema):
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class CategorySchema(Schema):
    code = fields.String()
    label_ja = fields.String()
    required_skills = fields.List(fields.String())
    duration_min = fields.Integer()
    points = fields.Integer()
    trial_ok = fields.Boolean()


class CategoryList(Schema):
    items = fields.List(fields.Nested(CategorySchema))


class SlotSchema(Schema):
    """A weekly slot; end must be later than start (a rule across fields: not in the schema)."""

    weekday = Whole(
        required=True,
        validate=validate.Range(0, 6, error="weekday is 0 (Monday) to 6 (Sunday)."),
    )
    start = ClockTime(required=True, attribute="start_min")
    end = ClockTime(required=True, attribute="end_min")

    @validates_schema
    def _end_after_start(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "start_min" in data and "end_min" in data and data["end_min"] <= data["start_min"]:
            raise ValidationError("end must be later than start.", "end")


def _availability(required: bool = False) -> fields.List:
    return fields.List(
        fields.Nested(SlotSchema),
        required=required,
        # a signup must say when the person could help; a profile may have no slot (yet)
        validate=validate.Length(min=1 if required else 0, max=50),
        metadata={
            "description": "weekly slots, local time (Asia/Tokyo); each ends after it starts"
        },
    )


def _point_or_address(data: dict[str, Any]) -> None:
    if ("lat" in data) != ("lon" in data):
        raise ValidationError(
            "Give both lat and lon, or neither.", "lat" if "lon" in data else "lon"
        )


ADDRESS_DESCRIPTION = (
    "as the person says it: with or without 東京都 and the ward (without one, the ward the"
    " service is set up for), 四丁目, 4丁目 or 4-, full- or half-width, or a postcode; without"
    " lat/lon its 町丁目 (the 2024 list) gives the point and the zone"
)


class ResidentCreate(Schema):
    name = _name()
    address = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": ADDRESS_DESCRIPTION},
    )
    lat = _lat(required=False)
    lon = _lon(required=False)
    zone = fields.String(
        validate=validate.Length(min=1, max=60),
        metadata={"description": "default: the 町名 of the address's 町丁目 (or the point's)"},
    )
    phone = fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=30),
            FullMatch(PHONE_PATTERN, error="Digits, spaces, - and ( ) only."),
        ],
    )
    notes = fields.String(allow_none=True, validate=validate.Length(max=1000))

    @validates_schema
    def _where(self, data: dict[str, Any], **kwargs: Any) -> None:
        _point_or_address(data)


class ResidentOut(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    phone = fields.String(allow_none=True)
    lat = fields.Float()
    lon = fields.Float()
    zone = fields.String()
    notes = fields.String(allow_none=True)
    created_at = LocalDateTime()


def _search_word() -> fields.String:
    return fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "a part of a name, phone number or address (a volunteer's contact);"
            " full- or half-width, upper or lower case, hiragana or katakana alike"
        },
    )


class ResidentQuery(PageQuery):
    q = _search_word()
    zone = fields.String(validate=validate.Length(min=1, max=60))


class ResidentPage(PageMeta):
    items = fields.List(fields.Nested(ResidentOut))


class VolunteerCreate(Schema):
    name = _name()
    birth_year = _birth_year()
    address = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": f"instead of lat/lon (not stored): {ADDRESS_DESCRIPTION}"},
    )
    lat = _lat(required=False)
    lon = _lon(required=False)
    zone = fields.String(
        validate=validate.Length(min=1, max=60),
        metadata={"description": "default: the 町名 of the address's 町丁目 (or the point's)"},
    )
    max_distance_m = Whole(load_default=1000, validate=validate.Range(50, 10000))
    max_tasks_per_day = Whole(
        load_default=1,
        validate=validate.Range(1, MAX_TASKS_PER_DAY),
        metadata={
            "description": "how many tasks they take on one day, done one after another as a"
            " round (1-5, default 1); tasks already proposed, accepted or done that day count"
        },
    )
    skills = _codes("skill codes (see the categories' required_skills)")
    availability = _availability()
    contact = fields.String(allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _where(self, data: dict[str, Any], **kwargs: Any) -> None:
        _point_or_address(data)
        if "lat" not in data and "address" not in data:
            raise ValidationError("Give lat and lon, or an address.", "address")


class VolunteerPatch(Schema):
    """A volunteer may change availability, skills and max_distance_m; staff anything here."""

    name = fields.String(validate=validate.Length(min=1, max=100))
    birth_year = _birth_year(required=False)
    lat = _lat(required=False)
    lon = _lon(required=False)
    zone = fields.String(validate=validate.Length(min=1, max=60))
    max_distance_m = Whole(validate=validate.Range(50, 10000))
    max_tasks_per_day = Whole(
        validate=validate.Range(1, MAX_TASKS_PER_DAY),
        metadata={
            "description": "how many tasks they take on one day, done one after another as a"
            " round (1-5); tasks already proposed, accepted or done that day count"
        },
    )
    skills = _codes("skill codes")
    availability = _availability()
    contact = fields.String(allow_none=True, validate=validate.Length(max=200))
    status = fields.String(
        validate=validate.OneOf(["trial", "active", "inactive"]),
        metadata={"description": "staff only: trial -> active registers an おためし volunteer"},
    )

    @validates_schema
    def _lat_lon_together(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("Change lat and lon together.", "lat" if "lon" in data else "lon")


VOLUNTEER_SELF_FIELDS = frozenset({"availability", "skills", "max_distance_m", "max_tasks_per_day"})


class VolunteerOut(Schema):
    id = fields.Integer()
    name = fields.String()
    birth_year = fields.Integer()
    lat = fields.Float()
    lon = fields.Float()
    zone = fields.String(allow_none=True)
    max_distance_m = fields.Integer()
    max_tasks_per_day = fields.Integer()
    status = fields.String()
    skills = fields.List(fields.String(), attribute="skill_codes")
    availability = fields.List(fields.Nested(SlotSchema))
    contact = fields.String(allow_none=True)
    created_at = LocalDateTime()
    registered_at = LocalDateTime(allow_none=True)
    registered_by_id = fields.Integer(
        allow_none=True, metadata={"description": "the SC who converted them from trial"}
    )


class VolunteerQuery(PageQuery):
    q = _search_word()
    zone = fields.String(validate=validate.Length(min=1, max=60))
    status = fields.String(validate=validate.OneOf(["trial", "active", "inactive"]))
    skill = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "volunteers with this skill code"},
    )


class VolunteerPage(PageMeta):
    items = fields.List(fields.Nested(VolunteerOut))


class WithToken:
    """An object as it is, plus the token issued with it (dumped once, never stored)."""

    def __init__(self, obj: Any, token: str) -> None:
        self._obj = obj
        self.token = token

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)


class VolunteerCreated(VolunteerOut):
    token = fields.String(metadata={"description": "shown once; keep it"})


class VolunteerProfile(VolunteerOut):
    no_show_count = fields.Integer(
        metadata={
            "description": "times the volunteer did not show (assignments marked no_show), all"
            " time; shown to the SC, it never deactivates anyone"
        }
    )


class WithNoShows:
    """A volunteer as it is, plus how many times they did not show."""

    def __init__(self, obj: Any, no_show_count: int) -> None:
        self._obj = obj
        self.no_show_count = no_show_count

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)


class DateBlockIn(Schema):
    first_day = fields.Date(
        required=True,
        metadata={"description": "the first blocked local date (Asia/Tokyo), YYYY-MM-DD"},
    )
    last_day = fields.Date(
        metadata={"description": "the last blocked local date, inclusive; first_day if left out"},
    )
    note = fields.String(
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "why, for the SC (旅行, 入院 ...)"},
    )


class DateBlockOut(Schema):
    id = fields.Integer()
    volunteer_id = fields.Integer()
    first_day = fields.Date()
    last_day = fields.Date()
    note = fields.String(allow_none=True)
    created_at = LocalDateTime()


class DateBlockQuery(Schema):
    since = fields.Date(
        metadata={"description": "only blocks that end on or after this date"},
    )


class TrialSignup(Schema):
    name = _name()
    birth_year = _birth_year()
    contact = fields.String(
        required=True,
        validate=validate.Length(min=3, max=200),
        metadata={"description": "phone or e-mail, for the coordinator's follow-up"},
    )
    lat = _lat(required=False)
    lon = _lon(required=False)
    chome = fields.String(
        validate=validate.Length(min=2, max=60),
        metadata={
            "description": "instead of lat/lon: a 町丁目 such as 太子堂4丁目, 太子堂四丁目 or"
            " 世田谷区太子堂4丁目"
        },
    )
    address = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "instead of lat/lon or chome: an address as a person says it"},
    )
    interests = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"description": "category codes the person would like to try"},
    )
    availability = _availability(required=True)

    @validates_schema
    def _where(self, data: dict[str, Any], **kwargs: Any) -> None:
        has_point = "lat" in data or "lon" in data
        if has_point and ("lat" not in data or "lon" not in data):
            raise ValidationError("Give both lat and lon.", "lat" if "lon" in data else "lon")
        if not has_point and "chome" not in data and "address" not in data:
            raise ValidationError("Give lat and lon, or a chome.", "chome")
        if not data.get("availability"):
            raise ValidationError("Give at least one time you could help.", "availability")


class TrialSignupOut(Schema):
    volunteer_id = fields.Integer()
    status = fields.String()
    zone = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    token = fields.String(metadata={"description": "shown once; keep it"})


class HelpRequestCreate(Schema):
    resident_id = Whole(required=True, validate=validate.Range(min=1, max=MAX_ID))
    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    window_start = LocalDateTime(required=True)
    window_end = LocalDateTime(required=True)
    notes = fields.String(allow_none=True, validate=validate.Length(max=1000))

    @validates_schema
    def _window(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("window_start"), data.get("window_end")
        if start is None or end is None:
            return
        if end <= start:
            raise ValidationError("window_end must be later than window_start.", "window_end")
        if end - start > dt.timedelta(days=14):
            raise ValidationError("A window is at most 14 days long.", "window_end")


class HelpRequestOut(Schema):
    id = fields.Integer()
    resident_id = fields.Integer()
    zone = fields.String(attribute="resident.zone")
    category = fields.String(attribute="category.code")
    window_start = LocalDateTime()
    window_end = LocalDateTime()
    status = fields.String()
    notes = fields.String(allow_none=True)
    created_at = LocalDateTime()
    first_matched_at = LocalDateTime(allow_none=True)
    #: The request series it is an occurrence of (null for a one-off), and its local date.
    series_id = fields.Integer(allow_none=True)
    occurrence_date = fields.Date(allow_none=True)
    flag = fields.String(
        allow_none=True,
        validate=validate.OneOf(REQUEST_FLAGS),
        metadata={
            "description": "why it came back to the SC, until they acknowledge it: declined,"
            " no_answer (not answered by the confirmation cut-off), no_show, standing_ended"
            " (its series' standing volunteer stopped); null when nothing to look at"
        },
    )
    flagged_at = LocalDateTime(allow_none=True)
    redispatch_at = LocalDateTime(
        allow_none=True,
        metadata={
            "description": "queued for automatic re-dispatch (`dispatch due`) since then;"
            " null once tried or proposed"
        },
    )


class HelpRequestQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(REQUEST_STATUSES))
    # a query string is text: "true" or "false" only (marshmallow would also take 1, "yes" …)
    flagged = fields.Boolean(
        truthy={"true"},
        falsy={"false"},
        metadata={"description": "true: only flagged requests; false: only unflagged ones"},
    )
    zone = fields.String(validate=validate.Length(min=1, max=60))
    from_ = LocalDateTime(data_key="from", metadata={"description": "window ends after this"})
    to = LocalDateTime(metadata={"description": "window starts before this"})


class HelpRequestPage(PageMeta):
    items = fields.List(fields.Nested(HelpRequestOut))


class MatchRunCreate(Schema):
    zone = fields.String(validate=validate.Length(min=1, max=60))
    window_from = LocalDateTime(metadata={"description": "requests whose window ends after this"})
    window_to = LocalDateTime(metadata={"description": "requests whose window starts before this"})

    @validates_schema
    def _order(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("window_from"), data.get("window_to")
        if start is not None and end is not None and end <= start:
            raise ValidationError("window_to must be later than window_from.", "window_to")


class AssignmentOut(Schema):
    id = fields.Integer()
    match_run_id = fields.Integer(allow_none=True)
    help_request_id = fields.Integer()
    volunteer_id = fields.Integer()
    status = fields.String()
    distance_m = fields.Float()
    cost = fields.Float()
    reasons = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        metadata={
            "description": "each cost term of the pair in metres-equivalent: distance,"
            " continuity (helped this resident before), load (tasks in the last 7 days),"
            " trial_experience (a trial volunteer's first task), no_show (no-shows in the last"
            " 180 days, 200 m each by default); cost is their sum"
        },
    )
    round_order = fields.Integer(
        allow_none=True,
        metadata={
            "description": "its place in the volunteer's round of this run (1 first; a run may"
            " give a volunteer several tasks of one day, done in this order); null when no run"
            " planned it (an SC's override)"
        },
    )
    planned_start = LocalDateTime(
        allow_none=True,
        metadata={
            "description": "when the round plans the task to start: inside its window and one"
            " of the volunteer's slots, after the walk from the previous task (or from home)"
        },
    )
    created_at = LocalDateTime()
    accepted_at = LocalDateTime(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    ended_at = LocalDateTime(allow_none=True)
    answered_via = fields.String(
        allow_none=True,
        validate=validate.OneOf(["app", "phone"]),
        metadata={
            "description": "how the accept or decline came: app (the volunteer), phone (staff"
            " recorded it on their behalf); null while unanswered or when staff did not say"
        },
    )
    answered_by_id = fields.Integer(
        allow_none=True, metadata={"description": "the staff user who recorded the answer"}
    )
    ended_reason = fields.String(
        allow_none=True,
        validate=validate.OneOf(ENDED_REASONS),
        metadata={
            "description": "no_answer: the service cancelled this proposal, not answered by"
            " the confirmation cut-off; null otherwise"
        },
    )
    proposed_by_id = fields.Integer(
        allow_none=True,
        metadata={"description": "the SC who chose this volunteer over the solver (override)"},
    )


class StrictBoolean(fields.Boolean):
    """true or false only, as JSON Schema's "boolean" has it (marshmallow also takes 0, "yes")."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean: give true or false.")
        return value


class AnswerIn(Schema):
    by_phone = StrictBoolean(
        load_default=False,
        metadata={
            "description": "staff only (403 for a volunteer): the volunteer answered on the"
            " phone and staff record it on their behalf (answered_via phone)"
        },
    )


class AlternativesQuery(Schema):
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=50))


class AlternativeOut(Schema):
    volunteer_id = fields.Integer()
    name = fields.String()
    status = fields.String(metadata={"description": "active or trial"})
    contact = fields.String(allow_none=True)
    distance_m = fields.Float()
    cost = fields.Float(metadata={"description": "what the solver would pay for this pair"})
    reasons = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        metadata={"description": "each cost term, as in an assignment's reasons"},
    )


class OverrideIn(Schema):
    volunteer_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))


#: why a request in a run's scope was not proposed, in the order they are checked
UNMATCHED_REASONS = (
    "too_late",
    "nobody_nearby",
    "no_skill",
    "trial_only",
    "not_available",
    "declined",
    "blocked",
    "busy",
    "round_full",
    "all_taken",
)


class UnmatchedOut(Schema):
    help_request_id = fields.Integer()
    reason = fields.String(
        validate=validate.OneOf(UNMATCHED_REASONS),
        metadata={"description": "the first check that every volunteer within reach fails"},
    )
    detail = fields.String(metadata={"description": "the reason in words, for the SC"})


class MatchRunOut(Schema):
    id = fields.Integer()
    zone = fields.String(allow_none=True)
    window_from = LocalDateTime(allow_none=True)
    window_to = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()
    assignments = fields.List(fields.Nested(AssignmentOut))
    unmatched = fields.List(fields.Nested(UnmatchedOut))
    stats = fields.Method(
        "_stats",
        metadata={
            "type": "object",
            "description": "requests, volunteers, matched, unmatched, total_cost, duration_ms;"
            " proven_optimal (the plan is proven the optimum: most matched, then least cost, then"
            " least walking), bound_reached (matched and cost equal the bound: the first two"
            " levels proven), matched_bound and lower_bound (no plan matches more; none matching"
            " as many costs less), gap_pct (how far from the bound, per cent; 0 when reached),"
            " matched_gap_pct, cost_gap_pct, total_walking_m (between the tasks of rounds),"
            " rounds (volunteers given two tasks or more), method_code (0 one task each,"
            " 1 exact rounds, 2 copies and repair); load_ms, solve_ms, persist_ms",
        },
    )

    def _stats(self, run: Any) -> dict[str, Any]:
        return {
            "requests": run.requests_count,
            "volunteers": run.volunteers_count,
            "matched": run.matched_count,
            "unmatched": len(run.unmatched),
            "total_cost": run.total_cost,
            "duration_ms": run.duration_ms,
            **run.stats,
        }


class TaskResidentOut(Schema):
    name = fields.String()
    address = fields.String()
    phone = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)


class TaskOut(AssignmentOut):
    """An assignment as its volunteer sees it: the resident only once accepted."""

    category = fields.String(attribute="help_request.category.code")
    label_ja = fields.String(attribute="help_request.category.label_ja")
    window_start = LocalDateTime(attribute="help_request.window_start")
    window_end = LocalDateTime(attribute="help_request.window_end")
    zone = fields.String(attribute="help_request.resident.zone")
    resident = fields.Nested(
        TaskResidentOut,
        allow_none=True,
        metadata={
            "description": "shown to staff; to the volunteer (without notes) while the task is"
            " accepted, until two hours after its window"
        },
    )


class AssignmentQuery(PageQuery):
    volunteer_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    status = fields.String(
        validate=validate.OneOf(
            ["proposed", "accepted", "completed", "declined", "cancelled", "no_show"]
        )
    )


class TaskPage(PageMeta):
    items = fields.List(fields.Nested(TaskOut))


# --- 地域貢献ポイント: points, vouchers, shops, redemptions (issue 4) --------------------------


class PointRulesOut(Schema):
    daily_cap = fields.Integer(metadata={"description": "most points earned per local day"})
    annual_exchange_cap = fields.Integer(
        metadata={"description": "most points exchanged per fiscal year (April to March)"}
    )
    voucher_unit = fields.Integer(metadata={"description": "vouchers are multiples of this"})
    voucher_yen_per_point = fields.Integer()
    voucher_valid_days = fields.Integer()


class PointRulesPatch(Schema):
    daily_cap = Whole(validate=validate.Range(*RULE_RANGES["daily_cap"]))
    annual_exchange_cap = Whole(validate=validate.Range(*RULE_RANGES["annual_exchange_cap"]))
    voucher_unit = Whole(validate=validate.Range(*RULE_RANGES["voucher_unit"]))
    voucher_yen_per_point = Whole(validate=validate.Range(*RULE_RANGES["voucher_yen_per_point"]))
    voucher_valid_days = Whole(validate=validate.Range(*RULE_RANGES["voucher_valid_days"]))


class PointsQuery(PageQuery):
    # a history screen shows fewer lines at a time than a dispatch list
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class PointsEntryOut(Schema):
    transfer_id = fields.Integer()
    kind = fields.String(metadata={"description": "credit | exchange | expire_points | reversal"})
    amount = fields.Integer(metadata={"description": "points in (+) or out (-) of the balance"})
    balance_after = fields.Integer(allow_none=True)
    created_at = LocalDateTime()
    what_for = fields.String(metadata={"description": "e.g. ゴミ出し 2026-12-01"})


class ExpiringOut(Schema):
    fiscal_year = fields.Integer(metadata={"description": "the fiscal year they were earned in"})
    points = fields.Integer()
    expires_at = LocalDateTime()


class PointsOut(PageMeta):
    volunteer_id = fields.Integer()
    status = fields.String()
    balance = fields.Integer()
    exchangeable = fields.Integer(
        metadata={
            "description": "what an exchange may take now: the balance in whole voucher units,"
            " within what the annual cap still allows; 0 while on trial"
        }
    )
    fiscal_year = fields.Integer()
    fiscal_year_exchanged = fields.Integer()
    annual_exchange_cap = fields.Integer()
    voucher_unit = fields.Integer()
    expiring = fields.List(
        fields.Nested(ExpiringOut),
        metadata={"description": "unspent points by fiscal year earned (spent oldest first)"},
    )
    entries = fields.List(fields.Nested(PointsEntryOut), metadata={"description": "newest first"})


class IdempotencyHeader(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        required=True,
        validate=[
            validate.Length(min=1, max=100),
            FullMatch(PRINTABLE_ASCII_PATTERN, error="Printable ASCII without spaces."),
        ],
        metadata={"description": "a fresh key per exchange; a retry sends the same key and body"},
    )


class VoucherCreate(Schema):
    points = Whole(
        required=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "a positive multiple of the voucher unit (default 500)"},
    )


class VoucherOut(Schema):
    id = fields.Integer()
    volunteer_id = fields.Integer()
    code = fields.String(
        metadata={"description": "XXXX-XXXX-XXXX-XXXX (Crockford Base32 with a check symbol)"}
    )
    points = fields.Integer()
    value_yen = fields.Integer()
    status = fields.String()
    created_at = LocalDateTime()
    expires_at = LocalDateTime()


class TransferReverse(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300))


class EntryOut(Schema):
    account_id = fields.Integer()
    amount = fields.Integer()
    balance_after = fields.Integer()


class TransferOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    volunteer_id = fields.Integer(allow_none=True)
    assignment_id = fields.Integer(allow_none=True)
    voucher_id = fields.Integer(allow_none=True)
    reverses_id = fields.Integer(allow_none=True)
    fiscal_year = fields.Integer(allow_none=True)
    activity_date = fields.Date(allow_none=True)
    reason = fields.String()
    created_at = LocalDateTime()
    created_by = fields.String()
    entries = fields.List(fields.Nested(EntryOut))


class ShopCreate(Schema):
    name = _name()
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ShopOut(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    created_at = LocalDateTime()


class ShopCreated(ShopOut):
    api_key = fields.String(
        metadata={"description": "the shop terminal's key (Bearer); shown once, keep it"}
    )


class ShopPage(PageMeta):
    items = fields.List(fields.Nested(ShopOut))


class ShopKeyOut(Schema):
    shop_id = fields.Integer()
    api_key = fields.String(metadata={"description": "shown once; the old keys are revoked"})


class RedemptionCreate(Schema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "as typed: case, hyphens and spaces do not matter; O=0, I=L=1"},
    )


class RedemptionOut(Schema):
    id = fields.Integer()
    shop_id = fields.Integer()
    shop_name = fields.String(attribute="shop.name")
    voucher_id = fields.Integer()
    code_tail = fields.String(attribute="voucher.code_tail")
    points = fields.Integer()
    value_yen = fields.Integer()
    redeemed_at = LocalDateTime()
    settlement_month = fields.String()


class SettlementQuery(PageQuery):
    month = fields.String(
        validate=FullMatch(MONTH_PATTERN, error="Give a month as YYYY-MM."),
        metadata={"description": "YYYY-MM, local time (default: this month)"},
    )
    shop_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "admin only: one shop"}
    )


class SettlementCsvQuery(Schema):
    month = fields.String(
        required=True, validate=FullMatch(MONTH_PATTERN, error="Give a month as YYYY-MM.")
    )
    shop_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class SettlementShopOut(Schema):
    shop_id = fields.Integer()
    name = fields.String()
    address = fields.String()
    count = fields.Integer()
    points = fields.Integer()
    total_yen = fields.Integer()
    payable_balance = fields.Integer(
        metadata={"description": "the shop's payable account now (all months not yet paid)"}
    )


class SettlementPage(PageMeta):
    month = fields.String()
    items = fields.List(fields.Nested(RedemptionOut))
    count = fields.Integer(metadata={"description": "redemptions in the month (all pages)"})
    total_points = fields.Integer()
    total_yen = fields.Integer(metadata={"description": "the month's settlement (all pages)"})
    shops = fields.List(fields.Nested(SettlementShopOut))


# --- task categories, set up by the ward's admin (issue 9) ---------------------------------


def _category_code(required: bool) -> fields.String:
    return fields.String(
        required=required,
        validate=FullMatch(CATEGORY_CODE_PATTERN),
        metadata={"description": "stable once a help request uses it; a-z, 0-9 and _"},
    )


class SkillCreate(Schema):
    code = fields.String(required=True, validate=FullMatch(CATEGORY_CODE_PATTERN))
    label_ja = fields.String(required=True, validate=validate.Length(min=1, max=80))


def _category_fields(required: bool) -> dict[str, fields.Field]:
    low, high = DURATION_RANGE
    p_low, p_high = POINTS_RANGE
    return {
        "code": _category_code(required),
        "label_ja": fields.String(
            required=required,
            validate=validate.Length(min=1, max=80),
            metadata={"description": "what SCs and volunteers read, e.g. 見守り"},
        ),
        "duration_min": Whole(required=required, validate=validate.Range(low, high)),
        "points": Whole(
            required=required,
            validate=validate.Range(p_low, p_high),
            metadata={"description": "credited per completed task (within the daily cap)"},
        ),
        "trial_ok": StrictBoolean(
            metadata={"description": "offered to おためし volunteers; false stops offering it"}
        ),
        "required_skills": fields.List(
            fields.String(validate=FullMatch(CATEGORY_CODE_PATTERN)),
            validate=validate.Length(max=20),
            metadata={"description": "codes of existing skills"},
        ),
        "new_skills": fields.List(
            fields.Nested(SkillCreate),
            validate=validate.Length(max=20),
            metadata={"description": "skills to create; the category requires them too"},
        ),
    }


CategoryCreate = Schema.from_dict(_category_fields(required=True), name="CategoryCreate")
CategoryPatch = Schema.from_dict(_category_fields(required=False), name="CategoryPatch")
