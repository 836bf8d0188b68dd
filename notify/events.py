"""The messages of the SC's week, each enqueued once per event by its key: a task proposed, a
task cancelled, the day-before reminder, the thanks after a おためし volunteer's first task.

A volunteer is written to at the e-mail address in their contact; one without an address gets
no message (None): the SC phones them, as today.

Proposals and cancellations are found by enqueue_events(), run by `notify send` before it sends:
the outbox reads what dispatch did (recent proposed and cancelled assignments without their
message) rather than dispatch calling it, so matching stays below notify and every way a task
is proposed or withdrawn (a match run, an override, a cancelled request, either face) is covered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, exists, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from matching.models import Assignment, HelpRequest, Volunteer
from matching.redispatch import Cutoff
from notify.models import Notification
from notify.outbox import enqueue

TOKYO = ZoneInfo("Asia/Tokyo")
_WEEKDAYS = "月火水木金土日"


def email_of(volunteer: Volunteer) -> str | None:
    """The volunteer's e-mail address, if their contact is one."""
    contact = (volunteer.contact or "").strip()
    return contact if "@" in contact and " " not in contact else None


def when_ja(start: dt.datetime, end: dt.datetime) -> str:
    """A window in plain Japanese, Tokyo time: 12月1日（火）7:00〜8:30."""
    s, e = start.astimezone(TOKYO), end.astimezone(TOKYO)
    return f"{s.month}月{s.day}日（{_WEEKDAYS[s.weekday()]}）{s:%-H:%M}〜{e:%-H:%M}"


def moment_ja(moment: dt.datetime) -> str:
    """A moment in plain Japanese, Tokyo time: 11月30日（月）18:00."""
    t = moment.astimezone(TOKYO)
    return f"{t.month}月{t.day}日（{_WEEKDAYS[t.weekday()]}）{t:%-H:%M}"


def _about(assignment: Assignment, volunteer: Volunteer) -> dict[str, str]:
    request = assignment.help_request
    return {
        "name": volunteer.name,
        "category": request.category.label_ja,
        "when": when_ja(request.window_start, request.window_end),
        "zone": request.resident.zone or "お近く",
    }


def _enqueue_for(
    session: Session,
    *,
    assignment: Assignment,
    kind: str,
    template: str,
    extra: dict[str, str] | None = None,
) -> Notification | None:
    volunteer = session.get(Volunteer, assignment.volunteer_id)
    assert volunteer is not None  # noqa: S101 - a foreign key
    to = email_of(volunteer)
    if to is None:
        return None
    notification, _ = enqueue(
        session,
        kind=kind,
        key=f"{kind}:assignment:{assignment.id}",
        to=to,
        template=template,
        context={**_about(assignment, volunteer), **(extra or {})},
        volunteer_id=volunteer.id,
    )
    return notification


def enqueue_task_proposed(
    session: Session, *, assignment_id: int, cutoff: Cutoff | None = None
) -> Notification | None:
    """Tell the volunteer they have been proposed a task and when to answer by (once per
    proposal)."""
    assignment = session.get_one(Assignment, assignment_id)
    answer_by = (cutoff or Cutoff()).answer_by(
        window_start=assignment.help_request.window_start, proposed_at=assignment.created_at
    )
    return _enqueue_for(
        session,
        assignment=assignment,
        kind="task_proposed",
        template="task_proposed",
        extra={"answer_by": moment_ja(answer_by)},
    )


def enqueue_task_cancelled(session: Session, *, assignment_id: int) -> Notification | None:
    """Tell the volunteer their task was cancelled (once per assignment): by the SC, or by the
    service because no answer came by the cut-off (another volunteer is asked instead)."""
    assignment = session.get_one(Assignment, assignment_id)
    unanswered = assignment.ended_reason == "no_answer"
    return _enqueue_for(
        session,
        assignment=assignment,
        kind="task_cancelled",
        template="task_unanswered" if unanswered else "task_cancelled",
    )


def enqueue_trial_thanks(session: Session, *, assignment_id: int) -> Notification | None:
    """Thank a おためし volunteer for their first task (once per volunteer)."""
    assignment = session.get_one(Assignment, assignment_id)
    volunteer = session.get_one(Volunteer, assignment.volunteer_id)
    to = email_of(volunteer)
    if to is None:
        return None
    notification, _ = enqueue(
        session,
        kind="trial_thanks",
        key=f"trial_thanks:volunteer:{volunteer.id}",
        to=to,
        template="trial_thanks",
        context=_about(assignment, volunteer),
        volunteer_id=volunteer.id,
    )
    return notification


#: Events older than this are history, not news: a first run on old data writes to no one.
LOOKBACK = dt.timedelta(hours=48)


def _unannounced(kind: str) -> Any:
    """No message of this kind exists for the assignment (its dedupe key)."""
    key = literal(f"{kind}:assignment:") + cast(Assignment.id, String)
    return ~exists().where(Notification.dedupe_key == key)


def _with_email() -> Any:
    return exists().where(
        and_(Volunteer.id == Assignment.volunteer_id, Volunteer.contact.like("%@%"))
    )


def enqueue_events(
    session: Session,
    *,
    now: dt.datetime,
    lookback: dt.timedelta = LOOKBACK,
    cutoff: Cutoff | None = None,
) -> dict[str, int]:
    """Enqueue 'proposed' and 'cancelled' for recent assignments whose window is not over, and
    the thanks after a おためし volunteer's first completed task. cutoff: the ward's, to tell
    each proposed volunteer when to answer by."""
    since = now - lookback
    found = {
        # still waiting for an answer: one accepted by phone meanwhile needs no message
        "task_proposed": select(Assignment.id).where(
            Assignment.status == "proposed",
            Assignment.created_at >= since,
            _unannounced("task_proposed"),
        ),
        # withdrawn after the volunteer knew of it (accepted, or told it was proposed)
        "task_cancelled": select(Assignment.id).where(
            Assignment.status == "cancelled",
            Assignment.ended_at >= since,
            or_(Assignment.accepted_at.is_not(None), ~_unannounced("task_proposed")),
            _unannounced("task_cancelled"),
        ),
    }
    counts: dict[str, int] = {"trial_thanks": _thank_trial_volunteers(session, since=since)}
    for kind, stmt in found.items():
        ids = session.scalars(
            stmt.join(HelpRequest, HelpRequest.id == Assignment.help_request_id)
            .where(HelpRequest.window_end > now, _with_email())
            .order_by(Assignment.id)
        ).all()
        if kind == "task_proposed":
            sent = [enqueue_task_proposed(session, assignment_id=i, cutoff=cutoff) for i in ids]
        else:
            sent = [enqueue_task_cancelled(session, assignment_id=i) for i in ids]
        counts[kind] = sum(n is not None for n in sent)
    return counts


def _thank_trial_volunteers(session: Session, *, since: dt.datetime) -> int:
    """Thank each おためし volunteer whose first task was completed lately (once per volunteer)."""
    earlier = Assignment.__table__.alias("earlier")
    thanked_key = literal("trial_thanks:volunteer:") + cast(Assignment.volunteer_id, String)
    firsts = session.scalars(
        select(Assignment.id)
        .join(Volunteer, Volunteer.id == Assignment.volunteer_id)
        .where(
            Assignment.status == "completed",
            Assignment.completed_at >= since,
            Volunteer.status == "trial",
            Volunteer.contact.like("%@%"),
            ~exists().where(
                earlier.c.volunteer_id == Assignment.volunteer_id,
                earlier.c.status == "completed",
                or_(
                    earlier.c.completed_at < Assignment.completed_at,
                    and_(
                        earlier.c.completed_at == Assignment.completed_at,
                        earlier.c.id < Assignment.id,
                    ),
                ),
            ),
            ~exists().where(Notification.dedupe_key == thanked_key),
        )
        .order_by(Assignment.id)
    ).all()
    return sum(enqueue_trial_thanks(session, assignment_id=i) is not None for i in firsts)


def enqueue_reminders(session: Session, *, now: dt.datetime) -> list[Notification]:
    """Remind each volunteer of their accepted tasks tomorrow (Tokyo); safe to run again."""
    today = now.astimezone(TOKYO).date()
    first = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), TOKYO)
    last = first + dt.timedelta(days=1)
    assignments = session.scalars(
        select(Assignment)
        .join(HelpRequest, HelpRequest.id == Assignment.help_request_id)
        .where(
            Assignment.status == "accepted",
            HelpRequest.window_start >= first,
            HelpRequest.window_start < last,
        )
        .options(
            selectinload(Assignment.help_request).selectinload(HelpRequest.category),
            selectinload(Assignment.help_request).selectinload(HelpRequest.resident),
        )
        .order_by(Assignment.id)
    ).all()
    enqueued = []
    for assignment in assignments:
        notification = _enqueue_for(
            session, assignment=assignment, kind="reminder", template="reminder"
        )
        if notification is not None:
            enqueued.append(notification)
    return enqueued
