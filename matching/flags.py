"""Requests that came back to the SC: flagged when their volunteer declined, did not answer by
the cut-off, did not show, or stopped standing for the series; the SC clears the flag once seen.

A flagged request may also be queued for `dispatch due` (redispatch_at): the service matches it
again on its own, and the flag tells the SC what happened meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from db import NotFound
from matching.models import (
    LIVE_ASSIGNMENT_STATUSES,
    REQUEST_FLAGS,
    Assignment,
    HelpRequest,
    Resident,
)

#: Flagged requests whose window ended longer ago than this are history, not the SC's to-do.
SHOWN_AFTER_END = dt.timedelta(days=1)


def raise_flag(
    session: Session,
    *,
    help_request_ids: Sequence[int],
    flag: str,
    now: dt.datetime,
    redispatch: bool,
) -> None:
    """Flag these requests (the latest reason wins) and, if asked, queue them for re-dispatch."""
    if flag not in REQUEST_FLAGS:
        raise ValueError(f"Unknown flag {flag!r}.")
    if not help_request_ids:
        return
    values: dict[str, object] = {"flag": flag, "flagged_at": now}
    if redispatch:
        values["redispatch_at"] = now
    session.execute(
        update(HelpRequest)
        .where(HelpRequest.id.in_(list(help_request_ids)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def clear_flag(session: Session, *, help_request_id: int) -> HelpRequest:
    """The SC has seen it: the request leaves the flagged list (a queued re-dispatch stays)."""
    request = session.get(HelpRequest, help_request_id)
    if request is None:
        raise NotFound(f"Help request {help_request_id} not found.")
    request.flag = None
    request.flagged_at = None
    session.flush()
    return request


def flagged_requests(
    session: Session, *, zone: str | None = None, now: dt.datetime
) -> list[HelpRequest]:
    """The SC's flagged requests, oldest flag first: not cancelled, not long over."""
    stmt = (
        select(HelpRequest)
        .join(Resident, Resident.id == HelpRequest.resident_id)
        .where(
            HelpRequest.flag.is_not(None),
            HelpRequest.status != "cancelled",
            HelpRequest.window_end > now - SHOWN_AFTER_END,
        )
        .options(selectinload(HelpRequest.resident), selectinload(HelpRequest.category))
        .order_by(HelpRequest.flagged_at, HelpRequest.id)
    )
    if zone:
        stmt = stmt.where(Resident.zone == zone)
    return list(session.scalars(stmt))


def live_assignment(session: Session, *, help_request_id: int) -> Assignment | None:
    """The proposal or task that holds the request now, if any (to say who has it)."""
    return session.scalars(
        select(Assignment)
        .where(
            Assignment.help_request_id == help_request_id,
            Assignment.status.in_(LIVE_ASSIGNMENT_STATUSES),
        )
        .options(selectinload(Assignment.volunteer))
    ).first()
