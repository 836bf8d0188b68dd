"""Match runs and the assignment lifecycle: load rows -> domain -> engine -> persist.

Services take a session and keyword arguments, flush and never commit: the request commits once.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, NamedTuple

from sqlalchemy import and_, func, insert, select, text, update
from sqlalchemy.orm import Session, selectinload

from db import Conflict, InvalidInput, NotFound, utcnow
from matching import flags, followups
from matching.blocks import NO_SHOW_WINDOW, TOKYO, blocked_requests, no_show_counts
from matching.domain import CostWeights, RequestSpec, Slot, Unmatched, VolunteerSpec
from matching.models import (
    ANSWER_CHANNELS,
    LIVE_ASSIGNMENT_STATUSES,
    Assignment,
    AvailabilitySlot,
    Category,
    HelpRequest,
    MatchRun,
    Resident,
    Volunteer,
    category_skills,
    volunteer_skills,
)
from matching.rounds import plan_rounds
from matching.services import in_scope
from points.credits import credit_completed_task

#: Serialises match runs on PostgreSQL (SQLite's BEGIN IMMEDIATE already does): a second run
#: waits, then sees the first one's proposals, so no request or busy volunteer is proposed twice.
MATCH_RUN_LOCK = 0x5A5AE41
_LOAD_WINDOW = dt.timedelta(days=7)
_EARTH_M_PER_DEG_LAT = 111_195.0


def lock_match_runs(session: Session) -> None:
    """Wait for any other match run or override in progress (PostgreSQL; SQLite serialises)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MATCH_RUN_LOCK})


RequestRow = tuple[int, int, float, float, int, int, bool, dt.datetime, dt.datetime]


def _request_rows() -> Any:
    return (
        select(
            HelpRequest.id,
            HelpRequest.resident_id,
            Resident.lat,
            Resident.lon,
            HelpRequest.category_id,
            Category.duration_min,
            Category.trial_ok,
            HelpRequest.window_start,
            HelpRequest.window_end,
        )
        .join(Resident, HelpRequest.resident_id == Resident.id)
        .join(Category, HelpRequest.category_id == Category.id)
    )


def _open_requests(
    session: Session,
    *,
    zone: str | None,
    window_from: dt.datetime | None,
    window_to: dt.datetime | None,
    now: dt.datetime,
    help_request_ids: Sequence[int] | None = None,
) -> list[RequestRow]:
    stmt = (
        _request_rows()
        .where(HelpRequest.status == "open")
        .where(*in_scope(zone=zone, window_from=window_from, window_to=window_to))
        .order_by(HelpRequest.window_start, HelpRequest.id)
    )
    if help_request_ids is not None:
        stmt = stmt.where(HelpRequest.id.in_(list(help_request_ids)))
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]


def request_spec(session: Session, *, help_request_id: int, now: dt.datetime) -> RequestSpec:
    """Return one request as the engine sees it, whatever its status."""
    row = session.execute(_request_rows().where(HelpRequest.id == help_request_id)).one_or_none()
    if row is None:
        raise NotFound(f"Help request {help_request_id} not found.")
    (spec,) = request_specs(session, [tuple(row)], now=now)  # type: ignore[list-item]
    return spec


class Loaded(NamedTuple):
    requests: list[RequestSpec]
    volunteers: list[VolunteerSpec]
    #: Requests in scope that somebody declined (the others were excluded as busy only).
    declined: frozenset[int] = frozenset()
    #: Requests in scope that somebody had blocked the day of.
    blocked: frozenset[int] = frozenset()


class LoadedVolunteers(NamedTuple):
    volunteers: list[VolunteerSpec]
    #: Requests somebody declined.
    declined: frozenset[int]
    #: Requests whose day somebody blocked (matching.blocks).
    blocked: frozenset[int] = frozenset()


def weights_for(walking_m_per_min: Any) -> CostWeights:
    """The cost weights with the ward's walking speed between the tasks of a round, in metres per
    minute (the setting WALKING_M_PER_MIN, e.g. "67", which is 4 km/h). Raises ValueError with a
    clear message for anything but a speed an elderly neighbour could walk at (20-150)."""
    try:
        speed = float(walking_m_per_min)
    except (TypeError, ValueError):
        speed = math.nan
    if not 20 <= speed <= 150:  # also refuses nan and inf
        raise ValueError(
            f"WALKING_M_PER_MIN is the walking speed in metres per minute, from 20 to 150"
            f" (67 is 4 km/h), not {walking_m_per_min!r}."
        )
    return CostWeights(walking_m_per_min=speed)


def held_per_day(session: Session, *, volunteer_id: int, since: dt.date) -> dict[dt.date, int]:
    """The tasks a volunteer holds on each Tokyo day from `since` on (proposed, accepted or
    completed, a standing occurrence too, by the day its window starts): what
    max_tasks_per_day is counted against, as load_volunteers counts it for a run."""
    starts = session.scalars(
        select(HelpRequest.window_start)
        .join(Assignment, Assignment.help_request_id == HelpRequest.id)
        .where(
            Assignment.volunteer_id == volunteer_id,
            Assignment.status.in_(LIVE_ASSIGNMENT_STATUSES),
            HelpRequest.window_start >= dt.datetime.combine(since, dt.time(), TOKYO),
        )
    )
    return dict(Counter(start.astimezone(TOKYO).date() for start in starts))


def load_specs(
    session: Session,
    *,
    zone: str | None = None,
    window_from: dt.datetime | None = None,
    window_to: dt.datetime | None = None,
    now: dt.datetime | None = None,
    help_request_ids: Sequence[int] | None = None,
) -> Loaded:
    """Load the open requests in scope and every volunteer who could reach one of them.

    Every open request in scope is loaded, so that every one is proposed or explained: one whose
    window has less time left than its task takes (or has ended) is the engine's `too_late`.
    help_request_ids narrows the scope to these requests (automatic re-dispatch).
    """
    now = now or utcnow()
    rows = _open_requests(
        session,
        zone=zone,
        window_from=window_from,
        window_to=window_to,
        now=now,
        help_request_ids=help_request_ids,
    )
    if not rows:
        return Loaded([], [])
    requests = request_specs(session, rows, now=now)
    volunteers, declined, blocked = load_volunteers(session, requests=requests, now=now)
    return Loaded(requests, volunteers, declined, blocked)


def request_specs(
    session: Session,
    rows: Sequence[RequestRow],
    *,
    now: dt.datetime,
) -> list[RequestSpec]:
    """Turn (id, resident, lat, lon, category, duration, trial_ok, start, end) rows into specs."""
    skills_of_category: dict[int, set[str]] = defaultdict(set)
    for category_id, code in session.execute(select(category_skills)):
        skills_of_category[category_id].add(code)
    return [
        RequestSpec(
            id=rid,
            resident_id=resident_id,
            lat=lat,
            lon=lon,
            required_skills=frozenset(skills_of_category[category_id]),
            duration_min=duration,
            trial_ok=trial_ok,
            # only what is left of a window that has begun can still be used (exactly, to the
            # microsecond: the engine compares what is left with the duration exactly)
            window_start=min(max(start, now), end),
            window_end=end,
        )
        for rid, resident_id, lat, lon, category_id, duration, trial_ok, start, end in rows
    ]


def load_volunteers(
    session: Session, *, requests: Sequence[RequestSpec], now: dt.datetime
) -> LoadedVolunteers:
    """Load every volunteer who could reach one of these requests, with their history.

    Returns them, the requests somebody declined (or left unanswered by the cut-off, or did not
    show for) and those somebody blocked the day of. A volunteer's declines, unanswered
    proposals and no-shows of these requests, those that overlap a task they already hold and
    those on a day they blocked (matching.blocks) become their exclusions. Each volunteer's
    max_tasks_per_day comes with the tasks they hold on each Tokyo day of these requests
    (proposed, accepted or completed; a standing occurrence too): plan_rounds gives them only
    the room left.
    """
    timely = [
        r for r in requests if r.window_end - r.window_start >= dt.timedelta(minutes=r.duration_min)
    ]
    if not timely:
        return LoadedVolunteers([], frozenset())

    # only volunteers whose reach can touch the bounding box of the requests that have time left
    reach = session.scalar(select(func.max(Volunteer.max_distance_m))) or 0
    pad_lat = reach / _EARTH_M_PER_DEG_LAT
    lats = [r.lat for r in timely]
    lons = [r.lon for r in timely]
    cos_lat = max(math.cos(math.radians(max(abs(min(lats)), abs(max(lats))))), 0.01)
    pad_lon = pad_lat / cos_lat
    volunteer_filter = and_(
        Volunteer.status.in_(("active", "trial")),
        Volunteer.lat.between(min(lats) - pad_lat, max(lats) + pad_lat),
        Volunteer.lon.between(min(lons) - pad_lon, max(lons) + pad_lon),
    )
    eligible = select(Volunteer.id).where(volunteer_filter).scalar_subquery()
    people = session.execute(
        select(
            Volunteer.id,
            Volunteer.lat,
            Volunteer.lon,
            Volunteer.max_distance_m,
            Volunteer.status,
            Volunteer.max_tasks_per_day,
        )
        .where(volunteer_filter)
        .order_by(Volunteer.id)
    ).all()
    skills: dict[int, set[str]] = defaultdict(set)
    for vid, code in session.execute(
        select(volunteer_skills.c.volunteer_id, volunteer_skills.c.skill_code).where(
            volunteer_skills.c.volunteer_id.in_(eligible)
        )
    ):
        skills[vid].add(code)
    slots: dict[int, list[Slot]] = defaultdict(list)
    for vid, weekday, start_min, end_min in session.execute(
        select(
            AvailabilitySlot.volunteer_id,
            AvailabilitySlot.weekday,
            AvailabilitySlot.start_min,
            AvailabilitySlot.end_min,
        ).where(AvailabilitySlot.volunteer_id.in_(eligible))
    ):
        slots[vid].append(Slot(weekday=weekday, start_min=start_min, end_min=end_min))

    # history: declines (never again), residents helped (continuity), recent load, experience
    in_scope = {r.id for r in requests}
    window_of = {r.id: (r.window_start, r.window_end) for r in requests}
    excluded: dict[int, set[int]] = defaultdict(set)
    helped: dict[int, set[int]] = defaultdict(set)
    recent: dict[int, int] = defaultdict(int)
    completed: dict[int, int] = defaultdict(int)
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    # tasks held on each local day of these requests: they count against max_tasks_per_day
    days = {r.window_start.astimezone(TOKYO).date() for r in requests}
    held: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    declined_requests: set[int] = set()
    history = session.execute(
        select(
            Assignment.volunteer_id,
            Assignment.help_request_id,
            Assignment.status,
            Assignment.accepted_at,
            Assignment.completed_at,
            Assignment.ended_reason,
            HelpRequest.resident_id,
            HelpRequest.window_start,
            HelpRequest.window_end,
        )
        .join(HelpRequest, Assignment.help_request_id == HelpRequest.id)
        .where(
            Assignment.volunteer_id.in_(eligible),
            Assignment.status.in_(
                ("declined", "no_show", "cancelled", "completed", "accepted", "proposed")
            ),
        )
    )
    for vid, hid, status, accepted_at, completed_at, ended, resident_id, start, end in history:
        if status == "cancelled" and ended != "no_answer":
            continue  # the SC withdrew it: no reason not to ask them again
        if status in ("declined", "no_show", "cancelled"):
            # declined, did not show, or did not answer by the cut-off: never this request again
            if hid in in_scope:
                excluded[vid].add(hid)
                declined_requests.add(hid)
            continue
        day = start.astimezone(TOKYO).date()
        if day in days:
            held[vid][day] += 1  # proposed, accepted or done that day (a standing task too)
        if status == "completed":
            completed[vid] += 1
            helped[vid].add(resident_id)
        # load counts a task by when it was last accepted or completed, not when proposed
        last_moved = completed_at or accepted_at
        if status in ("accepted", "completed") and last_moved and last_moved >= now - _LOAD_WINDOW:
            recent[vid] += 1
        if status in ("proposed", "accepted") and end > now:
            busy[vid].append((start, end))
    # a volunteer already committed in a time is not proposed again for an overlapping window
    for vid, commitments in busy.items():
        for rid, (start, end) in window_of.items():
            if any(s < end and start < e for s, e in commitments):
                excluded[vid].add(rid)
    no_shows = no_show_counts(session, volunteer_ids=eligible, since=now - NO_SHOW_WINDOW)
    # a volunteer is never proposed on a day they blocked (travel, hospital)
    blocked_requests_of = blocked_requests(session, volunteer_ids=eligible, requests=requests)
    blocked: set[int] = set()
    for vid, rids in blocked_requests_of.items():
        excluded[vid] |= rids
        blocked |= rids

    volunteers = [
        VolunteerSpec(
            id=vid,
            lat=lat,
            lon=lon,
            max_distance_m=float(max_distance),
            skills=frozenset(skills[vid]),
            slots=tuple(slots[vid]),
            is_trial=status == "trial",
            declined_request_ids=frozenset(excluded[vid]),
            helped_resident_ids=frozenset(helped[vid]),
            recent_tasks=recent[vid],
            completed_tasks=completed[vid],
            recent_no_shows=no_shows.get(vid, 0),
            capacity_per_day=capacity,
            held_per_day=dict(held[vid]) if vid in held else {},
        )
        for vid, lat, lon, max_distance, status, capacity in people
    ]
    return LoadedVolunteers(volunteers, frozenset(declined_requests), frozenset(blocked))


def run_match(
    session: Session,
    *,
    zone: str | None = None,
    window_from: dt.datetime | None = None,
    window_to: dt.datetime | None = None,
    created_by_id: int | None = None,
    weights: CostWeights | None = None,
    now: dt.datetime | None = None,
    help_request_ids: Sequence[int] | None = None,
    trigger: str | None = None,
) -> MatchRun:
    """Propose the optimal assignment for the open requests in scope and record the run.

    help_request_ids narrows the scope to these requests; trigger names what started a run
    nobody asked for (recorded in its params, e.g. "dispatch due").
    """
    now = now or utcnow()
    weights = weights or CostWeights()
    started = time.perf_counter()
    lock_match_runs(session)
    requests, volunteers, declined, blocked = load_specs(
        session,
        zone=zone,
        window_from=window_from,
        window_to=window_to,
        now=now,
        help_request_ids=help_request_ids,
    )
    loaded = time.perf_counter()
    result = plan_rounds(requests, volunteers, weights=weights)
    solved = time.perf_counter()

    run = MatchRun(
        created_by_id=created_by_id,
        zone=zone,
        window_from=window_from,
        window_to=window_to,
        created_at=now,
        requests_count=len(requests),
        volunteers_count=len(volunteers),
        matched_count=len(result.proposals),
        total_cost=float(sum(p.cost for p in result.proposals)),
        params={"weights": asdict(weights), **({"trigger": trigger} if trigger else {})},
        unmatched=[_explained(u, declined, blocked) for u in result.unmatched],
    )
    session.add(run)
    session.flush()
    if result.proposals:
        session.execute(
            insert(Assignment),
            [
                {
                    "match_run_id": run.id,
                    "help_request_id": p.request_id,
                    "volunteer_id": p.volunteer_id,
                    "status": "proposed",
                    "distance_m": round(float(p.distance_m), 1),
                    "cost": round(float(p.cost), 1),
                    "reasons": {k: round(float(v), 1) for k, v in p.reasons.items()},
                    "round_order": p.round_order,
                    "planned_start": p.planned_start,
                    "created_at": now,
                }
                for p in result.proposals
            ],
        )
        ids = [p.request_id for p in result.proposals]
        changed = 0
        for chunk in _chunks(ids, 1000):
            changed += session.execute(
                update(HelpRequest)
                .where(HelpRequest.id.in_(chunk), HelpRequest.status == "open")
                .values(
                    status="proposed",
                    first_matched_at=func.coalesce(HelpRequest.first_matched_at, now),
                    # proposed again: nothing left for `dispatch due` to do
                    redispatch_at=None,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
        if changed != len(ids):
            # only possible if another writer slipped past the lock: refuse the whole run
            raise Conflict("Some requests changed while matching; run the match again.")
    finished = time.perf_counter()
    run.duration_ms = round((finished - started) * 1000, 1)
    run.stats = {
        **{k: v for k, v in result.stats.items()},
        "load_ms": round((loaded - started) * 1000, 1),
        "solve_ms": round((solved - loaded) * 1000, 1),
        "persist_ms": round((finished - solved) * 1000, 1),
    }
    session.flush()
    session.expire(run, ["assignments"])
    return run


BUSY = (
    "busy",
    "近くで活動できる担い手は、同じ時間に別の活動（提案中・承諾済み）が入っています。",
)


BLOCKED = (
    "blocked",
    "近くで活動できる担い手は、この日を「活動できない日」にしているか、同じ時間に別の活動があります。",
)


def _explained(
    unmatched: Unmatched, declined: frozenset[int], blocked: frozenset[int] = frozenset()
) -> dict[str, Any]:
    """The engine knows exclusions only: say which (declined, else blocked days, else busy)."""
    reason, detail = unmatched.reason, unmatched.detail
    if reason == "declined" and unmatched.request_id not in declined:
        reason, detail = BLOCKED if unmatched.request_id in blocked else BUSY
    return {"help_request_id": unmatched.request_id, "reason": reason, "detail": detail}


def _chunks(items: Sequence[int], size: int) -> list[Sequence[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def get_match_run(session: Session, *, match_run_id: int) -> MatchRun:
    run = session.get(MatchRun, match_run_id)
    if run is None:
        raise NotFound(f"Match run {match_run_id} not found.")
    return run


# --- the assignment lifecycle --------------------------------------------------------------
#
#   proposed --accept--> accepted --complete--> completed (points credited once)
#       |                   |  \--no_show--> no_show   (request reopens)
#       +--decline----------+--> declined  (request reopens; never proposed to them again)
#       +--cancel-----------+--> cancelled (request reopens; the SC withdrew the proposal)

_REQUEST_AFTER = {
    "accepted": ("proposed", "accepted"),
    "completed": ("accepted", "completed"),
    "declined": (("proposed", "accepted"), "open"),
    "no_show": ("accepted", "open"),
    "cancelled": (("proposed", "accepted"), "open"),
}
_ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "accepted": ("proposed",),
    "completed": ("accepted",),
    "declined": ("proposed", "accepted"),
    "no_show": ("accepted",),
    "cancelled": ("proposed", "accepted"),
}


def get_assignment(session: Session, *, assignment_id: int) -> Assignment:
    assignment = session.get(
        Assignment,
        assignment_id,
        options=[selectinload(Assignment.help_request).selectinload(HelpRequest.category)],
    )
    if assignment is None:
        raise NotFound(f"Assignment {assignment_id} not found.")
    return assignment


def _move(
    session: Session,
    *,
    assignment_id: int,
    to: str,
    volunteer_id: int | None,
    now: dt.datetime,
    also: dict[str, Any] | None = None,
) -> Assignment:
    """Move an assignment (and its request) to a new status with conditional UPDATEs."""
    assignment = get_assignment(session, assignment_id=assignment_id)
    if volunteer_id is not None and assignment.volunteer_id != volunteer_id:
        raise NotFound(f"Assignment {assignment_id} not found.")
    allowed = _ALLOWED_FROM[to]
    stamps: dict[str, Any] = {"status": to, **(also or {})}
    if to == "accepted":
        stamps["accepted_at"] = now
    elif to == "completed":
        stamps["completed_at"] = now
    else:
        stamps["ended_at"] = now
    changed = session.execute(
        update(Assignment)
        .where(Assignment.id == assignment_id, Assignment.status.in_(allowed))
        .values(**stamps)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        session.refresh(assignment)
        raise Conflict(f"Assignment {assignment_id} is {assignment.status}; it cannot become {to}.")
    request_from, request_to = _REQUEST_AFTER[to]
    froms = (request_from,) if isinstance(request_from, str) else request_from
    moved = session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == assignment.help_request_id, HelpRequest.status.in_(froms))
        .values(status=request_to)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise Conflict(f"Help request {assignment.help_request_id} changed meanwhile.")
    if to in ("declined", "no_show"):
        # back to matching on its own (`dispatch due`), and the SC sees why
        flags.raise_flag(
            session,
            help_request_ids=[assignment.help_request_id],
            flag=to,
            now=now,
            redispatch=True,
        )
    session.flush()
    session.refresh(assignment)
    session.refresh(assignment.help_request)
    return assignment


def _answer(*, volunteer_id: int | None, via: str | None, by_user_id: int | None) -> dict[str, Any]:
    """How an answer came: the volunteer's own is 'app'; staff say 'phone' or nothing."""
    if via is not None and via not in ANSWER_CHANNELS:
        raise InvalidInput(f"Unknown channel {via!r}.", {"via": ["One of: app, phone."]})
    if volunteer_id is not None:
        if via == "phone" or by_user_id is not None:
            raise InvalidInput(
                "A volunteer answers for themselves, through the app.",
                {"via": ["Only staff record an answer by phone."]},
            )
        via = "app"
    return {"answered_via": via, "answered_by_id": by_user_id}


def accept(
    session: Session,
    *,
    assignment_id: int,
    volunteer_id: int | None = None,
    via: str | None = None,
    by_user_id: int | None = None,
    now: dt.datetime | None = None,
) -> Assignment:
    """Accept a proposal (the volunteer, or the SC on their behalf after a phone call).

    volunteer_id: the volunteer answering for themselves (recorded as via 'app'); otherwise
    staff record it, by_user_id who they are and via 'phone' when they phoned.
    """
    return _move(
        session,
        assignment_id=assignment_id,
        to="accepted",
        volunteer_id=volunteer_id,
        now=now or utcnow(),
        also=_answer(volunteer_id=volunteer_id, via=via, by_user_id=by_user_id),
    )


def decline(
    session: Session,
    *,
    assignment_id: int,
    volunteer_id: int | None = None,
    via: str | None = None,
    by_user_id: int | None = None,
    now: dt.datetime | None = None,
) -> Assignment:
    """Decline: the request reopens and this volunteer is never proposed for it again.

    volunteer_id, via, by_user_id: as for accept.
    """
    return _move(
        session,
        assignment_id=assignment_id,
        to="declined",
        volunteer_id=volunteer_id,
        now=now or utcnow(),
        also=_answer(volunteer_id=volunteer_id, via=via, by_user_id=by_user_id),
    )


def mark_no_show(
    session: Session, *, assignment_id: int, now: dt.datetime | None = None
) -> Assignment:
    """Record that an accepted task did not happen; the request reopens."""
    return _move(
        session, assignment_id=assignment_id, to="no_show", volunteer_id=None, now=now or utcnow()
    )


def withdraw(session: Session, *, assignment_id: int, now: dt.datetime | None = None) -> Assignment:
    """Withdraw a proposal or an accepted task (the SC's decision); the request reopens."""
    return _move(
        session, assignment_id=assignment_id, to="cancelled", volunteer_id=None, now=now or utcnow()
    )


def complete(session: Session, *, assignment_id: int, now: dt.datetime | None = None) -> Assignment:
    """Confirm an accepted task as done and credit its points, exactly once, in this transaction.

    Completing a completed assignment again returns it unchanged: a retry is not a second task.
    """
    now = now or utcnow()
    assignment = get_assignment(session, assignment_id=assignment_id)
    if assignment.status == "completed":
        return assignment
    try:
        assignment = _move(
            session, assignment_id=assignment_id, to="completed", volunteer_id=None, now=now
        )
    except Conflict:
        # a retry racing the first completion: once that one committed, this is the same task
        session.refresh(assignment)
        if assignment.status == "completed":
            return assignment
        raise
    on_completed(session, assignment=assignment, now=now)
    return assignment


def on_completed(session: Session, *, assignment: Assignment, now: dt.datetime) -> None:
    """Credit 地域貢献ポイント for a completed task, and open the SC's follow-up when it is an
    おためし volunteer's first (same session, same transaction)."""
    credit_completed_task(session, assignment_id=assignment.id, now=now)
    followups.on_trial_task_completed(session, assignment=assignment, now=now)


__all__ = [
    "accept",
    "complete",
    "decline",
    "get_assignment",
    "get_match_run",
    "load_specs",
    "mark_no_show",
    "run_match",
    "withdraw",
]


def assignment_query(*, volunteer_id: int | None = None, status: str | None = None) -> Any:
    """Build the query of assignments, newest first (the caller paginates)."""
    stmt = select(Assignment).options(
        selectinload(Assignment.help_request).selectinload(HelpRequest.category),
        selectinload(Assignment.help_request).selectinload(HelpRequest.resident),
    )
    if volunteer_id is not None:
        stmt = stmt.where(Assignment.volunteer_id == volunteer_id)
    if status is not None:
        stmt = stmt.where(Assignment.status == status)
    return stmt.order_by(Assignment.id.desc())
