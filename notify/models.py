"""The outbox: one row per message to a person, enqueued once per event (its dedupe key)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db import Base, UTCDateTime, utcnow

#: pending: waiting to go (again); sending: claimed by a sender, not yet known to have gone (a
#: crash leaves it here and it is never sent twice); sent; failed: gave up after max attempts.
NOTIFICATION_STATUSES = ("pending", "sending", "sent", "failed")
#: What a person (an SC or admin, on /outbox) last did to a failed or stuck message: sent it
#: again (retried), said it went or that they told the person by phone (by_hand: status sent),
#: or gave it up (given_up: status stays failed, and it leaves the list).
HANDLED_AS = ("retried", "by_hand", "given_up")


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            f"status IN ({', '.join(repr(s) for s in NOTIFICATION_STATUSES)})", "status_known"
        ),
        CheckConstraint("attempts >= 0", "attempts_nonnegative"),
        CheckConstraint(
            f"handled_as IS NULL OR handled_as IN ({', '.join(repr(h) for h in HANDLED_AS)})",
            "handled_as_known",
        ),
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What happened: task_proposed, task_cancelled, reminder, trial_thanks …
    kind: Mapped[str] = mapped_column(String(40))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    #: The recipient's e-mail address.
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: One event enqueues one message: e.g. "reminder:assignment:42".
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: When a sender last claimed it (pending -> sending): 'sending' long after this is stuck.
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The last thing a person did to it on /outbox (HANDLED_AS), when and who.
    handled_as: Mapped[str | None] = mapped_column(String(10))
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
