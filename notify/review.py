"""The outbox's trouble list: the messages a person must look at, and what they can do.

Three kinds of trouble:

- failed: `notify send` gave up after its attempts (the address is wrong, the mail server
  refuses it …);
- stuck: 'sending' for longer than `stuck_after` (30 minutes): a sender claimed it and never
  said how it went (it crashed or was killed). It may or may not have gone out, so it is never
  sent again on its own (at most once): a person decides;
- overdue: 'pending' and due more than `overdue_after` (an hour) ago: `notify send` is not
  running (it belongs in cron every few minutes).

What a person can do, each a conditional UPDATE on a row that is in trouble now, so two clicks
(or two SCs) do it once and the second gets Conflict:

- retry: a failed or stuck one goes back to 'pending', due now, its attempts kept (so a failed
  one gets one more try before failing again);
- mark_sent_by_hand: the SC phoned and knows it went, or told the person herself: 'sent';
- give_up: it will not be sent; it stays (or becomes) 'failed' and leaves the list.

Each records handled_as, handled_at and handled_by_id. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from db import Conflict, NotFound
from matching.models import Volunteer
from notify.models import Notification

STUCK_AFTER = dt.timedelta(minutes=30)
OVERDUE_AFTER = dt.timedelta(hours=1)
#: The kinds of trouble, in the order the list shows them.
REASONS = ("failed", "stuck", "overdue")


def _failed() -> ColumnElement[bool]:
    return and_(
        Notification.status == "failed",
        or_(Notification.handled_as.is_(None), Notification.handled_as != "given_up"),
    )


def _stuck(now: dt.datetime, stuck_after: dt.timedelta) -> ColumnElement[bool]:
    # claimed_at NULL: claimed before the column existed, so long ago
    return and_(
        Notification.status == "sending",
        or_(Notification.claimed_at.is_(None), Notification.claimed_at < now - stuck_after),
    )


def _overdue(now: dt.datetime, overdue_after: dt.timedelta) -> ColumnElement[bool]:
    return and_(
        Notification.status == "pending", Notification.next_attempt_at < now - overdue_after
    )


def reason_of(notification: Notification) -> str:
    """Which trouble a listed row is in (by its status)."""
    return {"failed": "failed", "sending": "stuck", "pending": "overdue"}[notification.status]


@dataclass(frozen=True)
class Trouble:
    notification: Notification
    #: failed, stuck or overdue
    reason: str
    #: whom it is for, when it is for a volunteer
    volunteer: Volunteer | None


@dataclass(frozen=True)
class Troubles:
    items: list[Trouble]
    #: how many of each reason (every reason present, 0 included)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.items)


def troubles(
    session: Session,
    *,
    now: dt.datetime,
    stuck_after: dt.timedelta = STUCK_AFTER,
    overdue_after: dt.timedelta = OVERDUE_AFTER,
) -> Troubles:
    """The messages a person must look at: failed, then stuck, then overdue; oldest first."""
    rows = session.execute(
        select(Notification, Volunteer)
        .outerjoin(Volunteer, Volunteer.id == Notification.volunteer_id)
        .where(
            or_(_failed(), _stuck(now, stuck_after), _overdue(now, overdue_after)),
        )
        .order_by(Notification.created_at, Notification.id)
    ).all()
    items = sorted(
        (
            Trouble(notification, reason_of(notification), volunteer)
            for notification, volunteer in rows
        ),
        key=lambda t: REASONS.index(t.reason),
    )
    counts = {reason: sum(t.reason == reason for t in items) for reason in REASONS}
    return Troubles(items=items, counts=counts)


def _handle(
    session: Session,
    *,
    notification_id: int,
    allowed: ColumnElement[bool],
    values: dict[str, Any],
    by_user_id: int | None,
    now: dt.datetime,
    refusal: str,
) -> Notification:
    """One conditional UPDATE: change the row only while it is in an allowed trouble."""
    session.flush()
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, allowed)
        .values(**values, handled_at=now, handled_by_id=by_user_id)
        .execution_options(synchronize_session=False)
    )
    won = cast(CursorResult[Any], result).rowcount
    notification = session.scalars(
        select(Notification)
        .where(Notification.id == notification_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if notification is None:
        raise NotFound(f"Notification {notification_id} does not exist.")
    if not won:
        raise Conflict(
            f"Notification {notification_id} is {notification.status}"
            f"{' (given up)' if notification.handled_as == 'given_up' else ''}: {refusal}"
        )
    return notification


def retry(
    session: Session,
    *,
    notification_id: int,
    by_user_id: int | None,
    now: dt.datetime,
    stuck_after: dt.timedelta = STUCK_AFTER,
) -> Notification:
    """Send a failed or stuck message again: back to 'pending', due now, attempts kept.

    Conflict when it is sent, already pending, being sent right now, or given up.
    """
    return _handle(
        session,
        notification_id=notification_id,
        allowed=or_(_failed(), _stuck(now, stuck_after)),
        values={"status": "pending", "next_attempt_at": now, "handled_as": "retried"},
        by_user_id=by_user_id,
        now=now,
        refusal="only a failed or stuck message can be sent again.",
    )


def mark_sent_by_hand(
    session: Session,
    *,
    notification_id: int,
    by_user_id: int | None,
    now: dt.datetime,
    stuck_after: dt.timedelta = STUCK_AFTER,
    overdue_after: dt.timedelta = OVERDUE_AFTER,
) -> Notification:
    """A person knows it reached the recipient (it went, or they phoned them): 'sent', never
    sent by the outbox again. Conflict unless it is in trouble (failed, stuck or overdue)."""
    return _handle(
        session,
        notification_id=notification_id,
        allowed=or_(_failed(), _stuck(now, stuck_after), _overdue(now, overdue_after)),
        values={"status": "sent", "sent_at": now, "handled_as": "by_hand"},
        by_user_id=by_user_id,
        now=now,
        refusal="only a failed, stuck or overdue message can be marked as sent.",
    )


def give_up(
    session: Session,
    *,
    notification_id: int,
    by_user_id: int | None,
    now: dt.datetime,
    stuck_after: dt.timedelta = STUCK_AFTER,
    overdue_after: dt.timedelta = OVERDUE_AFTER,
) -> Notification:
    """It will not be sent (no longer needed, or nobody can reach them): 'failed' and off the
    list for good. Conflict unless it is in trouble (failed, stuck or overdue)."""
    return _handle(
        session,
        notification_id=notification_id,
        allowed=or_(_failed(), _stuck(now, stuck_after), _overdue(now, overdue_after)),
        values={"status": "failed", "handled_as": "given_up"},
        by_user_id=by_user_id,
        now=now,
        refusal="only a failed, stuck or overdue message can be given up.",
    )
