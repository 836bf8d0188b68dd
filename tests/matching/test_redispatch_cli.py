"""`flask --app wsgi dispatch due`: safe to run from cron every few minutes, with the ward's
cut-off from the environment."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from matching import dispatch
from matching.models import Assignment, HelpRequest
from tests.conftest import local
from tests.matching.test_dispatch_history import north, only_proposal


def statuses(session, request_id: int) -> list[tuple[str, str | None]]:
    session.expire_all()
    rows = session.execute(
        select(Assignment.status, Assignment.ended_reason)
        .where(Assignment.help_request_id == request_id)
        .order_by(Assignment.id)
    )
    return [(status, reason) for status, reason in rows]


def test_due_re_dispatches_a_declined_request_once(app, session, make_help_request, make_volunteer):
    make_volunteer(**north(50))
    make_volunteer(name="遠い 次郎", **north(400))
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session))
    dispatch.decline(session, assignment_id=first.id)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["dispatch", "due"])
    assert result.exit_code == 0, result.output
    assert "re-dispatched 1 requests, 1 proposed" in result.output
    assert statuses(session, request.id) == [("declined", None), ("proposed", None)]
    again = runner.invoke(args=["dispatch", "due"])
    assert "re-dispatched 0 requests, 0 proposed;" in again.output


def test_due_takes_the_wards_cut_off_from_the_environment(
    app, session, make_help_request, make_volunteer, monkeypatch
):
    make_volunteer(**north(50))
    make_volunteer(name="遠い 次郎", **north(400))
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    now = dt.datetime.now(dt.UTC)
    only_proposal(dispatch.run_match(session, now=now - dt.timedelta(minutes=31)))
    monkeypatch.setenv("DISPATCH_CUTOFF", "07:00")
    monkeypatch.setenv("DISPATCH_CUTOFF_DAYS_BEFORE", "14")
    monkeypatch.setenv("DISPATCH_ANSWER_GRACE_MINUTES", "30")

    result = app.test_cli_runner().invoke(args=["dispatch", "due"])
    assert result.exit_code == 0, result.output
    assert "1 proposals unanswered by the cut-off (07:00, 14 day(s) before)" in result.output
    assert statuses(session, request.id) == [("cancelled", "no_answer"), ("proposed", None)]
    assert session.get(HelpRequest, request.id).flag == "no_answer"


def test_a_wrong_cut_off_setting_stops_the_command_and_changes_nothing(
    app, session, make_help_request, make_volunteer, monkeypatch
):
    make_volunteer(**north(50))
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    first = only_proposal(dispatch.run_match(session))
    dispatch.decline(session, assignment_id=first.id)
    monkeypatch.setenv("DISPATCH_CUTOFF", "6pm")

    result = app.test_cli_runner().invoke(args=["dispatch", "due"])
    assert result.exit_code != 0
    assert (
        "Dispatch cut-off settings: The cut-off is a time like 18:00, not '6pm'." in result.output
    )
    assert session.get(HelpRequest, request.id).redispatch_at is not None
