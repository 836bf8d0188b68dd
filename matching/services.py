"""Residents, volunteers, おためし signups, help requests: take a session, flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from access.models import ApiToken
from access.tokens import new_token
from db import Conflict, InvalidInput, NotFound, utcnow
from matching import followups
from matching.models import (
    Assignment,
    AvailabilitySlot,
    Category,
    HelpRequest,
    Resident,
    Skill,
    Volunteer,
)
from matching.places import NEIGHBOURHOOD_M, Place, metres, nearest_area, place_of


def create_resident(session: Session, **fields: Any) -> Resident:
    """Register a resident (entered by the SC, often from a phone call); see register_resident."""
    resident, _place = register_resident(session, **fields)
    return resident


#: residents.address is a String(200)
ADDRESS_MAX = 200


def register_resident(
    session: Session,
    *,
    address: str,
    lat: float | None = None,
    lon: float | None = None,
    zone: str | None = None,
    ward: str | None = None,
    area: str | None = None,
    keep_point_within_m: float | None = None,
    **fields: Any,
) -> tuple[Resident, Place]:
    """Register a resident where they live, and say where that was found.

    Without ``lat``/``lon`` the address (or ``area``, a 町丁目 picked from a list) gives the
    point and the zone, as matching.places.place_of finds them; with them, they are used as
    given (or, with ``keep_point_within_m``, only if that near the address's 町丁目).
    """
    place = place_of(
        address=address,
        ward=ward,
        lat=lat,
        lon=lon,
        zone=zone,
        area=area,
        keep_point_within_m=keep_point_within_m,
    )
    if area and place.area is not None and place.area.area_name not in address:
        # picked from a list (a postcode alone, a 町名 without its 丁目): the address a
        # volunteer reads then names the 町丁目 too, after what the resident said
        named = f"{address}（{place.area.label}）"
        address = named if len(named) <= ADDRESS_MAX else address
    resident = Resident(address=address, lat=place.lat, lon=place.lon, zone=place.zone, **fields)
    session.add(resident)
    session.flush()
    return resident, place


def move_resident(session: Session, *, resident_id: int, lat: float, lon: float) -> Resident:
    """Move a resident's point to one an SC picked on the map: the door rather than the
    町丁目's representative point. It must lie within NEIGHBOURHOOD_M of the 町丁目 the resident
    was placed in; the zone stays."""
    resident = get_resident(session, resident_id=resident_id)
    area = nearest_area(resident.lat, resident.lon)
    if metres(area.lat, area.lon, lat, lon) > NEIGHBOURHOOD_M:
        raise InvalidInput(
            "The point is too far from the resident's 町丁目.",
            {"lat": [f"{area.label}から1.5 km 以内の地点を選んでください。"]},
        )
    resident.lat, resident.lon = lat, lon
    session.flush()
    return resident


def get_resident(session: Session, *, resident_id: int) -> Resident:
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise NotFound(f"Resident {resident_id} not found.")
    return resident


def _skills(session: Session, codes: Iterable[str], field: str = "skills") -> list[Skill]:
    wanted = sorted(set(codes))
    found = {s.code: s for s in session.scalars(select(Skill).where(Skill.code.in_(wanted)))}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        known = ", ".join(session.scalars(select(Skill.code).order_by(Skill.code)))
        raise InvalidInput(
            f"Unknown skill: {', '.join(unknown)}.",
            {field: [f"Unknown skill {c!r}; known: {known}." for c in unknown]},
        )
    return [found[c] for c in wanted]


def _slots(availability: Sequence[dict[str, int]]) -> list[AvailabilitySlot]:
    seen = set()
    slots = []
    for slot in availability:
        key = (slot["weekday"], slot["start_min"], slot["end_min"])
        if key not in seen:  # the same slot twice is one slot
            seen.add(key)
            slots.append(AvailabilitySlot(weekday=key[0], start_min=key[1], end_min=key[2]))
    return slots


def _issue_volunteer_token(session: Session, volunteer: Volunteer) -> str:
    token, token_hash = new_token()
    session.add(ApiToken(token_hash=token_hash, role="volunteer", volunteer_id=volunteer.id))
    return token


def create_volunteer(
    session: Session,
    *,
    skills: Sequence[str] = (),
    availability: Sequence[dict[str, int]] = (),
    status: str = "active",
    address: str | None = None,
    ward: str | None = None,
    area: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    zone: str | None = None,
    **fields: Any,
) -> tuple[Volunteer, str]:
    """Register a volunteer and issue their token (returned once, stored as a hash).

    Where they live is ``lat``/``lon``, or an ``address`` (or ``area``, a 町丁目 picked from a
    list) whose 町丁目 gives the point; the zone,
    unless given, is the 町名 of that 町丁目 (or the point's nearest). The address is not stored.
    """
    if lat is None or lon is None or zone is None:
        place = place_of(address=address, ward=ward, area=area, lat=lat, lon=lon, zone=zone)
        lat, lon, zone = place.lat, place.lon, place.zone
    volunteer = Volunteer(
        lat=lat,
        lon=lon,
        zone=zone,
        status=status,
        skills=_skills(session, skills),
        availability=_slots(availability),
        registered_at=utcnow() if status == "active" else None,
        joined_as_trial=status == "trial",
        **fields,
    )
    session.add(volunteer)
    session.flush()
    token = _issue_volunteer_token(session, volunteer)
    session.flush()
    return volunteer, token


def get_volunteer(session: Session, *, volunteer_id: int) -> Volunteer:
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound(f"Volunteer {volunteer_id} not found.")
    return volunteer


def update_volunteer(session: Session, *, volunteer_id: int, changes: dict[str, Any]) -> Volunteer:
    """Change a volunteer's profile; trial -> active records when they registered."""
    volunteer = get_volunteer(session, volunteer_id=volunteer_id)
    changes = dict(changes)
    if "skills" in changes:
        volunteer.skills = _skills(session, changes.pop("skills"))
    if "availability" in changes:
        volunteer.availability = _slots(changes.pop("availability"))
    new_status = changes.pop("status", None)
    if new_status is not None and new_status != volunteer.status:
        if new_status == "trial":
            raise Conflict("A registered volunteer cannot go back to trial.")
        if new_status == "active" and volunteer.registered_at is None:
            volunteer.registered_at = utcnow()
        if new_status == "active":
            followups.close_followup(
                session, volunteer_id=volunteer.id, by_user_id=None, now=utcnow()
            )
        if new_status == "inactive":
            # series imports this module: imported here to break the cycle
            from matching.series import release_standing

            release_standing(session, volunteer_id=volunteer.id, now=utcnow())
        volunteer.status = new_status
    for name, value in changes.items():
        setattr(volunteer, name, value)
    session.flush()
    return volunteer


def signup_trial(
    session: Session,
    *,
    interests: Sequence[str],
    availability: Sequence[dict[str, int]],
    lat: float,
    lon: float,
    zone: str | None,
    **fields: Any,
) -> tuple[Volunteer, str]:
    """Sign up an おためしボランティア: skills come from the easy categories they chose."""
    wanted = sorted(set(interests))
    categories = {
        c.code: c for c in session.scalars(select(Category).where(Category.code.in_(wanted)))
    }
    trial_codes = list(
        session.scalars(select(Category.code).where(Category.trial_ok).order_by(Category.code))
    )
    problems = []
    for code in wanted:
        if code not in categories:
            problems.append(f"Unknown category {code!r}.")
        elif not categories[code].trial_ok:
            problems.append(
                f"{categories[code].label_ja} ({code}) is for registered volunteers;"
                f" to try: {', '.join(trial_codes)}."
            )
    if problems:
        raise InvalidInput(
            "Choose categories open to おためし volunteers.", {"interests": problems}
        )
    skills = {s for code in wanted for s in categories[code].required_skills}
    return create_volunteer(
        session,
        skills=sorted(skills),
        availability=availability,
        status="trial",
        lat=lat,
        lon=lon,
        zone=zone,
        max_distance_m=800,  # a short first walk
        **fields,
    )


def get_category(session: Session, *, code: str, field: str = "category") -> Category:
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        known = ", ".join(session.scalars(select(Category.code).order_by(Category.id)))
        raise InvalidInput(
            f"Unknown category {code!r}.", {field: [f"Unknown category; known: {known}."]}
        )
    return category


def list_categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.id)))


def create_help_request(
    session: Session,
    *,
    resident_id: int,
    category: str,
    window_start: dt.datetime,
    window_end: dt.datetime,
    notes: str | None = None,
    now: dt.datetime | None = None,
) -> HelpRequest:
    """Open a help request for a resident in a time window."""
    now = now or utcnow()
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise InvalidInput(
            f"Resident {resident_id} not found.", {"resident_id": ["No such resident."]}
        )
    cat = get_category(session, code=category)
    if window_end <= now:
        raise InvalidInput(
            "The window is already over.", {"window_end": ["window_end is in the past."]}
        )
    if window_end - window_start < dt.timedelta(minutes=cat.duration_min):
        raise InvalidInput(
            f"{cat.label_ja} takes {cat.duration_min} minutes; the window is shorter.",
            {"window_end": [f"The window must be at least {cat.duration_min} minutes long."]},
        )
    request = HelpRequest(
        resident=resident,
        category=cat,
        window_start=window_start,
        window_end=window_end,
        notes=notes,
        status="open",
    )
    session.add(request)
    session.flush()
    return request


def get_help_request(session: Session, *, help_request_id: int) -> HelpRequest:
    request = session.get(HelpRequest, help_request_id)
    if request is None:
        raise NotFound(f"Help request {help_request_id} not found.")
    return request


def help_request_query(
    *,
    status: str | None = None,
    zone: str | None = None,
    window_from: dt.datetime | None = None,
    window_to: dt.datetime | None = None,
    flagged: bool | None = None,
) -> Any:
    """Build the filtered, ordered query of help requests (the caller paginates)."""
    stmt = select(HelpRequest).join(HelpRequest.resident)
    if status:
        stmt = stmt.where(HelpRequest.status == status)
    if flagged is not None:
        stmt = stmt.where(HelpRequest.flag.is_not(None) if flagged else HelpRequest.flag.is_(None))
    stmt = stmt.where(*in_scope(zone=zone, window_from=window_from, window_to=window_to))
    return stmt.order_by(HelpRequest.window_start, HelpRequest.id)


def in_scope(
    *, zone: str | None, window_from: dt.datetime | None, window_to: dt.datetime | None
) -> list[Any]:
    """Return the conditions of a scope: the residents' zone, windows overlapping from..to.

    The query must join Resident.
    """
    conditions: list[Any] = []
    if zone:
        conditions.append(Resident.zone == zone)
    if window_from is not None:
        conditions.append(HelpRequest.window_end > window_from)
    if window_to is not None:
        conditions.append(HelpRequest.window_start < window_to)
    return conditions


def cancel_help_request(
    session: Session, *, help_request_id: int, now: dt.datetime | None = None
) -> HelpRequest:
    """Cancel an open or proposed request; a pending proposal for it is withdrawn too."""
    now = now or utcnow()
    request = get_help_request(session, help_request_id=help_request_id)
    # a conditional UPDATE: a concurrent accept or match run cannot slip in between
    changed = session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == help_request_id, HelpRequest.status.in_(("open", "proposed")))
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        session.refresh(request)
        raise Conflict(
            f"Help request {help_request_id} is {request.status}; it cannot be cancelled."
        )
    session.execute(
        update(Assignment)
        .where(Assignment.help_request_id == help_request_id, Assignment.status == "proposed")
        .values(status="cancelled", ended_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.refresh(request)
    return request
