"""おためし follow-up: when a trial volunteer finishes their first task, the SC gets a to-do
(call them, thank them, perhaps register them), and registering them closes it.

The conversion rate (trial volunteers who became registered within 90 days) is computed here
for the reporting screens. Services take a session and keyword arguments, flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from db import Conflict, NotFound, utcnow
from matching.models import Assignment, HelpRequest, TrialFollowup, Volunteer

#: A trial volunteer who registers within this many days of signing up counts as converted.
CONVERSION_DAYS = 90


def on_trial_task_completed(
    session: Session, *, assignment: Assignment, now: dt.datetime
) -> TrialFollowup | None:
    """Open the follow-up of an おためし volunteer's first completed task; later tasks (and
    registered volunteers) add nothing. Two first tasks completed at once open one: the
    UNIQUE volunteer_id refuses the second, inside a savepoint so the completion stands."""
    volunteer = session.get(Volunteer, assignment.volunteer_id)
    if volunteer is None or volunteer.status != "trial":
        return None
    exists = session.scalar(
        select(TrialFollowup.id).where(TrialFollowup.volunteer_id == volunteer.id)
    )
    if exists is not None:
        return None
    followup = TrialFollowup(volunteer_id=volunteer.id, assignment_id=assignment.id, created_at=now)
    try:
        with session.begin_nested():
            session.add(followup)
            session.flush()
    except IntegrityError:
        return None  # another completion of theirs opened it first
    # the thank-you message is the outbox's: `notify send` finds first completed tasks itself
    # (notify.events), since matching may not import notify
    return followup


def open_followups(session: Session) -> list[TrialFollowup]:
    """The follow-ups still to do, oldest first, with the volunteer and what they did."""
    stmt = (
        select(TrialFollowup)
        .where(TrialFollowup.done_at.is_(None))
        .options(
            selectinload(TrialFollowup.volunteer),
            selectinload(TrialFollowup.assignment)
            .selectinload(Assignment.help_request)
            .selectinload(HelpRequest.category),
        )
        .order_by(TrialFollowup.created_at, TrialFollowup.id)
    )
    return list(session.scalars(stmt))


def activate(
    session: Session, *, volunteer_id: int, by_user_id: int | None, now: dt.datetime | None = None
) -> Volunteer:
    """Register an おためし volunteer (trial -> active): when and by whom, and close their
    follow-up. Conflict when they are not on trial (a second activation included): a
    conditional UPDATE, so two SCs pressing at once register them once."""
    now = now or utcnow()
    moved = session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer_id, Volunteer.status == "trial")
        .values(status="active", registered_at=now, registered_by_id=by_user_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound(f"Volunteer {volunteer_id} not found.")
    if not moved:
        raise Conflict(f"Volunteer {volunteer_id} is not on trial (status {volunteer.status}).")
    session.refresh(volunteer)
    close_followup(session, volunteer_id=volunteer_id, by_user_id=by_user_id, now=now)
    return volunteer


def close_followup(
    session: Session, *, volunteer_id: int, by_user_id: int | None, now: dt.datetime
) -> None:
    """Mark the volunteer's open follow-up done (nothing if there is none)."""
    session.execute(
        update(TrialFollowup)
        .where(TrialFollowup.volunteer_id == volunteer_id, TrialFollowup.done_at.is_(None))
        .values(done_at=now, done_by_id=by_user_id)
        .execution_options(synchronize_session=False)
    )
    session.flush()


@dataclass(frozen=True)
class ConversionRate:
    #: trial volunteers signed up in the period who registered within CONVERSION_DAYS
    converted: int
    #: all trial volunteers signed up in the period
    trial_volunteers: int

    @property
    def rate(self) -> float | None:
        """converted / trial_volunteers; None when nobody signed up."""
        return self.converted / self.trial_volunteers if self.trial_volunteers else None


def conversion_rate(session: Session, *, since: dt.datetime, until: dt.datetime) -> ConversionRate:
    """Of the volunteers who came as おためし and signed up in [since, until), how many became
    registered (active) within CONVERSION_DAYS of signing up. One who has not had 90 days yet
    counts in the denominator: the reporting screen says so."""
    rows = session.execute(
        select(Volunteer.created_at, Volunteer.registered_at).where(
            Volunteer.joined_as_trial,
            Volunteer.created_at >= since,
            Volunteer.created_at < until,
        )
    ).all()
    limit = dt.timedelta(days=CONVERSION_DAYS)
    converted = sum(
        1
        for created, registered in rows
        if registered is not None and registered - created <= limit
    )
    return ConversionRate(converted=converted, trial_volunteers=len(rows))
