"""Who helps whom: residents, volunteers, help requests, match runs and their assignments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db import Base, UTCDateTime, utcnow

VOLUNTEER_STATUSES = ("trial", "active", "inactive")
REQUEST_STATUSES = ("open", "proposed", "accepted", "completed", "cancelled")
ASSIGNMENT_STATUSES = ("proposed", "accepted", "completed", "declined", "cancelled", "no_show")
#: Why the service itself cancelled an assignment: "no_answer", a proposal not answered by the
#: confirmation cut-off (matching.redispatch). NULL when the SC withdrew it.
ENDED_REASONS = ("no_answer",)
#: Why a request came back to the SC's attention (flagged on the dispatch screen): its volunteer
#: declined, did not answer by the cut-off, did not show, or stopped standing for its series.
REQUEST_FLAGS = ("declined", "no_answer", "no_show", "standing_ended")
#: How a volunteer's answer (accepted or declined) reached the service: through the app by the
#: volunteer themselves, or by phone, recorded by the SC on their behalf.
ANSWER_CHANNELS = ("app", "phone")
#: Assignments that still hold their request: at most one of these per request.
#: The most tasks a volunteer can take on one day (max_tasks_per_day, 1 to this).
MAX_TASKS_PER_DAY = 5
LIVE_ASSIGNMENT_STATUSES = ("proposed", "accepted", "completed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _lat_lon() -> tuple[CheckConstraint, CheckConstraint]:
    # a constraint object belongs to one table, so each table gets its own pair
    return (
        CheckConstraint("lat BETWEEN -90 AND 90", "lat_range"),
        CheckConstraint("lon BETWEEN -180 AND 180", "lon_range"),
    )


category_skills = Table(
    "category_skills",
    Base.metadata,
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_code", ForeignKey("skills.code"), primary_key=True),
)

volunteer_skills = Table(
    "volunteer_skills",
    Base.metadata,
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_code", ForeignKey("skills.code"), primary_key=True),
)


class Skill(Base):
    __tablename__ = "skills"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label_ja: Mapped[str] = mapped_column(String(80))


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (
        CheckConstraint("duration_min > 0 AND duration_min <= 480", "duration_range"),
        CheckConstraint("points >= 0", "points_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label_ja: Mapped[str] = mapped_column(String(80))
    #: How long the task takes; availability must cover it and points are earned by it.
    duration_min: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    #: Easy enough for an おためしボランティア's first tries.
    trial_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    skills: Mapped[list[Skill]] = relationship(secondary=category_skills, order_by=Skill.code)

    @property
    def required_skills(self) -> list[str]:
        return [s.code for s in self.skills]


class Resident(Base):
    """An elderly person at home; address and phone are for coordinators' eyes only."""

    __tablename__ = "residents"
    __table_args__ = _lat_lon()

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    #: 日常生活圏域 (or 町名) the resident belongs to; match runs and KPIs are scoped by it.
    zone: Mapped[str] = mapped_column(String(60), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Volunteer(Base):
    __tablename__ = "volunteers"
    __table_args__ = (
        *_lat_lon(),
        CheckConstraint(_in("status", VOLUNTEER_STATUSES), "status_known"),
        CheckConstraint("max_distance_m > 0 AND max_distance_m <= 20000", "max_distance_range"),
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", "birth_year_range"),
        CheckConstraint(
            f"max_tasks_per_day BETWEEN 1 AND {MAX_TASKS_PER_DAY}", "max_tasks_per_day_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    #: How an おためし volunteer asked to be reached (phone or e-mail); SCs only.
    contact: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    zone: Mapped[str | None] = mapped_column(String(60), index=True)
    max_distance_m: Mapped[int] = mapped_column(Integer, default=1000)
    #: How many tasks they will take on one local day (a round); held tasks count against it.
    max_tasks_per_day: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When a trial volunteer became registered (active): the conversion KPI.
    registered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: They came as an おためし volunteer (the conversion rate's denominator), whatever now.
    joined_as_trial: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The SC who converted them from trial to active (NULL: registered directly, or by PATCH).
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    skills: Mapped[list[Skill]] = relationship(secondary=volunteer_skills, order_by=Skill.code)
    availability: Mapped[list[AvailabilitySlot]] = relationship(
        back_populates="volunteer",
        cascade="all, delete-orphan",
        order_by="(AvailabilitySlot.weekday, AvailabilitySlot.start_min)",
    )

    @property
    def skill_codes(self) -> list[str]:
        return [s.code for s in self.skills]


class AvailabilitySlot(Base):
    """A weekly slot in local time (Asia/Tokyo): weekday 0 = Monday, minutes since midnight."""

    __tablename__ = "availability_slots"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", "weekday_range"),
        CheckConstraint("start_min >= 0 AND start_min < end_min AND end_min <= 1440", "slot_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_min: Mapped[int] = mapped_column(SmallInteger)
    end_min: Mapped[int] = mapped_column(SmallInteger)
    volunteer: Mapped[Volunteer] = relationship(back_populates="availability")


class HelpRequest(Base):
    __tablename__ = "help_requests"
    __table_args__ = (
        CheckConstraint("window_end > window_start", "window_order"),
        CheckConstraint(_in("status", REQUEST_STATUSES), "status_known"),
        Index("ix_help_requests_status_window", "status", "window_start"),
        UniqueConstraint("series_id", "occurrence_date"),
        CheckConstraint(
            "(series_id IS NULL) = (occurrence_date IS NULL)", "series_occurrence_together"
        ),
        CheckConstraint(f"flag IS NULL OR {_in('flag', REQUEST_FLAGS)}", "flag_known"),
        CheckConstraint("(flag IS NULL) = (flagged_at IS NULL)", "flag_with_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="open")
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: First time a volunteer was proposed: the "time to match" KPI.
    first_matched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The series this request is an occurrence of, and the local date it is for: the database
    #: holds one request per series and date (uq_help_requests_series_id), so generating twice,
    #: even by two processes at once, creates each occurrence once.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("request_series.id"))
    occurrence_date: Mapped[dt.date | None] = mapped_column(Date)
    #: Why it came back to the SC (REQUEST_FLAGS) and when; the SC clears it once seen.
    flag: Mapped[str | None] = mapped_column(String(16))
    flagged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: When `dispatch due` should match it again on its own (after a decline, no answer by the
    #: cut-off or a no-show with time left); cleared once that run has tried.
    redispatch_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    resident: Mapped[Resident] = relationship()
    category: Mapped[Category] = relationship()


class MatchRun(Base):
    """One optimal assignment over the open requests in a scope, with its parameters and result."""

    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    zone: Mapped[str | None] = mapped_column(String(60))
    window_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    window_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    requests_count: Mapped[int] = mapped_column(Integer, default=0)
    volunteers_count: Mapped[int] = mapped_column(Integer, default=0)
    matched_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Sum of the proposed pairs' costs (the objective's second term).
    total_cost: Mapped[float] = mapped_column(Float, default=0.0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: [{"help_request_id", "reason", "detail"}] as computed at the time of the run.
    unmatched: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="match_run", order_by="Assignment.id"
    )


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(_in("status", ASSIGNMENT_STATUSES), "status_known"),
        CheckConstraint("distance_m >= 0", "distance_nonnegative"),
        # Two runs at once can never both hold the same request: the database refuses it.
        Index(
            "uq_assignments_live_request",
            "help_request_id",
            unique=True,
            sqlite_where=text(_in("status", LIVE_ASSIGNMENT_STATUSES)),
            postgresql_where=text(_in("status", LIVE_ASSIGNMENT_STATUSES)),
        ),
        Index("ix_assignments_volunteer_status", "volunteer_id", "status"),
        CheckConstraint(
            f"answered_via IS NULL OR {_in('answered_via', ANSWER_CHANNELS)}", "answered_via_known"
        ),
        CheckConstraint(
            f"ended_reason IS NULL OR {_in('ended_reason', ENDED_REASONS)}", "ended_reason_known"
        ),
        CheckConstraint("round_order IS NULL OR round_order >= 1", "round_order_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_run_id: Mapped[int | None] = mapped_column(ForeignKey("match_runs.id"), index=True)
    help_request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    distance_m: Mapped[float] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)
    #: Each cost term of the pair: {"distance": 412.0, "continuity": -300.0, ...}.
    reasons: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    #: Its place in the volunteer's round of this run (1 first); NULL when no run planned it.
    round_order: Mapped[int | None] = mapped_column(SmallInteger)
    #: When the round plans it to start (inside the window); NULL when no run planned it.
    planned_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: How the accept or decline came: 'app' (the volunteer) or 'phone' (the SC, on their behalf);
    #: NULL while unanswered, or when staff recorded it through the API without saying how.
    answered_via: Mapped[str | None] = mapped_column(String(5))
    #: ENDED_REASONS: set when the service cancelled it on its own (see there).
    ended_reason: Mapped[str | None] = mapped_column(String(10))
    #: The staff user who recorded the answer on the volunteer's behalf.
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The SC who chose this volunteer over the solver's proposal (NULL: the solver proposed).
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    match_run: Mapped[MatchRun | None] = relationship(back_populates="assignments")
    help_request: Mapped[HelpRequest] = relationship()
    volunteer: Mapped[Volunteer] = relationship()


class TrialFollowup(Base):
    """An SC's to-do: an おためし volunteer finished their first task; call them, and perhaps
    register them (trial -> active). One per volunteer, ever: only the first task opens one."""

    __tablename__ = "trial_followups"
    __table_args__ = (
        CheckConstraint("done_by_id IS NULL OR done_at IS NOT NULL", "done_by_only_when_done"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), unique=True)
    #: The completed first task.
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When it was closed (the volunteer registered), and by which staff user.
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    volunteer: Mapped[Volunteer] = relationship()
    assignment: Mapped[Assignment] = relationship()


SERIES_PATTERNS = ("weekly", "biweekly", "second_fourth")
SERIES_STATUSES = ("active", "paused", "ended")
SERIES_HOLIDAY_RULES = ("skip", "keep")


class RequestSeries(Base):
    """A recurring request (燃やすごみ every Tuesday and Friday 7:00–8:30): its occurrences are
    ordinary help requests, generated some weeks ahead by matching/series.py.

    Weekdays are 0 = Monday … 6 = Sunday; the window is local time (Asia/Tokyo) in minutes since
    midnight. pattern: weekly; biweekly (every other week, counted from the week of start_date);
    second_fourth (the 2nd and 4th such weekday of the month). holidays: skip or keep Japanese
    public holidays and the year-end break; NULL follows the ward's SERIES_HOLIDAYS.
    """

    __tablename__ = "request_series"
    __table_args__ = (
        CheckConstraint(_in("pattern", SERIES_PATTERNS), "pattern_known"),
        CheckConstraint(_in("status", SERIES_STATUSES), "status_known"),
        CheckConstraint(
            f"holidays IS NULL OR {_in('holidays', SERIES_HOLIDAY_RULES)}", "holidays_known"
        ),
        CheckConstraint(
            "window_start_min >= 0 AND window_start_min < window_end_min"
            " AND window_end_min <= 1440",
            "window_order",
        ),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", "dates_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    #: The weekdays, sorted, e.g. [1, 4] for Tuesday and Friday.
    weekdays: Mapped[list[int]] = mapped_column(JSON)
    pattern: Mapped[str] = mapped_column(String(15), default="weekly")
    window_start_min: Mapped[int] = mapped_column(SmallInteger)
    window_end_min: Mapped[int] = mapped_column(SmallInteger)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    holidays: Mapped[str | None] = mapped_column(String(5))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The volunteer who takes the whole series (standing assignment): each new occurrence is
    #: theirs, accepted, unless they already hold a task at that time.
    standing_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    resident: Mapped[Resident] = relationship()
    category: Mapped[Category] = relationship()
    #: Its help requests, by date (read only: generate() inserts them with ON CONFLICT).
    occurrences: Mapped[list[HelpRequest]] = relationship(
        viewonly=True, order_by="HelpRequest.occurrence_date"
    )


class VolunteerDateBlock(Base):
    """Local dates (Asia/Tokyo) a volunteer cannot help, first to last day inclusive.

    A match run never proposes them a request whose window touches one of these days.
    Blocks may overlap: each is kept as the volunteer entered it, and removed on its own.
    """

    __tablename__ = "volunteer_date_blocks"
    __table_args__ = (CheckConstraint("first_day <= last_day", "day_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), index=True
    )
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
