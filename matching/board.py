"""What an SC looks at before matching: the zones, the open requests of a zone and window, the
volunteers who could help that day, and one volunteer's tasks of a day. Read-only queries."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import Session, selectinload

from matching.cost import EARTH_RADIUS_M
from matching.models import Assignment, AvailabilitySlot, HelpRequest, Resident, Volunteer
from matching.services import help_request_query

TOKYO = ZoneInfo("Asia/Tokyo")
_M_PER_DEG_LAT = 111_195.0


def zones(session: Session) -> list[str]:
    """Every zone (町名) that has residents or volunteers, in the order of their names."""
    names = session.scalars(
        union(
            select(Resident.zone),
            select(Volunteer.zone).where(Volunteer.zone.is_not(None)),
        )
    )
    return sorted({n for n in names if n})


def day_window(
    day: dt.date, start: dt.time | None, end: dt.time | None
) -> tuple[dt.datetime, dt.datetime]:
    """Return a local day, or a part of it, as an aware [from, to) in UTC."""
    window_from = dt.datetime.combine(day, start or dt.time(0, 0), TOKYO)
    window_to = (
        dt.datetime.combine(day, end, TOKYO)
        if end is not None and end != dt.time(0, 0)
        else dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), TOKYO)
    )
    return window_from.astimezone(dt.UTC), window_to.astimezone(dt.UTC)


def open_requests(
    session: Session, *, zone: str | None, window_from: dt.datetime, window_to: dt.datetime
) -> list[HelpRequest]:
    """The open requests of a zone whose window overlaps from..to, earliest window first."""
    stmt = help_request_query(
        status="open", zone=zone, window_from=window_from, window_to=window_to
    ).options(selectinload(HelpRequest.resident), selectinload(HelpRequest.category))
    return list(session.scalars(stmt))


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


@dataclass(frozen=True)
class Candidate:
    """A volunteer who could help in a zone on a day: their slots that day, the nearest request."""

    volunteer: Volunteer
    slots: tuple[tuple[int, int], ...]
    #: metres to the nearest of the requests shown (None when there are none)
    nearest_m: float | None


def volunteers_for_day(
    session: Session, *, zone: str | None, day: dt.date, requests: Sequence[HelpRequest]
) -> list[Candidate]:
    """Active and trial volunteers of the zone, or within their reach of one of the requests,
    who have a weekly slot on that day; nearest first."""
    near: list[object] = []
    if zone:
        near.append(Volunteer.zone == zone)
    if requests:
        reach = session.scalar(select(func.max(Volunteer.max_distance_m))) or 0
        lats = [r.resident.lat for r in requests]
        lons = [r.resident.lon for r in requests]
        pad_lat = reach / _M_PER_DEG_LAT
        pad_lon = pad_lat / max(math.cos(math.radians(max(abs(x) for x in lats))), 0.01)
        near.append(
            Volunteer.lat.between(min(lats) - pad_lat, max(lats) + pad_lat)
            & Volunteer.lon.between(min(lons) - pad_lon, max(lons) + pad_lon)
        )
    if not near:
        return []
    weekday = day.weekday()
    stmt = (
        select(Volunteer)
        .where(Volunteer.status.in_(("active", "trial")), or_(*near))
        .where(
            Volunteer.id.in_(
                select(AvailabilitySlot.volunteer_id).where(AvailabilitySlot.weekday == weekday)
            )
        )
        .options(selectinload(Volunteer.availability), selectinload(Volunteer.skills))
        .order_by(Volunteer.id)
    )
    found = []
    for volunteer in session.scalars(stmt):
        distances = [
            _metres(volunteer.lat, volunteer.lon, r.resident.lat, r.resident.lon) for r in requests
        ]
        nearest = min(distances) if distances else None
        in_reach = nearest is not None and nearest <= volunteer.max_distance_m
        if volunteer.zone != zone and not in_reach:
            continue
        slots = tuple(
            (s.start_min, s.end_min) for s in volunteer.availability if s.weekday == weekday
        )
        found.append(Candidate(volunteer=volunteer, slots=slots, nearest_m=nearest))
    found.sort(key=lambda c: (c.nearest_m is None, c.nearest_m or 0.0, c.volunteer.id))
    return found


def tasks_of_day(session: Session, *, volunteer_id: int, day: dt.date) -> list[Assignment]:
    """A volunteer's proposed and accepted tasks whose window starts on a local day, in order."""
    start, end = day_window(day, None, None)
    stmt = (
        select(Assignment)
        .join(HelpRequest, Assignment.help_request_id == HelpRequest.id)
        .where(
            Assignment.volunteer_id == volunteer_id,
            Assignment.status.in_(("proposed", "accepted")),
            HelpRequest.window_start >= start,
            HelpRequest.window_start < end,
        )
        .options(
            selectinload(Assignment.help_request).selectinload(HelpRequest.resident),
            selectinload(Assignment.help_request).selectinload(HelpRequest.category),
        )
        .order_by(HelpRequest.window_start, HelpRequest.window_end, Assignment.id)
    )
    return list(session.scalars(stmt))
