"""Automatic re-dispatch: what `flask --app wsgi dispatch due` does every few minutes.

1. A proposal nobody answered by its answer-by time is cancelled (ended_reason "no_answer"); its
   request reopens, flagged for the SC and queued for re-dispatch.
2. Every open request queued for re-dispatch (after that, a decline, or a no-show) whose window
   still has time for the task goes through one match run of just those requests. The usual
   exclusions hold: whoever declined, did not answer or did not show is never proposed it again.
   Each queued request is tried once; one nobody can take stays open and flagged for the SC.

The answer-by time of a proposal is the ward's cut-off (by default 18:00 the day before the
task, Tokyo time), or GRACE after it was proposed when that is later: a proposal made after the
cut-off (a same-day request, a re-dispatch at 19:00) still gets time to be answered.

Everything happens in the caller's transaction, under the match-run lock (PostgreSQL's advisory
lock; SQLite's BEGIN IMMEDIATE): two copies at once run one after the other, and the second finds
nothing left to do, so no request is ever proposed twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db import utcnow
from matching import dispatch, flags
from matching.domain import CostWeights
from matching.models import Assignment, Category, HelpRequest

TOKYO = ZoneInfo("Asia/Tokyo")
TRIGGER = "dispatch due"


@dataclass(frozen=True)
class Cutoff:
    """The ward's confirmation cut-off: answer by `at` (Tokyo), `days_before` the task's day."""

    at: dt.time = dt.time(18, 0)
    days_before: int = 1
    #: the least time a proposal gets to be answered, whenever it was made
    grace: dt.timedelta = dt.timedelta(hours=1)

    def __post_init__(self) -> None:
        if not 0 <= self.days_before <= 14:
            raise ValueError("days_before is 0 to 14.")
        if not dt.timedelta(0) <= self.grace <= dt.timedelta(days=1):
            raise ValueError("grace is 0 to 24 hours.")

    @classmethod
    def parse(cls, at: str, days_before: int | str = 1, grace_minutes: int | str = 60) -> Cutoff:
        """From settings: "18:00", 1, 60. Raises ValueError with a clear message."""
        try:
            hours, minutes = (int(part) for part in at.strip().split(":"))
            time = dt.time(hours, minutes)
        except ValueError as error:
            raise ValueError(f"The cut-off is a time like 18:00, not {at!r}.") from error
        return cls(
            at=time,
            days_before=int(days_before),
            grace=dt.timedelta(minutes=int(grace_minutes)),
        )

    @classmethod
    def from_settings(cls, *sources: Mapping[str, Any]) -> Cutoff:
        """The ward's cut-off from DISPATCH_CUTOFF ("18:00"), DISPATCH_CUTOFF_DAYS_BEFORE (1) and
        DISPATCH_ANSWER_GRACE_MINUTES (60), each taken from the first source that sets it (the
        app's config, then the environment). Raises ValueError with a clear message."""

        def setting(name: str, default: Any) -> Any:
            for source in sources:
                value = source.get(name)
                if value not in (None, ""):
                    return value
            return default

        return cls.parse(
            str(setting("DISPATCH_CUTOFF", "18:00")),
            setting("DISPATCH_CUTOFF_DAYS_BEFORE", 1),
            setting("DISPATCH_ANSWER_GRACE_MINUTES", 60),
        )

    def deadline(self, window_start: dt.datetime) -> dt.datetime:
        """The cut-off for a task beginning at window_start (an aware datetime)."""
        day = window_start.astimezone(TOKYO).date() - dt.timedelta(days=self.days_before)
        return dt.datetime.combine(day, self.at, TOKYO).astimezone(dt.UTC)

    def answer_by(self, *, window_start: dt.datetime, proposed_at: dt.datetime) -> dt.datetime:
        """When a proposal made at proposed_at must be answered by."""
        return max(self.deadline(window_start), proposed_at + self.grace)

    @property
    def horizon(self) -> dt.timedelta:
        """No task beginning later than now + horizon can have passed its cut-off yet."""
        return dt.timedelta(days=self.days_before + 1)


@dataclass
class DueReport:
    #: proposals cancelled for no answer by their cut-off
    unanswered: list[int] = field(default_factory=list)
    #: queued requests tried in this pass
    tried: list[int] = field(default_factory=list)
    #: of those, the ones proposed again, and the run that did it
    proposed: list[int] = field(default_factory=list)
    match_run_id: int | None = None
    #: queued requests whose window no longer has time for the task (left to the SC)
    out_of_time: list[int] = field(default_factory=list)


def cancel_unanswered(session: Session, *, now: dt.datetime, cutoff: Cutoff) -> list[int]:
    """Cancel the proposals past their answer-by time; their requests reopen, flagged and queued.

    Returns the cancelled assignments' ids.
    """
    candidates = session.execute(
        select(Assignment.id, Assignment.help_request_id, Assignment.created_at)
        .add_columns(HelpRequest.window_start)
        .join(HelpRequest, HelpRequest.id == Assignment.help_request_id)
        .where(
            Assignment.status == "proposed",
            HelpRequest.status == "proposed",
            HelpRequest.window_start <= now + cutoff.horizon,
        )
        .order_by(Assignment.id)
    ).all()
    cancelled: list[int] = []
    reopened: list[int] = []
    for assignment_id, request_id, proposed_at, window_start in candidates:
        if now < cutoff.answer_by(window_start=window_start, proposed_at=proposed_at):
            continue
        # conditional: one answered meanwhile (accept or decline) is left as it is
        changed = session.execute(
            update(Assignment)
            .where(Assignment.id == assignment_id, Assignment.status == "proposed")
            .values(status="cancelled", ended_at=now, ended_reason="no_answer")
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            continue
        session.execute(
            update(HelpRequest)
            .where(HelpRequest.id == request_id, HelpRequest.status == "proposed")
            .values(status="open")
            .execution_options(synchronize_session=False)
        )
        cancelled.append(assignment_id)
        reopened.append(request_id)
    flags.raise_flag(session, help_request_ids=reopened, flag="no_answer", now=now, redispatch=True)
    session.flush()
    return cancelled


def run_due(
    session: Session,
    *,
    now: dt.datetime | None = None,
    cutoff: Cutoff | None = None,
    weights: CostWeights | None = None,
) -> DueReport:
    """Cancel what is past its cut-off, then match again every request queued for it."""
    now = now or utcnow()
    cutoff = cutoff or Cutoff()
    # first, so that a second copy waits here and then finds nothing left to do
    dispatch.lock_match_runs(session)
    report = DueReport(unanswered=cancel_unanswered(session, now=now, cutoff=cutoff))
    queued = session.execute(
        select(
            HelpRequest.id,
            HelpRequest.window_start,
            HelpRequest.window_end,
            Category.duration_min,
        )
        .join(Category, Category.id == HelpRequest.category_id)
        .where(
            HelpRequest.status == "open",
            HelpRequest.redispatch_at.is_not(None),
            HelpRequest.redispatch_at <= now,
        )
        .order_by(HelpRequest.window_start, HelpRequest.id)
    ).all()
    for request_id, start, end, duration_min in queued:
        if end - max(start, now) >= dt.timedelta(minutes=duration_min):
            report.tried.append(request_id)
        else:
            report.out_of_time.append(request_id)
    if report.tried:
        run = dispatch.run_match(
            session, now=now, weights=weights, help_request_ids=report.tried, trigger=TRIGGER
        )
        report.match_run_id = run.id
        report.proposed = sorted(
            session.scalars(
                select(Assignment.help_request_id).where(Assignment.match_run_id == run.id)
            )
        )
    # tried once: what is left is the SC's, flagged on the dispatch screen
    done = report.tried + report.out_of_time
    if done:
        session.execute(
            update(HelpRequest)
            .where(HelpRequest.id.in_(done))
            .values(redispatch_at=None)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return report
