"""The messages of the SC's week: proposed, cancelled, the day-before reminder, each once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from matching import dispatch
from matching.models import Assignment
from notify.events import (
    TOKYO,
    enqueue_events,
    enqueue_reminders,
    enqueue_task_cancelled,
    enqueue_task_proposed,
    enqueue_trial_thanks,
    when_ja,
)
from notify.models import Notification
from notify.outbox import send_due
from notify.senders import LogSender


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), TOKYO)


def task(session, make_help_request, volunteer, *, start, status="accepted"):
    request = make_help_request(window_start=start, window_end=start + dt.timedelta(hours=1))
    request.status = status
    assignment = Assignment(
        help_request_id=request.id,
        volunteer_id=volunteer.id,
        status=status,
        distance_m=120.0,
        cost=1.0,
        reasons={},
    )
    session.add(assignment)
    session.flush()
    return assignment


def outbox(session):
    return session.scalars(select(Notification).order_by(Notification.id)).all()


def test_when_is_told_in_plain_japanese():
    start = at(dt.date(2026, 12, 1), 7)
    assert when_ja(start, start + dt.timedelta(minutes=90)) == "12月1日（火）7:00〜8:30"


def test_a_proposal_and_a_cancellation_each_tell_the_volunteer_once(
    session, make_volunteer, make_help_request
):
    volunteer, _ = make_volunteer(contact="ichiro@example.jp")
    start = dt.datetime.now(TOKYO).replace(microsecond=0) + dt.timedelta(days=3)
    assignment = task(session, make_help_request, volunteer, start=start, status="proposed")

    proposal = enqueue_task_proposed(session, assignment_id=assignment.id)
    assert enqueue_task_proposed(session, assignment_id=assignment.id).id == proposal.id
    cancellation = enqueue_task_cancelled(session, assignment_id=assignment.id)

    assert [(n.kind, n.recipient, n.volunteer_id) for n in outbox(session)] == [
        ("task_proposed", "ichiro@example.jp", volunteer.id),
        ("task_cancelled", "ichiro@example.jp", volunteer.id),
    ]
    assert "ゴミ出し" in proposal.subject or "お手伝い" in proposal.subject
    assert "取り消し" in cancellation.subject
    # the resident's name and address never leave in a message, only the 町
    resident = assignment.help_request.resident
    assert resident.name not in proposal.body and "太子堂" in proposal.body


def test_a_volunteer_without_an_e_mail_address_gets_no_message(
    session, make_volunteer, make_help_request
):
    volunteer, _ = make_volunteer(contact="090-1234-5678")
    start = dt.datetime.now(TOKYO) + dt.timedelta(days=3)
    assignment = task(session, make_help_request, volunteer, start=start, status="proposed")
    assert enqueue_task_proposed(session, assignment_id=assignment.id) is None
    assert outbox(session) == []


def test_reminders_go_for_tomorrows_accepted_tasks_once(session, make_volunteer, make_help_request):
    now = dt.datetime.now(TOKYO)
    tomorrow = now.date() + dt.timedelta(days=1)
    hanako, _ = make_volunteer(name="鈴木 花子", contact="hanako@example.jp")
    ichiro, _ = make_volunteer(contact="ichiro@example.jp")
    early = task(session, make_help_request, hanako, start=at(tomorrow, 0, 0))
    late = task(session, make_help_request, ichiro, start=at(tomorrow, 23, 0))
    task(session, make_help_request, ichiro, start=at(tomorrow + dt.timedelta(days=1), 0, 0))
    task(session, make_help_request, hanako, start=at(tomorrow, 9), status="proposed")

    reminded = enqueue_reminders(session, now=now)
    assert sorted(n.dedupe_key for n in reminded) == sorted(
        [f"reminder:assignment:{early.id}", f"reminder:assignment:{late.id}"]
    )
    assert all(n.subject.startswith("【ささえあい】明日のお手伝い") for n in reminded)

    again = enqueue_reminders(session, now=now + dt.timedelta(hours=1))
    assert {n.id for n in again} == {n.id for n in reminded}
    assert len(outbox(session)) == 2

    sender = LogSender()
    assert send_due(session, sender=sender, now=dt.datetime.now(dt.UTC)).sent == 2
    enqueue_reminders(session, now=now)
    assert send_due(session, sender=sender, now=dt.datetime.now(dt.UTC)).sent == 0


def test_a_trial_volunteer_is_thanked_once(session, make_volunteer, make_help_request):
    volunteer, _ = make_volunteer(status="trial", contact="new@example.jp")
    start = dt.datetime.now(TOKYO) + dt.timedelta(days=1)
    first = task(session, make_help_request, volunteer, start=start, status="completed")
    thanks = enqueue_trial_thanks(session, assignment_id=first.id)
    second = task(session, make_help_request, volunteer, start=start, status="completed")
    assert enqueue_trial_thanks(session, assignment_id=second.id).id == thanks.id
    assert "ありがとうございました" in thanks.subject


def test_news_of_proposals_is_read_from_dispatch_once(session, make_volunteer, make_help_request):
    now = dt.datetime.now(dt.UTC)
    ahead = dt.datetime.now(TOKYO) + dt.timedelta(days=2)
    with_mail, _ = make_volunteer(contact="ichiro@example.jp")
    by_phone, _ = make_volunteer(name="電話 だけ", contact="090-1234-5678")
    fresh = task(session, make_help_request, with_mail, start=ahead, status="proposed")
    task(session, make_help_request, by_phone, start=ahead, status="proposed")
    old = task(session, make_help_request, with_mail, start=ahead, status="proposed")
    old.created_at = now - dt.timedelta(days=3)
    task(session, make_help_request, with_mail, start=ahead, status="accepted")
    session.flush()

    assert enqueue_events(session, now=now) == {
        "trial_thanks": 0,
        "task_proposed": 1,
        "task_cancelled": 0,
    }
    assert [n.dedupe_key for n in outbox(session)] == [f"task_proposed:assignment:{fresh.id}"]
    assert enqueue_events(session, now=now) == {
        "trial_thanks": 0,
        "task_proposed": 0,
        "task_cancelled": 0,
    }


def test_a_withdrawal_is_news_only_to_a_volunteer_who_knew(
    session, make_volunteer, make_help_request
):
    ahead = dt.datetime.now(TOKYO) + dt.timedelta(days=2)
    volunteer, _ = make_volunteer(contact="ichiro@example.jp")
    told = task(session, make_help_request, volunteer, start=ahead, status="proposed")
    enqueue_events(session, now=dt.datetime.now(dt.UTC))
    untold = task(session, make_help_request, volunteer, start=ahead, status="proposed")
    dispatch.withdraw(session, assignment_id=told.id)
    dispatch.withdraw(session, assignment_id=untold.id)

    assert enqueue_events(session, now=dt.datetime.now(dt.UTC)) == {
        "trial_thanks": 0,
        "task_proposed": 0,
        "task_cancelled": 1,
    }
    assert [n.dedupe_key for n in outbox(session)] == [
        f"task_proposed:assignment:{told.id}",
        f"task_cancelled:assignment:{told.id}",
    ]


def test_a_trial_volunteers_first_completed_task_brings_thanks_once(
    session, make_volunteer, make_help_request
):
    ahead = dt.datetime.now(TOKYO) + dt.timedelta(days=1)
    newcomer, _ = make_volunteer(status="trial", contact="new@example.jp")
    regular, _ = make_volunteer(contact="regular@example.jp")
    first = task(session, make_help_request, newcomer, start=ahead)
    second = task(session, make_help_request, newcomer, start=ahead + dt.timedelta(hours=2))
    usual = task(session, make_help_request, regular, start=ahead)
    for assignment in (first, second, usual):
        dispatch.complete(session, assignment_id=assignment.id)

    assert enqueue_events(session, now=dt.datetime.now(dt.UTC))["trial_thanks"] == 1
    [thanks] = outbox(session)
    assert (thanks.dedupe_key, thanks.recipient) == (
        f"trial_thanks:volunteer:{newcomer.id}",
        "new@example.jp",
    )
    assert enqueue_events(session, now=dt.datetime.now(dt.UTC))["trial_thanks"] == 0
