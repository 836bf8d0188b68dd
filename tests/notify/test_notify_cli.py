"""`flask --app wsgi notify send` and `notify remind`: safe to run again and again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from notify.models import Notification
from notify.outbox import enqueue
from tests.notify.conftest import make_notification

CONTEXT = {
    "name": "佐藤 一郎",
    "category": "ゴミ出し",
    "when": "12月2日（水）7:00〜8:30",
    "zone": "太子堂",
    "answer_by": "12月1日（火）18:00",
}


def test_send_delivers_by_smtp_when_configured_and_only_once(
    app, session, smtp_server, monkeypatch
):
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("SMTP_FROM", "sc@sasaeai.example")
    notification, _ = enqueue(
        session,
        kind="task_proposed",
        key="cli:1",
        to="ichiro@example.jp",
        template="task_proposed",
        context=CONTEXT,
    )
    session.flush()
    runner = app.test_cli_runner()

    first = runner.invoke(args=["notify", "send"])
    assert first.exit_code == 0, first.output
    assert "Enqueued 0 proposals, 0 cancellations and 0 thanks. Sent 1;" in first.output
    again = runner.invoke(args=["notify", "send"])
    assert "Sent 0;" in again.output

    assert len(smtp_server.mailbox.messages) == 1
    session.expire_all()
    assert (
        session.scalar(select(Notification.status).where(Notification.id == notification.id))
        == "sent"
    )


def test_send_without_smtp_uses_the_log(app, session, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    enqueue(
        session,
        kind="task_proposed",
        key="cli:2",
        to="ichiro@example.jp",
        template="task_proposed",
        context=CONTEXT,
    )
    session.flush()
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1;" in result.output


def test_remind_is_safe_to_run_again(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notify", "remind"])
    assert result.exit_code == 0, result.output
    assert "reminders in the outbox for tomorrow" in result.output


def test_troubles_is_quiet_and_exits_0_when_nothing_is_wrong(app, session):
    result = app.test_cli_runner().invoke(args=["notify", "troubles"])
    assert (result.exit_code, result.output) == (0, "No message needs a person.\n")


def test_troubles_lists_failed_stuck_and_overdue_and_exits_1(app, session):
    failed = make_notification(session, "failed", last_error="SMTPRecipientsRefused: x\nmore")
    stuck = make_notification(session, "sending", kind="task_proposed")
    make_notification(session, "pending", age=dt.timedelta(hours=3))
    make_notification(session, "sending", age=dt.timedelta(minutes=1))  # being sent: fine
    result = app.test_cli_runner().invoke(args=["notify", "troubles"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        "1 failed, 1 stuck in sending, 1 overdue"
        " (is `flask --app wsgi notify send` running from cron?)."
        " Handle them on /outbox (送れなかったお知らせ)."
    )
    assert lines[1].startswith(f"failed   #{failed.id} reminder to hanako@example.jp, 1 attempts")
    assert lines[1].endswith(": SMTPRecipientsRefused: x")
    assert lines[2].startswith(f"stuck    #{stuck.id} task_proposed to hanako@example.jp")
    assert " JST" in lines[2]
    assert lines[3].startswith("overdue  #")
    assert len(lines) == 4
