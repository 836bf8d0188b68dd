"""Date blocks (days a volunteer cannot help) and no-shows (tasks a volunteer did not turn up for).

A block is a range of local dates (Asia/Tokyo), first to last day inclusive. Blocks may overlap:
each is kept as the volunteer entered it and removed on its own, and a day is blocked while any
block covers it. Matching never proposes a volunteer for a request whose window touches one of
their blocked days (dispatch.load_volunteers makes it an exclusion, like a decline).

Services take a session and keyword arguments, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import InvalidInput, NotFound, utcnow
from matching.domain import RequestSpec
from matching.models import Assignment, HelpRequest, Volunteer, VolunteerDateBlock

TOKYO = ZoneInfo("Asia/Tokyo")
#: A block longer than this is a typing mistake (a volunteer who stops helps by going inactive).
MAX_BLOCK_DAYS = 366
#: No-shows older than this no longer cost a volunteer anything (see CostWeights).
NO_SHOW_WINDOW = dt.timedelta(days=180)


def _volunteer(session: Session, volunteer_id: int) -> Volunteer:
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound(f"Volunteer {volunteer_id} not found.")
    return volunteer


def add_block(
    session: Session,
    *,
    volunteer_id: int,
    first_day: dt.date,
    last_day: dt.date | None = None,
    note: str | None = None,
) -> VolunteerDateBlock:
    """Block the days first_day..last_day (one day when last_day is left out)."""
    _volunteer(session, volunteer_id)
    last_day = last_day or first_day
    if last_day < first_day:
        raise InvalidInput(
            "The last day comes before the first.",
            {"last_day": ["Must be on or after first_day."]},
        )
    if (last_day - first_day).days + 1 > MAX_BLOCK_DAYS:
        raise InvalidInput(
            f"A block is at most {MAX_BLOCK_DAYS} days.",
            {"last_day": [f"At most {MAX_BLOCK_DAYS} days after first_day."]},
        )
    block = VolunteerDateBlock(
        volunteer_id=volunteer_id,
        first_day=first_day,
        last_day=last_day,
        note=note or None,
        created_at=utcnow(),
    )
    session.add(block)
    session.flush()
    return block


def remove_block(session: Session, *, volunteer_id: int, block_id: int) -> None:
    """Remove one of the volunteer's blocks (404 if it is not theirs)."""
    block = session.get(VolunteerDateBlock, block_id)
    if block is None or block.volunteer_id != volunteer_id:
        raise NotFound(f"Block {block_id} not found.")
    session.delete(block)
    session.flush()


def list_blocks(
    session: Session, *, volunteer_id: int, since: dt.date | None = None
) -> list[VolunteerDateBlock]:
    """The volunteer's blocks, earliest first; with since, only those that end on or after it."""
    _volunteer(session, volunteer_id)
    stmt = select(VolunteerDateBlock).where(VolunteerDateBlock.volunteer_id == volunteer_id)
    if since is not None:
        stmt = stmt.where(VolunteerDateBlock.last_day >= since)
    stmt = stmt.order_by(VolunteerDateBlock.first_day, VolunteerDateBlock.id)
    return list(session.scalars(stmt))


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=TOKYO)


def blocked_requests(
    session: Session, *, volunteer_ids: Any, requests: Sequence[RequestSpec]
) -> dict[int, set[int]]:
    """Return, per volunteer, the requests whose window touches one of their blocked days.

    volunteer_ids: ids, or a scalar subquery of them. A window touches a day when it overlaps
    that day's local 00:00 to the next 00:00 at all.
    """
    if not requests:
        return {}
    first = min(r.window_start for r in requests).astimezone(TOKYO).date()
    last = max(r.window_end for r in requests).astimezone(TOKYO).date()
    rows = session.execute(
        select(
            VolunteerDateBlock.volunteer_id,
            VolunteerDateBlock.first_day,
            VolunteerDateBlock.last_day,
        ).where(
            VolunteerDateBlock.volunteer_id.in_(volunteer_ids),
            VolunteerDateBlock.last_day >= first,
            VolunteerDateBlock.first_day <= last,
        )
    ).all()
    blocked: dict[int, set[int]] = defaultdict(set)
    for vid, first_day, last_day in rows:
        start = _local_midnight(first_day)
        end = _local_midnight(last_day + dt.timedelta(days=1))
        for r in requests:
            if r.window_start < end and start < r.window_end:
                blocked[vid].add(r.id)
    return blocked


def is_blocked(session: Session, *, volunteer_id: int, day: dt.date) -> bool:
    """Whether any of the volunteer's blocks covers this local date."""
    found = session.scalar(
        select(VolunteerDateBlock.id)
        .where(
            VolunteerDateBlock.volunteer_id == volunteer_id,
            VolunteerDateBlock.first_day <= day,
            VolunteerDateBlock.last_day >= day,
        )
        .limit(1)
    )
    return found is not None


def no_show_counts(
    session: Session, *, volunteer_ids: Iterable[int] | Any, since: dt.datetime | None = None
) -> dict[int, int]:
    """Return each volunteer's no-shows (assignments marked no_show), all time or since a time.

    A no-show is dated by its request's window start. Volunteers without one are left out.
    """
    stmt = (
        select(Assignment.volunteer_id, func.count())
        .where(Assignment.volunteer_id.in_(volunteer_ids), Assignment.status == "no_show")
        .group_by(Assignment.volunteer_id)
    )
    if since is not None:
        stmt = stmt.join(HelpRequest, Assignment.help_request_id == HelpRequest.id).where(
            HelpRequest.window_start >= since
        )
    return {vid: int(n) for vid, n in session.execute(stmt)}


def no_show_count(session: Session, *, volunteer_id: int) -> int:
    """How many times this volunteer did not show, all time (shown on their profile)."""
    return no_show_counts(session, volunteer_ids=[volunteer_id]).get(volunteer_id, 0)
