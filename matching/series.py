"""Request series: recurring requests (燃やすごみ every Tuesday and Friday 7:00–8:30) whose
occurrences are ordinary help requests, generated some weeks ahead.

Which dates a series falls on is a pure function (occurrence_dates); the rest take a session and
keyword arguments, flush and never commit. Generating is safe to run again and again, and by two
processes at once: each occurrence is an INSERT … ON CONFLICT DO NOTHING against the UNIQUE
(series_id, occurrence_date) of help_requests, so the database, not Python, refuses a second copy.

Holidays: Japanese public holidays (jpholiday, the Cabinet Office's rules, offline) and the
year-end break (12/29–1/3) are skipped or kept by the series' rule, or the ward's SERIES_HOLIDAYS
(skip by default) when the series has none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import jpholiday
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db import Conflict, InvalidInput, NotFound, utcnow
from matching import blocks, flags, services
from matching.models import (
    LIVE_ASSIGNMENT_STATUSES,
    SERIES_HOLIDAY_RULES,
    SERIES_PATTERNS,
    Assignment,
    HelpRequest,
    RequestSeries,
    Resident,
    Volunteer,
)
from matching.places import metres

TOKYO = ZoneInfo("Asia/Tokyo")
#: The year-end break (年末年始): 29 December to 3 January, both included.
YEAR_END_BREAK = ((12, 29), (1, 3))
DEFAULT_WEEKS_AHEAD = 4
#: Fields an edit may change (future occurrences only).
EDITABLE = (
    "weekdays",
    "pattern",
    "window_start_min",
    "window_end_min",
    "end_date",
    "holidays",
    "notes",
)


# --- the pure core ------------------------------------------------------------------------


def in_year_end_break(day: dt.date) -> bool:
    (first_month, first_day), (last_month, last_day) = YEAR_END_BREAK
    return (day.month == first_month and day.day >= first_day) or (
        day.month == last_month and day.day <= last_day
    )


def is_day_off(day: dt.date) -> bool:
    """A Japanese public holiday (振替休日 and 国民の休日 included) or in the year-end break."""
    return bool(jpholiday.is_holiday(day)) or in_year_end_break(day)


def falls_on(day: dt.date, *, weekdays: Iterable[int], pattern: str, start_date: dt.date) -> bool:
    """Whether the pattern puts an occurrence on this day (holidays aside)."""
    if day < start_date or day.weekday() not in set(weekdays):
        return False
    if pattern == "weekly":
        return True
    if pattern == "biweekly":
        # weeks counted Monday to Sunday from the week holding start_date
        first_monday = start_date - dt.timedelta(days=start_date.weekday())
        return ((day - first_monday).days // 7) % 2 == 0
    if pattern == "second_fourth":
        return (day.day - 1) // 7 + 1 in (2, 4)
    raise ValueError(f"unknown pattern {pattern!r}")


def occurrence_dates(
    *,
    weekdays: Iterable[int],
    pattern: str,
    start_date: dt.date,
    end_date: dt.date | None,
    first: dt.date,
    last: dt.date,
    holidays: str,
) -> list[dt.date]:
    """The series' dates from first to last (both included), holidays skipped or kept."""
    days = sorted(set(weekdays))
    stop = min(last, end_date) if end_date is not None else last
    out = []
    day = max(first, start_date)
    while day <= stop:
        if falls_on(day, weekdays=days, pattern=pattern, start_date=start_date) and not (
            holidays == "skip" and is_day_off(day)
        ):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def window_of(day: dt.date, start_min: int, end_min: int) -> tuple[dt.datetime, dt.datetime]:
    """The local window of an occurrence on this day, as aware datetimes."""
    midnight = dt.datetime.combine(day, dt.time(0), TOKYO)
    return (
        midnight + dt.timedelta(minutes=start_min),
        midnight + dt.timedelta(minutes=end_min),
    )


# --- with a session -----------------------------------------------------------------------


def _check(
    *,
    weekdays: Sequence[int],
    pattern: str,
    window_start_min: int,
    window_end_min: int,
    start_date: dt.date,
    end_date: dt.date | None,
    holidays: str | None,
    duration_min: int,
) -> None:
    errors: dict[str, list[str]] = {}
    if not weekdays or any(not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = ["Give one weekday or more, 0 (Monday) to 6 (Sunday)."]
    if pattern not in SERIES_PATTERNS:
        errors["pattern"] = [f"One of {', '.join(SERIES_PATTERNS)}."]
    if holidays is not None and holidays not in SERIES_HOLIDAY_RULES:
        errors["holidays"] = [f"One of {', '.join(SERIES_HOLIDAY_RULES)}."]
    if not 0 <= window_start_min < window_end_min <= 1440:
        errors["window_end"] = ["The window ends after it starts, within the day."]
    elif window_end_min - window_start_min < duration_min:
        errors["window_end"] = [f"The window must be at least {duration_min} minutes long."]
    if end_date is not None and end_date < start_date:
        errors["end_date"] = ["end_date is on or after start_date."]
    if errors:
        raise InvalidInput("The series is not valid.", errors)


def create_series(
    session: Session,
    *,
    resident_id: int,
    category: str,
    weekdays: Sequence[int],
    window_start_min: int,
    window_end_min: int,
    start_date: dt.date,
    pattern: str = "weekly",
    end_date: dt.date | None = None,
    holidays: str | None = None,
    notes: str | None = None,
    created_by_id: int | None = None,
) -> RequestSeries:
    """Create an active series; its occurrences come with the next generate()."""
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise InvalidInput(
            f"Resident {resident_id} not found.", {"resident_id": ["No such resident."]}
        )
    cat = services.get_category(session, code=category)
    _check(
        weekdays=weekdays,
        pattern=pattern,
        window_start_min=window_start_min,
        window_end_min=window_end_min,
        start_date=start_date,
        end_date=end_date,
        holidays=holidays,
        duration_min=cat.duration_min,
    )
    series = RequestSeries(
        resident=resident,
        category=cat,
        weekdays=sorted(set(weekdays)),
        pattern=pattern,
        window_start_min=window_start_min,
        window_end_min=window_end_min,
        start_date=start_date,
        end_date=end_date,
        holidays=holidays,
        notes=notes,
        status="active",
        created_by_id=created_by_id,
    )
    session.add(series)
    session.flush()
    return series


def get_series(session: Session, *, series_id: int) -> RequestSeries:
    series = session.get(RequestSeries, series_id)
    if series is None:
        raise NotFound(f"Series {series_id} not found.")
    return series


def _withdraw_future(session: Session, series: RequestSeries, now: dt.datetime) -> int:
    """Take back the occurrences not yet begun: those never proposed to anyone are deleted (so a
    later generate() may make them again); those with a pending proposal are cancelled (the
    proposal withdrawn). Accepted ones stay: a volunteer has said yes, the SC phones them."""
    future = (HelpRequest.series_id == series.id, HelpRequest.window_start > now)
    never_proposed = ~exists().where(Assignment.help_request_id == HelpRequest.id)
    deleted = session.execute(
        delete(HelpRequest)
        .where(*future, HelpRequest.status == "open", never_proposed)
        .execution_options(synchronize_session=False)
    ).rowcount
    pending = session.scalars(
        select(HelpRequest.id).where(*future, HelpRequest.status.in_(("open", "proposed")))
    ).all()
    for help_request_id in pending:
        services.cancel_help_request(session, help_request_id=help_request_id, now=now)
    session.flush()
    return int(deleted or 0) + len(pending)


def pause_series(
    session: Session, *, series_id: int, now: dt.datetime | None = None
) -> RequestSeries:
    """Stop generating; occurrences not yet begun are withdrawn (see _withdraw_future)."""
    series = get_series(session, series_id=series_id)
    if series.status != "active":
        raise Conflict(f"Series {series_id} is {series.status}; only an active one pauses.")
    series.status = "paused"
    _withdraw_future(session, series, now or utcnow())
    return series


def resume_series(session: Session, *, series_id: int) -> RequestSeries:
    series = get_series(session, series_id=series_id)
    if series.status != "paused":
        raise Conflict(f"Series {series_id} is {series.status}; only a paused one resumes.")
    series.status = "active"
    session.flush()
    return series


def end_series(
    session: Session, *, series_id: int, now: dt.datetime | None = None
) -> RequestSeries:
    """End for good; occurrences not yet begun are withdrawn, past ones stay as they were."""
    series = get_series(session, series_id=series_id)
    if series.status == "ended":
        raise Conflict(f"Series {series_id} has ended already.")
    series.status = "ended"
    _withdraw_future(session, series, now or utcnow())
    return series


def edit_series(
    session: Session, *, series_id: int, changes: dict[str, Any], now: dt.datetime | None = None
) -> RequestSeries:
    """Change the rule from now on: occurrences not yet begun are withdrawn and the next
    generate() makes them by the new rule; past ones keep what they were."""
    series = get_series(session, series_id=series_id)
    if series.status == "ended":
        raise Conflict(f"Series {series_id} has ended; it cannot be changed.")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput("Not editable.", {name: ["Cannot be changed."] for name in unknown})
    merged = {name: getattr(series, name) for name in EDITABLE} | changes
    _check(
        weekdays=merged["weekdays"],
        pattern=merged["pattern"],
        window_start_min=merged["window_start_min"],
        window_end_min=merged["window_end_min"],
        start_date=series.start_date,
        end_date=merged["end_date"],
        holidays=merged["holidays"],
        duration_min=series.category.duration_min,
    )
    _withdraw_future(session, series, now or utcnow())
    for name, value in changes.items():
        setattr(series, name, sorted(set(value)) if name == "weekdays" else value)
    session.flush()
    return series


@dataclass(frozen=True)
class GenerateReport:
    series: int
    created: int
    #: Of the created, those pre-assigned to their series' standing volunteer.
    standing: int = 0


def _busy(session: Session, volunteer_id: int, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether the volunteer holds a task (proposed or accepted) overlapping this window."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Assignment.volunteer_id == volunteer_id,
                    Assignment.status.in_(("proposed", "accepted")),
                    Assignment.help_request_id == HelpRequest.id,
                    HelpRequest.window_start < end,
                    HelpRequest.window_end > start,
                )
            )
        )
    )


def _pre_assign(
    session: Session,
    series: RequestSeries,
    help_request_id: int,
    start: dt.datetime,
    end: dt.datetime,
) -> int:
    """Give a new occurrence to the series' standing volunteer, accepted, when they are active,
    free at that time and have not blocked that day; otherwise it stays open for matching.
    Returns 1 if given."""
    volunteer = session.get(Volunteer, series.standing_volunteer_id)
    if volunteer is None or volunteer.status == "inactive":
        return 0
    if _busy(session, volunteer.id, start, end):
        return 0
    if blocks.is_blocked(session, volunteer_id=volunteer.id, day=start.astimezone(TOKYO).date()):
        return 0
    now = utcnow()
    resident = series.resident
    session.add(
        Assignment(
            help_request_id=help_request_id,
            volunteer_id=volunteer.id,
            status="accepted",
            distance_m=metres(volunteer.lat, volunteer.lon, resident.lat, resident.lon),
            cost=0.0,
            reasons={"standing": 0.0},
            accepted_at=now,
        )
    )
    session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == help_request_id)
        .values(status="accepted", first_matched_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return 1


def set_standing(
    session: Session,
    *,
    series_id: int,
    volunteer_id: int | None,
    now: dt.datetime | None = None,
) -> RequestSeries:
    """Give the whole series to a volunteer (its open occurrences not yet begun and later ones
    come to them, accepted), or take it back (volunteer_id None, or another volunteer): the
    previous standing volunteer's accepted occurrences not yet begun reopen for matching."""
    now = now or utcnow()
    series = get_series(session, series_id=series_id)
    if volunteer_id is not None:
        volunteer = session.get(Volunteer, volunteer_id)
        if volunteer is None or volunteer.status == "inactive":
            raise InvalidInput(
                f"Volunteer {volunteer_id} cannot take a series.",
                {"volunteer_id": ["No such active volunteer."]},
            )
    previous = series.standing_volunteer_id
    if previous is not None and previous != volunteer_id:
        reopen_standing(session, series_id=series.id, volunteer_id=previous, now=now)
    series.standing_volunteer_id = volunteer_id
    session.flush()
    if volunteer_id is not None and series.status == "active":
        _give_open(session, series, volunteer_id, now)
    return series


def _give_open(session: Session, series: RequestSeries, volunteer_id: int, now: dt.datetime) -> int:
    """The series' occurrences already made, not yet begun and open (nobody proposed), go to
    its standing volunteer as new ones would (unless busy or blocked then, or they declined, did
    not answer or did not show for that one). Returns how many were given."""
    refused = exists().where(
        Assignment.help_request_id == HelpRequest.id,
        Assignment.volunteer_id == volunteer_id,
        or_(
            Assignment.status.in_(("declined", "no_show")),
            Assignment.ended_reason == "no_answer",
        ),
    )
    waiting = session.execute(
        select(HelpRequest.id, HelpRequest.window_start, HelpRequest.window_end)
        .where(
            HelpRequest.series_id == series.id,
            HelpRequest.window_start > now,
            HelpRequest.status == "open",
            ~refused,
        )
        .order_by(HelpRequest.window_start)
    ).all()
    return sum(
        _pre_assign(session, series, row.id, row.window_start, row.window_end) for row in waiting
    )


def reopen_standing(
    session: Session, *, series_id: int, volunteer_id: int, now: dt.datetime
) -> list[int]:
    """The volunteer's accepted occurrences of this series not yet begun go back to open (their
    assignments cancelled); returns the reopened requests' ids."""
    ids = list(
        session.scalars(
            select(HelpRequest.id)
            .join(Assignment, Assignment.help_request_id == HelpRequest.id)
            .where(
                HelpRequest.series_id == series_id,
                HelpRequest.window_start > now,
                HelpRequest.status == "accepted",
                Assignment.volunteer_id == volunteer_id,
                Assignment.status == "accepted",
            )
        )
    )
    if ids:
        session.execute(
            update(Assignment)
            .where(
                Assignment.help_request_id.in_(ids),
                Assignment.volunteer_id == volunteer_id,
                Assignment.status == "accepted",
            )
            .values(status="cancelled", ended_at=now)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(HelpRequest)
            .where(HelpRequest.id.in_(ids))
            .values(status="open")
            .execution_options(synchronize_session=False)
        )
        # the SC chooses who takes them next (a new standing volunteer, or a match run)
        flags.raise_flag(
            session, help_request_ids=ids, flag="standing_ended", now=now, redispatch=False
        )
    session.flush()
    return ids


def release_standing(session: Session, *, volunteer_id: int, now: dt.datetime) -> list[int]:
    """A volunteer stopped: they stand for no series any more, and their future occurrences
    reopen, flagged for the SC. Returns the reopened requests' ids."""
    reopened: list[int] = []
    for series in session.scalars(
        select(RequestSeries).where(RequestSeries.standing_volunteer_id == volunteer_id)
    ):
        reopened += reopen_standing(
            session, series_id=series.id, volunteer_id=volunteer_id, now=now
        )
        series.standing_volunteer_id = None
    session.flush()
    return reopened


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(HelpRequest)


def generate(
    session: Session,
    *,
    weeks_ahead: int = DEFAULT_WEEKS_AHEAD,
    today: dt.date,
    holidays: str = "skip",
    now: dt.datetime | None = None,
    series_id: int | None = None,
) -> GenerateReport:
    """Make the occurrences of every active series from today to weeks_ahead weeks on.

    Safe to run again and again and by two processes at once: each row is an INSERT … ON
    CONFLICT DO NOTHING on UNIQUE (series_id, occurrence_date); on PostgreSQL the second
    writer waits for the first's row and then does nothing. An occurrence whose window is over
    by `now` is not made. `holidays` is the ward's rule for series that have none. `series_id`:
    that series only (the SC's screen, right after creating, resuming or editing it).
    """
    if weeks_ahead < 0:
        raise InvalidInput("weeks_ahead is 0 or more.", {"weeks_ahead": ["0 or more."]})
    if holidays not in SERIES_HOLIDAY_RULES:
        raise InvalidInput("Unknown holiday rule.", {"holidays": ["skip or keep."]})
    last = today + dt.timedelta(days=7 * weeks_ahead)
    which = select(RequestSeries).where(RequestSeries.status == "active")
    if series_id is not None:
        which = which.where(RequestSeries.id == series_id)
    active = session.scalars(which.order_by(RequestSeries.id)).all()
    created = standing = 0
    for series in active:
        for day in occurrence_dates(
            weekdays=series.weekdays,
            pattern=series.pattern,
            start_date=series.start_date,
            end_date=series.end_date,
            first=today,
            last=last,
            holidays=series.holidays or holidays,
        ):
            start, end = window_of(day, series.window_start_min, series.window_end_min)
            if now is not None and end <= now:
                continue
            stmt = (
                _insert(session)
                .values(
                    resident_id=series.resident_id,
                    category_id=series.category_id,
                    window_start=start,
                    window_end=end,
                    status="open",
                    notes=series.notes,
                    created_at=utcnow(),
                    series_id=series.id,
                    occurrence_date=day,
                )
                .on_conflict_do_nothing(index_elements=["series_id", "occurrence_date"])
                .returning(HelpRequest.id)
            )
            # a row comes back only when inserted: the conflict did nothing otherwise
            help_request_id = session.execute(stmt).scalar_one_or_none()
            if help_request_id is None:
                continue
            created += 1
            if series.standing_volunteer_id is not None:
                standing += _pre_assign(session, series, help_request_id, start, end)
    session.flush()
    return GenerateReport(series=len(active), created=created, standing=standing)


# --- what the screens list ----------------------------------------------------------------


def list_series(
    session: Session,
    *,
    zone: str | None = None,
    resident_id: int | None = None,
    standing_volunteer_id: int | None = None,
    include_ended: bool = True,
) -> list[RequestSeries]:
    """Series by zone (their resident's), resident or standing volunteer: active first, then
    paused, then ended; by resident's zone and id within."""
    query = select(RequestSeries).join(Resident, Resident.id == RequestSeries.resident_id)
    if zone is not None:
        query = query.where(Resident.zone == zone)
    if resident_id is not None:
        query = query.where(RequestSeries.resident_id == resident_id)
    if standing_volunteer_id is not None:
        query = query.where(RequestSeries.standing_volunteer_id == standing_volunteer_id)
    if not include_ended:
        query = query.where(RequestSeries.status != "ended")
    found = session.scalars(query.order_by(Resident.zone, RequestSeries.id)).all()
    order = {"active": 0, "paused": 1, "ended": 2}
    return sorted(found, key=lambda s: order.get(s.status, 3))


@dataclass(frozen=True)
class Occurrence:
    help_request: HelpRequest
    #: who holds it (proposed or accepted), if anyone
    volunteer: Volunteer | None
    assignment_status: str | None


def upcoming(
    session: Session, *, series_id: int, now: dt.datetime, limit: int = 10
) -> list[Occurrence]:
    """The series' occurrences whose window has not ended, soonest first, with who holds each."""
    requests_ = session.scalars(
        select(HelpRequest)
        .where(HelpRequest.series_id == series_id, HelpRequest.window_end > now)
        .order_by(HelpRequest.window_start)
        .limit(limit)
    ).all()
    held = {
        a.help_request_id: a
        for a in session.scalars(
            select(Assignment).where(
                Assignment.help_request_id.in_([r.id for r in requests_]),
                Assignment.status.in_(LIVE_ASSIGNMENT_STATUSES),
            )
        )
    }
    out = []
    for r in requests_:
        a = held.get(r.id)
        out.append(
            Occurrence(
                help_request=r,
                volunteer=session.get(Volunteer, a.volunteer_id) if a else None,
                assignment_status=a.status if a else None,
            )
        )
    return out


def standing_candidates(session: Session, *, series_id: int, limit: int = 30) -> list[Volunteer]:
    """Active volunteers of the resident's zone who could stand for the series, nearest first."""
    series = get_series(session, series_id=series_id)
    resident = series.resident
    people = session.scalars(
        select(Volunteer).where(Volunteer.status == "active", Volunteer.zone == resident.zone)
    ).all()
    return sorted(people, key=lambda v: (metres(v.lat, v.lon, resident.lat, resident.lon), v.id))[
        :limit
    ]
