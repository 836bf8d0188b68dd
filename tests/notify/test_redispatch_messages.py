"""The messages along automatic re-dispatch: the volunteer who did not answer is told another was
asked; the new volunteer is proposed with their own answer-by time and reminded the day before;
the one who declined or did not show is not written to about it."""

from __future__ import annotations

from sqlalchemy import select

from matching import dispatch
from matching.models import Assignment
from matching.redispatch import run_due
from notify.events import enqueue_events, enqueue_reminders
from notify.models import Notification
from tests.conftest import local
from tests.matching.test_dispatch_history import north, only_proposal


def messages(session) -> list[tuple[str, str]]:
    return [
        (kind, to)
        for kind, to in session.execute(
            select(Notification.kind, Notification.recipient).order_by(Notification.id)
        )
    ]


def body_to(session, to: str, kind: str) -> str:
    return session.scalars(
        select(Notification.body).where(Notification.recipient == to, Notification.kind == kind)
    ).one()


def neighbours(make_volunteer):
    near, _ = make_volunteer(name="近い 一郎", contact="near@example.jp", **north(50))
    far, _ = make_volunteer(name="遠い 次郎", contact="far@example.jp", **north(400))
    return near, far


def test_no_answer_by_the_cut_off_tells_the_silent_one_and_asks_the_next_with_a_deadline(
    session, make_help_request, make_volunteer
):
    near, far = neighbours(make_volunteer)
    make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    only_proposal(dispatch.run_match(session, now=local(0, 9)))
    enqueue_events(session, now=local(0, 9, 1))
    assert "18:00 までに" in body_to(session, "near@example.jp", "task_proposed")

    run_due(session, now=local(1, 18))
    counts = enqueue_events(session, now=local(1, 18, 1))
    assert (counts["task_proposed"], counts["task_cancelled"]) == (1, 1)
    assert messages(session) == [
        ("task_proposed", "near@example.jp"),
        ("task_proposed", "far@example.jp"),
        ("task_cancelled", "near@example.jp"),
    ]
    assert "お返事をいただけなかったため" in body_to(session, "near@example.jp", "task_cancelled")
    # proposed after the cut-off: an hour to answer
    assert "19:00 までに" in body_to(session, "far@example.jp", "task_proposed")


def test_after_a_decline_only_the_new_volunteer_hears_and_is_reminded(
    session, make_help_request, make_volunteer
):
    near, far = neighbours(make_volunteer)
    make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    enqueue_events(session, now=local(0, 9, 1))
    dispatch.decline(session, assignment_id=first.id, volunteer_id=near.id, now=local(0, 10))
    report = run_due(session, now=local(0, 10, 5))
    enqueue_events(session, now=local(0, 10, 6))
    assert report.proposed and messages(session) == [
        ("task_proposed", "near@example.jp"),
        ("task_proposed", "far@example.jp"),
    ]

    new = session.scalars(select(Assignment).where(Assignment.volunteer_id == far.id)).one()
    dispatch.accept(session, assignment_id=new.id, volunteer_id=far.id, now=local(0, 11))
    reminded = enqueue_reminders(session, now=local(1, 15))
    assert [n.recipient for n in reminded] == ["far@example.jp"]


def test_after_a_no_show_the_next_volunteer_is_asked_while_the_window_is_open(
    session, make_help_request, make_volunteer
):
    near, far = neighbours(make_volunteer)
    make_help_request(window_start=local(2, 7), window_end=local(2, 12))
    first = only_proposal(dispatch.run_match(session, now=local(0, 9)))
    dispatch.accept(session, assignment_id=first.id, volunteer_id=near.id, now=local(0, 10))
    dispatch.mark_no_show(session, assignment_id=first.id, now=local(2, 8))
    run_due(session, now=local(2, 8, 1))
    enqueue_events(session, now=local(2, 8, 2))
    # the window has begun but has time: the message still goes; the absent one gets none
    # (their proposal was answered by phone, so it was never announced either)
    assert messages(session) == [("task_proposed", "far@example.jp")]
