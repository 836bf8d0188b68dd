"""The outbox's trouble list: failed, stuck and overdue messages, and what a person does about
them (send again, mark as sent by hand, give up), each exactly once."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from access.models import User
from db import Conflict, NotFound, utcnow
from notify import review
from notify.models import Notification
from notify.outbox import send_due
from notify.senders import LogSender, Message, SmtpSender
from tests.notify.conftest import make_notification
from tests.notify.test_outbox import NOW, Broken, proposed

MINUTE = dt.timedelta(minutes=1)
US = dt.timedelta(microseconds=1)


class Crash(BaseException):
    """The sender process dies mid-send (not an Exception: send_due does not catch it)."""


class Dies:
    def send(self, message: Message) -> None:
        raise Crash


@pytest.fixture
def sc(session: Session) -> User:
    user = User(name="sc-review", role="coordinator")
    session.add(user)
    session.flush()
    return user


def stuck(session: Session, key: str = "k:stuck") -> Notification:
    """A message whose sender died at NOW between claiming it and saying how it went."""
    notification = proposed(session, key=key)
    with pytest.raises(Crash):
        send_due(session, sender=Dies(), now=NOW)
    session.rollback()
    session.refresh(notification)
    assert (notification.status, notification.claimed_at) == ("sending", NOW)
    return notification


def failed(session: Session, key: str = "k:failed") -> Notification:
    """A message the sender gave up on after its attempts."""
    notification = proposed(session, key=key)
    send_due(session, sender=Broken(), now=NOW, max_attempts=1)
    session.refresh(notification)
    assert notification.status == "failed"
    return notification


def listed(session: Session, now: dt.datetime, **kw) -> dict[int, str]:
    return {t.notification.id: t.reason for t in review.troubles(session, now=now, **kw).items}


def test_nothing_to_look_at_when_everything_went(session):
    proposed(session)
    send_due(session, sender=LogSender(), now=NOW)
    found = review.troubles(session, now=NOW + dt.timedelta(days=1))
    assert (found.items, found.total) == ([], 0)
    assert found.counts == {"failed": 0, "stuck": 0, "overdue": 0}


def test_a_claimed_message_is_stuck_only_after_stuck_after(session):
    notification = stuck(session)
    limit = dt.timedelta(minutes=30)
    assert listed(session, NOW + limit, stuck_after=limit) == {}
    assert listed(session, NOW + limit + US, stuck_after=limit) == {notification.id: "stuck"}
    # the default is 30 minutes
    assert listed(session, NOW + limit) == {}
    assert listed(session, NOW + limit + US) == {notification.id: "stuck"}


def test_a_message_claimed_before_claims_were_timed_is_stuck(session):
    """Rows 'sending' when migration 0012 ran have no claimed_at: claimed long ago."""
    notification = make_notification(session, "sending", claimed_at=None)
    assert listed(session, utcnow()) == {notification.id: "stuck"}


def test_a_stuck_message_is_never_sent_again_on_its_own(session):
    notification = stuck(session)
    sender = LogSender()
    assert send_due(session, sender=sender, now=NOW + dt.timedelta(days=7)).sent == 0
    assert sender.sent == []
    session.refresh(notification)
    assert notification.status == "sending"


def test_failed_messages_are_listed_with_their_error(session):
    notification = failed(session)
    found = review.troubles(session, now=NOW)
    [trouble] = found.items
    assert (trouble.notification.id, trouble.reason) == (notification.id, "failed")
    assert trouble.notification.last_error == "ConnectionRefusedError: down"
    assert found.counts == {"failed": 1, "stuck": 0, "overdue": 0}


def test_a_pending_message_due_over_an_hour_ago_is_overdue(session):
    notification = proposed(session)  # due at NOW, and no `notify send` ran
    assert listed(session, NOW + dt.timedelta(hours=1)) == {}
    assert listed(session, NOW + dt.timedelta(hours=1) + US) == {notification.id: "overdue"}


def test_the_list_gives_failed_then_stuck_then_overdue_with_counts(session, make_volunteer):
    volunteer, _ = make_volunteer(name="田中 花子", contact="hanako@example.jp")
    # in this order: each helper's send_due claims every message due by then
    gone = stuck(session, key="k:stuck")
    bad = failed(session)
    late = proposed(session, key="k:late", volunteer_id=volunteer.id)
    found = review.troubles(session, now=NOW + dt.timedelta(hours=2))
    assert [(t.notification.id, t.reason) for t in found.items] == [
        (bad.id, "failed"),
        (gone.id, "stuck"),
        (late.id, "overdue"),
    ]
    assert found.counts == {"failed": 1, "stuck": 1, "overdue": 1}
    assert found.items[2].volunteer is not None
    assert found.items[2].volunteer.name == "田中 花子"
    assert found.items[0].volunteer is None


def test_retry_sends_a_failed_message_once_more_and_a_second_retry_conflicts(session, sc):
    notification = failed(session)
    later = NOW + dt.timedelta(hours=3)
    retried = review.retry(session, notification_id=notification.id, by_user_id=sc.id, now=later)
    assert (retried.status, retried.attempts, retried.next_attempt_at) == ("pending", 1, later)
    assert (retried.handled_as, retried.handled_by_id, retried.handled_at) == (
        "retried",
        sc.id,
        later,
    )
    assert listed(session, later) == {}
    with pytest.raises(Conflict):
        review.retry(session, notification_id=notification.id, by_user_id=sc.id, now=later)

    sender = LogSender()
    assert send_due(session, sender=sender, now=later).sent == 1
    assert send_due(session, sender=sender, now=later + dt.timedelta(days=1)).sent == 0
    assert [m.id for m in sender.sent] == [notification.id]
    session.refresh(notification)
    assert (notification.status, notification.attempts) == ("sent", 2)


def test_a_retried_stuck_message_goes_out_exactly_once_by_smtp(session, sc, smtp_server):
    notification = stuck(session)
    later = NOW + dt.timedelta(minutes=31)
    review.retry(session, notification_id=notification.id, by_user_id=sc.id, now=later)
    sender = SmtpSender(host="127.0.0.1", port=smtp_server.port)
    assert send_due(session, sender=sender, now=later).sent == 1
    assert send_due(session, sender=sender, now=later + dt.timedelta(hours=1)).sent == 0
    [received] = smtp_server.mailbox.messages
    assert received["Subject"] == "【ささえあい】お手伝いのお願い（ゴミ出し）"
    session.refresh(notification)
    assert (notification.status, notification.attempts, notification.claimed_at) == (
        "sent",
        2,
        later,
    )


def test_a_message_still_being_sent_cannot_be_retried(session, sc):
    notification = stuck(session)
    with pytest.raises(Conflict):
        review.retry(
            session, notification_id=notification.id, by_user_id=sc.id, now=NOW + 30 * MINUTE
        )
    session.refresh(notification)
    assert notification.status == "sending"


def test_a_sent_message_cannot_be_retried_marked_or_given_up(session, sc):
    notification = proposed(session)
    send_due(session, sender=LogSender(), now=NOW)
    for action in (review.retry, review.mark_sent_by_hand, review.give_up):
        with pytest.raises(Conflict):
            action(session, notification_id=notification.id, by_user_id=sc.id, now=NOW)
    session.refresh(notification)
    assert (notification.status, notification.handled_as) == ("sent", None)


def test_an_overdue_message_is_already_waiting_so_retry_conflicts(session, sc):
    notification = proposed(session)
    with pytest.raises(Conflict):
        review.retry(
            session, notification_id=notification.id, by_user_id=sc.id, now=NOW + 2 * 60 * MINUTE
        )


def test_an_unknown_message_is_not_found(session, sc):
    with pytest.raises(NotFound):
        review.retry(session, notification_id=999_999, by_user_id=sc.id, now=NOW)


def test_marking_a_stuck_message_sent_by_hand_takes_it_off_the_list_for_good(session, sc):
    notification = stuck(session)
    later = NOW + dt.timedelta(hours=1)
    marked = review.mark_sent_by_hand(
        session, notification_id=notification.id, by_user_id=sc.id, now=later
    )
    assert (marked.status, marked.sent_at, marked.handled_as) == ("sent", later, "by_hand")
    assert listed(session, later) == {}
    with pytest.raises(Conflict):
        review.mark_sent_by_hand(
            session, notification_id=notification.id, by_user_id=sc.id, now=later
        )
    sender = LogSender()
    assert send_due(session, sender=sender, now=later + dt.timedelta(days=1)).sent == 0
    assert sender.sent == []


def test_a_failed_message_the_sc_phoned_about_is_marked_sent(session, sc):
    notification = failed(session)
    marked = review.mark_sent_by_hand(
        session, notification_id=notification.id, by_user_id=sc.id, now=NOW
    )
    assert (marked.status, marked.handled_as) == ("sent", "by_hand")


def test_giving_up_keeps_it_failed_and_off_the_list(session, sc):
    bad = failed(session)
    late = proposed(session, key="k:late")
    later = NOW + dt.timedelta(hours=2)
    for notification in (bad, late):
        gone = review.give_up(session, notification_id=notification.id, by_user_id=sc.id, now=later)
        assert (gone.status, gone.handled_as) == ("failed", "given_up")
    assert listed(session, later) == {}
    with pytest.raises(Conflict):
        review.retry(session, notification_id=bad.id, by_user_id=sc.id, now=later)
    sender = LogSender()
    assert send_due(session, sender=sender, now=later).sent == 0
    assert sender.sent == []


def test_two_people_pressing_retry_at_once_retry_it_once(engine):
    """Real commits and two connections: the conditional UPDATE, not luck, lets one win."""
    key = f"race:retry:{uuid.uuid4().hex}"
    try:
        with Session(engine, expire_on_commit=False) as setup:  # send_due commits
            notification_id = failed(setup, key=key).id
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def press() -> None:
            try:
                with Session(engine) as own, own.begin():
                    barrier.wait()
                    review.retry(own, notification_id=notification_id, by_user_id=None, now=NOW)
                outcomes.append("retried")
            except Conflict:
                outcomes.append("conflict")
            except BaseException as error:  # reported below
                outcomes.append(repr(error))

        threads = [threading.Thread(target=press) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["conflict", "retried"]
    finally:
        with engine.begin() as conn:
            conn.execute(delete(Notification).where(Notification.dedupe_key == key))
