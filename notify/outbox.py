"""Enqueue messages once per event and send what is due, each at most once, retrying failures
with exponential backoff.

enqueue() flushes, never commits, like every service. send_due() is the exception: an e-mail
cannot be rolled back, so it commits its claim on a row before sending and commits the outcome
after, one row at a time; give it a session of its own (the command does).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db import InvalidInput
from notify.models import Notification
from notify.senders import Message, Sender

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Give up after this many failed attempts (the row is then 'failed', for the SC to see).
MAX_ATTEMPTS = 6
#: The first retry after a minute, then 2, 4, 8 … minutes, never more than six hours apart.
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=6)

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    undefined=StrictUndefined,
    autoescape=False,  # noqa: S701 - plain-text e-mail, never HTML
    keep_trailing_newline=True,
)


def render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render notify/templates/<template>.txt: its first line is the subject, the rest the body."""
    text = _env.get_template(f"{template}.txt").render(**context)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"


def enqueue(
    session: Session,
    *,
    kind: str,
    key: str,
    to: str,
    template: str,
    context: dict[str, Any],
    volunteer_id: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[Notification, bool]:
    """Put one message in the outbox unless its key is there already; return it and whether new.

    The UNIQUE dedupe key decides (INSERT … ON CONFLICT DO NOTHING), so two callers racing on
    one event enqueue one message.
    """
    if not to or "@" not in to:
        raise InvalidInput("A message needs an e-mail address.", {"to": ["Not an address."]})
    subject, body = render(template, context)
    values: dict[str, Any] = {
        "kind": kind,
        "dedupe_key": key,
        "recipient": to,
        "subject": subject,
        "body": body,
        "volunteer_id": volunteer_id,
        "status": "pending",
        "attempts": 0,
    }
    if now is not None:
        values["created_at"] = now
        values["next_attempt_at"] = now
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.flush()
    # RETURNING, not rowcount: the row that came back is the one this call inserted
    created = session.execute(
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification.id)
    ).first()
    notification = session.scalars(
        select(Notification)
        .where(Notification.dedupe_key == key)
        .execution_options(populate_existing=True)
    ).one()
    return notification, created is not None


def _rowcount(result: object) -> int:
    """Rows an UPDATE touched (its result is a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the given number of failed attempts."""
    delay = BACKOFF_BASE * (1 << max(attempts - 1, 0))
    return min(delay, BACKOFF_CAP)


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _claim(session: Session, *, now: dt.datetime, limit: int) -> list[Notification]:
    """Take due rows for this sender: pending -> sending by a conditional UPDATE, committed.

    On PostgreSQL the candidates are read FOR UPDATE SKIP LOCKED, so two senders take disjoint
    rows instead of queueing; the conditional UPDATE is what makes a claim exclusive everywhere.
    """
    stmt = (
        select(Notification.id)
        .where(Notification.status == "pending", Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    claimed: list[int] = []
    for notification_id in session.scalars(stmt).all():
        won = _rowcount(
            session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.status == "pending")
                .values(status="sending", attempts=Notification.attempts + 1, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
        )
        if won:
            claimed.append(notification_id)
    session.commit()
    if not claimed:
        return []
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.id.in_(claimed))
            .order_by(Notification.id)
            .execution_options(populate_existing=True)
        )
    )


def send_due(
    session: Session,
    *,
    sender: Sender,
    now: dt.datetime,
    limit: int = 100,
    max_attempts: int = MAX_ATTEMPTS,
) -> SendReport:
    """Send up to `limit` due messages, each at most once; failures wait and retry, then fail.

    A row is claimed (committed as 'sending', with claimed_at) before it is sent and marked 'sent'
    after: a crash between the two leaves it 'sending', never sent twice; notify.review shows it
    to a person once it has been 'sending' too long.
    """
    sent = retrying = failed = 0
    for notification in _claim(session, now=now, limit=limit):
        message = Message(
            id=notification.id,
            recipient=notification.recipient,
            subject=notification.subject,
            body=notification.body,
        )
        try:
            sender.send(message)
        except Exception as error:  # any failure to hand it over is retried
            given_up = notification.attempts >= max_attempts
            notification.status = "failed" if given_up else "pending"
            notification.next_attempt_at = now + backoff(notification.attempts)
            notification.last_error = f"{type(error).__name__}: {error}"[:2000]
            failed += given_up
            retrying += not given_up
        else:
            notification.status = "sent"
            notification.sent_at = now
            notification.last_error = None
            sent += 1
        session.commit()
    return SendReport(sent=sent, retrying=retrying, failed=failed)
