"""The outbox: one message per event, sent at most once, retried with backoff when the SMTP
server is down, against a real SMTP server on localhost."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db import InvalidInput
from notify.models import Notification
from notify.outbox import backoff, enqueue, send_due
from notify.senders import LogSender, Message, SmtpSender, sender_from_env

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
CONTEXT = {
    "name": "佐藤 一郎",
    "category": "ゴミ出し",
    "when": "12月2日（水）7:00〜8:30",
    "zone": "太子堂",
    "answer_by": "12月1日（火）18:00",
}


def proposed(session: Session, key: str = "task_proposed:assignment:1", **kw) -> Notification:
    kw.setdefault("to", "ichiro@example.jp")
    notification, _ = enqueue(
        session,
        kind="task_proposed",
        key=key,
        template="task_proposed",
        context=CONTEXT,
        now=NOW,
        **kw,
    )
    return notification


def test_a_message_is_rendered_in_japanese_from_its_template_file(session):
    notification = proposed(session)
    assert notification.subject == "【ささえあい】お手伝いのお願い（ゴミ出し）"
    assert notification.body.startswith("佐藤 一郎 さま")
    assert "日時：12月2日（水）7:00〜8:30" in notification.body
    assert (notification.status, notification.attempts) == ("pending", 0)


def test_one_event_enqueues_one_message(session):
    first, created = enqueue(
        session,
        kind="reminder",
        key="reminder:assignment:7",
        to="a@example.jp",
        template="reminder",
        context=CONTEXT,
    )
    again, created_again = enqueue(
        session,
        kind="reminder",
        key="reminder:assignment:7",
        to="a@example.jp",
        template="reminder",
        context=CONTEXT,
    )
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert (
        session.scalar(select(Notification.id).where(Notification.kind == "reminder")) == first.id
    )
    assert len(session.scalars(select(Notification)).all()) == 1


def test_a_message_needs_an_address(session):
    with pytest.raises(InvalidInput):
        proposed(session, to="03-1234-5678")


def test_the_log_sender_sends_each_due_message_once(session):
    sender = LogSender()
    first = proposed(session, key="k:1")
    second = proposed(session, key="k:2")

    report = send_due(session, sender=sender, now=NOW)
    assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
    assert [m.id for m in sender.sent] == [first.id, second.id]
    session.refresh(first)
    assert (first.status, first.attempts, first.sent_at) == ("sent", 1, NOW)

    assert send_due(session, sender=sender, now=NOW + dt.timedelta(hours=1)).sent == 0
    assert len(sender.sent) == 2


def test_a_message_not_yet_due_waits(session):
    sender = LogSender()
    proposed(session)
    assert send_due(session, sender=sender, now=NOW - dt.timedelta(seconds=1)).sent == 0
    assert sender.sent == []


def test_smtp_delivers_through_a_real_server(session, smtp_server):
    sender = SmtpSender(host="127.0.0.1", port=smtp_server.port, sender="sc@sasaeai.example")
    proposed(session)
    assert send_due(session, sender=sender, now=NOW).sent == 1
    [received] = smtp_server.mailbox.messages
    assert received["To"] == "ichiro@example.jp"
    assert received["From"] == "sc@sasaeai.example"
    assert received["Subject"] == "【ささえあい】お手伝いのお願い（ゴミ出し）"
    assert "佐藤 一郎 さま" in received.get_content()


def test_smtp_up_down_then_up_again_delivers_each_message_exactly_once(session, smtp_server):
    sender = SmtpSender(host="127.0.0.1", port=smtp_server.port, timeout=2)
    early = proposed(session, key="k:early")
    assert send_due(session, sender=sender, now=NOW).sent == 1

    smtp_server.down()
    late = proposed(session, key="k:late")
    report = send_due(session, sender=sender, now=NOW)
    assert (report.sent, report.retrying) == (0, 1)
    session.refresh(late)
    assert (late.status, late.attempts) == ("pending", 1)
    assert late.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert "Error" in (late.last_error or "")

    # still down at the first retry: it waits twice as long
    assert send_due(session, sender=sender, now=NOW + dt.timedelta(minutes=1)).retrying == 1
    session.refresh(late)
    assert (late.attempts, late.next_attempt_at) == (2, NOW + dt.timedelta(minutes=3))

    smtp_server.up()
    assert send_due(session, sender=sender, now=NOW + dt.timedelta(minutes=2)).sent == 0  # not due
    assert send_due(session, sender=sender, now=NOW + dt.timedelta(minutes=3)).sent == 1
    assert send_due(session, sender=sender, now=NOW + dt.timedelta(days=1)).sent == 0

    session.refresh(early)
    session.refresh(late)
    assert (early.status, late.status, late.attempts, late.last_error) == ("sent", "sent", 3, None)
    # the mailbox is kept across the server's restart: each message arrived once
    ids = [m["Message-ID"] for m in smtp_server.mailbox.messages]
    assert len(ids) == 2 == len(set(ids))


class Broken:
    def send(self, message: Message) -> None:
        raise ConnectionRefusedError("down")


def test_failures_back_off_exponentially_then_fail_for_good(session):
    notification = proposed(session)
    now = NOW
    for attempt in range(1, 4):
        report = send_due(session, sender=Broken(), now=now, max_attempts=3)
        session.refresh(notification)
        assert notification.attempts == attempt
        now = notification.next_attempt_at
    assert (report.retrying, report.failed) == (0, 1)
    assert notification.status == "failed"
    assert notification.last_error == "ConnectionRefusedError: down"
    assert send_due(session, sender=LogSender(), now=now + dt.timedelta(days=30)).sent == 0


def test_backoff_doubles_and_is_capped():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(30) == dt.timedelta(hours=6)


def test_the_environment_chooses_the_sender():
    assert isinstance(sender_from_env({}), LogSender)
    smtp = sender_from_env(
        {
            "SMTP_HOST": "mail.example.jp",
            "SMTP_PORT": "587",
            "SMTP_FROM": "sc@example.jp",
            "SMTP_USER": "sc",
            "SMTP_PASSWORD": "secret",
            "SMTP_STARTTLS": "true",
        }
    )
    assert smtp == SmtpSender(
        host="mail.example.jp",
        port=587,
        sender="sc@example.jp",
        user="sc",
        password="secret",
        starttls=True,
    )


def test_two_senders_at_once_send_each_message_once(engine):
    """Real commits and two connections: the claim, not luck, keeps them apart."""
    keys = [f"race:{n}" for n in range(30)]
    try:
        with Session(engine) as setup, setup.begin():
            for key in keys:
                proposed(setup, key=key)
        senders = [LogSender(), LogSender()]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(sender: LogSender) -> None:
            try:
                with Session(engine, expire_on_commit=False) as own:
                    barrier.wait()
                    while send_due(own, sender=sender, now=NOW, limit=5).sent:
                        pass
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=run, args=(s,)) for s in senders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        sent = [m.id for s in senders for m in s.sent]
        assert len(sent) == len(keys) == len(set(sent))
    finally:
        with engine.begin() as conn:
            conn.execute(delete(Notification).where(Notification.dedupe_key.in_(keys)))


class Crashing:
    """The process dies while handing the message over: did it go? Nobody knows."""

    def send(self, message: Message) -> None:
        raise KeyboardInterrupt


def test_a_sender_that_dies_mid_send_never_sends_that_message_again(session):
    notification = proposed(session)
    with pytest.raises(KeyboardInterrupt):
        send_due(session, sender=Crashing(), now=NOW)
    session.rollback()  # what a new process sees: the claim was committed before the send
    session.refresh(notification)
    assert (notification.status, notification.attempts) == ("sending", 1)

    sender = LogSender()
    assert send_due(session, sender=sender, now=NOW + dt.timedelta(days=1)).sent == 0
    assert sender.sent == []
