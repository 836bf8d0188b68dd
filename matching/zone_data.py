"""What a zone's map shows: its open requests, its volunteers and the newest match run's pairs.

A service like the others (a session and keyword arguments; it only reads). The screens draw
the result with `web.zonemap.zone_map`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from matching import services
from matching.models import Assignment, HelpRequest, MatchRun, Resident, Volunteer

#: what the map draws as a pair: a line while proposed, and once accepted
PAIR_STATUSES = ("proposed", "accepted")
#: a ward-wide map stops at this many requests and as many volunteers (nearest windows first)
LIMIT = 500


@dataclass(frozen=True)
class ZoneOverview:
    """Requests (open ones, and those of the pairs), volunteers (active or trial in the zone,
    and those of the pairs) and the pairs of the newest match run that covered the zone."""

    requests: list[HelpRequest]
    volunteers: list[Volunteer]
    pairs: list[Assignment]
    match_run: MatchRun | None


def newest_run(session: Session, *, zone: str | None) -> MatchRun | None:
    """The newest match run over this zone: one run for the zone or for every zone (any run
    when zone is None)."""
    stmt = select(MatchRun)
    if zone:
        stmt = stmt.where(or_(MatchRun.zone == zone, MatchRun.zone.is_(None)))
    return session.scalars(stmt.order_by(MatchRun.created_at.desc(), MatchRun.id.desc())).first()


def zone_overview(session: Session, *, zone: str | None, limit: int = LIMIT) -> ZoneOverview:
    """Everything the zone's map shows (the whole ward's when zone is None)."""
    run = newest_run(session, zone=zone)
    pairs: list[Assignment] = []
    if run is not None:
        stmt = (
            select(Assignment)
            .join(Assignment.help_request)
            .join(HelpRequest.resident)
            .where(Assignment.match_run_id == run.id, Assignment.status.in_(PAIR_STATUSES))
            .options(
                selectinload(Assignment.help_request).selectinload(HelpRequest.resident),
                selectinload(Assignment.help_request).selectinload(HelpRequest.category),
                selectinload(Assignment.volunteer),
            )
            .order_by(Assignment.id)
        )
        if zone:
            stmt = stmt.where(Resident.zone == zone)
        pairs = list(session.scalars(stmt))

    open_requests = session.scalars(
        services.help_request_query(status="open", zone=zone)
        .options(selectinload(HelpRequest.resident), selectinload(HelpRequest.category))
        .limit(limit)
    ).all()
    requests = {r.id: r for r in open_requests}
    for pair in pairs:
        requests.setdefault(pair.help_request_id, pair.help_request)

    people = select(Volunteer).where(Volunteer.status.in_(("active", "trial")))
    if zone:
        people = people.where(Volunteer.zone == zone)
    volunteers = {v.id: v for v in session.scalars(people.order_by(Volunteer.id).limit(limit))}
    for pair in pairs:
        volunteers.setdefault(pair.volunteer_id, pair.volunteer)

    return ZoneOverview(
        requests=sorted(requests.values(), key=lambda r: (r.window_start, r.id)),
        volunteers=list(volunteers.values()),
        pairs=pairs,
        match_run=run,
    )
